"""Where a review stands: item states, per-reviewer counts and agreement (``akb review status``)."""

from __future__ import annotations

from collections import Counter
from typing import Any

from akb.review.agreement import agreement_table, reviewer_stats
from akb.review.queue import item_consensus
from akb.review.store import ReviewStore


def status_report(store: ReviewStore, required: int = 1) -> dict[str, Any]:
    """A JSON-able summary. Agreement is over every decision in the store (each reviewer's
    latest per item version), blind answers compared in each item's current option order."""
    states = item_consensus(store, required)
    decisions = store.decisions()
    current = {it.id: it.shown for it, _ in states.values()}
    by_state = Counter(c.state for _, c in states.values())
    by_verdict = Counter(f"{c.state}:{c.verdict}" for _, c in states.values() if c.settled)
    return {
        "db": str(store.path),
        "items_source": store.items_source(),
        "items": len(states),
        "required": required,
        "states": {s: by_state.get(s, 0) for s in ("undecided", "pending", "agreed", "disagreed", "adjudicated")},
        "outcomes": {v: sum(n for k, n in by_verdict.items() if k.endswith(":" + v)) for v in ("accept", "edit", "reject")},
        "decisions": len(decisions),
        "reviewers": [s.as_dict() for s in reviewer_stats(decisions)],
        "agreement": {dim: agreement_table(decisions, dim, current).as_dict() for dim in ("blind_answer", "verdict")},
        "disagreements": [{"id": it.id, "reasons": c.reasons} for it, c in states.values() if c.state == "disagreed"],
    }
