"""What the network backends share: options, key lookup, retries with backoff.

Keys come from environment variables only and are handed straight to the client; they are
never part of an identity, a request, a cache row, a log line or a result file.
"""

from __future__ import annotations

import os
import time
from collections.abc import Awaitable, Callable
from typing import Any, ClassVar

from pydantic import BaseModel, ConfigDict, Field
from tenacity import (
    AsyncRetrying,
    RetryError,
    retry_if_exception,
    stop_after_attempt,
    wait_exponential_jitter,
)

from akb.core.errors import ConfigError
from akb.models.base import AsyncBackend, ChatRequest, Response
from akb.models.spec import ModelConfig, options_model


class APIOptions(BaseModel):
    model_config = ConfigDict(extra="forbid")
    base_url: str | None = None
    api_key_env: str | None = Field(None, description="environment variable holding the key")
    concurrency: int = Field(8, ge=1)
    timeout: float = Field(120.0, gt=0, description="seconds per attempt")
    max_retries: int = Field(6, ge=0)
    retry_initial_wait: float = Field(1.0, ge=0)
    retry_max_wait: float = Field(60.0, ge=0)
    extra_body: dict[str, Any] = Field(default_factory=dict, description="sent with every request")


class RetryableError(Exception):
    """A response worth trying again (429, 5xx, timeout, malformed body)."""


def api_key(env_var: str, *, required: bool, backend: str) -> str | None:
    value = os.environ.get(env_var)
    if not value and required:
        raise ConfigError(f"backend '{backend}' needs an API key in the environment variable {env_var}")
    return value or None


def split_system(request: ChatRequest) -> tuple[str | None, list[dict[str, str]]]:
    system = "\n\n".join(m.content for m in request.messages if m.role == "system") or None
    rest = [{"role": m.role, "content": m.content} for m in request.messages if m.role != "system"]
    return system, rest


def describe(exc: BaseException) -> str:
    """One line naming the failure, without headers or bodies that could carry secrets."""
    status = getattr(exc, "status_code", None) or getattr(exc, "code", None)
    name = type(exc).__name__
    msg = str(exc).splitlines()[0][:200] if str(exc) else ""
    return f"{name}{f' (HTTP {status})' if status else ''}: {msg}".rstrip(": ")


async def call_with_retries(
    call: Callable[[], Awaitable[Response]],
    *,
    opts: APIOptions,
    retryable: Callable[[BaseException], bool],
) -> Response:
    """Run ``call`` with exponential backoff on retryable errors.

    Returns the response, or a Response whose ``error`` says what failed. ``error`` starting
    with "retryable" means the item should be tried again on a later run; any other error is
    final (a 400 will not fix itself).
    """
    t0 = time.perf_counter()
    try:
        async for attempt in AsyncRetrying(
            stop=stop_after_attempt(opts.max_retries + 1),
            wait=wait_exponential_jitter(initial=opts.retry_initial_wait, max=opts.retry_max_wait),
            retry=retry_if_exception(lambda e: isinstance(e, RetryableError) or retryable(e)),
            reraise=False,
        ):
            with attempt:
                resp = await call()
        resp.latency_s = time.perf_counter() - t0
        return resp
    except RetryError as e:
        last = e.last_attempt.exception()
        return Response(error=f"retryable: gave up after {opts.max_retries + 1} attempts: {describe(last) if last else '?'}")
    except Exception as e:  # noqa: BLE001 - a final, non-retryable failure of one request
        return Response(error=f"final: {describe(e)}")


def is_retryable_status(status: int | None) -> bool:
    return status is not None and (status == 429 or status == 408 or status >= 500)


class APIBackend(AsyncBackend):
    """A chat API reached over HTTP: options, key and client slot shared by every vendor."""

    options_cls: ClassVar[type[APIOptions]] = APIOptions
    default_key_env: ClassVar[str] = ""

    def __init__(self, model: str, options: APIOptions | None = None) -> None:
        if not model:
            raise ConfigError(f"the {self.name} backend needs a model: {self.name}:NAME")
        self.model = model
        self.opts = options or self.options_cls()
        self.concurrency = self.opts.concurrency
        env = self.opts.api_key_env or self.default_key_env
        self._key = api_key(env, required=self.key_required(), backend=self.name)
        self._client: Any = None

    def key_required(self) -> bool:
        return True

    @classmethod
    def from_config(cls, cfg: ModelConfig) -> APIBackend:
        return cls(cfg.model, options_model(cls.options_cls, cfg))

    def identity(self) -> dict[str, Any]:
        # The server is part of the identity (two servers may serve different weights
        # under one name); the key never is.
        return {"backend": self.name, "model": self.model, "base_url": self.opts.base_url, "extra_body": self.opts.extra_body}
