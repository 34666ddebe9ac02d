"""LLM-assisted drafting (``akb build generate``): scope note + exemplars + a strict JSON
schema in, validated drafts out. Replies are salvaged object by object: prose, code fences,
a truncated last object or a repeated question cost only the bad part, and every rejected
fragment is logged with its reason. A draft is written whole or not at all."""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from akb.bench.items import Item, Provenance, ReviewRecord, normalise_text
from akb.bench.taxonomy import Taxonomy
from akb.build.checks import BANNED_OPTIONS
from akb.models.base import ChatRequest, Message

PROMPT_VERSION = "akb-generate-v2"

SYSTEM = (
    "You are an expert examiner writing four-option multiple-choice questions that test auditory "
    "knowledge a person can have without hearing anything: sound, music, speech, phonetics, audio "
    "quality and audio technology. Every question has exactly one defensible answer and three "
    "distractors, each the right answer to a closely related sibling question, so that the four options "
    "alone cannot tell which question was asked. You reply with JSON only."
)

RULES = """The option-set rule (every question, no exceptions):
- Every distractor is the RIGHT answer to a closely related sibling question; give that sibling question for each distractor in "siblings". Distractors are true things (true of something else), never false statements: a set with one true statement and three false ones gives the key away. If you cannot write a true sibling question for a distractor, replace the distractor.
- Options of one kind and one grammar (all nouns, all numbers with the same unit, all clauses of the same shape), within about 20% of each other's length in characters, hedged alike (if one says "usually", all do, or none). The answer is never uniquely the longest option.
- No option repeats a content word of the question that the other options lack.
- Numeric options: each distractor comes from a DIFFERENT plausible error (wrong formula, a forgotten factor, the wrong constant, off by one, two related quantities confused), never a symmetric spread around the answer (not answer/2 and 2 x answer); across your questions the answer is the smallest value about a quarter of the time, the largest about a quarter, and each middle rank about a quarter.
Also:
- One answer an expert would defend without debate; if a fact varies by accent, standard or version, pin it down in the question or pick another fact. No fact that hinges on one named study.
- No clue in the question: no word that names or paraphrases the answer, no etymology shortcut, no situation that makes the answer common sense; a person who knows nothing about sound must be at chance.
- Never "all of the above", "none of the above" or "both".
- Plain English, self-contained, no reference to a recording. A 1-2 sentence rationale.
- Put the correct answer FIRST in "choices"; software shuffles the options later. "siblings" lists the other three choices, in the same order, each with its sibling question.
- Every question must test a different fact from the examples and from each other."""


class Sibling(BaseModel):
    model_config = ConfigDict(extra="ignore", str_strip_whitespace=True)
    option: str = Field(min_length=1)
    question: str = Field(min_length=10)


class DraftModel(BaseModel):
    """What the model must return for each question."""

    model_config = ConfigDict(extra="ignore", str_strip_whitespace=True)
    question: str = Field(min_length=10)
    choices: list[str]
    rationale: str = Field(min_length=10)
    siblings: list[Sibling]
    difficulty: str = "medium"

    @field_validator("choices")
    @classmethod
    def _four(cls, v: list[str]) -> list[str]:
        v = [str(c).strip() for c in v]
        if len(v) != 4 or any(not c for c in v):
            raise ValueError("needs exactly 4 non-empty choices")
        if len({normalise_text(c) for c in v}) != 4:
            raise ValueError("choices are not distinct")
        if any(BANNED_OPTIONS.search(c) for c in v):
            raise ValueError("all/none-of-the-above option")
        return v

    @model_validator(mode="after")
    def _one_sibling_per_distractor(self) -> DraftModel:
        distractors = [normalise_text(c) for c in self.choices[1:]]
        given = [normalise_text(s.option) for s in self.siblings]
        if sorted(given) != sorted(distractors):
            raise ValueError("siblings must give one sibling question for each of the three distractors (choices 2-4)")
        if normalise_text(self.question) in {normalise_text(s.question) for s in self.siblings}:
            raise ValueError("a sibling question repeats the question itself")
        if len({normalise_text(s.question) for s in self.siblings}) != 3:
            raise ValueError("the three sibling questions must differ")
        return self


SCHEMA = json.dumps(
    {"type": "array", "items": {"type": "object", "required": ["question", "choices", "rationale", "siblings"],
                                "properties": {"question": {"type": "string"},
                                               "choices": {"type": "array", "minItems": 4, "maxItems": 4, "items": {"type": "string"}},
                                               "rationale": {"type": "string"},
                                               "siblings": {"type": "array", "minItems": 3, "maxItems": 3, "items": {
                                                   "type": "object", "required": ["option", "question"],
                                                   "properties": {"option": {"type": "string"}, "question": {"type": "string"}}}},
                                               "difficulty": {"enum": ["easy", "medium", "hard"]}}}},
    indent=None,
)


def build_request(taxonomy: Taxonomy, category: str, subcategory: str, n: int, exemplars: Sequence[Item]) -> ChatRequest:
    cat = taxonomy.category(category)
    sub = next(s for s in cat.subcategories if s.id == subcategory)
    ex = []
    for e in exemplars:
        dis = [c for c in e.choices if c != e.answer_text]
        row: dict[str, Any] = {"question": e.question, "choices": [e.answer_text, *dis], "rationale": e.rationale}
        sib = e.meta.get("siblings")
        if isinstance(sib, list) and len(sib) == 3:
            by_opt = {normalise_text(str(s.get("option", ""))): s.get("question") for s in sib if isinstance(s, dict)}
            row["siblings"] = [{"option": d, "question": by_opt.get(normalise_text(d), "")} for d in dis]
        ex.append(row)
    user = (
        f"Category: {cat.name}. Subcategory: {sub.name}.\nScope: {sub.scope}\n\n{RULES}\n\n"
        f"Examples of the expected quality (do not repeat their facts):\n{json.dumps(ex, ensure_ascii=False, indent=1)}\n\n"
        f"Write {n} new questions. Reply with a JSON array only, matching this JSON Schema:\n{SCHEMA}"
    )
    return ChatRequest(messages=[Message(role="system", content=SYSTEM), Message(role="user", content=user)],
                       max_tokens=min(8192, 650 * n + 200), temperature=0.7, seed=0)


@dataclass(frozen=True)
class Rejected:
    fragment: str
    reason: str


_FENCE = re.compile(r"```(?:json)?", re.I)


def _objects(text: str) -> list[tuple[Any, str] | tuple[None, str]]:
    """Every top-level JSON object in ``text`` (inside or outside arrays and fences), in
    order. A fragment that starts like an object but does not parse comes back as None."""
    text = _FENCE.sub(" ", text)
    dec = json.JSONDecoder()
    out: list[tuple[Any, str] | tuple[None, str]] = []
    i = 0
    while True:
        start = text.find("{", i)
        if start < 0:
            break
        try:
            obj, end = dec.raw_decode(text, start)
        except json.JSONDecodeError:
            # Skip to the next object that could start a question.
            nxt = text.find('{"question"', start + 1)
            nxt2 = re.search(r"\{\s*\"question\"", text[start + 1 :])
            cut = start + 1 + nxt2.start() if nxt2 else (nxt if nxt > 0 else len(text))
            out.append((None, text[start:cut].strip()[:200]))
            i = cut
            continue
        if isinstance(obj, dict) and "question" not in obj:
            # A wrapper such as {"questions": [...]}: look inside it.
            inner = next((v for v in obj.values() if isinstance(v, list)), None)
            if inner is not None:
                out.extend((o, json.dumps(o)[:200]) for o in inner)
                i = end
                continue
        out.append((obj, text[start:end][:200]))
        i = end
    return out


def parse_reply(text: str) -> tuple[list[DraftModel], list[Rejected]]:
    """Salvage valid drafts from a model reply; say why each other fragment was rejected."""
    drafts: list[DraftModel] = []
    rejected: list[Rejected] = []
    seen: set[str] = set()
    for obj, frag in _objects(text or ""):
        if obj is None:
            rejected.append(Rejected(frag, "invalid or truncated JSON"))
            continue
        try:
            d = DraftModel.model_validate(obj)
        except ValidationError as e:
            err = e.errors()[0]
            rejected.append(Rejected(frag, f"{'.'.join(map(str, err['loc'])) or 'object'}: {err['msg'].removeprefix('Value error, ')}"))
            continue
        key = normalise_text(d.question)
        if key in seen:
            rejected.append(Rejected(frag, "duplicate question in the reply"))
            continue
        seen.add(key)
        drafts.append(d)
    if not drafts and not rejected:
        rejected.append(Rejected((text or "")[:200], "no JSON object found"))
    return drafts, rejected


def to_items(drafts: Sequence[DraftModel], *, category: str, subcategory: str, model: str, start: int = 0) -> list[Item]:
    now = datetime.now(timezone.utc).replace(microsecond=0)
    return [
        Item(
            id=f"staged.gen.{category}.{subcategory}.{start + i:04d}",
            category=category, subcategory=subcategory, question=d.question, choices=d.choices, answer="A",
            rationale=d.rationale,
            provenance=Provenance(method="llm-generated", by=model, prompt_version=PROMPT_VERSION, created=now),
            review=ReviewRecord(status="draft"),
            meta={"difficulty": d.difficulty, "siblings": [{"option": s.option, "question": s.question} for s in d.siblings]},
        )
        for i, d in enumerate(drafts)
    ]
