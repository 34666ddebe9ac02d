"""The shape audio benchmarks (MMAU, MMAR, the synthetic suite) are converted into.

Like an AKB item, plus the clip and the benchmark's own fields. Unlike AKB items they hold
2 to 8 choices (letters follow the number of choices) and the key is the choice TEXT, as
MMAU and MMAR store it, because their official scorer compares words, not letters. The key
is None only for a split whose answers are withheld (MMAU test): such items can be run and
exported for submission, but not scored.
"""

from __future__ import annotations

import string
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from akb.bench.items import normalise_text

MIN_CHOICES, MAX_CHOICES = 2, 8


class AudioItem(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    id: str = Field(min_length=1)
    benchmark: str = Field(min_length=1, description="mmau, mmar, synth, ...")
    question: str = Field(min_length=1)
    choices: list[str]
    answer: str | None = Field(None, min_length=1, description="the correct choice text; None for an unlabelled split (MMAU test)")
    audio: str = Field(min_length=1, description="clip path relative to the benchmark's audio root")
    group: str | None = Field(None, description="MMAU task (sound|music|speech) or MMAR modality")
    category: str | None = None
    subcategory: str | None = None
    difficulty: str | None = None
    meta: dict[str, Any] = Field(default_factory=dict, description="every original field, verbatim")

    @field_validator("choices")
    @classmethod
    def _n_choices(cls, v: list[str]) -> list[str]:
        if not MIN_CHOICES <= len(v) <= MAX_CHOICES:
            raise ValueError(f"needs {MIN_CHOICES} to {MAX_CHOICES} choices, got {len(v)}")
        v = [str(c).strip() for c in v]
        # An empty choice is kept: four entries of the official MMAR release have one, and the
        # official rule scores them (an empty choice has no words, so it can neither match nor
        # contradict a prediction). It can never be the answer (``answer`` is non-empty), and
        # two empty choices are duplicates.
        if len(v) - sum(1 for c in v if c) > 1 or not any(v):
            raise ValueError("more than one choice is empty")
        seen: set[str] = set()
        for c in v:
            if normalise_text(c) in seen:
                raise ValueError(f"choice {c!r} appears twice")
            seen.add(normalise_text(c))
        return v

    @model_validator(mode="after")
    def _answer_is_a_choice(self) -> AudioItem:
        if self.answer is not None and normalise_text(self.answer) not in {normalise_text(c) for c in self.choices}:
            raise ValueError(f"answer {self.answer!r} is not one of the choices")
        return self

    @property
    def letters(self) -> list[str]:
        return list(string.ascii_uppercase[: len(self.choices)])

    @property
    def labelled(self) -> bool:
        return self.answer is not None

    @property
    def answer_index(self) -> int:
        if self.answer is None:
            raise ValueError(f"item {self.id} has no answer (unlabelled split)")
        key = normalise_text(self.answer)
        return next(i for i, c in enumerate(self.choices) if normalise_text(c) == key)

    @property
    def answer_letter(self) -> str:
        return self.letters[self.answer_index]
