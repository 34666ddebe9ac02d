"""A tiny causal LM and tokenizer built locally (no hub), for real transformers code paths."""

from __future__ import annotations

from pathlib import Path

from akb.bench.prompts import DEFAULT_INSTRUCTION, DEFAULT_SYSTEM

CHAT_TEMPLATE = (
    "{% for m in messages %}<|{{ m['role'] }}|>\n{{ m['content'] }}<|end|>\n{% endfor %}"
    "{% if add_generation_prompt %}<|assistant|>\n{% endif %}"
)

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
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers
    from transformers import (
        GPT2Config,
        GPT2LMHeadModel,
        LlamaConfig,
        LlamaForCausalLM,
        PreTrainedTokenizerFast,
    )

    tok = Tokenizer(models.BPE(unk_token=None))
    tok.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    tok.decoder = decoders.ByteLevel()
    specials = ["<|bos|>", "<|eos|>", "<|pad|>", "<|system|>", "<|user|>", "<|assistant|>", "<|end|>"]
    trainer = trainers.BpeTrainer(
        vocab_size=400, special_tokens=specials, initial_alphabet=pre_tokenizers.ByteLevel.alphabet()
    )
    tok.train_from_iterator(CORPUS * 3, trainer=trainer)
    hf_tok = PreTrainedTokenizerFast(
        tokenizer_object=tok, bos_token="<|bos|>", eos_token="<|eos|>", pad_token="<|pad|>"
    )
    if chat_template:
        hf_tok.chat_template = CHAT_TEMPLATE
    torch.manual_seed(seed)
    if arch == "gpt2":
        gcfg = GPT2Config(
            vocab_size=len(hf_tok), n_embd=32, n_layer=2, n_head=4, n_positions=1024,
            bos_token_id=hf_tok.bos_token_id, eos_token_id=hf_tok.eos_token_id, pad_token_id=hf_tok.pad_token_id,
        )
        path.mkdir(parents=True, exist_ok=True)
        GPT2LMHeadModel(gcfg).save_pretrained(path)
        hf_tok.save_pretrained(path)
        return path
    cfg = LlamaConfig(
        vocab_size=len(hf_tok), hidden_size=32, intermediate_size=64, num_hidden_layers=2,
        num_attention_heads=4, num_key_value_heads=2, max_position_embeddings=1024,
        bos_token_id=hf_tok.bos_token_id, eos_token_id=hf_tok.eos_token_id, pad_token_id=hf_tok.pad_token_id,
    )
    model = LlamaForCausalLM(cfg)
    path.mkdir(parents=True, exist_ok=True)
    model.save_pretrained(path)
    hf_tok.save_pretrained(path)
    return path
