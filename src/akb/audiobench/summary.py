"""``summary.json`` and ``summary.md`` for any audio-benchmark run (cascade, grounded,
``akb score``), in the format of docs/results.md, and the predictions file the official
MMAU/MMAR scripts read.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from pydantic import BaseModel

from akb.audiobench.benchmarks import AudioBenchmark
from akb.audiobench.items import AudioItem
from akb.audiobench.scoring import AudioMetrics, metrics_from_samples
from akb.core.jsonl import iter_jsonl, write_json_atomic
from akb.core.results import SAMPLES_FILE, AudioSummary
from akb.core.scores import Score


class AudioRunResult(BaseModel):
    """What a cascade or grounded run returns: where it is and what it scored."""

    run_dir: str
    metrics: AudioMetrics
    stats: dict[str, Any]
    complete: bool
    summary: dict[str, Any]


def audio_summary(*, task: str, model: str, benchmark: str, split: str | None, metrics: AudioMetrics,
                  complete: bool, label: str | None = None, **extra: Any) -> dict[str, Any]:
    """The summary dict; ``extra`` adds fields (captioner, identity, stats, versions, ...)."""
    out: dict[str, Any] = {
        "task": task, "model": model, "label": label or model, "benchmark": benchmark, "split": split,
        "complete": complete, "metrics": metrics.model_dump(),
    }
    out.update(extra)
    # Written through the results schema (akb.core.results), so every audio task writes one shape.
    return AudioSummary.model_validate(out).model_dump(mode="json", exclude_unset=True)


def _pct(s: Mapping[str, Any] | Score) -> str:
    sc = s if isinstance(s, Score) else Score.model_validate(s)
    return sc.pct_ci()


def summary_markdown(summary: Mapping[str, Any]) -> str:
    m = summary["metrics"]
    off, rob = m["official"], m["robust"]
    head = f"# {summary['task']}: {summary.get('label') or summary['model']} on {summary['benchmark']}"
    if summary.get("split"):
        head += f" ({summary['split']})"
    lines = [head, ""]
    if summary.get("captioner"):
        lines += [f"Captioner: `{summary['captioner']}`. Backbone LLM: `{summary['model']}`"
                  f"{', mode ' + summary['mode'] if summary.get('mode') else ''}.", ""]
    elif summary.get("connector"):
        enc = (summary.get("identity") or {}).get("encoder")
        lines += [f"Audio LLM: connector `{summary['connector']}` on the backbone LLM `{summary['model']}`"
                  f"{f', encoder `{enc}`' if enc else ''}.", ""]
    if not summary.get("complete", True):
        st = summary.get("stats", {})
        lines += [f"**Incomplete**: {st.get('failed', '?')} item(s) failed (counted wrong below); "
                  "fix the cause and run the same command again to finish them.", ""]
    script = m.get("official_script_breakdown") if m.get("missing") else None
    if script:  # the official scripts drop items without a prediction from every denominator: show both
        lines += ["| Scope | n | Official % [95% CI] | Robust % [95% CI] | Official script, missing dropped: n, % |",
                  "|---|---:|---|---|---|"]
    else:
        lines += ["| Scope | n | Official % [95% CI] | Robust % [95% CI] |", "|---|---:|---|---|"]

    def row(label: str, key: str | None, name: str | None) -> str:
        s = off[key][name] if key and name else off["overall"]
        r = (rob.get(key, {}).get(name) if key and name else rob.get("overall")) if rob else None
        cells = [label, str(s["n"]), _pct(s), _pct(r) if r else "-"]
        if script:
            sc = script.get(key, {}).get(name) if key and name else script.get("overall")
            cells.append(f"{sc['n']}, {_pct(sc)}" if sc and sc["n"] else "0, -")
        return "| " + " | ".join(cells) + " |"

    lines.append(row("**Overall**", None, None))
    for title, key in (("Group", "by_group"), ("Category", "by_category"), ("Sub-category", "by_subcategory"),
                       ("Difficulty", "by_difficulty")):
        for name in off.get(key, {}):
            lines.append(row(f"{title}: {name}", key, name))
    rate = rob.get("invalid_rate")
    lines += [
        "",
        f"Missing predictions: {m['missing']} (wrong under both rules). The official scripts drop them and would "
        f"print {_pct(m['official_script'])} on {m['official_script']['n']} items"
        + (" (last column: every breakdown that way)." if script else "."),
        f"Robust rule: {rob.get('invalid', 0)} invalid replies ({'-' if rate is None else f'{100 * rate:.1f}%'}), counted wrong.",
    ]
    if m.get("unlabelled"):
        lines.append(f"Unlabelled items (answers withheld): {m['unlabelled']}; their predictions are in predictions.json.")
    fails = summary.get("failures") or []
    if fails:
        lines += ["", "## Failed items", ""] + [f"- {f}" for f in fails[:20]]
        if len(fails) > 20:
            lines.append(f"- ... and {len(fails) - 20} more (see summary.json)")
    problems = summary.get("load_problems") or []
    if problems:
        lines += ["", "## Benchmark entries that could not be read", ""] + [f"- {p}" for p in problems[:20]]
    return "\n".join(lines) + "\n"


def write_audio_summary(run_dir: str | Path, summary: Mapping[str, Any]) -> None:
    d = Path(run_dir)
    write_json_atomic(d / "summary.json", dict(summary))
    write_json_atomic(d / "summary.md", summary_markdown(summary))


def write_predictions(path: str | Path, bench: AudioBenchmark, samples: Sequence[Mapping[str, Any]]) -> int:
    """The benchmark's own entries plus the prediction under the key its official script
    reads (MMAU ``model_output``, MMAR ``answer_prediction``): a drop-in for those scripts
    and, for MMAU test, the submission. Items without a prediction are left out, as the
    official scripts expect. Returns the number written."""
    key = bench.prediction_key
    out = []
    for s in samples:
        rec = bench.records.get(s["id"])
        if rec is None or s.get("pred") is None:
            continue
        out.append({**rec, key: s["pred"]})
    write_json_atomic(path, out)
    return len(out)


def collect_run(run_dir: str | Path, bench: AudioBenchmark, items: Sequence[AudioItem],
                predictions_file: str = "predictions.json") -> tuple[list[dict[str, Any]], AudioMetrics, dict[str, int]]:
    """The end of every audio run: its samples for ``items`` (an item without one failed and
    counts as missing), their metrics, ``predictions.json`` written, and the counts for
    ``stats`` (items selected/scored/failed, unreadable entries, predictions written)."""
    wanted = {i.id for i in items}
    path = Path(run_dir) / SAMPLES_FILE
    samples = [rec for _, rec in iter_jsonl(path) if rec["id"] in wanted] if path.exists() else []
    metrics = metrics_from_samples(items, samples)
    n_pred = write_predictions(Path(run_dir) / predictions_file, bench, samples)
    counts = {"items_selected": len(items), "items_scored": len(samples), "failed": len(items) - len(samples),
              "unreadable_entries": len(bench.problems), "predictions_written": n_pred}
    return samples, metrics, counts
