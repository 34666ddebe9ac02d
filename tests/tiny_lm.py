"""A tiny causal LM and tokenizer built locally (no hub), for real transformers code paths."""

from __future__ import annotations

from pathlib import Path

from akb.bench.prompts import DEFAULT_INSTRUCTION, DEFAULT_SYSTEM
from akb.lalm.tiny import build_llama, train_tokenizer

CORPUS = [
    DEFAULT_SYSTEM,
    DEFAULT_INSTRUCTION,
    "Question: Which syllable of banana carries primary stress? (A) first (B) second (C) third (D) fourth",
    "Answer: A Answer: B Answer: C Answer: D (A) (B) (C) (D) A B C D",
    "The musical term for a gradual increase in loudness is crescendo, not diminuendo.",
    "white pink brown noise bit depth sample rate frequency loudness pitch voice sound",
]


def build_tiny_lm(path: Path, *, chat_template: bool, seed: int = 0, arch: str = "llama") -> Path:
    """``arch`` llama (rotary positions) or gpt2 (absolute positions: padding mistakes show)."""
    import torch
    from transformers import GPT2Config, GPT2LMHeadModel

    tok = train_tokenizer(CORPUS * 3, vocab_size=400, chat_template=chat_template)
    if arch == "gpt2":
        torch.manual_seed(seed)
        model = GPT2LMHeadModel(GPT2Config(
            vocab_size=len(tok), n_embd=32, n_layer=2, n_head=4, n_positions=1024,
            bos_token_id=tok.bos_token_id, eos_token_id=tok.eos_token_id, pad_token_id=tok.pad_token_id,
        ))
    else:
        model = build_llama(tok, hidden=32, layers=2, heads=4, kv_heads=2, max_positions=1024, seed=seed)
    path.mkdir(parents=True, exist_ok=True)
    model.save_pretrained(path)
    tok.save_pretrained(path)
    return path
