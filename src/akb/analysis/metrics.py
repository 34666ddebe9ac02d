"""Accuracy with honest intervals, per category and subcategory, as published.

The headline score is plain accuracy over items (not a mean of category means), as in the
study. Intervals are 95% Wilson score intervals, which stay inside [0, 1] and behave
at small n, where the normal approximation does not.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from akb.core.results import ProbeMetrics as Metrics
from akb.core.scores import wilson

# Column order of the study's Table 1.
TABLE_ORDER = ("sound", "paralinguistic", "phonetic", "music", "audio_quality", "technical")


def compute_metrics(samples: Iterable[Mapping[str, Any]]) -> Metrics:
    """From sample records with ``category``, ``subcategory``, ``correct``, ``pred``, ``answer``."""
    rows = list(samples)
    cat: dict[str, list[bool]] = defaultdict(list)
    sub: dict[str, list[bool]] = defaultdict(list)
    for s in rows:
        ok = bool(s.get("correct"))
        cat[s["category"]].append(ok)
        sub[f"{s['category']}/{s['subcategory']}"].append(ok)
    n = len(rows)
    k = sum(bool(s.get("correct")) for s in rows)
    invalid = sum(bool(s.get("invalid")) for s in rows)
    order = {c: i for i, c in enumerate(TABLE_ORDER)}
    return Metrics(
        overall=wilson(k, n),
        categories={c: wilson(sum(v), len(v)) for c, v in sorted(cat.items(), key=lambda kv: order.get(kv[0], 99))},
        subcategories={c: wilson(sum(v), len(v)) for c, v in sorted(sub.items())},
        invalid=invalid,
        invalid_rate=invalid / n if n else None,
        errors=sum(bool(s.get("error")) for s in rows),
        predicted_letters=dict(sorted(Counter(s.get("pred") or "invalid" for s in rows).items())),
        gold_letters=dict(sorted(Counter(s["answer"] for s in rows).items())),
        invalid_reasons=dict(Counter(s.get("method", "?") for s in rows if s.get("invalid")).most_common()),
    )


def table1_markdown(rows: Sequence[tuple[str, Metrics]], names: Mapping[str, str] | None = None) -> str:
    """A leaderboard shaped like the study's Table 1: one row per model, accuracy in %."""
    names = names or {}
    cats = [c for c in TABLE_ORDER if any(c in m.categories for _, m in rows)]
    extra = sorted({c for _, m in rows for c in m.categories} - set(cats))
    cats += extra
    head = "| Model | " + " | ".join(names.get(c, c) for c in cats) + " | Avg. |"
    sep = "|---|" + "---:|" * (len(cats) + 1)
    lines = [head, sep]
    for label, m in rows:
        cells = [m.categories[c].pct() if c in m.categories else "-" for c in cats]
        lines.append(f"| {label} | " + " | ".join(cells) + f" | {m.overall.pct()} |")
    return "\n".join(lines)
