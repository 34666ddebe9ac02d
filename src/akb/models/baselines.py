"""Reference points every score should be read against.

- ``random[:SEED]``: a seeded uniform guess, decided by a hash of the seed and the request
  (so it does not depend on order, batching or resume).
- ``position:LETTER``: always the same letter; exposes gold-letter imbalance.
- ``options-only:SPEC``: a real model answers with the question hidden; scoring well above
  chance means the options leak the answer.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from typing import Any, ClassVar

from pydantic import BaseModel, ConfigDict

from akb.core.errors import ConfigError
from akb.core.hashing import canonical_json
from akb.models.base import BaseBackend, ChatRequest, Message, Response
from akb.models.spec import ModelConfig, options_model

POSITION_LETTERS = "ABCDEFGH"  # the most options any supported benchmark has (8)


def _letters(req: ChatRequest) -> list[str]:
    letters = req.letters or (req.mcq.letters if req.mcq else None)
    if not letters:
        raise ConfigError("baseline backends need multiple-choice requests (letters or mcq)")
    return list(letters)


class _NoOptions(BaseModel):
    model_config = ConfigDict(extra="forbid")
    batch_size: int = 256


class _LetterBaseline(BaseBackend):
    """Baselines that pick a letter without reading text; logprobs are one-hot."""

    supports_logprobs: ClassVar[bool] = True
    chooses_option: ClassVar[bool] = True
    _batch_size = 256

    def pick(self, req: ChatRequest) -> str:  # pragma: no cover - abstract
        raise NotImplementedError

    def generate(self, requests: Sequence[ChatRequest]) -> list[Response]:
        return [Response(text=self.pick(r), finish_reason="stop") for r in requests]

    def letter_logprobs(self, requests: Sequence[ChatRequest]) -> list[Response]:
        out = []
        for r in requests:
            choice = self.pick(r)
            lp = {L: (0.0 if L == choice else float("-inf")) for L in _letters(r)}  # all -inf: no answer
            out.append(Response(text=choice, letter_logprobs=lp, finish_reason="logprob"))
        return out


class RandomBackend(_LetterBaseline):
    name: ClassVar[str] = "random"

    def __init__(self, seed: int = 0) -> None:
        self.seed = seed

    @classmethod
    def from_config(cls, cfg: ModelConfig) -> RandomBackend:
        options_model(_NoOptions, cfg)
        try:
            seed = int(cfg.model) if cfg.model else 0
        except ValueError:
            raise ConfigError(f"random baseline: seed must be an integer, got {cfg.model!r}") from None
        return cls(seed)

    def identity(self) -> dict[str, Any]:
        return {"backend": "random", "seed": self.seed}

    def pick(self, req: ChatRequest) -> str:
        letters = _letters(req)
        digest = hashlib.sha256(f"{self.seed}:{canonical_json(req.cache_dict())}".encode()).digest()
        return letters[int.from_bytes(digest[:8], "big") % len(letters)]


class PositionBackend(_LetterBaseline):
    name: ClassVar[str] = "position"

    def __init__(self, letter: str = "A") -> None:
        self.letter = letter.upper()

    @classmethod
    def from_config(cls, cfg: ModelConfig) -> PositionBackend:
        options_model(_NoOptions, cfg)
        letter = (cfg.model or "A").upper()
        if len(letter) != 1 or letter not in POSITION_LETTERS:
            raise ConfigError(f"position baseline: expected one option letter {POSITION_LETTERS[0]}-{POSITION_LETTERS[-1]} "
                              f"such as position:B, got {cfg.model!r}")
        return cls(letter)

    def identity(self) -> dict[str, Any]:
        return {"backend": "position", "letter": self.letter}

    def pick(self, req: ChatRequest) -> str:
        letters = _letters(req)
        if self.letter not in letters:
            return ""  # fewer options than the letter: no answer (invalid), never another letter
        return self.letter


HIDDEN = "[The question is hidden. Choose the option most likely to be correct.]"


class OptionsOnlyBackend(BaseBackend):
    """Wraps any backend; replaces the question text in every message before asking it."""

    name: ClassVar[str] = "options-only"

    def __init__(self, inner: Any) -> None:
        self.inner = inner
        self._batch_size = inner.batch_size

    @property
    def supports_logprobs(self) -> bool:  # type: ignore[override]
        return bool(self.inner.supports_logprobs)

    @classmethod
    def from_config(cls, cfg: ModelConfig) -> OptionsOnlyBackend:
        from akb.models.registry import create_backend
        from akb.models.spec import parse_model_spec

        if not cfg.model:
            raise ConfigError("options-only needs the model that answers, e.g. options-only:hf:Qwen/Qwen3-8B")
        inner_cfg = parse_model_spec(cfg.model)
        inner_cfg.options.update(cfg.options)
        return cls(create_backend(inner_cfg))

    def identity(self) -> dict[str, Any]:
        return {"backend": "options-only", "hidden": HIDDEN, "inner": self.inner.identity()}

    @staticmethod
    def hide(req: ChatRequest) -> ChatRequest:
        if req.mcq is None:
            raise ConfigError("options-only needs multiple-choice requests (mcq)")
        q = req.mcq.question
        msgs = [Message(role=m.role, content=m.content.replace(q, HIDDEN)) for m in req.messages]
        if not any(HIDDEN in m.content for m in msgs):
            raise ConfigError("options-only: the prompt does not contain the question text verbatim")
        mcq = req.mcq.model_copy(update={"question": HIDDEN})
        return req.model_copy(update={"messages": msgs, "mcq": mcq})

    def generate(self, requests: Sequence[ChatRequest]) -> list[Response]:
        return list(self.inner.generate([self.hide(r) for r in requests]))

    def letter_logprobs(self, requests: Sequence[ChatRequest]) -> list[Response]:
        return list(self.inner.letter_logprobs([self.hide(r) for r in requests]))

    def __getattr__(self, name: str) -> Any:
        # Async inner backends (API models) keep streaming results through the wrapper.
        if name == "agenerate_one" and hasattr(self.inner, "agenerate_one"):
            async def agenerate_one(req: ChatRequest) -> Response:
                return await self.inner.agenerate_one(self.hide(req))

            return agenerate_one
        if name == "alogprob_one" and hasattr(self.inner, "alogprob_one"):
            async def alogprob_one(req: ChatRequest) -> Response:
                return await self.inner.alogprob_one(self.hide(req))

            return alogprob_one
        if name in ("concurrency", "aclose"):
            return getattr(self.inner, name)
        raise AttributeError(name)

    def close(self) -> None:
        self.inner.close()
