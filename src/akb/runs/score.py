"""``akb score``: score any model's existing MMAU/MMAR outputs, as a drop-in for the
official scripts.

The predictions file is what those scripts read: the benchmark's JSON (or JSONL) entries
with the model's answer added under a key: MMAU's script reads ``model_output`` (its
README says ``model_prediction``), MMAR's ``answer_prediction``; ``prediction``, ``pred``
and ``response`` are accepted too, or name it with ``key``. Entries without the key are
counted as missing (wrong) rather than dropped, and the number the official script would
print is given beside it. With ``benchmark_file`` the items come from the official
benchmark file and the predictions file only needs ``id`` and the prediction.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from akb.audiobench.benchmarks import (
    AudioBenchmark,
    ItemProblem,
    available_benchmarks,
    get_benchmark,
    iter_records,
)
from akb.audiobench.scoring import compute_audio_metrics
from akb.audiobench.summary import audio_summary
from akb.core.errors import ConfigError, DataError


def pick_key(path: Path, records: list[dict[str, Any]], benchmark: str, key: str | None) -> str:
    if key:
        if not any(key in r for r in records):
            raise DataError(f"no entry has the prediction key '{key}'", file=path)
        return key
    keys = get_benchmark(benchmark).prediction_keys
    for k in keys:
        if any(k in r for r in records):
            return k
    seen = sorted({k for r in records for k in r})[:30]
    raise DataError(f"no prediction key found (looked for {', '.join(keys)}); "
                    f"keys present: {', '.join(seen)}; name it with --key", file=path)


def score_file(benchmark: str, predictions: str | Path, *, key: str | None = None,
               benchmark_file: str | Path | None = None, label: str | None = None) -> dict[str, Any]:
    """Score ``predictions``; returns a summary dict (docs/results.md shape, task 'score')."""
    benchmark = benchmark.lower()
    known = available_benchmarks()
    if benchmark not in known:
        raise ConfigError(f"unknown benchmark '{benchmark}'; akb score knows: {', '.join(known)}")
    pred_path = Path(predictions)
    entries: list[dict[str, Any]] = []
    entry_problems: list[ItemProblem] = []
    for _where, _line, rec in iter_records(pred_path):
        if isinstance(rec, ItemProblem):
            entry_problems.append(rec)
        else:
            entries.append(rec)
    k = pick_key(pred_path, entries, benchmark, key)
    preds: dict[str, str | None] = {}
    for rec in entries:
        if "id" in rec and k in rec:
            v = rec[k]
            preds[str(rec["id"])] = None if v is None else str(v)
    bench: AudioBenchmark = known[benchmark].load(str(benchmark_file or pred_path), None)
    if bench.problems or entry_problems:
        # Scoring must not drop items quietly: an entry we cannot read is an error.
        first = (entry_problems + bench.problems)[0]
        raise DataError(f"{first} ({len(entry_problems) + len(bench.problems)} unreadable entr"
                        f"{'y' if len(entry_problems) + len(bench.problems) == 1 else 'ies'}; fix them to score)")
    unknown = sorted(set(preds) - {i.id for i in bench.items})
    metrics = compute_audio_metrics(bench.items, preds)
    return audio_summary(
        task="score", model=label or pred_path.stem, benchmark=benchmark, split=bench.split, metrics=metrics,
        complete=metrics.missing == 0, predictions={"path": str(pred_path), "key": k, "entries": len(entries)},
        data={"path": str(bench.path), "sha256": bench.sha256, "items": len(bench.items)},
        load_problems=[str(p) for p in (entry_problems + bench.problems)[:50]],
        unknown_ids=unknown[:50], stats={"unknown_ids": len(unknown), "unreadable_entries": len(entry_problems) + len(bench.problems)},
    )
