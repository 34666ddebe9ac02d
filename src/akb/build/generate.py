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

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from akb.bench.items import Item, Provenance, ReviewRecord, normalise_text
from akb.bench.taxonomy import Taxonomy
from akb.build.checks import BANNED_OPTIONS
from akb.models.base import ChatRequest, Message

PROMPT_VERSION = "akb-generate-v1"

SYSTEM = (
    "You are an expert examiner writing four-option multiple-choice questions that test auditory "
    "knowledge a person can have without hearing anything: sound, music, speech, phonetics, audio "
    "quality and audio technology. Every question has exactly one defensible answer and three "
    "plausible distractors of the same kind and length. You reply with JSON only."
)

RULES = """Rules:
- One answer an expert would defend without debate; if a fact varies by accent, standard or version, pin it down in the question or pick another fact.
- Three plausible distractors of the same kind and roughly the same length as the answer; never "all of the above", "none of the above" or "both".
- No clue in the wording: the answer is not the longest option and does not repeat a word of the question that the others lack.
- Plain English, self-contained, no reference to a recording. A 1-2 sentence rationale.
- Put the correct answer FIRST in "choices"; software shuffles the options later.
- Every question must test a different fact from the examples and from each other."""


class DraftModel(BaseModel):
    """What the model must return for each question."""

    model_config = ConfigDict(extra="ignore", str_strip_whitespace=True)
    question: str = Field(min_length=10)
    choices: list[str]
    rationale: str = Field(min_length=10)
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


SCHEMA = json.dumps(
    {"type": "array", "items": {"type": "object", "required": ["question", "choices", "rationale"],
                                "properties": {"question": {"type": "string"},
                                               "choices": {"type": "array", "minItems": 4, "maxItems": 4, "items": {"type": "string"}},
                                               "rationale": {"type": "string"},
                                               "difficulty": {"enum": ["easy", "medium", "hard"]}}}},
    indent=None,
)


def build_request(taxonomy: Taxonomy, category: str, subcategory: str, n: int, exemplars: Sequence[Item]) -> ChatRequest:
    cat = taxonomy.category(category)
    sub = next(s for s in cat.subcategories if s.id == subcategory)
    ex = [{"question": e.question, "choices": [e.answer_text] + [c for c in e.choices if c != e.answer_text],
           "rationale": e.rationale} for e in exemplars]
    user = (
        f"Category: {cat.name}. Subcategory: {sub.name}.\nScope: {sub.scope}\n\n{RULES}\n\n"
        f"Examples of the expected quality (do not repeat their facts):\n{json.dumps(ex, ensure_ascii=False, indent=1)}\n\n"
        f"Write {n} new questions. Reply with a JSON array only, matching this JSON Schema:\n{SCHEMA}"
    )
    return ChatRequest(messages=[Message(role="system", content=SYSTEM), Message(role="user", content=user)],
                       max_tokens=min(8192, 400 * n + 200), temperature=0.7, seed=0)


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
            review=ReviewRecord(status="draft"), meta={"difficulty": d.difficulty},
        )
        for i, d in enumerate(drafts)
    ]
