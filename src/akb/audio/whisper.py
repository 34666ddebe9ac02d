"""Whisper transcripts for inference: the text DeSTA appends after the audio vectors.

Speech presence is Whisper's own no-speech test: the probability of the no-speech token
right after ``<|startoftranscript|>`` (the token before ``<|notimestamps|>`` in every Whisper
vocabulary). Above ``no_speech_threshold`` the clip gets an empty transcript; otherwise
Whisper transcribes it (greedy, short-form: the first 30 s).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import torch

from akb.audio.io import DEFAULT_SR as SAMPLING_RATE
from akb.core.errors import BackendError


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
            feats = self._features(waves[i:i + self.batch_size])
            speech = (self.no_speech_prob(feats) <= self.no_speech_threshold).tolist()
            texts = [""] * len(speech)
            idx = [j for j, s in enumerate(speech) if s]
            if idx:
                kwargs: dict[str, Any] = {"max_new_tokens": self.max_new_tokens}
                if self.language:
                    kwargs.update(language=self.language, task="transcribe")
                ids = self.model.generate(input_features=feats[idx], **kwargs)
                for j, text in zip(idx, self.tokenizer.batch_decode(ids, skip_special_tokens=True), strict=True):
                    texts[j] = text.strip()
            out += texts
        return out
