"""A tiny DeSTA world built offline: synthetic clips with known classes, a tiny Whisper and a
tiny Llama (tokenizer trained here) that first learns, from text alone, to answer about a
clip from its seed description.

Sound classes (1 s at 16 kHz, ground truth computed, never guessed):
  hum      a low sine (110-190 Hz)        beep     a high sine (2-3 kHz)
  hiss     white noise                    ticking  a click train (6-12 clicks/s)
"""

from __future__ import annotations

import json
import random
from pathlib import Path
from typing import Any

import numpy as np

from akb.lalm.config import DEFAULT_SYSTEM_PROMPT
from akb.lalm.data import ClipMeta, generation_messages, seed_description
from akb.lalm.infer import EVAL_SYSTEM_PROMPT

SR = 16_000
CLASSES = ("hum", "beep", "hiss", "ticking")
DESCRIBE = ("Describe the audio.", "What can you hear?")
QUESTION = "Which sound is in the clip?"
TEMPLATE = (
    "{% for m in messages %}<|{{ m['role'] }}|>\n{{ m['content'] }}<|end|>\n{% endfor %}"
    "{% if add_generation_prompt %}<|assistant|>\n{% endif %}"
)


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


def build_tokenizer() -> Any:
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers
    from transformers import PreTrainedTokenizerFast

    corpus = [DEFAULT_SYSTEM_PROMPT, EVAL_SYSTEM_PROMPT, "<start_audio><end_audio> [00:00-00:01]",
              *instruction_pool(), *(f"It is a {c}. ({c}) \"{c}\" {c}" for c in CLASSES)]
    tok = Tokenizer(models.BPE(unk_token=None))
    tok.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    tok.decoder = decoders.ByteLevel()
    specials = ["<|bos|>", "<|eos|>", "<|pad|>", "<|system|>", "<|user|>", "<|assistant|>", "<|end|>"]
    trainer = trainers.BpeTrainer(vocab_size=420, special_tokens=specials,
                                  initial_alphabet=pre_tokenizers.ByteLevel.alphabet())
    tok.train_from_iterator(corpus * 5, trainer=trainer)
    hf = PreTrainedTokenizerFast(tokenizer_object=tok, bos_token="<|bos|>", eos_token="<|eos|>", pad_token="<|pad|>")
    hf.chat_template = TEMPLATE
    return hf


def build_text_fitted_lm(path: Path, *, steps: int = 260, seed: int = 0) -> Path:
    """A tiny Llama trained briefly, text only, to answer from seed descriptions; saved to ``path``."""
    import torch
    from transformers import LlamaConfig, LlamaForCausalLM

    tok = build_tokenizer()
    torch.manual_seed(seed)
    cfg = LlamaConfig(vocab_size=len(tok), hidden_size=64, intermediate_size=128, num_hidden_layers=2,
                      num_attention_heads=4, num_key_value_heads=2, max_position_embeddings=256,
                      bos_token_id=tok.bos_token_id, eos_token_id=tok.eos_token_id, pad_token_id=tok.pad_token_id)
    model = LlamaForCausalLM(cfg)
    rows = []
    for chat, answer in text_examples(1200, seed):
        prompt = tok(tok.apply_chat_template(chat, tokenize=False, add_generation_prompt=True),
                     add_special_tokens=False)["input_ids"]
        resp = tok(answer, add_special_tokens=False)["input_ids"] + [tok.eos_token_id]
        rows.append((prompt + resp, [-100] * len(prompt) + resp))
    opt = torch.optim.AdamW(model.parameters(), lr=4e-3, weight_decay=0.0)
    g = random.Random(seed)
    model.train()
    for _ in range(steps):
        batch = g.sample(rows, 32)
        n = max(len(x) for x, _ in batch)
        ids = torch.tensor([x + [tok.pad_token_id] * (n - len(x)) for x, _ in batch])
        lab = torch.tensor([y + [-100] * (n - len(y)) for _, y in batch])
        att = (torch.arange(n)[None] < torch.tensor([len(x) for x, _ in batch])[:, None]).long()
        loss = model(input_ids=ids, attention_mask=att, labels=lab).loss
        loss.backward()
        opt.step()
        opt.zero_grad()
    model.eval()
    path.mkdir(parents=True, exist_ok=True)
    model.save_pretrained(path)
    tok.save_pretrained(path)
    (path / "fit.json").write_text(json.dumps({"final_loss": float(loss.detach())}))
    return path


def whisper_tokenizer() -> Any:
    """A tiny Whisper-style tokenizer: words over a-j, then <|nospeech|> and <|notimestamps|>
    as the last ids (timestamp tokens would follow them, as in Whisper's vocabulary)."""
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers
    from transformers import PreTrainedTokenizerFast

    tok = Tokenizer(models.BPE(unk_token=None))
    tok.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    tok.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(vocab_size=40, special_tokens=["<|endoftext|>", "<|startoftranscript|>"],
                                  initial_alphabet=list("abcdefghij "))
    tok.train_from_iterator(["a b c d e f g h i j"] * 3, trainer=trainer)
    hf = PreTrainedTokenizerFast(tokenizer_object=tok, eos_token="<|endoftext|>", pad_token="<|endoftext|>")
    hf.add_special_tokens({"additional_special_tokens": ["<|nospeech|>", "<|notimestamps|>"]})
    return hf


def build_tiny_whisper(path: Path, *, seed: int = 0, layers: int = 2) -> Path:
    """A random tiny Whisper (1-s window: 100 mel frames -> 50 encoder frames) with its feature
    extractor, tokenizer and generation config, saved to ``path``."""
    import torch
    from transformers import (
        GenerationConfig,
        WhisperConfig,
        WhisperFeatureExtractor,
        WhisperForConditionalGeneration,
    )

    tok = whisper_tokenizer()
    ids = {t: tok.convert_tokens_to_ids(t) for t in ("<|endoftext|>", "<|startoftranscript|>", "<|notimestamps|>")}
    torch.manual_seed(seed)
    cfg = WhisperConfig(d_model=64, encoder_layers=layers, encoder_attention_heads=4, encoder_ffn_dim=128,
                        decoder_layers=1, decoder_attention_heads=4, decoder_ffn_dim=128, num_mel_bins=20,
                        max_source_positions=50, max_target_positions=64, vocab_size=len(tok) + 1,
                        pad_token_id=ids["<|endoftext|>"], bos_token_id=ids["<|endoftext|>"],
                        eos_token_id=ids["<|endoftext|>"], decoder_start_token_id=ids["<|startoftranscript|>"])
    model = WhisperForConditionalGeneration(cfg)
    # Whisper's init (std 0.02) leaves a random encoder's output dominated by its sinusoidal
    # positions; He-initialised convolutions let the clip's content through, as trained ones do.
    enc = model.model.encoder
    with torch.no_grad():
        for conv in (enc.conv1, enc.conv2):
            torch.nn.init.kaiming_normal_(conv.weight, nonlinearity="relu")
    model.generation_config = GenerationConfig(
        decoder_start_token_id=ids["<|startoftranscript|>"], eos_token_id=ids["<|endoftext|>"],
        pad_token_id=ids["<|endoftext|>"], no_timestamps_token_id=ids["<|notimestamps|>"], max_length=64)
    path.mkdir(parents=True, exist_ok=True)
    model.save_pretrained(path)
    tok.save_pretrained(path)
    WhisperFeatureExtractor(feature_size=20, chunk_length=1).save_pretrained(path)
    return path
