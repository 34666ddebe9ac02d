"""Throughput of the hf backend: logprob mode vs generate mode, on a model built from a
config with random weights (speed does not depend on the weights).

Prints items/s, tokens/s and the fraction of the GPU's bf16 peak reached (model FLOPs:
2 x parameters x tokens processed). Run on a GPU machine, e.g.

    python benchmarks/probe_gpu.py --arch llama-8b --batch-size 64 --items 512

``--arch tiny`` runs anywhere (a check of the script, not a figure to quote).
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

ARCHS = {
    # Llama-3.1-8B shape.
    "llama-8b": dict(hidden_size=4096, intermediate_size=14336, num_hidden_layers=32, num_attention_heads=32,
                     num_key_value_heads=8, vocab_size=128256),
    # Qwen2.5-7B shape.
    "qwen-7b": dict(hidden_size=3584, intermediate_size=18944, num_hidden_layers=28, num_attention_heads=28,
                    num_key_value_heads=4, vocab_size=152064),
    "tiny": dict(hidden_size=64, intermediate_size=128, num_hidden_layers=2, num_attention_heads=4,
                 num_key_value_heads=2, vocab_size=512),
}


def build(arch: str, path: Path, dtype: str) -> None:
    import sys

    import torch
    from transformers import LlamaConfig, LlamaForCausalLM

    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))
    from tiny_lm import build_tiny_lm  # the locally trained tokenizer

    build_tiny_lm(path, chat_template=True)  # writes the tokenizer (and a tiny model we replace)
    from transformers import AutoTokenizer

    tok = AutoTokenizer.from_pretrained(path)
    cfg = LlamaConfig(**{**ARCHS[arch], "vocab_size": max(ARCHS[arch]["vocab_size"], len(tok))},
                      max_position_embeddings=4096, bos_token_id=tok.bos_token_id,
                      eos_token_id=tok.eos_token_id, pad_token_id=tok.pad_token_id)
    with torch.device("cuda" if torch.cuda.is_available() else "cpu"):
        model = LlamaForCausalLM(cfg).to(getattr(torch, dtype))
    model.save_pretrained(path)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--arch", default="tiny", choices=sorted(ARCHS))
    ap.add_argument("--items", type=int, default=256)
    ap.add_argument("--batch-size", type=int, default=32)
    ap.add_argument("--max-tokens", type=int, default=16)
    ap.add_argument("--dtype", default="bfloat16")
    ap.add_argument("--peak-tflops", type=float, default=989.0, help="dense bf16 peak (H200/H100 SXM: 989)")
    args = ap.parse_args()

    import torch

    from akb.bench.loader import load_items
    from akb.models.hf import HFBackend, HFOptions
    from akb.models.spec import ModelConfig
    from akb.runs.probe import ProbeConfig, build_tasks

    items = load_items()
    items = (items * (args.items // len(items) + 1))[: args.items]
    reqs = [t.requests[0] for t in build_tasks(items, ProbeConfig(model=ModelConfig(backend="hf", model="x"), max_tokens=args.max_tokens))]
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "model"
        build(args.arch, path, args.dtype)
        backend = HFBackend(str(path), HFOptions(dtype=args.dtype, batch_size=args.batch_size))  # type: ignore[arg-type]
        model, _ = backend._load()
        n_params = sum(p.numel() for p in model.parameters())
        on_gpu = torch.cuda.is_available()
        print(f"device: {torch.cuda.get_device_name() if on_gpu else 'cpu'}; arch {args.arch}: {n_params / 1e9:.2f} B parameters; "
              f"{len(reqs)} items, batch {args.batch_size}, dtype {args.dtype}")
        backend.letter_logprobs(reqs[: args.batch_size])  # warm-up
        for mode in ("logprob", "generate"):
            fn = backend.letter_logprobs if mode == "logprob" else backend.generate
            if on_gpu:
                torch.cuda.synchronize()
                torch.cuda.reset_peak_memory_stats()
            t0 = time.perf_counter()
            tokens = 0
            for i in range(0, len(reqs), args.batch_size):
                for r in fn(reqs[i : i + args.batch_size]):
                    tokens += (r.prompt_tokens or 0) + (r.completion_tokens or 0)
            if on_gpu:
                torch.cuda.synchronize()
            dt = time.perf_counter() - t0
            tflops = 2 * n_params * tokens / dt / 1e12
            mem = f", peak memory {torch.cuda.max_memory_allocated() / 2**30:.1f} GiB" if on_gpu else ""
            print(f"{mode:9s} {len(reqs) / dt:9.1f} items/s  {tokens / dt:11.0f} tokens/s  "
                  f"{tflops:7.1f} TFLOP/s = {100 * tflops / args.peak_tflops:5.1f}% of bf16 peak{mem}")


if __name__ == "__main__":
    main()
