"""A trained DeSTA model behind the backend interface every evaluation uses.

Each request carries its clip (:class:`~akb.models.base.AudioRef`); the backend loads it,
adds Whisper's transcript (empty where Whisper hears no speech, or with no ASR) and
decodes greedily. The transcript comes back in ``Response.meta``. A clip that cannot be
read fails its request as retryable: its item is not recorded and the next run tries it
again.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, ClassVar

from akb.audio.io import AudioError, load_audio
from akb.core.errors import ConfigError, ErrorKind
from akb.models.base import BaseBackend, ChatRequest, Response


class DestaBackend(BaseBackend):
    name: ClassVar[str] = "desta"

    def __init__(self, model: Any, *, asr: Any = None, identity: dict[str, Any], batch_size: int = 8) -> None:
        self.model = model
        self.asr = asr
        self._identity = identity
        self._batch_size = batch_size
        model.eval()

    def identity(self) -> dict[str, Any]:
        return self._identity

    def generate(self, requests: Sequence[ChatRequest]) -> list[Response]:
        from akb.lalm.processor import SAMPLING_RATE

        out: list[Response | None] = [None] * len(requests)
        ok: list[int] = []
        waves = []
        for i, r in enumerate(requests):
            if r.audio is None:
                raise ConfigError("the desta backend answers questions about a clip: the request has no audio")
            try:
                waves.append(load_audio(r.audio.path, sr=SAMPLING_RATE)[0])
                ok.append(i)
            except AudioError as e:
                out[i] = Response(error=f"retryable: {e}", error_kind=ErrorKind.RETRYABLE)
        if ok:
            texts = self.asr.transcribe(waves) if self.asr is not None else [""] * len(ok)
            proc = self.model.processor
            enc = [proc.encode([m.model_dump() for m in requests[i].messages], t) for i, t in zip(ok, texts, strict=True)]
            preds = self.model.generate(proc.collate(enc, waves), max_new_tokens=max(requests[i].max_tokens for i in ok))
            for i, text, transcript in zip(ok, preds, texts, strict=True):
                out[i] = Response(text=text, meta={"transcript": transcript})
        return [r if r is not None else Response(error="final: not answered") for r in out]
