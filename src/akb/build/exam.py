"""The difficulty and triviality of a benchmark, measured on a stratified sample (issue 14),
and the adjudication of the exam's misses.

Three kinds of record, each a review of its own mode that never changes an item's review
status (they measure the benchmark, they do not accept items):

- ``exam``: an examinee (a strong LLM, or a person) answered the sample's items as a test
  taker, from the question and the four options (``akb build packet --exam``). Its accuracy is
  the difficulty figure (target 88-97%). Unlike the key checks (blind reviews of every item,
  made to verify the key), an exam answer is not a verdict on the item; a miss is flagged
  for adjudication.
- ``trivia``: a reviewer shown the question, the options and the key (``akb build packet
  --trivia``) judged whether common sense alone or a clue in the stem gives the key, with no
  auditory knowledge needed. ``verdict="flag"`` marks a trivial or clued item (target <= 2%).
- ``adjudication``: a ruling on an exam miss: the key stands (``verdict="accept"``, the note
  is the rationale a specialist would accept) or the item must be fixed (``verdict="flag"``;
  once it is rewritten, the answers to the old text no longer count).

Only reviews made after the item's text last changed (the last review of verdict ``edit``)
count anywhere.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, PrivateAttr, StrictBool

from akb.bench.items import Item, Review
from akb.build.blind import (
    BlindAnswer,
    read_records,
    record_reviews,
    reviewer_family,
    stratified_sample,
)
from akb.core.errors import DataError

Kind = Literal["model", "human"]
AdjudicationVerdict = Literal["key-stands", "fix"]


class TriviaAnswer(BaseModel):
    """One line of a trivia reviewer's answers: ``{"id", "trivial": true|false, "reason"}``."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)
    id: str = Field(min_length=1)
    trivial: StrictBool
    reason: str = ""


class Adjudication(BaseModel):
    """One ruling on an exam miss: ``{"id", "verdict": "key-stands"|"fix", "note"}``."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)
    id: str = Field(min_length=1)
    verdict: AdjudicationVerdict
    note: str = Field(min_length=1, description="why the key stands (the rationale) or what is wrong")
    _line: int | None = PrivateAttr(None)


def sample_label(n: int, seed: int) -> str:
    return f"stratified n={n} seed={seed}"


def current_reviews(item: Item) -> list[Review]:
    """Reviews made after the item's text last changed (the last ``edit`` review)."""
    last_edit = max((k for k, r in enumerate(item.review.reviews) if r.verdict == "edit"), default=-1)
    return item.review.reviews[last_edit + 1:]


def latest_by_reviewer(item: Item, mode: str) -> list[Review]:
    """Per reviewer, the latest current review of ``mode``."""
    latest: dict[str, Review] = {}
    for r in current_reviews(item):
        if r.mode == mode:
            latest[r.reviewer] = r
    return list(latest.values())


def exam_misses(item: Item) -> list[Review]:
    """The current exam answers that miss the key (one per examinee)."""
    return [r for r in latest_by_reviewer(item, "exam") if r.blind_answer != item.answer]


def adjudication(item: Item) -> Review | None:
    """The latest current adjudication of the item, whoever made it."""
    found = [r for r in current_reviews(item) if r.mode == "adjudication"]
    return found[-1] if found else None


def misses_packet(items: Sequence[Item]) -> list[dict[str, Any]]:
    """What an adjudicator sees: each item with a current exam miss and no current ruling, with
    its key, rationale and the examinees' answers and notes."""
    rows: list[dict[str, Any]] = []
    for it in items:
        missed = exam_misses(it)
        if not missed or adjudication(it) is not None:
            continue
        rows.append({"id": it.id, "question": it.question, "choices": dict(zip("ABCD", it.choices, strict=True)),
                     "answer": it.answer, "rationale": it.rationale,
                     "answered": [{"reviewer": r.reviewer, "answer": r.blind_answer, "note": r.note} for r in missed]})
    return rows


def _check(path: str | Path) -> Callable[[BaseModel, int], None]:
    def check(a: BaseModel, lineno: int) -> None:
        if isinstance(a, TriviaAnswer) and a.trivial and not a.reason:
            raise DataError("a trivial item needs a reason (the common-sense route or the clue)",
                            file=path, line=lineno, field="reason")
        if isinstance(a, Adjudication):
            a._line = lineno
    return check


def read_trivia(path: str | Path) -> dict[str, TriviaAnswer]:
    return read_records(path, TriviaAnswer, _check(path))


def read_adjudications(path: str | Path) -> dict[str, Adjudication]:
    return read_records(path, Adjudication, _check(path))


def check_sample(items: Sequence[Item], ids: Sequence[str], *, n: int, seed: int) -> list[str]:
    """The sampled ids; raises when ``ids`` has one outside the stratified sample ``n``/``seed``
    of ``items`` (the packet came from another file, size or seed)."""
    sample = [i.id for i in stratified_sample(items, n, seed=seed)]
    outside = sorted(set(ids) - set(sample))
    if outside:
        raise DataError(f"{len(outside)} answered id(s) are not in the sample ({sample_label(n, seed)}) of these items, "
                        f"e.g. {', '.join(outside[:5])}: pass the --sample and --seed the packet was made with, "
                        "and the same items file")
    return sample


def apply_exam_answers(items: Sequence[Item], answers: Mapping[str, BlindAnswer], *, reviewer: str,
                       kind: Kind = "model", sample: str | None = None, family: str | None = None,
                       at: datetime | None = None) -> tuple[list[Item], list[Item]]:
    """One ``exam`` review per answered item. Returns (all items, the missed ones)."""
    when = at or datetime.now(timezone.utc).replace(microsecond=0)
    fam = reviewer_family(reviewer, kind, family)

    def review(it: Item, a: BlindAnswer) -> tuple[Review, bool, None]:
        hit = a.answer == it.answer
        note = "exam answer matched the key" if hit else f"exam answer {a.answer or 'none'} != key {it.answer}: adjudicate"
        if a.confidence is not None:
            note += f" (confidence {a.confidence})"
        if a.flag:
            note += "; the examinee flagged the item"
        if a.note:
            note += f"; examinee note: {a.note}"
        return Review(reviewer=reviewer, kind=kind, at=when, blind_answer=a.answer, verdict="accept" if hit else "flag",
                      note=note, mode="exam", family=fam, sample=sample), not hit, None

    return record_reviews(items, answers, review)


def apply_trivia(items: Sequence[Item], answers: Mapping[str, TriviaAnswer], *, reviewer: str, kind: Kind = "model",
                 sample: str | None = None, family: str | None = None,
                 at: datetime | None = None) -> tuple[list[Item], list[Item]]:
    """One ``trivia`` review per judged item (``flag``: trivial or clued). Returns (all items, flagged)."""
    when = at or datetime.now(timezone.utc).replace(microsecond=0)
    fam = reviewer_family(reviewer, kind, family)

    def review(it: Item, a: TriviaAnswer) -> tuple[Review, bool, None]:
        return Review(reviewer=reviewer, kind=kind, at=when, verdict="flag" if a.trivial else "accept",
                      note=a.reason or None, mode="trivia", family=fam, sample=sample), a.trivial, None

    return record_reviews(items, answers, review)


def apply_adjudications(items: Sequence[Item], rulings: Mapping[str, Adjudication], *, by: str, kind: Kind = "human",
                        family: str | None = None, at: datetime | None = None,
                        source: str | Path | None = None) -> list[Item]:
    """One ``adjudication`` review per ruling; every ruled item must have a current exam miss."""
    unknown = sorted(set(rulings) - {i.id for i in items})
    if unknown:
        raise DataError(f"rulings for ids not in the items file: {', '.join(unknown[:5])}", file=source)
    when = at or datetime.now(timezone.utc).replace(microsecond=0)
    fam = reviewer_family(by, kind, family)
    by_id = {i.id: i for i in items}
    for iid in rulings:
        if not exam_misses(by_id[iid]):
            raise DataError(f"{iid} has no exam miss to adjudicate (no exam answer other than the key, made after its "
                            "text last changed)", file=source, line=rulings[iid]._line, field="id")

    def review(it: Item, a: Adjudication) -> tuple[Review, bool, None]:
        stands = a.verdict == "key-stands"
        return Review(reviewer=by, kind=kind, at=when, verdict="accept" if stands else "flag",
                      note=("key stands: " if stands else "fix: ") + a.note, mode="adjudication", family=fam), not stands, None

    return record_reviews(items, rulings, review)[0]
