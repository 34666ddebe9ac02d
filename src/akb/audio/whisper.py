"""Whisper transcription, the one implementation akb has: :func:`transcribe` decodes clips
for both audio evaluations, the cascade's ``whisper`` captioner and the transcripts a DeSTA
model reads after its audio vectors (:class:`WhisperASR`), so both see the same words.

:func:`transcribe` decodes in batches (greedy unless ``num_beams``); a clip longer than the
model's window (30 s) is transcribed window by window and joined; the language is detected
per clip unless given. :class:`WhisperASR` first applies Whisper's own no-speech test: the
probability of the no-speech token right after ``<|startoftranscript|>`` (the token before
``<|notimestamps|>`` in every Whisper vocabulary); above ``no_speech_threshold`` the clip
gets an empty transcript.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import torch

from akb.audio.io import DEFAULT_SR as SAMPLING_RATE
from akb.core.errors import BackendError


def transcribe(model: Any, feature_extractor: Any, tokenizer: Any, waves: Sequence[np.ndarray], *,
               language: str | None = None, task: str = "transcribe", num_beams: int = 1, max_new_tokens: int = 440,
               batch_size: int = 8) -> list[tuple[str, str | None]]:
    """(text, detected language or None) per clip, for 16 kHz mono samples."""
    sr, window = int(feature_extractor.sampling_rate), int(feature_extractor.n_samples)
    pieces: list[tuple[int, np.ndarray]] = []  # (clip index, window of samples)
    for i, x in enumerate(waves):
        pieces.extend((i, x[s:s + window]) for s in (range(0, len(x), window) if len(x) > window else [0]))
    texts: dict[int, list[str]] = {}
    langs: dict[int, list[str]] = {}
    # room for the start, language, task and timestamp tokens within the decoder's positions
    limit = int(getattr(model.config, "max_target_positions", 448)) - 8
    id_to_lang = {v: k.strip("<|>") for k, v in (getattr(model.generation_config, "lang_to_id", None) or {}).items()}
    for s in range(0, len(pieces), max(1, batch_size)):
        chunk = pieces[s:s + batch_size]
        feats = feature_extractor([w for _, w in chunk], sampling_rate=sr, return_tensors="pt", return_attention_mask=True)
        kw: dict[str, Any] = {"num_beams": num_beams, "max_new_tokens": min(max_new_tokens, limit),
                              "return_dict_in_generate": True}
        if id_to_lang:  # multilingual checkpoints take a task and a language
            kw["task"] = task
            if language:
                kw["language"] = language
        with torch.inference_mode():
            out = model.generate(feats.input_features.to(model.device, model.dtype),
                                 attention_mask=feats.attention_mask.to(model.device), **kw)
        seqs = out.sequences if hasattr(out, "sequences") else out
        for (i, _), seq in zip(chunk, seqs, strict=True):
            ids = seq.tolist()
            texts.setdefault(i, []).append(tokenizer.decode(ids, skip_special_tokens=True).strip())
            lang = next((id_to_lang[t] for t in ids if t in id_to_lang), None)
            if lang:
                langs.setdefault(i, []).append(lang)
    return [(" ".join(t for t in texts.get(i, []) if t),
             language or (max(set(langs[i]), key=langs[i].count) if langs.get(i) else None)) for i in range(len(waves))]


class WhisperASR:
    def __init__(self, model: str, *, device: str | torch.device | None = None, dtype: str = "auto",
                 language: str | None = "en", no_speech_threshold: float = 0.6, max_new_tokens: int = 128,
                 batch_size: int = 16, whisper: Any = None, tokenizer: Any = None, feature_extractor: Any = None) -> None:
        from transformers import (
            AutoTokenizer,
            WhisperFeatureExtractor,
            WhisperForConditionalGeneration,
        )

        self.name = model
        self.device = torch.device(device) if device is not None else torch.device("cuda" if torch.cuda.is_available() else "cpu")
        torch_dtype = (torch.float16 if self.device.type == "cuda" else torch.float32) if dtype == "auto" else getattr(torch, dtype)
        try:
            self.feature_extractor = feature_extractor or WhisperFeatureExtractor.from_pretrained(model)
            self.tokenizer = tokenizer or AutoTokenizer.from_pretrained(model)
            self.model = whisper or WhisperForConditionalGeneration.from_pretrained(model, dtype=torch_dtype)
        except OSError as e:
            raise BackendError(f"cannot load the Whisper ASR model {model!r}: {str(e).splitlines()[0]}") from None
        self.model = self.model.to(self.device).eval()  # type: ignore[arg-type]  # transformers' stub of .to
        gen = self.model.generation_config
        self.start_id = int(gen.decoder_start_token_id)
        no_ts = getattr(gen, "no_timestamps_token_id", None)
        if no_ts is None:
            raise BackendError(f"{model!r}: the generation config has no no_timestamps_token_id; not a Whisper checkpoint?")
        self.no_speech_id = int(no_ts) - 1
        self.language = language if getattr(gen, "lang_to_id", None) else None
        self.no_speech_threshold = no_speech_threshold
        self.max_new_tokens = max_new_tokens
        self.batch_size = batch_size

    def identity(self) -> dict[str, Any]:
        return {"asr": self.name, "language": self.language, "no_speech_threshold": self.no_speech_threshold,
                "max_new_tokens": self.max_new_tokens}

    def _features(self, waves: list[np.ndarray]) -> torch.Tensor:
        out = self.feature_extractor(waves, sampling_rate=SAMPLING_RATE, return_tensors="np")
        dtype = next(self.model.parameters()).dtype
        return torch.from_numpy(np.asarray(out["input_features"])).to(self.device, dtype)

    @torch.no_grad()
    def no_speech_prob(self, features: torch.Tensor) -> torch.Tensor:
        start = torch.full((features.shape[0], 1), self.start_id, dtype=torch.long, device=self.device)
        logits = self.model(input_features=features, decoder_input_ids=start).logits[:, 0].float()
        return torch.softmax(logits, dim=-1)[:, self.no_speech_id]

    @torch.no_grad()
    def transcribe(self, waves: list[np.ndarray]) -> list[str]:
        """One transcript per clip; empty where Whisper hears no speech."""
        out: list[str] = []
        for i in range(0, len(waves), self.batch_size):
            batch = waves[i:i + self.batch_size]
            speech = (self.no_speech_prob(self._features(batch)) <= self.no_speech_threshold).tolist()
            texts = [""] * len(speech)
            idx = [j for j, s in enumerate(speech) if s]
            if idx:
                done = transcribe(self.model, self.feature_extractor, self.tokenizer, [batch[j] for j in idx],
                                  language=self.language, max_new_tokens=self.max_new_tokens, batch_size=self.batch_size)
                for j, (text, _) in zip(idx, done, strict=True):
                    texts[j] = text
            out += texts
        return out
