"""``api:gemini:MODEL`` or ``api:openai:MODEL``: an audio-capable API describes the clip.

Gemini gets the clip as inline ``audio/wav`` data next to the prompt; OpenAI (e.g.
``gpt-4o-audio-preview``, or any OpenAI-compatible server with ``base_url``) gets an
``input_audio`` part. The clip is sent as 16-bit mono WAV at ``sample_rate``. Keys, retries,
timeouts and concurrency are the text backends' own (``akb.models.gemini``,
``akb.models.openai_compat``): the key comes from ``GEMINI_API_KEY`` / ``OPENAI_API_KEY``
(or ``api_key_env``) and never reaches an identity, a cache row or a result file. A clip
whose request still fails after the retries fails alone and is tried again next run.
"""

from __future__ import annotations

import asyncio
import base64
import io
from collections.abc import Sequence
from typing import Any, ClassVar

from pydantic import BaseModel, ConfigDict, Field

from akb.audio.captioners.base import BaseCaptioner, CaptionFailure, CaptionResult, options_for
from akb.audio.clip import Clip
from akb.audio.io import AudioError
from akb.core.errors import ConfigError
from akb.models._api import RetryableError, call_with_retries
from akb.models.base import Response
from akb.models.spec import ModelConfig

DEFAULT_PROMPT = (
    "Describe this audio clip in detail for someone who cannot hear it: the sound sources and "
    "events in order, any speech (transcribe it, and describe the voices, emotion and speaking "
    "rate), any music (instruments, genre, tempo, key, mood) and the recording quality (noise, "
    "reverberation, distortion). State only what you hear."
)
PROVIDERS = ("gemini", "openai")


class APICaptionOptions(BaseModel):
    model_config = ConfigDict(extra="forbid")
    prompt: str = DEFAULT_PROMPT
    max_tokens: int = Field(512, ge=1)
    temperature: float = Field(0.0, ge=0)
    sample_rate: int = 16_000


def wav_bytes(x: Any, sr: int) -> bytes:
    import soundfile as sf

    buf = io.BytesIO()
    sf.write(buf, x, sr, format="WAV", subtype="PCM_16")
    return buf.getvalue()


class APICaptioner(BaseCaptioner):
    name: ClassVar[str] = "api"
    label: ClassVar[str] = "Audio description"

    def __init__(self, provider: str, model: str, options: dict[str, Any] | None = None) -> None:
        if provider not in PROVIDERS:
            raise ConfigError(f"api captioner: provider must be one of {', '.join(PROVIDERS)} (api:gemini:MODEL), got {provider!r}")
        if not model:
            raise ConfigError(f"api captioner needs a model: api:{provider}:MODEL")
        opts = dict(options or {})
        mine = {k: opts.pop(k) for k in list(opts) if k in APICaptionOptions.model_fields}
        self.opts = options_for(APICaptionOptions, "api", mine)
        from akb.models.registry import create_backend

        # The text backend supplies the client, key handling and retry rules.
        self.backend: Any = create_backend(ModelConfig(backend=provider, model=model, options=opts))
        self.provider, self.model = provider, model
        self.batch_size = max(1, int(getattr(self.backend, "concurrency", 8))) * 4

    @classmethod
    def from_spec(cls, arg: str, options: dict[str, Any] | None = None) -> APICaptioner:
        provider, _, model = arg.partition(":")
        return cls(provider.strip().lower(), model.strip(), options)

    def identity(self) -> dict[str, Any]:
        return {"captioner": "api", "provider": self.provider, "endpoint": self.backend.identity(),
                **self.opts.model_dump()}

    async def _openai(self, wav: bytes) -> Response:
        params = {
            "model": self.model, "max_tokens": self.opts.max_tokens, "temperature": self.opts.temperature,
            "messages": [{"role": "user", "content": [
                {"type": "text", "text": self.opts.prompt},
                {"type": "input_audio", "input_audio": {"data": base64.b64encode(wav).decode(), "format": "wav"}},
            ]}],
        }
        if self.backend.opts.extra_body:
            params["extra_body"] = self.backend.opts.extra_body
        c = await self.backend._create(params)
        return Response(text=(c.choices[0].message.content or "").strip(), finish_reason=c.choices[0].finish_reason)

    async def _gemini(self, wav: bytes) -> Response:
        from google.genai import types

        contents = [types.Content(role="user", parts=[types.Part.from_bytes(data=wav, mime_type="audio/wav"),
                                                      types.Part(text=self.opts.prompt)])]
        config = types.GenerateContentConfig(temperature=self.opts.temperature, max_output_tokens=self.opts.max_tokens)
        r = await self.backend._get_client().aio.models.generate_content(model=self.model, contents=contents, config=config)
        if not getattr(r, "candidates", None):
            raise RetryableError("malformed response (no candidates)")
        return Response(text=(r.text or "").strip())

    async def _all(self, wavs: list[bytes]) -> list[Response]:
        sem = asyncio.Semaphore(max(1, int(self.backend.concurrency)))
        fn = self._openai if self.provider == "openai" else self._gemini

        async def one(w: bytes) -> Response:
            async with sem:
                return await call_with_retries(lambda: fn(w), opts=self.backend.opts, retryable=self.backend._retryable,
                                              label=self.backend.label)

        try:
            return list(await asyncio.gather(*(one(w) for w in wavs)))
        finally:
            await self.backend.aclose()

    def caption(self, clips: Sequence[Clip]) -> list[CaptionResult]:
        results: list[CaptionResult | None] = [None] * len(clips)
        todo: list[tuple[int, bytes]] = []
        for i, c in enumerate(clips):
            try:
                x, sr = c.load(sr=self.opts.sample_rate)
                todo.append((i, wav_bytes(x, sr)))
            except AudioError as e:
                results[i] = CaptionFailure(str(e))
        if todo:
            for (i, _), r in zip(todo, asyncio.run(self._all([w for _, w in todo])), strict=True):
                if r.error:
                    results[i] = CaptionFailure(f"{self.provider}:{self.model}: {r.error}", retryable=r.error.startswith("retryable"))
                else:
                    results[i] = r.text or CaptionFailure("the API returned an empty caption")
        return [r if r is not None else CaptionFailure("not captioned") for r in results]

    def close(self) -> None:
        self.backend.close()
