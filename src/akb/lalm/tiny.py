"""Tiny models built offline from configs, for demonstrations and tests. NOT real models.

Nothing here downloads anything: tokenizers are trained on a few sentences, models are
built from transformers configs with random weights, and an LM can be fitted for a few
hundred steps on (prompt, answer) text pairs. ``akb quickstart`` uses them to run the
whole DeSTA pipeline (self-distillation, connector training, evaluation) on a laptop CPU
in about a minute; the tests use them to exercise the real transformers code paths. Their
scores say that the pipeline works, never anything about a real backbone.

- :func:`train_tokenizer`: a byte-level BPE tokenizer with chat special tokens and a
  minimal chat template.
- :func:`build_llama` / :func:`fit_on_text` / :func:`build_text_fitted_lm`: a tiny Llama,
  optionally taught (text only) to answer prompts the way the examples do.
- :func:`whisper_tokenizer` / :func:`build_tiny_whisper`: a random tiny Whisper (encoder,
  decoder, feature extractor, tokenizer, generation config) with a short input window.
"""

from __future__ import annotations

import json
import random
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

CHAT_TEMPLATE = (
    "{% for m in messages %}<|{{ m['role'] }}|>\n{{ m['content'] }}<|end|>\n{% endfor %}"
    "{% if add_generation_prompt %}<|assistant|>\n{% endif %}"
)
CHAT_SPECIALS = ("<|bos|>", "<|eos|>", "<|pad|>", "<|system|>", "<|user|>", "<|assistant|>", "<|end|>")
FIT_FILE = "akb_tiny.json"

Chat = list[dict[str, str]]


def train_tokenizer(corpus: Iterable[str], *, vocab_size: int = 400, chat_template: bool = True) -> Any:
    """A byte-level BPE tokenizer trained on ``corpus`` (any text encodes; the corpus only
    decides which words get whole tokens), with bos/eos/pad and chat role tokens."""
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers
    from transformers import PreTrainedTokenizerFast

    tok = Tokenizer(models.BPE(unk_token=None))
    tok.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    tok.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(vocab_size=vocab_size, special_tokens=list(CHAT_SPECIALS),
                                  initial_alphabet=pre_tokenizers.ByteLevel.alphabet(), show_progress=False)
    tok.train_from_iterator(list(corpus), trainer=trainer)
    hf = PreTrainedTokenizerFast(tokenizer_object=tok, bos_token="<|bos|>", eos_token="<|eos|>", pad_token="<|pad|>")
    if chat_template:
        hf.chat_template = CHAT_TEMPLATE
    return hf


def build_llama(tokenizer: Any, *, hidden: int = 64, layers: int = 2, heads: int = 4, kv_heads: int = 2,
                max_positions: int = 512, seed: int = 0) -> Any:
    """A random ``LlamaForCausalLM`` sized for ``tokenizer``."""
    import torch
    from transformers import LlamaConfig, LlamaForCausalLM

    torch.manual_seed(seed)
    cfg = LlamaConfig(vocab_size=len(tokenizer), hidden_size=hidden, intermediate_size=2 * hidden,
                      num_hidden_layers=layers, num_attention_heads=heads, num_key_value_heads=kv_heads,
                      max_position_embeddings=max_positions, bos_token_id=tokenizer.bos_token_id,
                      eos_token_id=tokenizer.eos_token_id, pad_token_id=tokenizer.pad_token_id)
    return LlamaForCausalLM(cfg)


def fit_on_text(model: Any, tokenizer: Any, examples: Sequence[tuple[Chat, str]], *, steps: int,
                batch_size: int = 32, lr: float = 4e-3, seed: int = 0) -> float:
    """Teach ``model`` to answer each chat (rendered with the chat template and a generation
    prompt) with its answer and EOS; loss on the answer only. Returns the last batch's loss."""
    import torch

    rows = []
    for chat, answer in examples:
        prompt = tokenizer(tokenizer.apply_chat_template(chat, tokenize=False, add_generation_prompt=True),
                           add_special_tokens=False)["input_ids"]
        resp = tokenizer(answer, add_special_tokens=False)["input_ids"] + [tokenizer.eos_token_id]
        rows.append((prompt + resp, [-100] * len(prompt) + resp))
    opt = torch.optim.AdamW(model.parameters(), lr=lr, weight_decay=0.0)
    g = random.Random(seed)
    pad = tokenizer.pad_token_id
    loss = torch.tensor(float("nan"))
    model.train()
    for _ in range(steps):
        batch = g.sample(rows, min(batch_size, len(rows)))
        n = max(len(x) for x, _ in batch)
        ids = torch.tensor([x + [pad] * (n - len(x)) for x, _ in batch])
        lab = torch.tensor([y + [-100] * (n - len(y)) for _, y in batch])
        att = (torch.arange(n)[None] < torch.tensor([len(x) for x, _ in batch])[:, None]).long()
        loss = model(input_ids=ids, attention_mask=att, labels=lab).loss
        loss.backward()
        opt.step()
        opt.zero_grad()
    model.eval()
    return float(loss.detach())


def build_text_fitted_lm(path: str | Path, examples: Sequence[tuple[Chat, str]], *, corpus: Iterable[str] = (),
                         steps: int = 260, vocab_size: int = 420, hidden: int = 64, layers: int = 2,
                         batch_size: int = 32, lr: float = 4e-3, max_positions: int = 512, seed: int = 0) -> Path:
    """A tiny Llama and its tokenizer (trained on ``corpus`` plus the examples' text), fitted
    for ``steps`` on ``examples``; saved to ``path`` with ``akb_tiny.json`` (what it is, the
    final loss)."""
    texts = list(corpus) + [m["content"] for chat, _ in examples for m in chat] + [a for _, a in examples]
    tok = train_tokenizer(texts, vocab_size=vocab_size)
    model = build_llama(tok, hidden=hidden, layers=layers, max_positions=max_positions, seed=seed)
    loss = fit_on_text(model, tok, examples, steps=steps, batch_size=batch_size, lr=lr, seed=seed)
    out = Path(path)
    out.mkdir(parents=True, exist_ok=True)
    model.save_pretrained(out)
    tok.save_pretrained(out)
    (out / FIT_FILE).write_text(json.dumps({"kind": "tiny text-fitted llama (demonstration, not a real model)",
                                            "examples": len(examples), "steps": steps, "final_loss": loss}) + "\n")
    return out


def whisper_tokenizer() -> Any:
    """A tiny Whisper-style tokenizer: words over a-j, then <|nospeech|> and <|notimestamps|>
    as the last ids (timestamp tokens would follow them, as in Whisper's vocabulary)."""
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers
    from transformers import PreTrainedTokenizerFast

    tok = Tokenizer(models.BPE(unk_token=None))
    tok.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    tok.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(vocab_size=40, special_tokens=["<|endoftext|>", "<|startoftranscript|>"],
                                  initial_alphabet=list("abcdefghij "), show_progress=False)
    tok.train_from_iterator(["a b c d e f g h i j"] * 3, trainer=trainer)
    hf = PreTrainedTokenizerFast(tokenizer_object=tok, eos_token="<|endoftext|>", pad_token="<|endoftext|>")
    hf.add_special_tokens({"additional_special_tokens": ["<|nospeech|>", "<|notimestamps|>"]})
    return hf


def build_tiny_whisper(path: str | Path, *, seed: int = 0, layers: int = 2, width: int = 64,
                       window_s: int = 1, mel_bins: int = 20) -> Path:
    """A random tiny Whisper with a ``window_s``-second input window (100 mel frames per second,
    50 encoder frames) and its feature extractor, tokenizer and generation config, saved to
    ``path``. Random weights: its encoder passes the clip's spectral content through (see
    below) but it transcribes nothing."""
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
    cfg = WhisperConfig(d_model=width, encoder_layers=layers, encoder_attention_heads=4, encoder_ffn_dim=2 * width,
                        decoder_layers=1, decoder_attention_heads=4, decoder_ffn_dim=2 * width, num_mel_bins=mel_bins,
                        max_source_positions=50 * window_s, max_target_positions=64, vocab_size=len(tok) + 1,
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
    out = Path(path)
    out.mkdir(parents=True, exist_ok=True)
    model.save_pretrained(out)
    tok.save_pretrained(out)
    WhisperFeatureExtractor(feature_size=mel_bins, chunk_length=window_s).save_pretrained(out)
    (out / FIT_FILE).write_text(json.dumps({"kind": "tiny random whisper (demonstration, not a real model)",
                                            "window_s": window_s, "mel_bins": mel_bins}) + "\n")
    return out
