"""Blind and options-only review by reviewers outside akb (a person with a spreadsheet, a
model run elsewhere): export a packet without keys or rationales, import the answers.

The packet shows each item's options in the order of the file it was made from; a staged
file must already be shuffled (``akb build assemble`` or :func:`akb.build.assemble.balance`)
so the key is not always first. Answers come back as JSONL lines
``{"id": ..., "answer": "A".."D" or null, "note": optional, "flag": optional bool,
"confidence": optional "low"|"medium"|"high" or 0..1}``.

Blind (the whole item without its key): a matching answer makes a draft ``model-reviewed``
(``kind="model"``) or leaves the status for a human pass (``kind="human"`` records go
through ``akb review``); a mismatch, a missing answer or a raised flag marks the review
``flag`` and leaves the status unchanged.

Options-only (``--options-only``: the id and the four options, no question): the answer
says whether the options alone give the key away. A correct answer given with confidence
(anything but low confidence; no confidence counts as confident) is a ``flag`` - the item
must be rewritten - never an acceptance, and an options-only review never changes the
review status: it checks the options, not the key. Every review records its mode
(``blind`` / ``options-only``) and, for a model, its model family.

Exam and trivia packets (the difficulty and the trivial-or-clued figures on a stratified
sample) are made here too; their answers are recorded by :mod:`akb.build.exam`.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Literal, TypeVar

from pydantic import BaseModel, ConfigDict, ValidationError

from akb.bench.items import Item, Letter, Review, ReviewStatus
from akb.bench.loader import validation_to_data_error
from akb.core.errors import DataError
from akb.core.jsonl import iter_jsonl

Confidence = Literal["low", "medium", "high"]
# Known model families by name prefix (first match wins); anything else: the name's leading letters.
_FAMILIES = ("claude", "gpt", "gemini", "gemma", "llama", "qwen", "mistral", "mixtral", "phi", "deepseek", "olmo",
             "smollm", "command", "grok", "yi")


class BlindAnswer(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)
    id: str
    answer: Letter | None = None
    note: str | None = None
    flag: bool = False
    confidence: Confidence | float | None = None

    @property
    def confident(self) -> bool:
        """Anything but an explicitly low confidence (a guess) counts as confident."""
        c = self.confidence
        if c is None:
            return True
        if isinstance(c, str):
            return c != "low"
        return c >= 0.5


def model_family(reviewer: str) -> str | None:
    """The model family of a reviewer spec: 'anthropic:claude-sonnet-4' -> 'claude',
    'hf:Qwen/Qwen3-8B' -> 'qwen', 'openai:gpt-4o' -> 'gpt'. None when nothing looks like a name."""
    name = reviewer.split(":", 1)[1] if ":" in reviewer else reviewer
    name = name.strip().split()[0] if name.strip() else ""
    name = name.rsplit("/", 1)[-1].lower()
    for fam in _FAMILIES:
        if name.startswith(fam):
            return fam
    m = re.match(r"[a-z]+", name)
    return m.group(0) if m else None


def writer_families(items: Sequence[Item]) -> set[str]:
    """Model families of the items' writers (procedural and person-written items have none)."""
    return {f for i in items if i.provenance.method == "llm-generated" and (f := model_family(i.provenance.by))}


PacketMode = Literal["blind", "options-only", "exam", "trivia"]


def make_packet(items: Sequence[Item], *, options_only: bool = False, mode: PacketMode | None = None) -> list[dict[str, Any]]:
    """What a reviewer sees. Blind (a key check): id, category, subcategory, question and
    options, no key, no rationale, no review history; options-only: the id and the four options,
    not even the question; exam: the id, question and options, as a test taker sees them;
    trivia: the id, question, options and the key letter (is the key given away without
    auditory knowledge?)."""
    mode = mode or ("options-only" if options_only else "blind")
    if len(items) >= 8 and len({i.answer for i in items}) == 1:
        raise DataError(f"every item has its key at {items[0].answer}: shuffle the options first (akb build assemble)")
    if mode == "options-only":
        return [{"id": i.id, "choices": dict(zip("ABCD", i.choices, strict=True))} for i in items]
    if mode == "exam":
        return [{"id": i.id, "question": i.question, "choices": dict(zip("ABCD", i.choices, strict=True))} for i in items]
    if mode == "trivia":
        return [{"id": i.id, "question": i.question, "choices": dict(zip("ABCD", i.choices, strict=True)), "answer": i.answer}
                for i in items]
    return [{"id": i.id, "category": i.category, "subcategory": i.subcategory, "question": i.question,
             "choices": dict(zip("ABCD", i.choices, strict=True))} for i in items]


def stratified_sample(items: Sequence[Item], n: int, *, seed: int = 0, min_per_category: int = 30) -> list[Item]:
    """``n`` items (or all, if fewer), drawn per category in proportion to its size with at
    least ``min_per_category`` from each, deterministic for ``seed``; in file order."""
    import random
    from collections import defaultdict

    if n >= len(items):
        return list(items)
    by_cat: dict[str, list[Item]] = defaultdict(list)
    for it in items:
        by_cat[it.category].append(it)
    quota = {c: min(len(v), max(min_per_category, round(n * len(v) / len(items)))) for c, v in by_cat.items()}
    rng = random.Random(f"akb-sample:{seed}")
    chosen: set[str] = set()
    for c in sorted(by_cat):
        pool = sorted(by_cat[c], key=lambda i: i.id)
        chosen.update(i.id for i in rng.sample(pool, quota[c]))
    return [i for i in items if i.id in chosen]


R = TypeVar("R", bound=BaseModel)


def read_records(path: str | Path, model: type[R], check: Callable[[R, int], None] | None = None) -> dict[str, R]:
    """One reviewer file: a ``model`` per line, keyed by its ``id`` (one line per id); ``check``
    sees each record with its line number and raises for what the model alone cannot say."""
    out: dict[str, R] = {}
    for lineno, rec in iter_jsonl(path):
        try:
            a = model.model_validate(rec)
        except ValidationError as e:
            raise validation_to_data_error(e, file=path, line=lineno) from None
        if check is not None:
            check(a, lineno)
        iid: str = a.id  # type: ignore[attr-defined]
        if iid in out:
            raise DataError(f"second line for {iid!r}", file=path, line=lineno, field="id")
        out[iid] = a
    return out


def read_answers(path: str | Path) -> dict[str, BlindAnswer]:
    return read_records(path, BlindAnswer)


A = TypeVar("A")


def reviewer_family(reviewer: str, kind: str, family: str | None) -> str | None:
    """A model reviewer's family (given, else read from its spec); none for a person."""
    return (family or model_family(reviewer)) if kind == "model" else None


def record_reviews(items: Sequence[Item], answers: Mapping[str, A],
                   review_of: Callable[[Item, A], tuple[Review, bool, ReviewStatus | None]]) -> tuple[list[Item], list[Item]]:
    """One more review on every answered item: ``review_of(item, answer)`` gives the review,
    whether it flags the item and the new status (None: unchanged). Every kind of answer a
    reviewer sends back (blind, options-only, exam, trivia, rulings) is recorded here.
    Returns (all items, the flagged ones)."""
    unknown = sorted(set(answers) - {i.id for i in items})
    if unknown:
        raise DataError(f"answers for ids not in the items file: {', '.join(unknown[:5])}")
    out: list[Item] = []
    flagged: list[Item] = []
    for it in items:
        a = answers.get(it.id)
        if a is None:
            out.append(it)
            continue
        review, flag, status = review_of(it, a)
        rec = it.review.model_copy(update={"reviews": [*it.review.reviews, review], "status": status or it.review.status})
        new = it.model_copy(update={"review": rec})
        out.append(new)
        if flag:
            flagged.append(new)
    return out, flagged


def apply_blind_answers(
    items: Sequence[Item],
    answers: Mapping[str, BlindAnswer],
    *,
    reviewer: str,
    kind: Literal["model", "human"] = "model",
    at: datetime | None = None,
    options_only: bool = False,
    family: str | None = None,
) -> tuple[list[Item], list[Item]]:
    """Record one review per answered item. Returns (all items, flagged items)."""
    when = at or datetime.now(timezone.utc).replace(microsecond=0)
    fam = reviewer_family(reviewer, kind, family)

    def review_of(it: Item, a: BlindAnswer) -> tuple[Review, bool, ReviewStatus | None]:
        agree = a.answer == it.answer
        status: ReviewStatus | None = None
        conf = f" (confidence {a.confidence})" if a.confidence is not None else ""
        if options_only:
            ok = not (agree and a.confident) and not a.flag
            if agree and a.confident:
                note = f"options-only answer matched the key{conf}: the options alone give the key away"
            elif agree:
                note = f"options-only answer matched the key with low confidence{conf}: a guess"
            else:
                note = f"options-only answer {a.answer or 'none'} != key {it.answer}{conf}"
        else:
            ok = agree and not a.flag
            note = ("blind answer matched the key" if agree else f"blind answer {a.answer or 'none'} != key {it.answer}") + conf
            if ok and kind == "model" and it.review.status in ("draft", "auto-checked"):
                status = "model-reviewed"
        if a.note:
            note += f"; reviewer note: {a.note}"
        review = Review(reviewer=reviewer, kind=kind, at=when, blind_answer=a.answer, verdict="accept" if ok else "flag",
                        note=note, mode="options-only" if options_only else "blind", family=fam)
        return review, not ok, status

    return record_reviews(items, answers, review_of)
