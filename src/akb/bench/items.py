"""The item schema shared by AKB-2000 and every converted benchmark.

An item is one four-option question with its key, why the key is right, how the item was
made and who checked it. Review status is honest by construction: ``human-verified``
requires a recorded human review, ``model-reviewed`` a recorded model review.
"""

from __future__ import annotations

import re
from datetime import datetime, timezone
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, field_validator, model_validator

LETTERS = ("A", "B", "C", "D")
Letter = Literal["A", "B", "C", "D"]
ReviewStatus = Literal["draft", "auto-checked", "model-reviewed", "human-verified", "rejected"]
ProvenanceMethod = Literal["authored", "llm-generated", "procedural"]
ReviewMode = Literal["blind", "options-only", "exam", "trivia", "adjudication"]
# Reviews that measure the benchmark, not accept its items: they never back a review status.
MEASUREMENT_MODES = ("exam", "trivia", "adjudication")

_ID_RE = re.compile(r"^[a-z0-9][a-z0-9_.\-]*$")
_WS_RE = re.compile(r"\s+")


def _utc(dt: datetime) -> datetime:
    """Times are UTC; a naive time (as Arrow/datasets returns them) is read as UTC."""
    return dt.replace(tzinfo=timezone.utc) if dt.tzinfo is None else dt.astimezone(timezone.utc)


UTCDateTime = Annotated[datetime, AfterValidator(_utc)]


def normalise_text(text: str) -> str:
    """Lower-case, collapse whitespace, strip: how choices are compared for distinctness."""
    return _WS_RE.sub(" ", text).strip().lower()


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=False, str_strip_whitespace=True)


class Provenance(_Strict):
    """How an item was made."""

    method: ProvenanceMethod
    by: str = Field(min_length=1, description="author, model (backend:name) or generator name")
    prompt_version: str | None = None
    generator: str | None = Field(None, description="procedural generator id")
    params: dict[str, Any] | None = Field(None, description="generator parameters or seed")
    source: str | None = Field(None, description="reference the fact comes from")
    created: UTCDateTime | None = None


class Review(_Strict):
    """One review pass over an item."""

    reviewer: str = Field(min_length=1)
    kind: Literal["human", "model", "auto"]
    at: UTCDateTime
    blind_answer: Letter | None = Field(None, description="the reviewer's answer before seeing the key")
    verdict: Literal["accept", "edit", "reject", "flag"] = "accept"
    note: str | None = None
    mode: ReviewMode | None = Field(
        None, description="what the review was: a key check with the whole item but not its key (blind), an answer "
                          "from the four options alone (options-only), an examinee's answer on a sample (exam), a "
                          "judgement whether common sense or a clue in the stem gives the key away (trivia), or a "
                          "ruling on an exam miss (adjudication)")
    family: str | None = Field(None, description="model family of a model reviewer (claude, gpt, gemini, qwen, ...)")
    sample: str | None = Field(None, description="the stratified sample an exam or trivia review belongs to, "
                                                 "e.g. 'stratified n=320 seed=7'")


class ReviewRecord(_Strict):
    status: ReviewStatus = "draft"
    reviews: list[Review] = Field(default_factory=list)

    @model_validator(mode="after")
    def _status_is_backed_by_reviews(self) -> ReviewRecord:
        kinds = {r.kind for r in self.reviews if r.mode not in MEASUREMENT_MODES}
        if self.status == "human-verified" and "human" not in kinds:
            raise ValueError("status 'human-verified' needs at least one review of kind 'human'")
        if self.status == "model-reviewed" and not kinds & {"model", "human"}:
            raise ValueError("status 'model-reviewed' needs at least one review of kind 'model'")
        return self


class Item(_Strict):
    """A four-option multiple-choice question."""

    id: str = Field(min_length=1, max_length=120)
    category: str = Field(min_length=1)
    subcategory: str = Field(min_length=1)
    question: str = Field(min_length=1)
    choices: list[str]
    answer: Letter
    rationale: str = ""
    provenance: Provenance
    review: ReviewRecord = Field(default_factory=ReviewRecord)
    option_order: list[int] | None = Field(
        None, description="permutation applied to the written options: choices[i] = written[option_order[i]]"
    )
    meta: dict[str, Any] = Field(default_factory=dict)

    @field_validator("id")
    @classmethod
    def _id_form(cls, v: str) -> str:
        if not _ID_RE.match(v):
            raise ValueError("use lower-case letters, digits, '.', '_' and '-' only")
        return v

    @field_validator("choices")
    @classmethod
    def _four_distinct(cls, v: list[str]) -> list[str]:
        if len(v) != 4:
            raise ValueError(f"exactly 4 choices are required, got {len(v)}")
        cleaned = [c.strip() if isinstance(c, str) else c for c in v]
        for i, c in enumerate(cleaned):
            if not c:
                raise ValueError(f"choice {LETTERS[i]} is empty")
        seen: dict[str, int] = {}
        for i, c in enumerate(cleaned):
            key = normalise_text(c)
            if key in seen:
                raise ValueError(f"choices {LETTERS[seen[key]]} and {LETTERS[i]} are the same text")
            seen[key] = i
        return cleaned

    @field_validator("option_order")
    @classmethod
    def _is_permutation(cls, v: list[int] | None) -> list[int] | None:
        if v is not None and sorted(v) != [0, 1, 2, 3]:
            raise ValueError("must be a permutation of [0, 1, 2, 3]")
        return v

    @property
    def answer_index(self) -> int:
        return LETTERS.index(self.answer)

    @property
    def answer_text(self) -> str:
        return self.choices[self.answer_index]

    def to_json(self) -> dict[str, Any]:
        return self.model_dump(mode="json", exclude_none=True)
