"""Answering audio questions with a trained DeSTA model, in batches.

:func:`generate_answers` is the whole public surface: items in, prediction texts out. Each
clip is loaded from the benchmark's audio root; its transcript is the one given, else
Whisper's (empty where Whisper hears no speech), else empty. The prompt is DeSTA's MMAU
prompt: the options quoted, "or" before the last, answer without explanation; decoding is
greedy.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from akb.audio.io import load_audio, resolve_in_root
from akb.audio.whisper import WhisperASR
from akb.audiobench.items import AudioItem
from akb.lalm.config import AUDIO_LOCATOR
from akb.lalm.model import DestaModel
from akb.lalm.processor import SAMPLING_RATE

EVAL_SYSTEM_PROMPT = "Focus on the audio clips and instructions. Choose one of the options without any explanation."


def mcq_question(item: AudioItem) -> str:
    """``QUESTION Choose one of the following options: "a", "b" or "c"``."""
    opts = [f'"{c}"' for c in item.choices]
    listed = ", ".join(opts[:-1]) + f" or {opts[-1]}" if len(opts) > 1 else opts[0]
    return f"{item.question} Choose one of the following options: {listed}"


def mcq_chat(item: AudioItem, system: str | None = EVAL_SYSTEM_PROMPT, locator: str = AUDIO_LOCATOR) -> list[dict[str, str]]:
    msgs = [{"role": "system", "content": system}] if system else []
    return msgs + [{"role": "user", "content": f"{locator}\n\n{mcq_question(item)}"}]


@dataclass
class Answer:
    text: str
    transcript: str


def load_clips(items: Sequence[AudioItem], audio_root: str | Path) -> list[np.ndarray]:
    return [load_audio(resolve_in_root(audio_root, it.audio), sr=SAMPLING_RATE)[0] for it in items]


def answer_batch(model: DestaModel, items: Sequence[AudioItem], waves: Sequence[np.ndarray], *,
                 transcripts: Sequence[str] | None = None, asr: WhisperASR | None = None,
                 max_new_tokens: int = 512, system: str | None = EVAL_SYSTEM_PROMPT) -> list[Answer]:
    """One batch: the clips' samples (16 kHz mono) are given, already loaded."""
    if len(waves) != len(items) or (transcripts is not None and len(transcripts) != len(items)):
        raise ValueError(f"{len(items)} items, {len(waves)} clips, {len(transcripts or [])} transcripts")
    if transcripts is not None:
        texts = [t or "" for t in transcripts]
    elif asr is not None:
        texts = asr.transcribe(list(waves))
    else:
        texts = [""] * len(items)
    proc = model.processor
    enc = [proc.encode(mcq_chat(it, system, model.config.audio_locator), t) for it, t in zip(items, texts, strict=True)]
    preds = model.generate(proc.collate(enc, list(waves)), max_new_tokens=max_new_tokens)
    return [Answer(p, t) for p, t in zip(preds, texts, strict=True)]


def answer_items(model: DestaModel, items: Sequence[AudioItem], audio_root: str | Path, *,
                 transcripts: Sequence[str] | None = None, asr: WhisperASR | None = None, batch_size: int = 8,
                 max_new_tokens: int = 512, system: str | None = EVAL_SYSTEM_PROMPT,
                 on_batch: Callable[[list[Answer]], None] | None = None) -> list[Answer]:
    """Answers with the transcripts used; ``on_batch`` sees each batch as it finishes."""
    if transcripts is not None and len(transcripts) != len(items):
        raise ValueError(f"{len(transcripts)} transcripts for {len(items)} items")
    model.eval()
    out: list[Answer] = []
    for start in range(0, len(items), batch_size):
        chunk = list(items[start:start + batch_size])
        batch = answer_batch(model, chunk, load_clips(chunk, audio_root),
                             transcripts=None if transcripts is None else transcripts[start:start + batch_size],
                             asr=asr, max_new_tokens=max_new_tokens, system=system)
        out += batch
        if on_batch is not None:
            on_batch(batch)
    return out


def generate_answers(model: DestaModel, items: Sequence[AudioItem], audio_root: str | Path, *,
                     transcripts: Sequence[str] | None = None, asr: WhisperASR | None = None, batch_size: int = 8,
                     max_new_tokens: int = 512, system: str | None = EVAL_SYSTEM_PROMPT) -> list[str]:
    """One prediction text per item, in order."""
    return [a.text for a in answer_items(model, items, audio_root, transcripts=transcripts, asr=asr,
                                         batch_size=batch_size, max_new_tokens=max_new_tokens, system=system)]
