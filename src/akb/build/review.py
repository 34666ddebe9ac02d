"""Record blind key reviews in items, honestly: a model's agreement makes an item
``model-reviewed`` (never ``human-verified``); a disagreement leaves the status and flags it."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from akb.bench.items import Item
from akb.build.blind import BlindAnswer, apply_blind_answers
from akb.core.jsonl import iter_jsonl


def apply_model_review(items: Sequence[Item], samples: Path, *, reviewer: str,
                       options_only: bool = False) -> tuple[list[Item], list[Item]]:
    """The answers of an ``akb probe`` run (its samples.jsonl) recorded as model reviews:
    blind, or options-only when the run hid the questions (``options-only:SPEC``)."""
    answers = {rec["id"]: BlindAnswer(id=rec["id"], answer=rec.get("pred")) for _, rec in iter_jsonl(samples)}
    known = {i.id for i in items}
    return apply_blind_answers(items, {k: v for k, v in answers.items() if k in known}, reviewer=reviewer, kind="model",
                               options_only=options_only)
