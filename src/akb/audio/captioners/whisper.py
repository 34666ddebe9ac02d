"""``whisper:NAME``: a transcript (and the detected language) from any Whisper checkpoint
through transformers (``openai/whisper-large-v3``, a fine-tune, a local folder).

Clips are decoded greedily (``num_beams`` to change it) in batches; a clip longer than the
model's window (30 s) is transcribed window by window and joined. The language is
detected per clip unless ``language`` is set. An empty transcript is a valid caption
("no speech recognised"), not a failure.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, ClassVar, Literal

import numpy as np
from pydantic import ConfigDict

from akb.audio.captioners._hf import HFCaptioner, HFCaptionerOptions, import_torch_transformers
from akb.audio.captioners.base import CaptionFailure, CaptionResult
from akb.audio.clip import Clip
from akb.audio.io import AudioError


class WhisperOptions(HFCaptionerOptions):
    model_config = ConfigDict(extra="forbid")
    language: str | None = None  # e.g. "en"; None: detect per clip
    task: Literal["transcribe", "translate"] = "transcribe"
    num_beams: int = 1
    max_new_tokens: int = 440


class WhisperCaptioner(HFCaptioner):
    name: ClassVar[str] = "whisper"
    label: ClassVar[str] = "Speech transcript"
    options_cls: ClassVar[type[HFCaptionerOptions]] = WhisperOptions
    example: ClassVar[str] = "openai/whisper-large-v3"

    def identity(self) -> dict[str, Any]:
        o = self.opts
        return {"captioner": "whisper", "model": self.model_name, "revision": self._revision, "language": o.language,
                "task": o.task, "num_beams": o.num_beams, "max_new_tokens": o.max_new_tokens, "dtype": o.dtype}

    def load_model(self, tr: Any, dtype: Any, kw: dict[str, Any]) -> Any:
        return tr.AutoModelForSpeechSeq2Seq.from_pretrained(self.model_name, dtype=dtype, **kw)

    def caption(self, clips: Sequence[Clip]) -> list[CaptionResult]:
        import_torch_transformers()  # a clear error without the hf extra
        from akb.audio.whisper import transcribe

        model, proc = self._load()
        sr = int(proc.feature_extractor.sampling_rate)
        results: list[CaptionResult | None] = [None] * len(clips)
        ok: list[int] = []
        waves: list[np.ndarray] = []
        for i, c in enumerate(clips):
            try:
                waves.append(c.load(sr=sr)[0])
                ok.append(i)
            except AudioError as e:
                results[i] = CaptionFailure(str(e))
        o = self.opts
        done = transcribe(model, proc.feature_extractor, proc.tokenizer, waves, language=o.language, task=o.task,
                          num_beams=o.num_beams, max_new_tokens=o.max_new_tokens, batch_size=self.batch_size)
        for i, (text, lang) in zip(ok, done, strict=True):
            tag = f" (language: {lang})" if lang else ""
            results[i] = f"\"{text}\"{tag}" if text else f"No speech recognised{tag}."
        return [r if r is not None else CaptionFailure("not captioned") for r in results]
