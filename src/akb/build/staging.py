"""Staging files: drafts waiting to join the benchmark, as Items with the key first."""

from __future__ import annotations

from datetime import datetime, timezone

from akb.bench.items import Item, Provenance, Review, ReviewRecord
from akb.build.procedural import Draft


def now() -> datetime:
    return datetime.now(timezone.utc).replace(microsecond=0)


def procedural_item(d: Draft, index: int, *, at: datetime | None = None) -> Item:
    """A procedural draft as a staged item; its key was recomputed, so it is auto-checked."""
    at = at or now()
    return Item(
        id=f"staged.{d.generator}.{index:04d}",
        category=d.category,
        subcategory=d.subcategory,
        question=d.question,
        choices=list(d.choices),
        answer="A",
        rationale=d.rationale,
        provenance=Provenance(method="procedural", by="akb.build.procedural", generator=d.generator,
                              params=d.params, source=d.source, created=at),
        review=ReviewRecord(status="auto-checked", reviews=[
            Review(reviewer="akb build check: key recomputed from parameters", kind="auto", at=at, verdict="accept")
        ]),
        meta={"difficulty": d.difficulty, **d.meta},
    )

