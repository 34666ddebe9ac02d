"""Figures of the real offline LLMs on AKB-2000 for docs/real-models.md.

    python benchmarks/real_models_figures.py RUN_DIR [RUN_DIR ...] > table.md

Reads each probe run's samples.jsonl (a finished or an unfinished run) and prints, per run:
items scored, accuracy with a 95% Wilson interval overall and per category, the invalid
rate and the predicted-letter distribution. The runs were made with, e.g.:

    akb probe -m hf:smollm2-135m-instruct --mode logprob --out runs/real/smollm2-chat-logprob
    akb probe -m hf:gemma-3-270m --out runs/real/gemma3-plain-logprob        # logprob by default
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

from akb.analysis.metrics import compute_metrics
from akb.bench.taxonomy import load_taxonomy


def table(run_dirs: list[Path]) -> str:
    names = {c.id: c.name for c in load_taxonomy().categories}
    cats = list(names)
    head = "| Run | n | Overall % [95% CI] | " + " | ".join(names[c] for c in cats) + " | invalid | predicted A/B/C/D |"
    lines = [head, "|---|---:|---|" + "---:|" * len(cats) + "---:|---|"]
    for d in run_dirs:
        samples = [json.loads(x) for x in (d / "samples.jsonl").read_text().splitlines() if x.strip()]
        m = compute_metrics(samples)
        pred = m.predicted_letters
        cells = [f"{100 * m.categories[c].accuracy:.1f} (n={m.categories[c].n})" if c in m.categories and
                 m.categories[c].accuracy is not None else "-" for c in cats]
        rate = f"{100 * m.invalid_rate:.1f}%" if m.invalid_rate is not None else "-"
        lines.append(f"| {d.name} | {m.overall.n} | {m.overall.pct_ci()} | " + " | ".join(cells)
                     + f" | {rate} | {'/'.join(str(pred.get(x, 0)) for x in 'ABCD')} |")
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    sys.stdout.write(table([Path(a) for a in sys.argv[1:]]))
