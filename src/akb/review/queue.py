"""Which item a reviewer sees next, and which items wait for an adjudicator."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TypeVar

from akb.review.consensus import Consensus, consensus
from akb.review.decision import Decision
from akb.review.store import ReviewStore, StoredItem

T = TypeVar("T")


@dataclass(frozen=True)
class QueueFilter:
    """Restrict a queue to some categories or review statuses; ``max_reviews`` skips items
    that already have that many reviewers (other than you), to spread a team's work."""

    categories: frozenset[str] | None = None
    statuses: frozenset[str] | None = None
    max_reviews: int | None = None

    def admits(self, it: StoredItem) -> bool:
        if self.categories and it.item.category not in self.categories:
            return False
        return not (self.statuses and it.item.review.status not in self.statuses)


@dataclass(frozen=True)
class Progress:
    done: int
    total: int


def review_queue(store: ReviewStore, reviewer: str, flt: QueueFilter = QueueFilter()) -> tuple[list[StoredItem], Progress]:
    """Items (in file order) the reviewer has not decided in their current version."""
    mine = store.decided_keys(reviewer)
    counts = store.reviewer_counts() if flt.max_reviews is not None else {}
    todo: list[StoredItem] = []
    total = done = 0
    for it in store.items():
        if not flt.admits(it):
            continue
        key = (it.id, it.content_key)
        if key in mine:
            total += 1
            done += 1
            continue
        if flt.max_reviews is not None and counts.get(key, 0) >= flt.max_reviews:
            continue
        total += 1
        todo.append(it)
    return todo, Progress(done, total)


def next_item(store: ReviewStore, reviewer: str, flt: QueueFilter = QueueFilter(),
              after: str | None = None) -> tuple[StoredItem | None, Progress]:
    """The first undecided item after ``after`` in file order (wrapping), so 'skip' moves on."""
    todo, progress = review_queue(store, reviewer, flt)
    return _after(store, todo, after, lambda it: it.pos), progress


def _after(store: ReviewStore, queue: Sequence[T], after: str | None, pos: Callable[[T], int]) -> T | None:
    """The first entry after item ``after`` in file order, wrapping round; None if empty."""
    if not queue:
        return None
    cur = store.item(after) if after is not None else None
    if cur is None:
        return queue[0]
    return next((q for q in queue if pos(q) > cur.pos), queue[0])


def item_consensus(store: ReviewStore, required: int = 1) -> dict[str, tuple[StoredItem, Consensus]]:
    """Consensus of every item under review, on its current version."""
    by_item: dict[str, list[Decision]] = defaultdict(list)
    for d in store.decisions():
        by_item[d.item_id].append(d)
    out: dict[str, tuple[StoredItem, Consensus]] = {}
    for it in store.items():
        current = [d for d in by_item.get(it.id, []) if d.content_key == it.content_key]
        out[it.id] = (it, consensus(current, required))
    return out


def adjudication_queue(store: ReviewStore, required: int = 1,
                       flt: QueueFilter = QueueFilter()) -> list[tuple[StoredItem, Consensus]]:
    """Items whose reviewers disagree and that no adjudication has settled, in file order."""
    return [(it, c) for it, c in item_consensus(store, required).values()
            if c.state == "disagreed" and flt.admits(it)]


def next_disagreement(store: ReviewStore, required: int = 1, flt: QueueFilter = QueueFilter(),
                      after: str | None = None) -> tuple[tuple[StoredItem, Consensus] | None, Progress]:
    states = [(it, c) for it, c in item_consensus(store, required).values() if flt.admits(it)]
    queue = [(it, c) for it, c in states if c.state == "disagreed"]
    settled = sum(1 for _, c in states if c.state == "adjudicated")
    return _after(store, queue, after, lambda q: q[0].pos), Progress(settled, settled + len(queue))
