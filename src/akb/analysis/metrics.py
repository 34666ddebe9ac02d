"""Accuracy with honest intervals, per category and subcategory, as published.

The headline score is plain accuracy over items (not a mean of category means), as in the
study. Intervals are 95% Wilson score intervals, which stay inside [0, 1] and behave at
small n, where the normal approximation does not. The formula is a few lines of the
standard library (importing scipy.stats for it cost 0.8 s of every ``akb probe`` start).
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import math
from statistics import NormalDist

from pydantic import BaseModel

# Column order of the study's Table 1.
TABLE_ORDER = ("sound", "paralinguistic", "phonetic", "music", "audio_quality", "technical")


class Score(BaseModel):
    n: int
    correct: int
    accuracy: float | None
    ci_low: float | None
    ci_high: float | None

    def pct(self) -> str:
        if self.accuracy is None:
            return "-"
        return f"{100 * self.accuracy:.2f}"

    def pct_ci(self) -> str:
        if self.accuracy is None or self.ci_low is None or self.ci_high is None:
            return "-"
        return f"{100 * self.accuracy:.1f} [{100 * self.ci_low:.1f}, {100 * self.ci_high:.1f}]"


def wilson(correct: int, n: int, confidence: float = 0.95) -> Score:
    if n == 0:
        return Score(n=0, correct=0, accuracy=None, ci_low=None, ci_high=None)
    low, high = wilson_interval(correct, n, confidence)
    return Score(n=n, correct=correct, accuracy=correct / n, ci_low=low, ci_high=high)


def wilson_interval(correct: int, n: int, confidence: float = 0.95) -> tuple[float, float]:
    """The Wilson score interval (as scipy's ``binomtest(...).proportion_ci(method="wilson")``)."""
    z = NormalDist().inv_cdf(0.5 + confidence / 2)
    p = correct / n
    denom = 1 + z * z / n
    centre = (p + z * z / (2 * n)) / denom
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / denom
    low = 0.0 if correct == 0 else max(0.0, centre - half)
    high = 1.0 if correct == n else min(1.0, centre + half)
    return low, high


class Metrics(BaseModel):
    overall: Score
    categories: dict[str, Score]
    subcategories: dict[str, Score]  # "category/subcategory"
    invalid: int
    invalid_rate: float | None
    errors: int
    predicted_letters: dict[str, int]
    gold_letters: dict[str, int]
    invalid_reasons: dict[str, int]


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
