"""What a reviewer saw and what they changed.

A decision is made on one *version* of an item, identified by its content key: a hash of
the category, question, the set of options, the key's text and the rationale. Re-ordering
the options (``akb build assemble`` balances gold letters) keeps the key, so decisions
survive a re-balance; changing any text makes them stale. Letters are always letters of
the order a reviewer saw (:class:`Shown`), mapped to another order through option text.
"""

from __future__ import annotations

import difflib
from collections.abc import Sequence

from pydantic import BaseModel, ConfigDict, ValidationError

from akb.bench.items import LETTERS, Item, Letter, normalise_text
from akb.core.errors import AkbError
from akb.core.hashing import stable_hash


class EditError(AkbError):
    """An edit the item schema refuses (the message names the field)."""


class Shown(BaseModel):
    """The item exactly as a reviewer saw it, options in the order shown."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    id: str
    category: str
    subcategory: str
    question: str
    choices: list[str]
    answer: Letter
    rationale: str = ""

    @classmethod
    def of(cls, item: Item) -> Shown:
        return cls(id=item.id, category=item.category, subcategory=item.subcategory, question=item.question,
                   choices=list(item.choices), answer=item.answer, rationale=item.rationale)

    @property
    def key(self) -> str:
        return content_key(self)


class Edit(BaseModel):
    """A reviewer's corrected question, options (in the order they saw), key and rationale."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    question: str
    choices: list[str]
    answer: Letter
    rationale: str = ""


def content_key(x: Item | Shown) -> str:
    """Hash of what a reviewer judges, independent of the option order."""
    return stable_hash({
        "category": x.category,
        "subcategory": x.subcategory,
        "question": normalise_text(x.question),
        "choices": sorted(normalise_text(c) for c in x.choices),
        "key": normalise_text(x.choices[LETTERS.index(x.answer)]),
        "rationale": normalise_text(x.rationale),
    }, length=24)


def apply_edit(item: Item | Shown, edit: Edit) -> Shown:
    """The edited version, validated by the item schema. Raises EditError naming the field."""
    base = item if isinstance(item, Shown) else Shown.of(item)
    data = {"id": base.id, "category": base.category, "subcategory": base.subcategory,
            "question": edit.question, "choices": edit.choices, "answer": edit.answer,
            "rationale": edit.rationale, "provenance": {"method": "authored", "by": "review"}}
    try:
        checked = Item.model_validate(data)
    except ValidationError as e:
        err = e.errors()[0]
        field = ".".join(str(p) for p in err["loc"])
        raise EditError(f"{field}: {err['msg'].removeprefix('Value error, ')}") from None
    new = Shown.of(checked)
    if new == base:
        raise EditError("the edit changes nothing; use accept instead")
    return new


def render(x: Item | Shown) -> list[str]:
    """Lines a diff is taken over: one per field, the key marked."""
    lines = [f"question: {x.question}"]
    lines += [f"{LETTERS[i]}. {c}{'   <- key' if LETTERS[i] == x.answer else ''}" for i, c in enumerate(x.choices)]
    lines.append(f"rationale: {x.rationale}")
    return lines


def unified_diff(before: Item | Shown, after: Item | Shown) -> str:
    return "\n".join(difflib.unified_diff(render(before), render(after), f"{before.id} (before)",
                                          f"{after.id} (after)", lineterm="", n=1))


def order_map(seen: Sequence[str], target: Sequence[str]) -> list[int] | None:
    """For each shown position, the position of the same option text in ``target``; None
    when the two option sets differ."""
    index = {normalise_text(c): j for j, c in enumerate(target)}
    out = [index.get(normalise_text(c)) for c in seen]
    if None in out or sorted(out) != list(range(len(target))):  # type: ignore[type-var]
        return None
    return out  # type: ignore[return-value]


def edit_in_target_order(target: Item, shown: Shown, edited: Shown) -> Item:
    """Apply an edit made in the shown order to ``target`` (same content, any option order).

    Edited options keep their slots, so the target's option order is kept; when the edit
    moves the key, ``option_order`` is repaired so the key is again written option 0 (a
    later re-balance must not bring back the old key)."""
    m = order_map(shown.choices, target.choices)
    if m is None:
        raise ValueError(f"{target.id}: the options differ from the version that was edited")
    choices = [""] * len(target.choices)
    for i, j in enumerate(m):
        choices[j] = edited.choices[i]
    answer_pos = m[LETTERS.index(edited.answer)]
    order = target.option_order
    if order is not None and answer_pos != target.answer_index:
        s = order[answer_pos]
        order = [0 if o == s else s if o == 0 else o for o in order]
    return target.model_copy(update={"question": edited.question, "choices": choices,
                                     "answer": LETTERS[answer_pos], "rationale": edited.rationale,
                                     "option_order": order})


def letter_in(target_choices: Sequence[str], shown: Shown, letter: str | None) -> Letter | None:
    """A letter of the shown order, as a letter of ``target_choices`` (same option set)."""
    if letter is None:
        return None
    m = order_map(shown.choices, target_choices)
    if m is None:
        return None
    return LETTERS[m[LETTERS.index(letter)]]  # type: ignore[return-value]
