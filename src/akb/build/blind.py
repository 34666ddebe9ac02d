"""Blind key review by reviewers outside akb (a person with a spreadsheet, a model run
elsewhere): export a packet without keys or rationales, import the answers.

The packet shows each item's options in the order of the file it was made from; a staged
file must already be shuffled (``akb build assemble`` or :func:`akb.build.assemble.balance`)
so the key is not always first. Answers come back as JSONL lines
``{"id": ..., "answer": "A".."D" or null, "note": optional, "flag": optional bool}``; a
matching answer makes a draft ``model-reviewed`` (``kind="model"``) or leaves the status for
a human pass (``kind="human"`` records go through ``akb review``); a mismatch, a missing
answer or a raised flag marks the review ``flag`` and leaves the status unchanged.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, ValidationError

from akb.bench.items import Item, Letter, Review
from akb.bench.loader import validation_to_data_error
from akb.core.errors import DataError
from akb.core.jsonl import iter_jsonl


class BlindAnswer(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)
    id: str
    answer: Letter | None = None
    note: str | None = None
    flag: bool = False


def make_packet(items: Sequence[Item]) -> list[dict[str, Any]]:
    """What a blind reviewer sees: no key, no rationale, no review history."""
    if len(items) >= 8 and len({i.answer for i in items}) == 1:
        raise DataError(f"every item has its key at {items[0].answer}: shuffle the options first (akb build assemble)")
    return [{"id": i.id, "category": i.category, "subcategory": i.subcategory, "question": i.question,
             "choices": dict(zip("ABCD", i.choices, strict=True))} for i in items]


def read_answers(path: str | Path) -> dict[str, BlindAnswer]:
    out: dict[str, BlindAnswer] = {}
    for lineno, rec in iter_jsonl(path):
        try:
            a = BlindAnswer.model_validate(rec)
        except ValidationError as e:
            raise validation_to_data_error(e, file=path, line=lineno) from None
        if a.id in out:
            raise DataError(f"second answer for {a.id!r}", file=path, line=lineno, field="id")
        out[a.id] = a
    return out


def apply_blind_answers(
    items: Sequence[Item],
    answers: Mapping[str, BlindAnswer],
    *,
    reviewer: str,
    kind: Literal["model", "human"] = "model",
    at: datetime | None = None,
) -> tuple[list[Item], list[Item]]:
    """Record one blind review per answered item. Returns (all items, flagged items)."""
    unknown = sorted(set(answers) - {i.id for i in items})
    if unknown:
        raise DataError(f"answers for ids not in the items file: {', '.join(unknown[:5])}")
    at = at or datetime.now(timezone.utc).replace(microsecond=0)
    out: list[Item] = []
    flagged: list[Item] = []
    for it in items:
        a = answers.get(it.id)
        if a is None:
            out.append(it)
            continue
        agree = a.answer == it.answer
        ok = agree and not a.flag
        note = "blind answer matched the key" if agree else f"blind answer {a.answer or 'none'} != key {it.answer}"
        if a.note:
            note += f"; reviewer note: {a.note}"
        review = Review(reviewer=reviewer, kind=kind, at=at, blind_answer=a.answer, verdict="accept" if ok else "flag",
                        note=note)
        status = it.review.status
        if ok and kind == "model" and status in ("draft", "auto-checked"):
            status = "model-reviewed"
        new = it.model_copy(update={"review": it.review.model_copy(update={"status": status, "reviews": [*it.review.reviews, review]})})
        out.append(new)
        if not ok:
            flagged.append(new)
    return out, flagged
