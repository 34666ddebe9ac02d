"""Counts that describe a benchmark file: per category and subcategory against the taxonomy
targets, gold letters, provenance and review mix."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from typing import Any

from akb.bench.items import Item
from akb.bench.taxonomy import Taxonomy


def bench_stats(items: Sequence[Item], taxonomy: Taxonomy) -> dict[str, Any]:
    by_cat = Counter(i.category for i in items)
    by_sub = Counter((i.category, i.subcategory) for i in items)
    cats = []
    for c in taxonomy.categories:
        subs = [
            {"id": s.id, "name": s.name, "count": by_sub.get((c.id, s.id), 0), "target": s.target}
            for s in c.subcategories
        ]
        cats.append({"id": c.id, "name": c.name, "count": by_cat.get(c.id, 0), "target": c.total, "subcategories": subs})
    letters: Counter[str] = Counter(i.answer for i in items)
    per_cat_letters = {c: dict(sorted(Counter(i.answer for i in items if i.category == c).items())) for c in by_cat}
    return {
        "items": len(items),
        "target": taxonomy.total,
        "subcategories_present": len(by_sub),
        "subcategories_total": taxonomy.n_subcategories(),
        "categories": cats,
        "gold_letters": {L: letters.get(L, 0) for L in "ABCD"},
        "gold_letters_by_category": per_cat_letters,
        "provenance": dict(Counter(i.provenance.method for i in items).most_common()),
        "review_status": dict(Counter(i.review.status for i in items).most_common()),
        "with_rationale": sum(bool(i.rationale) for i in items),
        "with_review_record": sum(bool(i.review.reviews) for i in items),
        "subcategories_under_15": [f"{c}/{s}" for (c, s), n in sorted(by_sub.items()) if n < 15]
        + [f"{c.id}/{s.id}" for c in taxonomy.categories for s in c.subcategories if (c.id, s.id) not in by_sub],
    }
