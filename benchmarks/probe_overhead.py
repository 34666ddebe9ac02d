"""The harness's own cost per item: prompt building, cache, extraction, writing, metrics.

Uses the ``random`` backend (no model cost), so the figure is pure akb overhead. Prints
milliseconds per item for a cold run (cache writes), a warm run (all from cache, new run
directory) and a resume (everything already written).

    python benchmarks/probe_overhead.py [--repeat 3] [--data FILE]
"""

from __future__ import annotations

import argparse
import os
import statistics
import tempfile
import time
from pathlib import Path

from akb.bench.loader import load_items
from akb.models.spec import parse_model_spec
from akb.runs.probe import ProbeConfig, run_probe


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--data", default=None)
    args = ap.parse_args()
    n = len(load_items(args.data))
    cold, warm, resume = [], [], []
    for rep in range(args.repeat):
        with tempfile.TemporaryDirectory() as tmp:
            os.environ["AKB_CACHE_DIR"] = tmp
            base = dict(model=parse_model_spec(f"random:{rep}"), data=args.data, progress=False)
            for label, out, bucket in (("cold", "a", cold), ("warm", "b", warm), ("resume", "b", resume)):
                t0 = time.perf_counter()
                run_probe(ProbeConfig(**base, out=str(Path(tmp) / out)))
                bucket.append((time.perf_counter() - t0) / n * 1000)
                del label
    print(f"items: {n}, repeats: {args.repeat}")
    for label, xs in (("cold (cache writes)", cold), ("warm (all cached)", warm), ("resume (all written)", resume)):
        print(f"{label:22s} {statistics.median(xs):7.3f} ms/item  (min {min(xs):.3f})")


if __name__ == "__main__":
    main()
