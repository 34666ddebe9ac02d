"""Which token budget per batch is fastest for the hf backend on CPU?

akb's hf backend sorts the prompts by length and fills each forward pass with up to
``max_batch_tokens`` padded tokens (default on CPU: 2048). This script runs ``akb probe`` in
logprob mode on the same items with several budgets, alternating the order each round, on a
Llama with random weights (hidden 512, 8 layers, about 58 M parameters) and SmolLM2's real
49k-token BPE tokenizer, and prints wall seconds, items/s and each budget's time relative to
the default measured in the same run (this machine is shared and noisy: compare ratios, not
seconds across runs). Letter log-probabilities must not depend on the budget; the script
checks that too (max |difference| against the default's run).

    python benchmarks/cpu_batch_budget.py --items 400 --budgets 512,1024,2048,4096,8192 --rounds 2
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from vs_lm_eval import build_models, release, run_akb  # noqa: E402

DEFAULT = 2048


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--items", type=int, default=400)
    ap.add_argument("--budgets", default="512,1024,2048,4096,8192")
    ap.add_argument("--rounds", type=int, default=2)
    args = ap.parse_args()
    budgets = [int(b) for b in args.budgets.split(",")]
    if DEFAULT not in budgets:
        budgets.append(DEFAULT)
    with tempfile.TemporaryDirectory(prefix="akb-budget-") as tmp:
        root = Path(tmp)
        model = build_models(root, ["random"])["random"]
        _, items, _ = release(root, args.items)
        n = len(items.read_text().splitlines())
        times: dict[int, list[float]] = {b: [] for b in budgets}
        ratios: dict[int, list[float]] = {b: [] for b in budgets}
        ref: dict[str, list[float]] = {}
        worst = 0.0
        for r in range(args.rounds):
            order = budgets if r % 2 == 0 else list(reversed(budgets))
            this: dict[int, float] = {}
            for b in order:
                work = root / f"r{r}-b{b}"
                dt, lps = run_akb(model, items, work, b, chat=False)
                this[b] = dt
                times[b].append(dt)
                if b == DEFAULT and not ref:
                    ref = lps
                print(f"round {r + 1} budget {b:>6}: {dt:6.1f} s  {n / dt:6.1f} items/s", flush=True)
                if ref:
                    for k, v in lps.items():
                        if k in ref:
                            worst = max(worst, max(abs(x - y) for x, y in zip(v, ref[k], strict=True)))
            for b in budgets:
                ratios[b].append(this[b] / this[DEFAULT])
        print(f"\n{n} items, plain prompt, logprob, {args.rounds} round(s); time relative to the default {DEFAULT} "
              "(median of each round's ratio; < 1 is faster):")
        for b in budgets:
            print(f"  max_batch_tokens={b:>6}: {statistics.median(ratios[b]):.3f}x  "
                  f"({n / statistics.median(times[b]):.1f} items/s)")
        print(f"max |letter log-prob difference| against the default's run: {worst:.2e}")


if __name__ == "__main__":
    main()
