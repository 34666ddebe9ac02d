"""Anthropic's Messages API (Claude). Generative only: the letter is parsed from the reply."""

from __future__ import annotations

import inspect
import json
from typing import Any, ClassVar

from pydantic import ConfigDict

from akb.core.errors import MissingDependencyError
from akb.models._api import (
    APIBackend,
    APIOptions,
    call_with_retries,
    is_retryable_status,
    split_system,
)
from akb.models.base import ChatRequest, Response


class AnthropicOptions(APIOptions):
    model_config = ConfigDict(extra="forbid")
    api_key_env: str | None = "ANTHROPIC_API_KEY"


class AnthropicBackend(APIBackend):
    name: ClassVar[str] = "anthropic"
    supports_logprobs: ClassVar[bool] = False

    options_cls: ClassVar[type[APIOptions]] = AnthropicOptions
    default_key_env: ClassVar[str] = "ANTHROPIC_API_KEY"

    def __init__(self, model: str, options: APIOptions | None = None) -> None:
        super().__init__(model, options)
        self._sampling: set[str] = set()

    def _get_client(self) -> Any:
        if self._client is None:
            try:
                import anthropic
            except ImportError:
                raise MissingDependencyError("anthropic", "api", "the anthropic backend") from None
            self._client = anthropic.AsyncAnthropic(
                api_key=self._key, base_url=self.opts.base_url, timeout=self.opts.timeout, max_retries=0
            )
            # Anthropic deprecated temperature/top_p (newer models answer 400) and newer SDKs
            # no longer accept them: send them only where this SDK still has them.
            accepted = inspect.signature(self._client.messages.create).parameters
            self._sampling = {p for p in ("temperature", "top_p") if p in accepted}
        return self._client

    @staticmethod
    def _retryable(e: BaseException) -> bool:
        import anthropic

        if isinstance(e, (anthropic.APITimeoutError, anthropic.APIConnectionError, anthropic.APIResponseValidationError)):
            return True
        if isinstance(e, json.JSONDecodeError):  # a malformed (e.g. truncated) body
            return True
        if isinstance(e, anthropic.APIStatusError):
            return is_retryable_status(e.status_code)
        return False

    async def agenerate_one(self, request: ChatRequest) -> Response:
        system, messages = split_system(request)
        params: dict[str, Any] = {
            "model": self.model,
            "messages": messages,
            "max_tokens": request.max_tokens,
        }
        self._get_client()
        if "temperature" in self._sampling:
            params["temperature"] = request.temperature
        if system:
            params["system"] = system
        if request.top_p is not None and "top_p" in self._sampling:
            params["top_p"] = request.top_p
        if request.stop:
            params["stop_sequences"] = request.stop
        if self.opts.extra_body:
            params["extra_body"] = self.opts.extra_body

        async def call() -> Response:
            msg = await self._get_client().messages.create(**params)
            text = "".join(getattr(b, "text", "") for b in msg.content if getattr(b, "type", "") == "text")
            return Response(
                text=text.strip(),
                prompt_tokens=msg.usage.input_tokens if msg.usage else None,
                completion_tokens=msg.usage.output_tokens if msg.usage else None,
                finish_reason=msg.stop_reason,
            )

        return await call_with_retries(call, opts=self.opts, retryable=self._retryable, label=self.label)

    async def aclose(self) -> None:
        if self._client is not None:
            await self._client.close()
            self._client = None
