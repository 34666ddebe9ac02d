"""What the network backends share: options, key lookup, retries with backoff.

Keys come from environment variables only and are handed straight to the client; they are
never part of an identity, a request, a cache row, a log line or a result file, and every
error text passes :func:`akb.core.secrets.scrub` (a server may echo the key back).

Failures fall into three kinds. *Retryable* (429, 408, 5xx, timeouts, a body that is not
JSON): retried with backoff, honouring ``Retry-After``; still failing, the item is left
unwritten for the next run. *Final for the item* (another 4xx such as 400): written as a
wrong answer with its error. *Final for the run* (401/403 :class:`AuthError`; 404
:class:`ModelNotFoundError`; a missing feature or a success body without what the protocol
promises, :class:`ProtocolError`): raised at once, never retried, never recorded.
"""

from __future__ import annotations

import email.utils
import os
import time
from collections.abc import Awaitable, Callable
from typing import Any, ClassVar

from pydantic import BaseModel, ConfigDict, Field, field_validator
from tenacity import (
    AsyncRetrying,
    RetryError,
    retry_if_exception,
    stop_after_attempt,
    wait_exponential_jitter,
)

from akb.core.errors import AuthError, ConfigError, ModelNotFoundError, ProtocolError
from akb.core.secrets import register_key_env, register_secret, scrub
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
    max_retry_after: float = Field(300.0, ge=0, description="longest Retry-After honoured (seconds)")
    extra_body: dict[str, Any] = Field(default_factory=dict, description="sent with every request")

    @field_validator("base_url")
    @classmethod
    def _http_url(cls, v: str | None) -> str | None:
        # Refused up front: a typo would otherwise cost every retry of every item.
        if v is None:
            return v
        from urllib.parse import urlparse

        u = urlparse(v.strip())
        if u.scheme not in ("http", "https") or not u.netloc:
            raise ValueError(f"expected an http:// or https:// URL, got {v!r}")
        return v.strip()


class RetryableError(Exception):
    """A response worth trying again (429, 5xx, timeout, malformed body)."""


def api_key(env_var: str, *, required: bool, backend: str) -> str | None:
    register_key_env(env_var)
    value = os.environ.get(env_var)
    register_secret(value)
    if not value and required:
        raise ConfigError(f"backend '{backend}' needs an API key in the environment variable {env_var}")
    return value or None


def split_system(request: ChatRequest) -> tuple[str | None, list[dict[str, str]]]:
    system = "\n\n".join(m.content for m in request.messages if m.role == "system") or None
    rest = [{"role": m.role, "content": m.content} for m in request.messages if m.role != "system"]
    return system, rest


def describe(exc: BaseException) -> str:
    """One scrubbed line naming the failure, without headers or bodies that could carry secrets."""
    status = http_status(exc)
    name = type(exc).__name__
    msg = str(exc).splitlines()[0][:200] if str(exc) else ""
    return scrub(f"{name}{f' (HTTP {status})' if status else ''}: {msg}".rstrip(": "))


def http_status(exc: BaseException) -> int | None:
    """The HTTP status an SDK error carries (openai/anthropic ``status_code``, genai ``code``)."""
    for attr in ("status_code", "code"):
        v = getattr(exc, attr, None)
        if isinstance(v, int) and 100 <= v <= 599:
            return v
    return None


def retry_after_seconds(exc: BaseException | None) -> float | None:
    """What a ``Retry-After`` (or ``retry-after-ms``) header on the failed response asked for."""
    resp = getattr(exc, "response", None)
    headers = getattr(resp, "headers", None)
    if headers is None:
        return None
    try:
        ms = headers.get("retry-after-ms")
        if ms is not None:
            return max(0.0, float(ms) / 1000)
        value = headers.get("retry-after")
    except Exception:  # noqa: BLE001 - an odd header object: no hint
        return None
    if value is None:
        return None
    value = str(value).strip()
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, when.timestamp() - time.time())


class wait_retry_after:  # noqa: N801 - a tenacity wait, named like tenacity's own
    """Wait what the server's ``Retry-After`` asked (at most ``cap`` seconds), else ``fallback``."""

    def __init__(self, fallback: Callable[[Any], float], cap: float) -> None:
        self.fallback = fallback
        self.cap = cap

    def __call__(self, retry_state: Any) -> float:
        exc = retry_state.outcome.exception() if retry_state.outcome else None
        asked = retry_after_seconds(exc)
        if asked is not None:
            return min(asked, self.cap)
        return float(self.fallback(retry_state))


def run_failure(exc: BaseException, label: str) -> ProtocolError | AuthError | None:
    """The run-stopping failure ``exc`` stands for, if it is one (401/403, 404)."""
    if isinstance(exc, (AuthError, ProtocolError)):
        return exc
    status = http_status(exc)
    if status in (401, 403):
        return AuthError(f"{label}: the server refused the credentials (HTTP {status}); check the API key "
                         f"({describe(exc)})")
    if status == 404:
        return ModelNotFoundError(f"{label}: not found on the server (HTTP 404): wrong model name or base URL "
                                  f"({describe(exc)})")
    return None


async def call_with_retries(
    call: Callable[[], Awaitable[Response]],
    *,
    opts: APIOptions,
    retryable: Callable[[BaseException], bool],
    label: str = "the API",
) -> Response:
    """Run ``call`` with exponential backoff on retryable errors (waiting what ``Retry-After``
    asks, when the server says).

    Returns the response, or a Response whose ``error`` says what failed. ``error`` starting
    with "retryable" means the item should be tried again on a later run; any other error is
    final for the item (a 400 will not fix itself). Failures that doom the whole run
    (:func:`run_failure`) are raised: :class:`AuthError` or :class:`ProtocolError`.
    """
    t0 = time.perf_counter()

    def should_retry(e: BaseException) -> bool:
        if run_failure(e, label) is not None:
            return False
        return isinstance(e, RetryableError) or retryable(e)

    try:
        async for attempt in AsyncRetrying(
            stop=stop_after_attempt(opts.max_retries + 1),
            wait=wait_retry_after(wait_exponential_jitter(initial=opts.retry_initial_wait, max=opts.retry_max_wait),
                                  cap=opts.max_retry_after),
            retry=retry_if_exception(should_retry),
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
        stop = run_failure(e, label)
        if stop is not None:
            if stop is not e:
                raise stop from None
            raise
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

    @property
    def label(self) -> str:
        """How errors name this backend: ``openai:MODEL at URL``."""
        where = f" at {self.opts.base_url}" if self.opts.base_url else ""
        return f"{self.name}:{self.model}{where}"
