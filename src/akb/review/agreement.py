"""Inter-reviewer agreement: raw agreement, Cohen's kappa for a pair, Fleiss' kappa for a team.

Two things are compared: the *blind answer* (which option a reviewer picked before seeing
the key; letters of one common order per item) and the *verdict* (accept / edit / reject).
Kappa corrects raw agreement for the agreement expected by chance from how often each
category is used. When every rating falls in one category the chance agreement is 1 and
kappa is undefined (0/0): it is then reported as None with the reason, never as 0 or 1.

Fleiss' kappa is computed in its form for a varying number of raters per item (each item's
observed agreement is the share of agreeing rater pairs on it); with the same number of
raters on every item it is exactly Fleiss (1971).
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from itertools import combinations
from typing import Literal

from akb.review.consensus import latest_per_reviewer
from akb.review.content import Shown, letter_in
from akb.review.decision import Decision

Dimension = Literal["blind_answer", "verdict"]


@dataclass(frozen=True)
class Agreement:
    measure: str  # "cohen" or "fleiss"
    raters: tuple[str, ...]
    n_items: int
    n_ratings: int
    raw: float | None  # observed agreement (share of agreeing rater pairs)
    kappa: float | None
    categories: tuple[str, ...] = ()
    note: str | None = None  # why kappa (or everything) is undefined

    def as_dict(self) -> dict:
        return {"measure": self.measure, "raters": list(self.raters), "n_items": self.n_items,
                "n_ratings": self.n_ratings, "raw": self.raw, "kappa": self.kappa,
                "categories": list(self.categories), "note": self.note}


def cohen_kappa(a: Sequence[str], b: Sequence[str], raters: tuple[str, str] = ("a", "b")) -> Agreement:
    """Cohen's kappa of two raters who rated the same items (``a[i]`` and ``b[i]``)."""
    if len(a) != len(b):
        raise ValueError(f"the two raters rated {len(a)} and {len(b)} items")
    n = len(a)
    cats = tuple(sorted(set(a) | set(b)))
    if n == 0:
        return Agreement("cohen", raters, 0, 0, None, None, cats, "no item rated by both")
    p_o = sum(x == y for x, y in zip(a, b, strict=True)) / n
    ca, cb = Counter(a), Counter(b)
    p_e = sum(ca[c] * cb[c] for c in cats) / (n * n)
    if p_e >= 1.0:
        return Agreement("cohen", raters, n, 2 * n, p_o, None, cats,
                         f"both used only {cats[0]!r}: chance agreement is 1, kappa undefined")
    return Agreement("cohen", raters, n, 2 * n, p_o, (p_o - p_e) / (1 - p_e), cats)


def fleiss_kappa(ratings: Sequence[Sequence[str]], raters: tuple[str, ...] = ()) -> Agreement:
    """Fleiss' kappa over items, each a list of the labels its raters gave (items with fewer
    than two ratings are left out)."""
    rated = [list(r) for r in ratings if len(r) >= 2]
    cats = tuple(sorted({x for r in rated for x in r}))
    n_ratings = sum(len(r) for r in rated)
    if not rated:
        return Agreement("fleiss", raters, 0, 0, None, None, cats, "no item rated by two or more")
    p_items = []
    totals: Counter[str] = Counter()
    for r in rated:
        c = Counter(r)
        totals.update(c)
        m = len(r)
        p_items.append(sum(k * (k - 1) for k in c.values()) / (m * (m - 1)))
    p_bar = sum(p_items) / len(p_items)
    p_e = sum((totals[c] / n_ratings) ** 2 for c in cats)
    if p_e >= 1.0:
        return Agreement("fleiss", raters, len(rated), n_ratings, p_bar, None, cats,
                         f"every rating is {cats[0]!r}: chance agreement is 1, kappa undefined")
    return Agreement("fleiss", raters, len(rated), n_ratings, p_bar, (p_bar - p_e) / (1 - p_e), cats)


def label_of(d: Decision, dimension: Dimension, current: Shown | None) -> str | None:
    """A decision's rating: the verdict, or the blind answer as a letter of the item's
    current order (so reviewers who saw different orders are compared on the option)."""
    if dimension == "verdict":
        return d.verdict
    if d.blind_answer is None:
        return None
    if current is not None:
        mapped = letter_in(current.choices, d.shown, d.blind_answer)
        if mapped is not None:
            return mapped
    return d.blind_answer


def ratings_by_unit(decisions: Sequence[Decision], dimension: Dimension,
                    current: Mapping[str, Shown] | None = None) -> dict[tuple[str, str], dict[str, str]]:
    """(item id, content key) -> {reviewer: label}, from each reviewer's latest decision."""
    grouped: dict[tuple[str, str], list[Decision]] = defaultdict(list)
    for d in decisions:
        grouped[(d.item_id, d.content_key)].append(d)
    out: dict[tuple[str, str], dict[str, str]] = {}
    for unit, ds in grouped.items():
        labels = {}
        for d in latest_per_reviewer(ds):
            lab = label_of(d, dimension, (current or {}).get(d.item_id))
            if lab is not None:
                labels[d.reviewer] = lab
        if labels:
            out[unit] = labels
    return out


@dataclass(frozen=True)
class AgreementTable:
    dimension: Dimension
    pairs: list[Agreement] = field(default_factory=list)
    overall: Agreement | None = None

    def as_dict(self) -> dict:
        return {"dimension": self.dimension, "pairs": [p.as_dict() for p in self.pairs],
                "overall": self.overall.as_dict() if self.overall else None}


def agreement_table(decisions: Sequence[Decision], dimension: Dimension,
                    current: Mapping[str, Shown] | None = None) -> AgreementTable:
    """Cohen's kappa for every pair of reviewers (on the items both rated) and Fleiss'
    kappa over all items rated by two or more."""
    units = ratings_by_unit(decisions, dimension, current)
    reviewers = sorted({r for labels in units.values() for r in labels})
    pairs = []
    for r1, r2 in combinations(reviewers, 2):
        both = [labels for labels in units.values() if r1 in labels and r2 in labels]
        pairs.append(cohen_kappa([x[r1] for x in both], [x[r2] for x in both], (r1, r2)))
    overall = fleiss_kappa([list(labels.values()) for labels in units.values()], tuple(reviewers))
    return AgreementTable(dimension, pairs, overall)


@dataclass(frozen=True)
class ReviewerStats:
    reviewer: str
    decided: int
    accept: int
    edit: int
    reject: int
    blind: int  # decisions with a blind answer
    blind_on_key: int  # of which the blind answer was the key

    def as_dict(self) -> dict:
        return self.__dict__.copy()


def reviewer_stats(decisions: Sequence[Decision]) -> list[ReviewerStats]:
    """Per reviewer, from their latest decision on each item version."""
    grouped: dict[tuple[str, str], list[Decision]] = defaultdict(list)
    for d in decisions:
        grouped[(d.item_id, d.content_key)].append(d)
    latest = [d for ds in grouped.values() for d in latest_per_reviewer(ds)]
    out = []
    for r in sorted({d.reviewer for d in latest}):
        mine = [d for d in latest if d.reviewer == r]
        verdicts = Counter(d.verdict for d in mine)
        blind = [d for d in mine if d.blind_answer is not None]
        out.append(ReviewerStats(r, len(mine), verdicts["accept"], verdicts["edit"], verdicts["reject"],
                                 len(blind), sum(d.blind_answer == d.shown.answer for d in blind)))
    return out
