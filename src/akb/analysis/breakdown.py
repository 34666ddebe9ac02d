"""Where models differ and what is hard: spread across backbones, hardest (sub)categories.

Published models and your runs are summarised separately: a spread between a published
frontier model and your random baseline would say nothing about backbones.
"""

from __future__ import annotations

from collections import defaultdict
from typing import Literal

from pydantic import BaseModel

from akb.analysis.runs_index import RunsIndex

Source = Literal["paper", "run"]
SOURCE_NAMES = {"paper": "published backbones", "run": "of your runs"}


class Spread(BaseModel):
    setting: str
    label: str
    source: Source
    n: int
    best: str
    best_value: float
    worst: str
    worst_value: float

    @property
    def points(self) -> float:
        return self.best_value - self.worst_value

    def sentence(self) -> str:
        return (f"{self.label}: changing only the backbone moves the score by {self.points:.1f} points "
                f"({self.best} {self.best_value:.1f} vs {self.worst} {self.worst_value:.1f}; "
                f"{self.n} {SOURCE_NAMES[self.source]})")


def spreads(index: RunsIndex) -> list[Spread]:
    out = []
    for source in ("paper", "run"):
        for sid in index.setting_ids(backbones_only=True):
            rows = [r for r in index.backbones() if r.source == source and r.value(sid) is not None]
            if len(rows) < 2:
                continue
            hi = max(rows, key=lambda r: r.value(sid) or 0.0)
            lo = min(rows, key=lambda r: r.value(sid) or 0.0)
            out.append(Spread(setting=sid, label=index.label(sid), source=source, n=len(rows), best=hi.name,
                              best_value=hi.value(sid) or 0.0, worst=lo.name, worst_value=lo.value(sid) or 0.0))
    return out


class Hardness(BaseModel):
    key: str  # category, or "category/subcategory"
    source: Source
    mean: float  # mean accuracy over models, percent
    models: int
    lowest_for: int = 0  # models for which this is the lowest (categories)
    items: int | None = None  # items per model (runs)


def hardest_categories(index: RunsIndex) -> list[Hardness]:
    """AKB-2000 categories from hardest to easiest, per source, with how often each is the lowest."""
    out = []
    for source in ("paper", "run"):
        vals: dict[str, list[float]] = defaultdict(list)
        lowest: dict[str, int] = defaultdict(int)
        items: dict[str, int] = {}
        for r in index.rows:
            s = r.scores.get("akb2000_text")
            if r.source != source or s is None or not s.groups:
                continue
            for c, p in s.groups.items():
                vals[c].append(p.value)
                if p.n is not None:
                    items[c] = p.n
            lowest[min(s.groups, key=lambda c: s.groups[c].value)] += 1
        for c, v in vals.items():
            out.append(Hardness(key=c, source=source, mean=sum(v) / len(v), models=len(v),
                                lowest_for=lowest.get(c, 0), items=items.get(c)))
    return sorted(out, key=lambda h: (h.source, h.mean))


def hardest_subcategories(index: RunsIndex, k: int = 5, min_items: int = 10) -> tuple[list[Hardness], int]:
    """The k AKB-2000 subcategories your probe runs score lowest on, and how many were too small to rank.

    Only subcategories with at least ``min_items`` items in every run are ranked: with two
    items a subcategory scores 0% by bad luck half the time. The study published no
    subcategory table, so this is about your runs only.
    """
    vals: dict[str, list[float]] = defaultdict(list)
    items: dict[str, int] = {}
    for r in index.rows:
        s = r.scores.get("akb2000_text")
        if r.source != "run" or s is None:
            continue
        for key, p in s.subgroups.items():
            vals[key].append(p.value)
            items[key] = min(items.get(key, p.n or 0), p.n or 0)
    ranked = sorted((Hardness(key=key, source="run", mean=sum(v) / len(v), models=len(v), items=items.get(key))
                     for key, v in vals.items() if items.get(key, 0) >= min_items), key=lambda h: (h.mean, h.key))
    return ranked[:k], sum(1 for key in vals if items.get(key, 0) < min_items)
