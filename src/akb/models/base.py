"""What every text-LLM backend speaks: chat requests in, responses out.

*What is asked* (a :class:`ChatRequest`) is separate from *who answers* (a
:class:`Backend`) and from *how it is judged* (the scorers in ``akb.bench``). A backend
that can read next-token log-probabilities also answers ``letter_logprobs`` in one forward
pass per request.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Iterator, Sequence
from typing import Any, ClassVar, Literal, Protocol, runtime_checkable

from pydantic import BaseModel, ConfigDict, Field, field_validator

from akb.core.errors import ErrorKind


class Message(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    role: Literal["system", "user", "assistant"]
    content: str


class MCQ(BaseModel):
    """The structured question behind a prompt, for baselines that read options directly.

    ``context`` is text the question is about (a cascade's audio caption); None for
    knowledge questions, and then absent from the cache key."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    question: str
    choices: list[str]
    letters: list[str]
    context: str | None = None


class AudioRef(BaseModel):
    """The clip a request is about, for backends that hear audio (a DeSTA model). Its content
    hash is part of the cache key; where the file lies is not."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    sha256: str
    path: str = Field(exclude=True)


class ChatRequest(BaseModel):
    """One request. Everything here is part of the cache key."""

    model_config = ConfigDict(extra="forbid")
    messages: list[Message]
    max_tokens: int = Field(32, ge=1)
    temperature: float = Field(0.0, ge=0.0)
    top_p: float | None = None
    seed: int | None = None
    stop: list[str] | None = None
    stop_at_letter: bool | None = Field(None, description="the reply ends at the delimiter after a leading option letter "
                                        "(akb.models.letter_stop); None/absent: a full reply")
    letters: list[str] | None = Field(None, description="option letters to score in logprob mode")
    mcq: MCQ | None = None
    audio: AudioRef | None = None

    def cache_dict(self) -> dict[str, Any]:
        return self.model_dump(mode="json", exclude_none=True)


class Response(BaseModel):
    # -inf log-probabilities (a letter outside an API's top-k) survive the cache round trip.
    model_config = ConfigDict(extra="forbid", ser_json_inf_nan="constants")
    text: str = ""
    letter_logprobs: dict[str, float] | None = None
    prompt_tokens: int | None = None
    completion_tokens: int | None = None
    latency_s: float = 0.0
    finish_reason: str | None = None
    error: str | None = Field(None, description="a failure that persisted after retries")
    error_kind: ErrorKind | None = Field(None, description="how the engine treats the failure; None: read from the error text")
    meta: dict[str, Any] | None = Field(None, description="what else the backend knows about the answer (a DeSTA model's transcript)")
    cached: bool = Field(False, exclude=True)

    @field_validator("error")
    @classmethod
    def _no_secrets(cls, v: str | None) -> str | None:
        # Whatever backend built it, an error text reaches samples.jsonl and summaries scrubbed.
        from akb.core.secrets import scrub

        return scrub(v) if v else v

    @property
    def ok(self) -> bool:
        return self.error is None


Mode = Literal["generate", "logprob"]


@runtime_checkable
class Backend(Protocol):
    """A text LLM. Implementations live one per file in ``akb.models``."""

    name: ClassVar[str]
    supports_logprobs: ClassVar[bool]
    chooses_option: ClassVar[bool]  # picks an option without writing (baselines): scored from its choice

    def identity(self) -> dict[str, Any]:
        """What makes outputs reproducible: backend, model, revision or weights fingerprint,
        and settings that change outputs. Never secrets."""
        ...

    def generate(self, requests: Sequence[ChatRequest]) -> list[Response]: ...

    def letter_logprobs(self, requests: Sequence[ChatRequest]) -> list[Response]: ...

    @property
    def batch_size(self) -> int: ...

    def close(self) -> None: ...


class BaseBackend:
    """Defaults shared by the concrete backends."""

    name: ClassVar[str] = "base"
    supports_logprobs: ClassVar[bool] = False
    chooses_option: ClassVar[bool] = False
    _batch_size: int = 1

    @property
    def batch_size(self) -> int:
        return self._batch_size

    def letter_logprobs(self, requests: Sequence[ChatRequest]) -> list[Response]:
        from akb.core.errors import ConfigError

        raise ConfigError(
            f"backend '{self.name}' cannot read token log-probabilities; use --mode generate"
        )

    def close(self) -> None:
        return None


class StreamingBackend(BaseBackend):
    """Base for local engines that answer a whole request list and yield results batch by
    batch (:meth:`answer_stream`, which the runner uses so answers are written as they come);
    the list forms collect the stream in request order."""

    def answer_stream(self, requests: Sequence[ChatRequest], mode: Mode) -> Iterator[list[tuple[int, Response]]]:
        raise NotImplementedError  # pragma: no cover - abstract

    def letter_logprobs(self, requests: Sequence[ChatRequest]) -> list[Response]:
        return self._collect(self.answer_stream(requests, "logprob"), len(requests))

    def generate(self, requests: Sequence[ChatRequest]) -> list[Response]:
        return self._collect(self.answer_stream(requests, "generate"), len(requests))

    @staticmethod
    def _collect(stream: Iterator[list[tuple[int, Response]]], n: int) -> list[Response]:
        out: dict[int, Response] = {}
        for chunk in stream:
            out.update(chunk)
        return [out[i] for i in range(n)]


class AsyncBackend(BaseBackend):
    """Base for network backends: one coroutine per request, ``concurrency`` in flight.

    The runner calls :meth:`agenerate_one` directly so results are written as they arrive;
    :meth:`generate` is the batch form for other callers.
    """

    concurrency: int = 8

    async def agenerate_one(self, request: ChatRequest) -> Response:  # pragma: no cover - abstract
        raise NotImplementedError

    async def aclose(self) -> None:
        return None

    def gather(self, fn: Callable[[ChatRequest], Awaitable[Response]], requests: Sequence[ChatRequest]) -> list[Response]:
        """Run ``fn`` over ``requests`` with ``concurrency`` in flight, in request order."""

        async def _all() -> list[Response]:
            sem = asyncio.Semaphore(self.concurrency)

            async def one(r: ChatRequest) -> Response:
                async with sem:
                    return await fn(r)

            try:
                return list(await asyncio.gather(*(one(r) for r in requests)))
            finally:
                await self.aclose()

        return asyncio.run(_all())

    def generate(self, requests: Sequence[ChatRequest]) -> list[Response]:
        return self.gather(self.agenerate_one, requests)

    @property
    def batch_size(self) -> int:
        return self.concurrency

