"""Run directories written in the docs/results.md format, for analysis tests.

Cascade and grounded runs come from other modules; these helpers write exactly what the
contract fixes (summary.json with Scores as fractions and Wilson intervals, samples.jsonl
with id/pred/correct/invalid/response), so the report is tested against the contract
rather than against one implementation.
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from scipy.stats import binomtest


def score(correct: int, n: int) -> dict[str, Any]:
    if n == 0:
        return {"n": 0, "correct": 0, "accuracy": None, "ci_low": None, "ci_high": None}
    ci = binomtest(correct, n).proportion_ci(method="wilson")
    return {"n": n, "correct": correct, "accuracy": correct / n, "ci_low": float(ci.low), "ci_high": float(ci.high)}


def _scores(flags: Sequence[bool], keys: Sequence[str]) -> dict[str, Any]:
    by: dict[str, list[bool]] = defaultdict(list)
    for ok, k in zip(flags, keys, strict=True):
        by[k].append(ok)
    return {k: score(sum(v), len(v)) for k, v in sorted(by.items())}


def write_samples(run_dir: Path, ids: Sequence[str], correct: Sequence[bool]) -> None:
    with (run_dir / "samples.jsonl").open("w") as f:
        for i, ok in zip(ids, correct, strict=True):
            f.write(json.dumps({"id": i, "pred": "A" if ok else "B", "correct": ok, "invalid": False, "response": "x"}) + "\n")


def write_audio_run(run_dir: Path, *, task: str, model: str, benchmark: str, correct: Sequence[bool],
                    groups: Sequence[str] | None = None, captioner: str | None = None, split: str | None = None,
                    label: str | None = None, complete: bool = True, created: str = "2026-01-01T00:00:00+00:00",
                    ids: Sequence[str] | None = None) -> Path:
    """A cascade or grounded run: one sample per flag in ``correct``."""
    run_dir.mkdir(parents=True, exist_ok=True)
    n = len(correct)
    ids = list(ids) if ids is not None else [f"{benchmark}-{i:04d}" for i in range(n)]
    groups = list(groups) if groups is not None else [("sound", "music", "speech")[i % 3] for i in range(n)]
    rule = {"overall": score(sum(correct), n), "by_group": _scores(correct, groups), "by_category": {},
            "by_subcategory": {}, "by_difficulty": {}}
    summary: dict[str, Any] = {
        "task": task, "model": model, "complete": complete, "created": created, "versions": {"python": "3"},
        "git_commit": None, "benchmark": benchmark,
        "metrics": {"official": rule, "robust": {**rule, "invalid": 0, "invalid_rate": 0.0}, "missing": 0},
    }
    if label:
        summary["label"] = label
    if split:
        summary["split"] = split
    if captioner:
        summary["captioner"] = captioner
    (run_dir / "summary.json").write_text(json.dumps(summary, indent=1))
    write_samples(run_dir, ids, correct)
    return run_dir


def write_probe_run(run_dir: Path, *, model: str, correct: Sequence[bool], categories: Sequence[str] | None = None,
                    label: str | None = None, complete: bool = True, created: str = "2026-01-01T00:00:00+00:00") -> Path:
    """A probe run in the shape akb probe writes (for populations no real backend gives cheaply)."""
    run_dir.mkdir(parents=True, exist_ok=True)
    n = len(correct)
    cats = list(categories) if categories is not None else [("sound", "music", "phonetic")[i % 3] for i in range(n)]
    subs = [f"{c}/sub{i % 2}" for i, c in enumerate(cats)]
    summary: dict[str, Any] = {
        "task": "akb-probe", "model": model, "mode": "generate", "circular": False, "complete": complete,
        "created": created,
        "metrics": {"overall": score(sum(correct), n), "categories": _scores(correct, cats),
                    "subcategories": _scores(correct, subs)},
    }
    if label:
        summary["label"] = label
    (run_dir / "summary.json").write_text(json.dumps(summary, indent=1))
    write_samples(run_dir, [f"akb-{i:04d}" for i in range(n)], correct)
    return run_dir


def flags(n: int, k: int, offset: int = 0) -> list[bool]:
    """``n`` flags with ``k`` True, spread evenly (deterministic)."""
    out = [False] * n
    for j in range(k):
        out[(offset + (j * n) // max(k, 1)) % n] = True
    return out
