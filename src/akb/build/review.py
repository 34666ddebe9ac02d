"""Record blind key reviews in items, honestly: a model's agreement makes an item
``model-reviewed`` (never ``human-verified``); a disagreement leaves the status and flags it."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timezone
from pathlib import Path

from akb.bench.items import Item, Review
from akb.core.jsonl import iter_jsonl


def apply_model_review(items: Sequence[Item], samples: Path, *, reviewer: str) -> tuple[list[Item], list[Item]]:
    preds = {rec["id"]: rec for _, rec in iter_jsonl(samples)}
    at = datetime.now(timezone.utc).replace(microsecond=0)
    out: list[Item] = []
    flagged: list[Item] = []
    for it in items:
        rec = preds.get(it.id)
        if rec is None:
            out.append(it)
            continue
        pred = rec.get("pred")
        agree = pred == it.answer
        review = Review(reviewer=reviewer, kind="model", at=at, blind_answer=pred, verdict="accept" if agree else "flag",
                        note="blind answer matched the key" if agree else f"blind answer {pred or 'invalid'} != key {it.answer}")
        status = it.review.status
        if agree and status in ("draft", "auto-checked"):
            status = "model-reviewed"
        new = it.model_copy(update={"review": it.review.model_copy(update={"status": status, "reviews": [*it.review.reviews, review]})})
        out.append(new)
        if not agree:
            flagged.append(new)
    return out, flagged
