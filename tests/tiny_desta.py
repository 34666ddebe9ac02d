"""A tiny DeSTA world built offline: synthetic clips with known classes, a tiny Whisper and a
tiny Llama (tokenizer trained here) that first learns, from text alone, to answer about a
clip from its seed description. The builders live in :mod:`akb.lalm.tiny`; this module
holds the test's clips, instructions and text examples.

Sound classes (1 s at 16 kHz, ground truth computed, never guessed):
  hum      a low sine (110-190 Hz)        beep     a high sine (2-3 kHz)
  hiss     white noise                    ticking  a click train (6-12 clicks/s)
"""

from __future__ import annotations

import random
from pathlib import Path
from typing import Any

import numpy as np

from akb.lalm import tiny
from akb.lalm.config import DEFAULT_SYSTEM_PROMPT
from akb.lalm.data import ClipMeta, generation_messages, seed_description
from akb.lalm.infer import EVAL_SYSTEM_PROMPT

SR = 16_000
CLASSES = ("hum", "beep", "hiss", "ticking")
DESCRIBE = ("Describe the audio.", "What can you hear?")
QUESTION = "Which sound is in the clip?"


def clip(kind: str, rng: np.random.Generator) -> np.ndarray:
    t = np.arange(SR) / SR
    amp = rng.uniform(0.3, 0.7)
    if kind == "hum":
        x = np.sin(2 * np.pi * rng.uniform(110, 190) * t + rng.uniform(0, 6.28))
    elif kind == "beep":
        x = np.sin(2 * np.pi * rng.uniform(2000, 3000) * t + rng.uniform(0, 6.28))
    elif kind == "hiss":
        x = rng.standard_normal(SR) / 3
    else:
        x = np.zeros(SR)
        period = int(SR / rng.uniform(6, 12))
        for start in range(int(rng.integers(0, period)), SR - 40, period):
            x[start:start + 40] = np.hanning(40) * rng.choice([-1.0, 1.0])
    return (amp * x / max(1e-6, np.abs(x).max())).astype(np.float32)


def make_clips(root: Path, prefix: str, per_class: int, seed: int) -> list[dict[str, Any]]:
    """Write WAVs under ``root`` and return their metadata lines (class in ``sound_labels``)."""
    import soundfile as sf

    rng = np.random.default_rng(seed)
    rows = []
    for i in range(per_class):
        for kind in CLASSES:
            rel = f"{prefix}/{kind}_{i:03d}.wav"
            (root / rel).parent.mkdir(parents=True, exist_ok=True)
            sf.write(root / rel, clip(kind, rng), SR)
            rows.append({"audio": rel, "sound_labels": [kind], "duration": 1.0, "dataset": "tiny-synth"})
    return rows


def mcq_choices(answer: str, rng: random.Random) -> list[str]:
    c = list(CLASSES)
    rng.shuffle(c)
    return c


def mcq_text(choices: list[str]) -> str:
    opts = [f'"{c}"' for c in choices]
    return f"{QUESTION} Choose one of the following options: " + ", ".join(opts[:-1]) + f" or {opts[-1]}"


def instruction_pool(n_orders: int = 6, seed: int = 0) -> list[str]:
    """The pool the test's build-data uses: two describe prompts and MCQ prompts in several orders."""
    rng = random.Random(seed)
    return list(DESCRIBE) + [mcq_text(mcq_choices("", rng)) for _ in range(n_orders)]


def answer_for(instruction: str, label: str) -> str:
    return f"It is a {label}." if instruction in DESCRIBE else label


def text_examples(n: int, seed: int) -> list[tuple[list[dict[str, str]], str]]:
    """(chat, answer) pairs about seed descriptions, in the generation layout (default system
    prompt, ``seed\\ninstruction``) and the evaluation layout (MCQ system prompt, blank line)."""
    rng = random.Random(seed)
    pool = instruction_pool()
    out = []
    for _ in range(n):
        label = rng.choice(CLASSES)
        seed_desc = seed_description(ClipMeta(audio="x.wav", sound_labels=[label], duration=1.0))
        if rng.random() < 0.7:
            ins = rng.choice(pool + [mcq_text(mcq_choices(label, rng))])
            chat = generation_messages(seed_desc, ins, DEFAULT_SYSTEM_PROMPT)
        else:
            ins = mcq_text(mcq_choices(label, rng))
            chat = [{"role": "system", "content": EVAL_SYSTEM_PROMPT},
                    {"role": "user", "content": f"{seed_desc}\n\n{ins}"}]
        out.append((chat, answer_for(ins, label)))
    return out


def build_text_fitted_lm(path: Path, *, steps: int = 260, seed: int = 0) -> Path:
    """A tiny Llama trained briefly, text only, to answer from seed descriptions; saved to ``path``."""
    corpus = [DEFAULT_SYSTEM_PROMPT, EVAL_SYSTEM_PROMPT, "<start_audio><end_audio> [00:00-00:01]",
              *instruction_pool(), *(f"It is a {c}. ({c}) \"{c}\" {c}" for c in CLASSES)]
    return tiny.build_text_fitted_lm(path, text_examples(1200, seed), corpus=corpus * 5, steps=steps, seed=seed,
                                     max_positions=256)

