"""Turning (chat, clip, transcript, response) into model inputs.

The chat is rendered with the LLM's own chat template. The audio locator in the user turn
becomes ``<start_audio>`` + one slot per learned query + the transcript's tokens +
``<end_audio>``; the model writes the connector's vectors into the slots, and the
transcript is embedded by the frozen LLM like any text. In training the response and the
end-of-sequence token follow the generation prompt and are the only positions with a loss.

Batches are left-padded, so every row's response ends at the last position and the LLM
needs logits only for the last few positions.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from akb.core.errors import ConfigError
from akb.lalm.config import DestaConfig

IGNORE = -100
SAMPLING_RATE = 16_000


@dataclass
class Encoded:
    input_ids: list[int]
    audio_mask: list[bool]
    labels: list[int] | None = None


class DestaProcessor:
    def __init__(self, tokenizer: Any, feature_extractor: Any, config: DestaConfig) -> None:
        if not getattr(tokenizer, "chat_template", None):
            raise ConfigError(f"the LLM {config.llm!r} has no chat template; DeSTA needs an instruction-tuned "
                              "LLM whose tokenizer carries one")
        self.tokenizer = tokenizer
        self.feature_extractor = feature_extractor
        self.config = config
        pad = tokenizer.pad_token_id if tokenizer.pad_token_id is not None else tokenizer.eos_token_id
        if pad is None:
            raise ConfigError(f"the tokenizer of {config.llm!r} has neither a pad nor an eos token")
        self.pad_id = int(pad)
        if tokenizer.eos_token_id is None:
            raise ConfigError(f"the tokenizer of {config.llm!r} has no eos token to end responses with")
        self.eos_id = int(tokenizer.eos_token_id)

    @property
    def n_audio(self) -> int:
        return self.config.queries

    def _ids(self, text: str) -> list[int]:
        return list(self.tokenizer(text, add_special_tokens=False)["input_ids"]) if text else []

    def render(self, chat: list[dict[str, str]]) -> str:
        text: str = self.tokenizer.apply_chat_template(chat, tokenize=False, add_generation_prompt=True)
        return text

    def encode(self, chat: list[dict[str, str]], transcript: str = "", response: str | None = None,
               max_response_tokens: int | None = None) -> Encoded:
        loc = self.config.audio_locator
        text = self.render(chat)
        if text.count(loc) != 1:
            raise ConfigError(f"the prompt must hold the audio locator {loc!r} exactly once, found {text.count(loc)}")
        before, after = text.split(loc)
        head = self._ids(before + self.config.audio_start)
        trans = self._ids(transcript.strip())
        tail = self._ids(self.config.audio_end + after)
        ids = head + [self.pad_id] * self.n_audio + trans + tail
        mask = [False] * len(head) + [True] * self.n_audio + [False] * (len(trans) + len(tail))
        if response is None:
            return Encoded(ids, mask)
        resp = self._ids(response)
        if max_response_tokens is not None:
            resp = resp[:max_response_tokens]
        resp.append(self.eos_id)
        return Encoded(ids + resp, mask + [False] * len(resp), [IGNORE] * len(ids) + resp)

    def features(self, audios: list[np.ndarray]) -> Any:
        """Log-mel features, padded (or cut) to the encoder's window: (batch, mels, frames)."""
        import torch

        out = self.feature_extractor(audios, sampling_rate=SAMPLING_RATE, return_tensors="np",
                                     padding="max_length", truncation=True)
        return torch.from_numpy(np.asarray(out["input_features"], dtype=np.float32))

    def collate(self, encoded: list[Encoded], audios: list[np.ndarray]) -> dict[str, Any]:
        """Left-padded tensors: input_ids, attention_mask, audio_mask, input_features[, labels]."""
        import torch

        n = max(len(e.input_ids) for e in encoded)
        ids = torch.full((len(encoded), n), self.pad_id, dtype=torch.long)
        att = torch.zeros((len(encoded), n), dtype=torch.long)
        amask = torch.zeros((len(encoded), n), dtype=torch.bool)
        with_labels = all(e.labels is not None for e in encoded)
        labels = torch.full((len(encoded), n), IGNORE, dtype=torch.long)
        for i, e in enumerate(encoded):
            k = len(e.input_ids)
            ids[i, n - k:] = torch.tensor(e.input_ids)
            att[i, n - k:] = 1
            amask[i, n - k:] = torch.tensor(e.audio_mask)
            if with_labels and e.labels is not None:
                labels[i, n - k:] = torch.tensor(e.labels)
        batch = {"input_ids": ids, "attention_mask": att, "audio_mask": amask, "input_features": self.features(audios)}
        if with_labels:
            batch["labels"] = labels
        return batch

    def eos_ids(self, generation_config: Any = None) -> list[int]:
        """Tokens that end an answer: the tokenizer's eos plus the model's generation eos ids."""
        ids = {self.eos_id}
        extra = getattr(generation_config, "eos_token_id", None) if generation_config is not None else None
        if isinstance(extra, int):
            ids.add(extra)
        elif isinstance(extra, list | tuple):
            ids.update(int(x) for x in extra)
        return sorted(ids)
