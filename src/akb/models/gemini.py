"""Google's Gemini API through the ``google-genai`` SDK. Generative only."""

from __future__ import annotations

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


class GeminiOptions(APIOptions):
    model_config = ConfigDict(extra="forbid")
    api_key_env: str | None = "GEMINI_API_KEY"


class GeminiBackend(APIBackend):
    name: ClassVar[str] = "gemini"
    supports_logprobs: ClassVar[bool] = False

    options_cls: ClassVar[type[APIOptions]] = GeminiOptions
    default_key_env: ClassVar[str] = "GEMINI_API_KEY"

    def _get_client(self) -> Any:
        if self._client is None:
            try:
                from google import genai
                from google.genai import types
            except ImportError:
                raise MissingDependencyError("google-genai", "api", "the gemini backend") from None
            http = types.HttpOptions(base_url=self.opts.base_url, timeout=int(self.opts.timeout * 1000))
            self._client = genai.Client(api_key=self._key, http_options=http)
        return self._client

    @staticmethod
    def _retryable(e: BaseException) -> bool:
        import httpx
        from google.genai import errors

        if isinstance(e, errors.APIError):
            return is_retryable_status(getattr(e, "code", None))
        # asyncio's TimeoutError: google-genai's async client uses aiohttp whenever aiohttp is
        # installed (lm-eval and inspect_ai pull it in), and aiohttp times out that way.
        transient: tuple[type[BaseException], ...] = (httpx.TimeoutException, httpx.TransportError, ValueError,
                                                      TimeoutError)
        try:  # newer google-genai sends through httpx2, whose errors are not httpx's
            import httpx2

            transient += (httpx2.TimeoutException, httpx2.TransportError)
        except ImportError:
            pass
        try:
            import aiohttp

            transient += (aiohttp.ClientConnectionError, aiohttp.ClientPayloadError)
        except ImportError:
            pass
        return isinstance(e, transient)

    async def agenerate_one(self, request: ChatRequest) -> Response:
        from google.genai import types

        system, messages = split_system(request)
        contents = [
            types.Content(role="model" if m["role"] == "assistant" else "user", parts=[types.Part(text=m["content"])])
            for m in messages
        ]
        config = types.GenerateContentConfig(
            system_instruction=system,
            temperature=request.temperature,
            max_output_tokens=request.max_tokens,
            top_p=request.top_p,
            stop_sequences=request.stop,
            seed=request.seed,
        )

        async def call() -> Response:
            r = await self._get_client().aio.models.generate_content(model=self.model, contents=contents, config=config)
            usage = getattr(r, "usage_metadata", None)
            finish = None
            if getattr(r, "candidates", None):
                fr = r.candidates[0].finish_reason
                finish = getattr(fr, "value", fr)
            return Response(
                text=(r.text or "").strip(),
                prompt_tokens=getattr(usage, "prompt_token_count", None),
                completion_tokens=getattr(usage, "candidates_token_count", None),
                finish_reason=str(finish) if finish else None,
            )

        return await call_with_retries(call, opts=self.opts, retryable=self._retryable, label=self.label)

    async def aclose(self) -> None:
        if self._client is not None:
            try:
                await self._client.aio.aclose()
            except AttributeError:
                pass
            self._client = None
