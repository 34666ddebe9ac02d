"""DeSTA training throughput at the published shape, with random weights built from configs.

Whisper-large-v3 encoder (frozen, bf16), an 8B Llama-shaped LLM (Llama-3.1-8B config,
frozen, bf16), and the connector (4 taps x 64 queries, 6-layer Q-Former; fp32 weights,
bf16 autocast): the training step of ``akb.lalm.train`` (forward, loss on the response,
backward into the connector, grad clip, AdamW) on synthetic batches. Prints samples/s,
LLM tokens/s, peak GPU memory and model FLOPs utilisation (MFU).

Model FLOPs are counted, not estimated: one training step runs under
``torch.utils.flop_counter.FlopCounterMode`` (matmuls, convolutions, attention), with
activation checkpointing off so recomputation is not counted. They cover what the recipe
needs: the frozen encoder forward only, the connector forward and backward, the frozen LLM
forward and backward to its inputs (no weight gradients). MFU = model FLOPs per second /
the device's dense bf16 peak (table below, or --peak-tflops).

    python benchmarks/ground_train_gpu.py                       # published shape, batch 12 (the recipe's per-GPU batch)
    python benchmarks/ground_train_gpu.py --batch-size 24 --gradient-checkpointing
    python benchmarks/ground_train_gpu.py --tiny                # runs anywhere: checks the script, not a figure
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path
from typing import Any

# Dense bf16 tensor-core peaks (TFLOP/s), from the vendors' data sheets (SXM parts).
PEAK_TFLOPS = {"H200": 989.0, "H100": 989.0, "A100": 312.0, "L40S": 362.0, "A10G": 125.0, "L4": 121.0}

TINY_ENCODER = {"d_model": 64, "encoder_layers": 4, "encoder_attention_heads": 4, "encoder_ffn_dim": 128,
                "decoder_layers": 1, "decoder_attention_heads": 4, "decoder_ffn_dim": 128, "num_mel_bins": 20,
                "max_source_positions": 50, "vocab_size": 64, "pad_token_id": 0, "bos_token_id": 1,
                "eos_token_id": 1, "decoder_start_token_id": 2}
TINY_LLM = {"hidden_size": 64, "intermediate_size": 128, "num_hidden_layers": 2, "num_attention_heads": 4,
            "num_key_value_heads": 2, "vocab_size": 512, "max_position_embeddings": 1024}


def peak_tflops(name: str) -> float | None:
    for key, v in PEAK_TFLOPS.items():
        if key in name.upper():
            return v
    return None


def count_flops(model: Any, step: Any) -> float:
    """FLOPs of one training step, counted by PyTorch, without checkpoint recomputation."""
    from torch.utils.flop_counter import FlopCounterMode

    from akb.lalm.model import set_activation_checkpointing

    if model.config.gradient_checkpointing:
        set_activation_checkpointing(model.llm, False)
    with FlopCounterMode(display=False) as counter:
        step()
    if model.config.gradient_checkpointing:
        set_activation_checkpointing(model.llm, True)
    return float(counter.get_total_flops())


def build(args: argparse.Namespace) -> tuple[Any, Any, Any]:
    import torch
    from transformers import LlamaConfig, LlamaForCausalLM, WhisperConfig, WhisperFeatureExtractor
    from transformers.models.whisper.modeling_whisper import WhisperEncoder

    from akb.lalm.config import LLAMA_31_8B, WHISPER_LARGE_V3, DestaConfig
    from akb.lalm.model import DestaModel

    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))
    from tiny_desta import build_tokenizer  # a chat-template tokenizer built offline

    device = torch.device("cuda" if torch.cuda.is_available() else "cpu")
    dtype = torch.bfloat16 if device.type == "cuda" else torch.float32
    tok = build_tokenizer()
    enc_cfg = WhisperConfig(**(TINY_ENCODER if args.tiny else WHISPER_LARGE_V3))
    llm_values = dict(TINY_LLM if args.tiny else LLAMA_31_8B)
    llm_cfg = LlamaConfig(**{**llm_values, "bos_token_id": tok.bos_token_id, "eos_token_id": tok.eos_token_id,
                             "pad_token_id": tok.pad_token_id})
    if args.attn:
        llm_cfg._attn_implementation = args.attn
    t0 = time.perf_counter()
    default = torch.get_default_dtype()
    torch.set_default_dtype(dtype)  # build straight in bf16 on the GPU: no fp32 copy of 8B weights
    with torch.device(device):
        encoder = WhisperEncoder(enc_cfg)
        llm = LlamaForCausalLM(llm_cfg)
    torch.set_default_dtype(default)
    print(f"built random weights in {time.perf_counter() - t0:.0f} s")
    fe = WhisperFeatureExtractor(feature_size=enc_cfg.num_mel_bins,
                                 chunk_length=1 if args.tiny else 30)
    cfg = DestaConfig(llm="random-llama", encoder="random-whisper",
                      queries=8 if args.tiny else 64, qformer_layers=2 if args.tiny else 6,
                      qformer_heads=4 if args.tiny else 20, qformer_ffn=128 if args.tiny else 3072,
                      gradient_checkpointing=args.gradient_checkpointing)
    model = DestaModel(cfg, encoder, llm, tok, fe)
    return model, enc_cfg, llm_cfg


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--tiny", action="store_true", help="tiny shapes, CPU is fine")
    ap.add_argument("--batch-size", type=int, default=12)
    ap.add_argument("--response-tokens", type=int, default=300, help="response length (the recipe's cap)")
    ap.add_argument("--steps", type=int, default=10)
    ap.add_argument("--warmup", type=int, default=3)
    ap.add_argument("--gradient-checkpointing", action="store_true")
    ap.add_argument("--attn", default=None, help="LLM attention implementation (sdpa, flash_attention_2, eager)")
    ap.add_argument("--peak-tflops", type=float, default=None, help="override the device's dense bf16 peak")
    args = ap.parse_args()
    if args.tiny:
        args.response_tokens = min(args.response_tokens, 24)
        args.steps = min(args.steps, 4)
        args.warmup = min(args.warmup, 1)

    import numpy as np
    import torch

    on_gpu = torch.cuda.is_available()
    name = torch.cuda.get_device_name() if on_gpu else "cpu"
    model, enc_cfg, llm_cfg = build(args)
    proc = model.processor
    info = model.describe()
    print(f"device: {name}; encoder {enc_cfg.d_model} wide, taps {model.taps}; LLM {llm_cfg.hidden_size} wide, "
          f"{llm_cfg.num_hidden_layers} layers; trainable {info['trainable'] / 1e6:.1f} M, "
          f"frozen {info['frozen'] / 1e9:.2f} B")

    rng = np.random.default_rng(0)
    seconds = 1 if args.tiny else 10
    chat = [{"role": "system", "content": "Focus on the audio clips and instructions."},
            {"role": "user", "content": "<|AUDIO|>\nDescribe the audio."}]
    words = " ".join(["It is a low hum with a steady pitch and a quiet hiss behind it."] * 40)
    t0 = time.perf_counter()
    waves = [rng.standard_normal(16000 * seconds).astype(np.float32) * 0.1 for _ in range(args.batch_size)]
    enc = [proc.encode(chat, "a short transcript of what is said", words, args.response_tokens)
           for _ in range(args.batch_size)]
    batch = proc.collate(enc, waves)
    t_feat = time.perf_counter() - t0
    print(f"CPU batch preparation (log-mel + tokenising, one process): {args.batch_size / t_feat:.1f} clips/s "
          "-> size DataLoader workers so they outpace the GPU")
    device = model.device
    batch = {k: v.to(device) for k, v in batch.items()}
    seq = batch["input_ids"].shape[1]
    kept = int((batch["labels"] != -100).sum(dim=1).max()) + 1

    params = [p for p in model.parameters() if p.requires_grad]
    opt = torch.optim.AdamW(params, lr=1e-4, betas=(0.9, 0.98), weight_decay=0.01, fused=on_gpu)
    model.train()

    def step() -> float:
        with torch.autocast(device.type, dtype=torch.bfloat16, enabled=on_gpu):
            loss = model(**batch)["loss"]
        loss.backward()
        torch.nn.utils.clip_grad_norm_(params, 1.0)
        opt.step()
        opt.zero_grad(set_to_none=True)
        return float(loss.detach())

    for _ in range(args.warmup):
        step()
    if on_gpu:
        torch.cuda.synchronize()
        torch.cuda.reset_peak_memory_stats()
    t0 = time.perf_counter()
    for _ in range(args.steps):
        step()
    if on_gpu:
        torch.cuda.synchronize()
    dt = (time.perf_counter() - t0) / args.steps

    per_sample = count_flops(model, step) / args.batch_size
    achieved = per_sample * args.batch_size / dt
    samples_s = args.batch_size / dt
    print(f"batch {args.batch_size} x {seq} tokens ({kept - 1} response): {dt * 1000:.0f} ms/step")
    print(f"samples/s: {samples_s:.2f}   LLM tokens/s: {samples_s * seq:,.0f}")
    print(f"model FLOPs/sample: {per_sample / 1e9:,.1f} GFLOP (counted)")
    if on_gpu:
        print(f"peak GPU memory: {torch.cuda.max_memory_allocated() / 2**30:.1f} GiB")
    peak = args.peak_tflops or peak_tflops(name)
    if peak:
        print(f"achieved {achieved / 1e12:.2f} TFLOP/s = MFU {100 * achieved / (peak * 1e12):.1f}% of {peak:.0f} TFLOP/s")
    else:
        print(f"achieved {achieved / 1e12:.3f} TFLOP/s (no peak known for {name!r}; give --peak-tflops)")
    if not args.tiny:
        hours = 4_963_845 * 5 / (samples_s * 3600)
        print(f"the published run (4,963,845 samples x 5 epochs) at this rate on one device: {hours:,.0f} h")


if __name__ == "__main__":
    main()
