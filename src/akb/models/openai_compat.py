"""Any OpenAI-compatible chat endpoint: OpenAI, ``vllm serve``, SGLang, llama.cpp, Ollama.

``--base-url`` points it at a server; a local server needs no key. In logprob mode the
backend asks for the first generated token's top log-probabilities (``max_tokens=1``,
``top_logprobs=20``) and reads the option letters from them; letters outside the top 20
get ``-inf``. Servers that do not return log-probabilities are reported, not guessed.
"""

from __future__ import annotations

import json
import math
from collections.abc import Sequence
from typing import Any, ClassVar

from pydantic import ConfigDict

from akb.core.errors import (
    ConfigError,
    MalformedResponseError,
    MissingDependencyError,
    UnsupportedFeatureError,
)
from akb.models._api import (
    APIBackend,
    APIOptions,
    RetryableError,
    call_with_retries,
    is_retryable_status,
)
from akb.models.base import ChatRequest, Response

OPENAI_URL = "https://api.openai.com/v1"


class OpenAIOptions(APIOptions):
    model_config = ConfigDict(extra="forbid")
    api_key_env: str | None = None  # default: OPENAI_API_KEY, required only for api.openai.com
    top_logprobs: int = 20


class OpenAIBackend(APIBackend):
    name: ClassVar[str] = "openai"
    supports_logprobs: ClassVar[bool] = True

    options_cls: ClassVar[type[APIOptions]] = OpenAIOptions
    opts: OpenAIOptions
    default_key_env: ClassVar[str] = "OPENAI_API_KEY"

    def __init__(self, model: str, options: APIOptions | None = None) -> None:
        super().__init__(model, options)
        self._key = self._key or "EMPTY"  # local servers take any key

    @property
    def base_url(self) -> str:
        return (self.opts.base_url or OPENAI_URL).rstrip("/")

    def key_required(self) -> bool:
        return self.base_url == OPENAI_URL  # only OpenAI itself insists on a key

    def identity(self) -> dict[str, Any]:
        return {**super().identity(), "base_url": self.base_url}

    def _get_client(self) -> Any:
        if self._client is None:
            try:
                import openai
            except ImportError:
                raise MissingDependencyError("openai", "api", "the openai backend") from None
            self._client = openai.AsyncOpenAI(
                api_key=self._key, base_url=self.base_url, timeout=self.opts.timeout, max_retries=0
            )
        return self._client

    @staticmethod
    def _retryable(e: BaseException) -> bool:
        import openai

        if isinstance(e, (openai.APITimeoutError, openai.APIConnectionError, json.JSONDecodeError)):
            return True
        if isinstance(e, openai.APIResponseValidationError):
            return True
        if isinstance(e, openai.APIStatusError):
            return is_retryable_status(e.status_code)
        return False

    def _params(self, req: ChatRequest) -> dict[str, Any]:
        params: dict[str, Any] = {
            "model": self.model,
            "messages": [m.model_dump() for m in req.messages],
            "max_tokens": req.max_tokens,
            "temperature": req.temperature,
        }
        if req.top_p is not None:
            params["top_p"] = req.top_p
        if req.seed is not None:
            params["seed"] = req.seed
        if req.stop:
            params["stop"] = req.stop
        if self.opts.extra_body:
            params["extra_body"] = self.opts.extra_body
        return params

    async def _create(self, params: dict[str, Any]) -> Any:
        completion = await self._get_client().chat.completions.create(**params)
        if isinstance(completion, (str, bytes)):
            raise RetryableError("malformed response body (not a JSON object)")
        choices = getattr(completion, "choices", None)
        if not isinstance(choices, list) or not choices:
            raise MalformedResponseError(f"{self.label}: a success response without 'choices'")
        message = getattr(choices[0], "message", None)
        content = getattr(message, "content", None) if message is not None else None
        if message is None or not (content is None or isinstance(content, str)):
            raise MalformedResponseError(f"{self.label}: a success response whose first choice has no 'message' "
                                         "with text content")
        return completion

    async def agenerate_one(self, request: ChatRequest) -> Response:
        params = self._params(request)

        async def call() -> Response:
            c = await self._create(params)
            choice = c.choices[0]
            usage = getattr(c, "usage", None)
            return Response(
                text=(choice.message.content or "").strip(),
                prompt_tokens=getattr(usage, "prompt_tokens", None),
                completion_tokens=getattr(usage, "completion_tokens", None),
                finish_reason=choice.finish_reason,
            )

        return await call_with_retries(call, opts=self.opts, retryable=self._retryable, label=self.label)

    async def alogprob_one(self, request: ChatRequest) -> Response:
        letters = request.letters or (request.mcq.letters if request.mcq else None)
        if not letters:
            raise ConfigError("logprob mode needs the option letters in the request")
        params = self._params(request) | {"max_tokens": 1, "temperature": 0.0, "logprobs": True, "top_logprobs": self.opts.top_logprobs}

        async def call() -> Response:
            c = await self._create(params)
            choice = c.choices[0]
            content = getattr(choice.logprobs, "content", None) if choice.logprobs else None
            if not content:
                raise UnsupportedFeatureError(f"{self.label}: the server returned no log-probabilities; "
                                              "use --mode generate")
            scores = {L: -math.inf for L in letters}
            for cand in content[0].top_logprobs:
                tok = cand.token.strip().strip("()")
                if tok in scores and cand.logprob > scores[tok]:
                    scores[tok] = cand.logprob
            best = max(scores, key=lambda k: scores[k])
            return Response(text=best if scores[best] > -math.inf else "", letter_logprobs=scores, finish_reason="logprob")

        return await call_with_retries(call, opts=self.opts, retryable=self._retryable, label=self.label)

    def letter_logprobs(self, requests: Sequence[ChatRequest]) -> list[Response]:
        return self.gather(self.alogprob_one, requests)

    async def aclose(self) -> None:
        if self._client is not None:
            await self._client.close()
            self._client = None
