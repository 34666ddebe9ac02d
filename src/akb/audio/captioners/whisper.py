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

    def _windows(self, x: np.ndarray, n: int) -> list[np.ndarray]:
        return [x[i : i + n] for i in range(0, max(1, len(x)), n)] if len(x) > n else [x]

    def caption(self, clips: Sequence[Clip]) -> list[CaptionResult]:
        torch, _ = import_torch_transformers()
        model, proc = self._load()
        fe = proc.feature_extractor
        sr, window = int(fe.sampling_rate), int(fe.n_samples)
        results: list[CaptionResult | None] = [None] * len(clips)
        pieces: list[tuple[int, np.ndarray]] = []  # (clip index, window of samples)
        for i, c in enumerate(clips):
            try:
                x, _ = c.load(sr=sr)
            except AudioError as e:
                results[i] = CaptionFailure(str(e))
                continue
            pieces.extend((i, w) for w in self._windows(x, window))
        texts: dict[int, list[str]] = {}
        langs: dict[int, list[str]] = {}
        # room for the start, language, task and timestamp tokens within the decoder's positions
        limit = int(getattr(model.config, "max_target_positions", 448)) - 8
        id_to_lang = {v: k.strip("<|>") for k, v in (getattr(model.generation_config, "lang_to_id", None) or {}).items()}
        for s in range(0, len(pieces), max(1, self.batch_size)):
            chunk = pieces[s : s + self.batch_size]
            feats = proc.feature_extractor([w for _, w in chunk], sampling_rate=sr, return_tensors="pt",
                                           return_attention_mask=True)
            kw: dict[str, Any] = {"task": self.opts.task, "num_beams": self.opts.num_beams,
                                  "max_new_tokens": min(self.opts.max_new_tokens, limit), "return_dict_in_generate": True}
            if self.opts.language:
                kw["language"] = self.opts.language
            with torch.inference_mode():
                out = model.generate(feats.input_features.to(model.device, model.dtype),
                                     attention_mask=feats.attention_mask.to(model.device), **kw)
            seqs = out.sequences if hasattr(out, "sequences") else out
            for (i, _), seq in zip(chunk, seqs, strict=True):
                ids = seq.tolist()
                texts.setdefault(i, []).append(proc.tokenizer.decode(ids, skip_special_tokens=True).strip())
                lang = next((id_to_lang[t] for t in ids if t in id_to_lang), None)
                if lang:
                    langs.setdefault(i, []).append(lang)
        for i in range(len(clips)):
            if results[i] is not None:
                continue
            text = " ".join(t for t in texts.get(i, []) if t)
            lang = self.opts.language or (max(set(langs[i]), key=langs[i].count) if langs.get(i) else None)
            tag = f" (language: {lang})" if lang else ""
            results[i] = f"\"{text}\"{tag}" if text else f"No speech recognised{tag}."
        return [r if r is not None else CaptionFailure("not captioned") for r in results]
