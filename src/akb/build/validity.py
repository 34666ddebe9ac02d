"""Validity figures of a benchmark file (``akb build validity``), stored as package data
(``akb/data/validity.json``), written into the dataset card's "Validity" section and shown
by ``akb bench stats``.

Measured from the items themselves and from the review answers recorded in them:

- options-only accuracy: reviews of mode ``options-only`` (the reviewer saw the four options,
  not the question); overall, per category, with n, dates and who answered;
- blind accuracy: blind reviews (mode ``blind``, or v0.1 model/human reviews with a blind
  answer), with the misses to adjudicate;
- numeric key at an inner rank, key uniquely longest, letter balance, subcategory sizes, totals;
- the embedding and options-only embedding baselines per category (``akb bench release``'s
  baselines, when given).

A review counts only if it was made after the item's text last changed (a merge note of
verdict ``edit``): answers to an earlier text say nothing about the current one. Each figure
is checked against the issue-14 targets; a figure without enough answers is "not measured",
never passed.
"""

from __future__ import annotations

import hashlib
import json
from collections import Counter, defaultdict
from collections.abc import Sequence
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from akb.bench.items import LETTERS, Item, Review
from akb.bench.taxonomy import Taxonomy
from akb.build.blind import model_family
from akb.build.checks import (
    MAX_GOLD_LONGEST,
    MAX_INNER_RANK,
    key_uniquely_longest,
    option_set_stats,
    release_stats,
)

VALIDITY_FILE = "validity.json"
TARGETS = {
    "options_only_overall_max": 0.35,
    "options_only_category_max": 0.40,
    "options_only_min_n": 300,
    "blind_min": 0.88,
    "blind_max": 0.97,
    "blind_min_n": 300,
    "inner_rank_max": MAX_INNER_RANK,
    "key_longest_max": MAX_GOLD_LONGEST,
    "embedding_category_max": 0.30,
    "min_subcategory": 15,
}


def fingerprint(items: Sequence[Item]) -> str:
    """What the figures were measured on: ids, questions, options and keys (not reviews)."""
    h = hashlib.sha256()
    for i in sorted(items, key=lambda i: i.id):
        h.update(json.dumps([i.id, i.question, i.choices, i.answer], ensure_ascii=False).encode())
    return h.hexdigest()


def current_reviews(item: Item) -> list[Review]:
    """Reviews made after the item's text last changed (the last ``edit`` review)."""
    last_edit = max((k for k, r in enumerate(item.review.reviews) if r.verdict == "edit"), default=-1)
    return item.review.reviews[last_edit + 1:]


def _is_blind(r: Review) -> bool:
    if r.mode == "options-only":
        return False
    return r.kind in ("model", "human") and (r.mode == "blind" or r.blind_answer is not None)


def _answers(items: Sequence[Item], mode: str) -> list[tuple[Item, Review]]:
    """Per item and reviewer, the latest current review of ``mode``."""
    out: list[tuple[Item, Review]] = []
    for it in items:
        latest: dict[str, Review] = {}
        for r in current_reviews(it):
            ok = r.mode == "options-only" if mode == "options-only" else _is_blind(r)
            if ok:
                latest[r.reviewer] = r
        out += [(it, r) for r in latest.values()]
    return out


def _acc(pairs: Sequence[tuple[Item, Review]]) -> dict[str, Any]:
    n = len(pairs)
    correct = sum(r.blind_answer == it.answer for it, r in pairs)
    return {"n": n, "correct": correct, "accuracy": round(correct / n, 4) if n else None}


def answer_figures(items: Sequence[Item], mode: str) -> dict[str, Any]:
    pairs = _answers(items, mode)
    by_cat: dict[str, list[tuple[Item, Review]]] = defaultdict(list)
    by_rev: dict[str, list[tuple[Item, Review]]] = defaultdict(list)
    for it, r in pairs:
        by_cat[it.category].append((it, r))
        by_rev[r.reviewer].append((it, r))
    dates = sorted(r.at for _, r in pairs)
    out: dict[str, Any] = {
        **_acc(pairs),
        "items_answered": len({it.id for it, _ in pairs}),
        "categories": {c: _acc(v) for c, v in sorted(by_cat.items())},
        "answered_by": [{"reviewer": k, "kind": v[0][1].kind,
                         "family": v[0][1].family or (model_family(k) if v[0][1].kind == "model" else None), **_acc(v)}
                        for k, v in sorted(by_rev.items())],
        "dates": [dates[0].date().isoformat(), dates[-1].date().isoformat()] if dates else None,
    }
    if mode == "blind":
        out["misses"] = sorted({it.id for it, r in pairs if r.blind_answer != it.answer})
    return out


def _baseline(baselines: dict[str, Any] | None, spec: str) -> dict[str, Any] | None:
    b = (baselines or {}).get(spec)
    if not b:
        return None
    return {"overall": b["overall"].get("accuracy"),
            "categories": {c: s.get("accuracy") for c, s in sorted(b.get("categories", {}).items())}}


def compute_validity(items: Sequence[Item], taxonomy: Taxonomy, *, baselines: dict[str, Any] | None = None,
                     at: datetime | None = None) -> dict[str, Any]:
    at = at or datetime.now(timezone.utc).replace(microsecond=0)
    cats = Counter(i.category for i in items)
    subs = Counter((i.category, i.subcategory) for i in items)
    rel = release_stats(items)
    os_ = option_set_stats(items)
    letters: Counter[str] = Counter(i.answer for i in items)
    longest_by_cat = {c: round(sum(key_uniquely_longest(i) for i in items if i.category == c) / n, 3) for c, n in sorted(cats.items())}
    opt = answer_figures(items, "options-only")
    blind = answer_figures(items, "blind")
    emb = _baseline(baselines, "embedding")
    emb_opt = _baseline(baselines, "options-only:embedding")
    t = TARGETS
    sizes = [subs.get((c.id, s.id), 0) for c in taxonomy.categories for s in c.subcategories]

    def measured(ok: bool | None) -> str:
        return "not measured" if ok is None else ("met" if ok else "missed")

    opt_ok = None if opt["n"] < t["options_only_min_n"] else (
        opt["accuracy"] <= t["options_only_overall_max"]
        and all(v["accuracy"] is not None and v["accuracy"] <= t["options_only_category_max"] for v in opt["categories"].values()))
    blind_ok = None if blind["n"] < t["blind_min_n"] else t["blind_min"] <= blind["accuracy"] <= t["blind_max"]
    emb_ok = None if emb is None or emb_opt is None else all(
        v is not None and v <= t["embedding_category_max"] for b in (emb, emb_opt) for v in b["categories"].values())
    inner = os_["numeric_inner_rank_rate"]
    longest = os_["key_uniquely_longest_rate"]
    return {
        "computed": at.isoformat().replace("+00:00", "Z"),
        "fingerprint": fingerprint(items),
        "items": len(items),
        "totals": {"categories": dict(sorted(cats.items())),
                   "targets": {c.id: c.total for c in taxonomy.categories},
                   "exact": all(cats.get(c.id, 0) == c.total for c in taxonomy.categories) and len(items) == taxonomy.total},
        "subcategories": {"count": sum(1 for s in sizes if s > 0), "of": len(sizes), "min_size": min(sizes) if sizes else 0,
                          "at_least_15": sum(1 for s in sizes if s >= t["min_subcategory"])},
        "letters": {"overall": {x: letters.get(x, 0) for x in LETTERS},
                    "max_category_spread": max((s["gold_spread"] for s in rel.values() if isinstance(s, dict)), default=0)},
        "numeric_inner_rank": {"n": os_["numeric_items"], "rate": inner, "ranks": os_["numeric_key_ranks"],
                               "categories": os_["numeric_inner_rank_rate_by_category"]},
        "key_uniquely_longest": {"rate": longest, "categories": longest_by_cat},
        "options_only": opt,
        "blind": blind,
        "baselines": {"embedding": emb, "options_only_embedding": emb_opt},
        "targets": t,
        "verdicts": {
            "options_only": measured(opt_ok),
            "blind": measured(blind_ok),
            "numeric_inner_rank": measured(None if inner is None else inner <= t["inner_rank_max"]),
            "key_uniquely_longest": measured(None if longest is None else longest <= t["key_longest_max"]),
            "embedding_baselines": measured(emb_ok),
            "letters_balanced": measured(all(s["gold_spread"] <= 1 for s in rel.values() if isinstance(s, dict))),
            "subcategories": measured(len(sizes) > 0 and all(s >= t["min_subcategory"] for s in sizes)),
            "totals_exact": measured(all(cats.get(c.id, 0) == c.total for c in taxonomy.categories)),
        },
    }


def load_validity(path: Path | None = None) -> dict[str, Any] | None:
    from akb.core.paths import data_path

    p = path or data_path(VALIDITY_FILE)
    return json.loads(p.read_text()) if p.exists() else None


def _pct(x: float | None) -> str:
    return "-" if x is None else f"{100 * x:.1f}%"


def _who(fig: dict[str, Any]) -> str:
    if not fig["answered_by"]:
        return "nobody yet"
    return "; ".join(f"{a['reviewer']} ({a['kind']}{', ' + a['family'] if a.get('family') else ''}, n={a['n']})"
                     for a in fig["answered_by"])


def validity_markdown(v: dict[str, Any] | None, items: Sequence[Item], taxonomy: Taxonomy) -> list[str]:
    """The dataset card's "Validity" section."""
    L = ["## Validity", ""]
    if v is None:
        return L + ["Not measured for this release (run `akb build validity`).", ""]
    if v.get("fingerprint") != fingerprint(items):
        L += ["**These figures were measured on a different item set than this release** (the items changed after "
              "`akb build validity` last ran); treat them as out of date.", ""]
    t = v["targets"]
    opt, blind = v["options_only"], v["blind"]
    L += [f"Measured {v['computed'][:10]} on {v['items']} items by `akb build validity`. The targets are those of "
          "the construction brief (issue 14); a figure without enough answers is \"not measured\", never \"met\".", "",
          "| Figure | Value | n | Target | Verdict |", "|---|---:|---:|---|---|",
          f"| Options only, question hidden (overall) | {_pct(opt['accuracy'])} | {opt['n']} | <= {t['options_only_overall_max']:.0%} overall, "
          f"<= {t['options_only_category_max']:.0%} per category, n >= {t['options_only_min_n']} | {v['verdicts']['options_only']} |",
          f"| Blind accuracy | {_pct(blind['accuracy'])} | {blind['n']} | {t['blind_min']:.0%}-{t['blind_max']:.0%}, n >= {t['blind_min_n']} | {v['verdicts']['blind']} |",
          f"| Numeric key at an inner rank | {_pct(v['numeric_inner_rank']['rate'])} | {v['numeric_inner_rank']['n']} | <= {t['inner_rank_max']:.0%} (chance 50%) | {v['verdicts']['numeric_inner_rank']} |",
          f"| Key uniquely the longest option | {_pct(v['key_uniquely_longest']['rate'])} | {v['items']} | <= {t['key_longest_max']:.0%} | {v['verdicts']['key_uniquely_longest']} |",
          f"| Letters balanced (max spread in a category) | {v['letters']['max_category_spread']} | {v['items']} | <= 1 | {v['verdicts']['letters_balanced']} |",
          f"| Subcategories with >= {t['min_subcategory']} items | {v['subcategories']['at_least_15']} of {v['subcategories']['of']} (smallest {v['subcategories']['min_size']}) | | all | {v['verdicts']['subcategories']} |",
          f"| Category totals exact | {'yes' if v['totals']['exact'] else 'no'} | {v['items']} | exact | {v['verdicts']['totals_exact']} |",
          f"| Embedding baselines per category | see below | | <= {t['embedding_category_max']:.0%} | {v['verdicts']['embedding_baselines']} |", "",
          f"Options-only answers: {_who(opt)}; dates {' to '.join(opt['dates']) if opt['dates'] else '-'}.",
          f"Blind answers: {_who(blind)}; dates {' to '.join(blind['dates']) if blind['dates'] else '-'}; "
          f"{len(blind.get('misses', []))} misses to adjudicate.", ""]
    cats = [c.id for c in taxonomy.categories]
    emb, embo = v["baselines"]["embedding"], v["baselines"]["options_only_embedding"]
    L += ["| Per category | " + " | ".join(taxonomy.category_name(c) for c in cats) + " |", "|---|" + "---:|" * len(cats)]
    L.append("| Options only (n) | " + " | ".join(
        f"{_pct(opt['categories'].get(c, {}).get('accuracy'))} ({opt['categories'].get(c, {}).get('n', 0)})" for c in cats) + " |")
    L.append("| Blind (n) | " + " | ".join(
        f"{_pct(blind['categories'].get(c, {}).get('accuracy'))} ({blind['categories'].get(c, {}).get('n', 0)})" for c in cats) + " |")
    L.append("| Numeric key at inner rank | " + " | ".join(_pct(v['numeric_inner_rank']['categories'].get(c)) for c in cats) + " |")
    L.append("| Key uniquely longest | " + " | ".join(_pct(v['key_uniquely_longest']['categories'].get(c)) for c in cats) + " |")
    for label, b in (("Embedding baseline", emb), ("Options-only embedding", embo)):
        L.append(f"| {label} | " + " | ".join(_pct((b or {}).get("categories", {}).get(c)) for c in cats) + " |")
    L.append("")
    return L
