"""Merge human decisions back into item review records.

For each item the decisions on its current version (same content key) are added to its
review record as ``kind='human'`` reviews, blind answers re-lettered to the item's own
option order. Then the consensus decides the status:

* agreed or adjudicated *accept* -> ``human-verified``;
* agreed or adjudicated *edit* -> the edited version, ``human-verified``, the unified diff
  kept in the review note (in the item's own letters);
* agreed or adjudicated *reject* -> ``rejected``;
* pending (fewer than ``required`` reviewers) or disagreed -> the status is left alone.

Nothing becomes ``human-verified`` without recorded human decisions behind it. Decisions
on another version of an item (its text changed since) are *stale*: reported, not applied.
Merging is idempotent: a decision already in an item's record (same reviewer and time) is
not added twice.
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from akb.bench.items import Item, Review
from akb.review.consensus import Consensus, consensus
from akb.review.content import content_key, edit_in_target_order, letter_in, unified_diff
from akb.review.decision import Decision


@dataclass
class MergeReport:
    verified: list[str] = field(default_factory=list)
    edited: list[str] = field(default_factory=list)
    rejected: list[str] = field(default_factory=list)
    pending: list[str] = field(default_factory=list)
    disagreed: list[str] = field(default_factory=list)
    stale: list[tuple[str, str]] = field(default_factory=list)  # (item id, reviewer)
    unknown: list[str] = field(default_factory=list)  # decided ids that are not in the items
    added_reviews: int = 0

    def summary(self) -> str:
        parts = [f"{len(self.verified)} human-verified ({len(self.edited)} of them edited)",
                 f"{len(self.rejected)} rejected", f"{len(self.pending)} pending",
                 f"{len(self.disagreed)} awaiting adjudication"]
        if self.stale:
            parts.append(f"{len(self.stale)} stale decisions not applied (the item changed since)")
        if self.unknown:
            parts.append(f"{len(self.unknown)} decided items not in the file")
        return ", ".join(parts) + f"; {self.added_reviews} reviews added"


def merge_decisions(items: Sequence[Item], decisions: Sequence[Decision], *,
                    required: int = 1) -> tuple[list[Item], MergeReport]:
    by_item: dict[str, list[Decision]] = defaultdict(list)
    for d in decisions:
        by_item[d.item_id].append(d)
    report = MergeReport()
    out: list[Item] = []
    for it in items:
        ds = by_item.pop(it.id, [])
        out.append(_merge_one(it, ds, required, report) if ds else it)
    report.unknown = sorted(by_item)
    return out, report


def _merge_one(it: Item, ds: list[Decision], required: int, report: MergeReport) -> Item:
    recorded = {(r.reviewer, r.at) for r in it.review.reviews if r.kind == "human"}
    key = content_key(it)
    current = [d for d in ds if d.content_key == key]
    for d in ds:
        if d.content_key != key and (d.reviewer, d.at) not in recorded:
            report.stale.append((it.id, d.reviewer))
    if not current:
        return it
    c = consensus(current, required)
    result = it
    if c.settled and c.verdict == "edit":
        deciding = c.deciding
        assert deciding is not None and deciding.edited is not None
        result = Item.model_validate(edit_in_target_order(it, deciding.shown, deciding.edited).to_json())
    new_reviews = [_review(d, it, result, c) for d in sorted(current, key=lambda d: (d.at, d.uid))
                   if (d.reviewer, d.at) not in recorded]
    report.added_reviews += len(new_reviews)
    status = it.review.status
    if c.settled:
        status = "rejected" if c.verdict == "reject" else "human-verified"
        (report.rejected if c.verdict == "reject" else report.verified).append(it.id)
        if c.verdict == "edit":
            report.edited.append(it.id)
    elif c.state == "disagreed":
        report.disagreed.append(it.id)
    else:
        report.pending.append(it.id)
    record = it.review.model_copy(update={"status": status, "reviews": [*it.review.reviews, *new_reviews]})
    return Item.model_validate({**result.to_json(), "review": record.model_dump(mode="json", exclude_none=True)})


def _review(d: Decision, before: Item, after: Item, c: Consensus) -> Review:
    parts = []
    if d.role == "adjudication":
        parts.append("adjudication" + (f" of: {'; '.join(c.reasons)}" if c.reasons else ""))
    if d.note:
        parts.append(d.note)
    if d.verdict == "edit" and d.edited is not None:
        proposed = edit_in_target_order(before, d.shown, d.edited)
        applied = c.settled and c.verdict == "edit" and d.edited_key == content_key(after)
        if not applied:
            parts.append(f"proposed edit, not applied ({c.state})")
        parts.append(unified_diff(before, proposed))
    return Review(reviewer=d.reviewer, kind="human", at=d.at, verdict=d.verdict,
                  blind_answer=letter_in(before.choices, d.shown, d.blind_answer),
                  note="\n".join(parts) or None)


def write_items(items: Sequence[Item], out: str | Path, *, taxonomy: bool = True) -> list[Item]:
    """Write items as JSONL (atomically) and read them back through the loader, so a merged
    file that would not validate is caught here, not by its next user."""
    from akb.bench.loader import load_items
    from akb.core.jsonl import write_json_atomic

    write_json_atomic(out, "".join(json.dumps(i.to_json(), ensure_ascii=False) + "\n" for i in items))
    return load_items(out, taxonomy=taxonomy)
