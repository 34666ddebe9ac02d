"""What the decisions on one item version add up to.

Each reviewer's latest decision counts. Reviewers *disagree* when their verdicts differ,
when their blind answers point at different options, or when their edits produce
different items; a disagreement waits for an adjudicator, whose decision settles it when
it is the newest word on the item. Without disagreement, an item is *agreed* once
``required`` reviewers have decided it, and *pending* before that.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Literal

from akb.bench.items import normalise_text
from akb.review.decision import Decision, Verdict

State = Literal["undecided", "pending", "agreed", "disagreed", "adjudicated"]


@dataclass(frozen=True)
class Consensus:
    state: State
    verdict: Verdict | None = None
    reviews: list[Decision] = field(default_factory=list)  # latest per reviewer, review role
    adjudication: Decision | None = None
    reasons: list[str] = field(default_factory=list)

    @property
    def settled(self) -> bool:
        return self.state in ("agreed", "adjudicated")

    @property
    def deciding(self) -> Decision | None:
        """The decision whose content (an edit) the outcome takes."""
        if self.state == "adjudicated":
            return self.adjudication
        if self.state == "agreed":
            return self.reviews[0]
        return None


def latest_per_reviewer(decisions: Sequence[Decision], role: str = "review") -> list[Decision]:
    latest: dict[str, Decision] = {}
    for d in sorted(decisions, key=lambda d: (d.at, d.uid)):
        if d.role == role:
            latest[d.reviewer] = d
    return sorted(latest.values(), key=lambda d: (d.at, d.uid))


def disagreements(reviews: Sequence[Decision]) -> list[str]:
    """Why these reviewers disagree (empty when they do not)."""
    reasons: list[str] = []
    if len({d.verdict for d in reviews}) > 1:
        reasons.append("verdicts differ: " + ", ".join(f"{d.reviewer} {d.verdict}" for d in reviews))
    blind = [d for d in reviews if d.blind_text is not None]
    if len({normalise_text(d.blind_text or "") for d in blind}) > 1:
        reasons.append("blind answers differ: " + ", ".join(f"{d.reviewer} {d.blind_text!r}" for d in blind))
    edits = [d for d in reviews if d.verdict == "edit"]
    if len({d.edited_key for d in edits}) > 1:
        reasons.append("edits differ: " + ", ".join(d.reviewer for d in edits))
    return reasons


def consensus(decisions: Sequence[Decision], required: int = 1) -> Consensus:
    """The state of one item version from all its decisions (any order)."""
    if required < 1:
        raise ValueError("required must be at least 1")
    reviews = latest_per_reviewer(decisions)
    adjudications = latest_per_reviewer(decisions, role="adjudication")
    adj = max(adjudications, key=lambda d: (d.at, d.uid)) if adjudications else None
    if adj is not None and all(adj.at >= d.at for d in reviews):
        return Consensus("adjudicated", adj.verdict, reviews, adj, disagreements(reviews))
    if not reviews:
        return Consensus("undecided")
    reasons = disagreements(reviews)
    if reasons:
        return Consensus("disagreed", None, reviews, adj, reasons)
    state: State = "agreed" if len(reviews) >= required else "pending"
    return Consensus(state, reviews[0].verdict, reviews, adj)
