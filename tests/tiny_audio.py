"""Tiny audio-text models built locally from configs (no hub), for the real transformers
code paths of the whisper and hf-audio-lm captioners."""

from __future__ import annotations

import json
from pathlib import Path

WHISPER_SPECIALS = ["<|endoftext|>", "<|startoftranscript|>", "<|en|>", "<|de|>", "<|translate|>", "<|transcribe|>",
                    "<|startoflm|>", "<|startofprev|>", "<|nocaptions|>", "<|notimestamps|>"]
CORPUS = ["hello world", "good morning", "the birch canoe slid on the smooth planks", "a large size in stockings",
          "rain wind thunder dog bark", "Describe the audio. The audio is a tone, speech, music, noise."]


def bpe_vocab(corpus: list[str], specials: list[str], vocab_size: int = 300) -> tuple[dict[str, int], list[tuple[str, str]]]:
    """A byte-level BPE trained on ``corpus``; ``specials`` get the ids after it (as in Whisper)."""
    import json as _json

    from tokenizers import Tokenizer, models, pre_tokenizers, trainers

    tok = Tokenizer(models.BPE(unk_token=None))
    tok.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    trainer = trainers.BpeTrainer(vocab_size=vocab_size, initial_alphabet=pre_tokenizers.ByteLevel.alphabet())
    tok.train_from_iterator(corpus * 5, trainer=trainer)
    model = _json.loads(tok.to_str())["model"]
    vocab: dict[str, int] = dict(model["vocab"])
    merges = [tuple(m.split(" ")) if isinstance(m, str) else tuple(m) for m in model["merges"]]
    for sp in specials:
        vocab.setdefault(sp, len(vocab))
    return vocab, merges  # type: ignore[return-value]


def overfit(model: object, batch: dict, steps: int, lr: float = 1e-2) -> None:
    """Train on one batch until the loss is tiny: the model then really maps those clips to
    those texts, which only works if features reach it correctly."""
    import torch

    opt = torch.optim.AdamW(model.parameters(), lr=lr)  # type: ignore[attr-defined]
    model.train()  # type: ignore[attr-defined]
    for _ in range(steps):
        loss = model(**batch).loss  # type: ignore[operator]
        if loss.item() < 0.02:
            break
        opt.zero_grad()
        loss.backward()
        opt.step()
    model.eval()  # type: ignore[attr-defined]


def build_tiny_whisper(path: Path, *, train_on: list[tuple[object, str]] | None = None, steps: int = 120, seed: int = 0) -> Path:
    """A 2-layer Whisper with a real WhisperProcessor. ``train_on`` = [(16 kHz samples, text)]:
    overfit those clips so the model really transcribes them (language <|en|>)."""
    import torch
    from transformers import (
        GenerationConfig,
        WhisperConfig,
        WhisperFeatureExtractor,
        WhisperForConditionalGeneration,
        WhisperProcessor,
        WhisperTokenizer,
    )

    vocab, merges = bpe_vocab(CORPUS, WHISPER_SPECIALS)
    tok = WhisperTokenizer(vocab=vocab, merges=merges, unk_token="<|endoftext|>", bos_token="<|endoftext|>",
                           eos_token="<|endoftext|>", pad_token="<|endoftext|>")
    tok.add_tokens(WHISPER_SPECIALS[1:], special_tokens=True)
    # 3-second windows instead of 30 (300 mel frames): 10x less compute, same code paths.
    fe = WhisperFeatureExtractor(feature_size=80, chunk_length=3)
    processor = WhisperProcessor(feature_extractor=fe, tokenizer=tok)
    ids = {t: tok.convert_tokens_to_ids(t) for t in WHISPER_SPECIALS}
    eot = ids["<|endoftext|>"]
    torch.manual_seed(seed)
    cfg = WhisperConfig(
        vocab_size=len(tok), num_mel_bins=80, d_model=48, encoder_layers=1, decoder_layers=2,
        encoder_attention_heads=4, decoder_attention_heads=4, encoder_ffn_dim=96, decoder_ffn_dim=96,
        max_source_positions=150, max_target_positions=64, pad_token_id=eot, bos_token_id=eot, eos_token_id=eot,
        decoder_start_token_id=ids["<|startoftranscript|>"], suppress_tokens=[], begin_suppress_tokens=[],
    )
    model = WhisperForConditionalGeneration(cfg)
    gen = GenerationConfig(
        decoder_start_token_id=ids["<|startoftranscript|>"], eos_token_id=eot, pad_token_id=eot, bos_token_id=eot,
        max_length=48, is_multilingual=True, lang_to_id={"<|en|>": ids["<|en|>"], "<|de|>": ids["<|de|>"]},
        task_to_id={"transcribe": ids["<|transcribe|>"], "translate": ids["<|translate|>"]},
        no_timestamps_token_id=ids["<|notimestamps|>"], suppress_tokens=[], begin_suppress_tokens=[],
    )
    model.generation_config = gen
    if train_on:
        feats = processor.feature_extractor([a for a, _ in train_on], sampling_rate=16000, return_tensors="pt").input_features
        prefix = [ids["<|en|>"], ids["<|transcribe|>"], ids["<|notimestamps|>"]]
        seqs = [prefix + tok(t, add_special_tokens=False).input_ids + [eot] for _, t in train_on]
        n = max(len(s) for s in seqs)
        labels = torch.full((len(seqs), n), -100, dtype=torch.long)
        for i, s in enumerate(seqs):
            labels[i, : len(s)] = torch.tensor(s)
        overfit(model, {"input_features": feats, "labels": labels}, steps)
    model.save_pretrained(path)
    processor.save_pretrained(path)
    (path / "akb_tiny.json").write_text(json.dumps({"kind": "whisper", "trained_on": [t for _, t in train_on or []]}))
    return path


QWEN_SPECIALS = ["<|endoftext|>", "<|im_start|>", "<|im_end|>", "<|audio_bos|>", "<|AUDIO|>", "<|audio_eos|>"]
QWEN_TEMPLATE = (
    "{% for message in messages %}<|im_start|>{{ message['role'] }}\n"
    "{% if message['content'] is string %}{{ message['content'] }}{% else %}{% for content in message['content'] %}"
    "{% if content['type'] == 'audio' %}Audio: <|audio_bos|><|AUDIO|><|audio_eos|>\n"
    "{% elif content['type'] == 'text' %}{{ content['text'] }}{% endif %}{% endfor %}{% endif %}<|im_end|>\n"
    "{% endfor %}{% if add_generation_prompt %}<|im_start|>assistant\n{% endif %}"
)


def build_tiny_qwen2_audio(path: Path, *, prompt: str, train_on: list[tuple[object, str]] | None = None,
                           steps: int = 150, seed: int = 0) -> Path:
    """A tiny Qwen2-Audio (Whisper-style encoder + Qwen2 LM) with a real Qwen2AudioProcessor.
    ``train_on`` = [(16 kHz samples, caption)]: overfit so it captions those clips."""
    import torch
    from transformers import (
        Qwen2AudioConfig,
        Qwen2AudioEncoderConfig,
        Qwen2AudioForConditionalGeneration,
        Qwen2AudioProcessor,
        Qwen2Config,
        Qwen2Tokenizer,
        WhisperFeatureExtractor,
    )

    vocab, merges = bpe_vocab(CORPUS + [prompt, "user assistant system Audio:"], QWEN_SPECIALS)
    tok = Qwen2Tokenizer(vocab=vocab, merges=merges, unk_token=None, bos_token=None, eos_token="<|im_end|>",
                         pad_token="<|endoftext|>")
    tok.add_tokens(QWEN_SPECIALS, special_tokens=True)
    fe = WhisperFeatureExtractor(feature_size=128, chunk_length=3)
    proc = Qwen2AudioProcessor(feature_extractor=fe, tokenizer=tok, chat_template=QWEN_TEMPLATE)
    audio_id = tok.convert_tokens_to_ids("<|AUDIO|>")
    torch.manual_seed(seed)
    cfg = Qwen2AudioConfig(
        audio_config=Qwen2AudioEncoderConfig(num_mel_bins=128, d_model=32, encoder_layers=1, encoder_attention_heads=2,
                                             encoder_ffn_dim=64, max_source_positions=150),
        text_config=Qwen2Config(vocab_size=len(tok), hidden_size=32, intermediate_size=64, num_hidden_layers=2,
                                num_attention_heads=2, num_key_value_heads=1, max_position_embeddings=512,
                                eos_token_id=tok.eos_token_id, pad_token_id=tok.pad_token_id),
        audio_token_index=audio_id,
    )
    model = Qwen2AudioForConditionalGeneration(cfg)
    model.generation_config.eos_token_id = tok.eos_token_id
    model.generation_config.pad_token_id = tok.pad_token_id
    if train_on:
        msgs = [{"role": "user", "content": [{"type": "audio", "audio_url": "x"}, {"type": "text", "text": prompt}]}]
        text = proc.apply_chat_template(msgs, add_generation_prompt=True, tokenize=False)
        full = [text + cap + "<|im_end|>" for _, cap in train_on]
        inputs = proc(text=full, audio=[a for a, _ in train_on], sampling_rate=16000, return_tensors="pt", padding=True)
        prompt_len = [len(proc(text=[text], audio=[a], sampling_rate=16000, return_tensors="pt")["input_ids"][0])
                      for a, _ in train_on]
        labels = inputs["input_ids"].clone()
        labels[inputs["attention_mask"] == 0] = -100
        for i, n in enumerate(prompt_len):
            pad = int((inputs["attention_mask"][i] == 0).sum()) if tok.padding_side == "left" else 0
            labels[i, : pad + n] = -100
        overfit(model, {**inputs, "labels": labels}, steps)
    model.save_pretrained(path)
    proc.save_pretrained(path)
    return path
