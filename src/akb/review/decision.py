"""One reviewer's decision on one version of an item."""

from __future__ import annotations

import re
import uuid
from datetime import datetime, timezone
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from akb.bench.items import Letter, UTCDateTime
from akb.review.content import Edit, EditError, Shown, apply_edit, content_key

Verdict = Literal["accept", "edit", "reject"]
Role = Literal["review", "adjudication"]
VERDICTS: tuple[Verdict, ...] = ("accept", "edit", "reject")

_REVIEWER_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.@:+\- ]{0,63}$")


def check_reviewer(name: str) -> str:
    name = name.strip()
    if not _REVIEWER_RE.match(name):
        raise ValueError("a reviewer id is 1-64 letters, digits, spaces or _ . @ : + - (starting with a letter or digit)")
    return name


def now() -> datetime:
    """UTC now to the millisecond (what the store keeps)."""
    t = datetime.now(timezone.utc)
    return t.replace(microsecond=t.microsecond // 1000 * 1000)


class Decision(BaseModel):
    """Who decided what about which version, and when.

    ``blind_answer`` is a letter of ``shown`` (the order the reviewer saw), given before
    the key was revealed; ``edit`` is in that order too. ``content_key`` names the version.
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    uid: str = Field(default_factory=lambda: uuid.uuid4().hex)
    item_id: str
    content_key: str
    reviewer: str
    role: Role = "review"
    at: UTCDateTime = Field(default_factory=now)
    shown: Shown
    blind_answer: Letter | None = None
    verdict: Verdict
    note: str | None = None
    edit: Edit | None = None
    source: str = "web"

    @field_validator("reviewer")
    @classmethod
    def _reviewer(cls, v: str) -> str:
        return check_reviewer(v)

    @field_validator("note")
    @classmethod
    def _note(cls, v: str | None) -> str | None:
        if v is None:
            return None
        return v.strip() or None

    @model_validator(mode="after")
    def _consistent(self) -> Decision:
        if self.shown.id != self.item_id:
            raise ValueError(f"shown item {self.shown.id!r} is not {self.item_id!r}")
        if content_key(self.shown) != self.content_key:
            raise ValueError("content_key does not match the shown item")
        if self.verdict == "reject" and not self.note:
            raise ValueError("a reason is required to reject")
        if self.verdict == "edit":
            if self.edit is None:
                raise ValueError("verdict 'edit' needs the edited item")
            try:
                apply_edit(self.shown, self.edit)
            except EditError as e:
                raise ValueError(str(e)) from None
        elif self.edit is not None:
            raise ValueError(f"verdict {self.verdict!r} cannot carry an edit")
        if self.role == "adjudication" and self.blind_answer is not None:
            raise ValueError("an adjudication has no blind answer (the adjudicator sees the key)")
        return self

    @property
    def edited(self) -> Shown | None:
        return apply_edit(self.shown, self.edit) if self.edit is not None else None

    @property
    def edited_key(self) -> str | None:
        e = self.edited
        return content_key(e) if e is not None else None

    @property
    def blind_text(self) -> str | None:
        """The option the reviewer chose blind, as text (comparable across option orders)."""
        if self.blind_answer is None:
            return None
        return self.shown.choices["ABCD".index(self.blind_answer)]


def first_error(e: ValidationError) -> str:
    """The first problem of a validation error as one line: 'field: message'."""
    err = e.errors()[0]
    field = ".".join(str(p) for p in err["loc"])
    msg = err["msg"].removeprefix("Value error, ")
    return f"{field}: {msg}" if field else msg


def make_decision(shown: Shown, *, reviewer: str, verdict: str, blind_answer: str | None = None,
                  note: str | None = None, edit: Edit | dict | None = None, role: str = "review",
                  source: str = "web", at: datetime | None = None, uid: str | None = None) -> Decision:
    data: dict = {"item_id": shown.id, "content_key": content_key(shown), "reviewer": reviewer, "role": role,
                  "shown": shown, "blind_answer": blind_answer, "verdict": verdict, "note": note,
                  "edit": edit, "source": source}
    if at is not None:
        data["at"] = at
    if uid is not None:
        data["uid"] = uid
    return Decision.model_validate(data)
