"""The one adapter between run directories, the published numbers and the analysis.

Every evaluation writes ``summary.json`` in the format fixed in ``docs/results.md``:
``task`` is ``akb-probe``, ``cascade`` or ``grounded``; a probe's headline is
``metrics.overall``, an audio run's is ``metrics.official.overall`` (the benchmark's own
rule, missing predictions counted wrong), each a Score with ``accuracy`` as a fraction.
This module is the only place that reads those files (and the reference's tables); what
it returns is in percent and keyed on settings (:mod:`akb.analysis.settings`), so the
tables, correlations, plots and fits never look at a file format.

A :class:`RunsIndex` holds

- ``runs``: every run read, one :class:`RunRecord` each (tables 1-3, paired comparisons);
- ``rows``: one :class:`ModelRow` per model with its score in each setting (the overview,
  correlations, fits). Published models and your runs are separate rows, so a run of
  ``hf:Qwen/Qwen2.5-7B-Instruct`` sits beside the paper's ``Qwen2.5-7B`` and never
  overwrites it;
- ``notices``: what a reader must know (incomplete runs, runs superseded by a newer run of
  the same model and setting, item sets that differ from the published ones).
"""

from __future__ import annotations

import json
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ValidationError

from akb.analysis.reference import CAPTIONER_GROUP, Reference
from akb.analysis.settings import (
    PAPER_SETTINGS,
    TASK_CASCADE,
    TASK_PROBE,
    TASKS,
    Setting,
    order_key,
    setting_for,
)
from akb.core.errors import DataError
from akb.core.results import SAMPLES_FILE, SUMMARY_FILE, AudioSummary, ProbeSummary
from akb.core.scores import Score

RUNS_GROUP = "Your runs"
PUBLISHED_AKB_ITEMS = 2000
PUBLISHED_CAPTIONER = "Gemini-caption"  # the captions behind the study's MMAU(T) and MMAR(T)


class Pct(BaseModel):
    """An accuracy in percent, with its count and 95% interval where known."""

    value: float
    n: int | None = None
    correct: int | None = None
    ci_low: float | None = None
    ci_high: float | None = None

    def text(self, ci: bool = False, digits: int = 2) -> str:
        s = f"{self.value:.{digits}f}"
        if ci and self.ci_low is not None and self.ci_high is not None:
            s += f" [{self.ci_low:.1f}, {self.ci_high:.1f}]"
        return s


class RunRecord(BaseModel):
    """One run directory, read through the summary contract."""

    path: str
    task: str
    setting: str
    model: str
    name: str
    benchmark: str
    split: str | None = None
    captioner: str | None = None
    detail: str = ""  # probe mode, circular, cot: what else decided the score
    complete: bool = True
    created: str | None = None
    overall: Pct
    groups: dict[str, Pct] = {}  # probe: categories; audio: MMAU task / MMAR modality
    subgroups: dict[str, Pct] = {}  # probe: "category/subcategory"; audio: by_subcategory
    robust: Pct | None = None  # audio: akb's letter-or-text rule
    missing: int | None = None

    @property
    def samples_path(self) -> Path:
        return Path(self.path) / SAMPLES_FILE


class SettingScore(BaseModel):
    score: Pct
    groups: dict[str, Pct] = {}
    subgroups: dict[str, Pct] = {}
    run: str | None = None  # the run directory, for rows from runs
    captioner: str | None = None


class ModelRow(BaseModel):
    name: str
    source: Literal["paper", "run"]
    kind: Literal["backbone", "system"]  # systems: published audio LLMs, not backbones
    group: str
    scores: dict[str, SettingScore] = {}

    @property
    def key(self) -> str:
        return f"{self.source}:{self.name}"

    @property
    def display(self) -> str:
        return self.name if self.source == "paper" else f"{self.name} (run)"

    def value(self, setting_id: str) -> float | None:
        s = self.scores.get(setting_id)
        return s.score.value if s else None


@dataclass
class RunsIndex:
    rows: list[ModelRow] = field(default_factory=list)
    runs: list[RunRecord] = field(default_factory=list)
    settings: dict[str, Setting] = field(default_factory=dict)
    notices: list[str] = field(default_factory=list)
    reference: Reference | None = None

    def setting_ids(self, *, backbones_only: bool = False) -> list[str]:
        """Settings with at least one score, paper columns first."""
        present = {sid for r in self.rows if not backbones_only or r.kind == "backbone" for sid in r.scores}
        return sorted(present, key=order_key)

    def label(self, setting_id: str) -> str:
        s = self.settings.get(setting_id)
        return s.label if s else setting_id

    def backbones(self) -> list[ModelRow]:
        return [r for r in self.rows if r.kind == "backbone"]

    def runs_for(self, setting_id: str) -> list[RunRecord]:
        return [r for r in self.runs if r.setting == setting_id]


# ---------------------------------------------------------------------------- summary contract
# The summaries are read through the results schema every task writes (akb.core.results).


def _pct(s: Score, file: Path, where: str) -> Pct | None:
    if s.accuracy is None or s.n == 0:
        return None
    for name, v in (("accuracy", s.accuracy), ("ci_low", s.ci_low), ("ci_high", s.ci_high)):
        if v is not None and not 0.0 <= v <= 1.0:
            raise DataError(f"{v} is not a fraction in 0..1 (docs/results.md: a Score's accuracy is a fraction)",
                            file=file, field=f"{where}.{name}")
    return Pct(value=100 * s.accuracy, n=s.n, correct=s.correct,
               ci_low=None if s.ci_low is None else 100 * s.ci_low,
               ci_high=None if s.ci_high is None else 100 * s.ci_high)


def _pcts(d: dict[str, Score], file: Path, where: str) -> dict[str, Pct]:
    out = {}
    for k, s in d.items():
        p = _pct(s, file, f"{where}.{k}")
        if p is not None:
            out[k] = p
    return out


def load_run(run_dir: str | Path) -> RunRecord:
    """Read one run directory's ``summary.json``; one clear error for anything off-contract."""
    d = Path(run_dir)
    f = d / SUMMARY_FILE
    if not f.exists():
        if (d / SAMPLES_FILE).exists():
            raise DataError("no summary.json: the run has not finished; run the same command again to finish it", file=d)
        raise DataError("not a run directory (no summary.json)", file=d)
    try:
        raw = json.loads(f.read_text(encoding="utf-8"))
    except json.JSONDecodeError as e:
        raise DataError(f"not valid JSON ({e.msg})", file=f, line=e.lineno) from None
    if not isinstance(raw, dict):
        raise DataError("expected a JSON object", file=f)
    task = raw.get("task")
    if task not in TASKS:
        raise DataError(f"unknown task {task!r}; expected one of {', '.join(TASKS)}", file=f, field="task")
    try:
        if task == TASK_PROBE:
            return _probe_record(d, f, ProbeSummary.model_validate(raw))
        return _audio_record(d, f, AudioSummary.model_validate(raw))
    except ValidationError as e:
        err = e.errors()[0]
        raise DataError(err["msg"], file=f, field=".".join(map(str, err["loc"]))) from None


def _probe_record(d: Path, f: Path, s: ProbeSummary) -> RunRecord:
    overall = _pct(s.metrics.overall, f, "metrics.overall")
    if overall is None:
        raise DataError("the run scored no items", file=f, field="metrics.overall")
    bits = [s.mode or "?"] + (["circular"] if s.circular else []) + (["cot"] if (s.prompt or {}).get("cot") else [])
    return RunRecord(
        path=str(d), task=s.task, setting=setting_for(s.task).id, model=s.model, name=s.label or s.model,
        benchmark="akb2000", detail=", ".join(bits), complete=s.complete, created=s.created, overall=overall,
        groups=_pcts(s.metrics.categories, f, "metrics.categories"),
        subgroups=_pcts(s.metrics.subcategories, f, "metrics.subcategories"),
    )


def _audio_record(d: Path, f: Path, s: AudioSummary) -> RunRecord:
    overall = _pct(s.metrics.official.overall, f, "metrics.official.overall")
    if overall is None:
        raise DataError("the run scored no items", file=f, field="metrics.official.overall")
    robust = _pct(s.metrics.robust.overall, f, "metrics.robust.overall") if s.metrics.robust else None
    return RunRecord(
        path=str(d), task=s.task, setting=setting_for(s.task, s.benchmark, s.split).id, model=s.model,
        name=s.label or s.model, benchmark=s.benchmark.lower(), split=s.split, captioner=s.captioner,
        detail=s.captioner or "", complete=s.complete, created=s.created, overall=overall,
        groups=_pcts(s.metrics.official.by_group, f, "metrics.official.by_group"),
        subgroups=_pcts(s.metrics.official.by_subcategory, f, "metrics.official.by_subcategory"),
        robust=robust, missing=s.metrics.missing,
    )


def find_run_dirs(paths: list[str | Path]) -> list[Path]:
    """Run directories named directly, or found below a folder (``runs/``), in a stable order."""
    found: list[Path] = []
    for p in map(Path, paths):
        if not p.exists():
            raise DataError("not found", file=p)
        if p.is_file():
            if p.name != SUMMARY_FILE:
                raise DataError("expected a run directory or its summary.json", file=p)
            found.append(p.parent)
        elif (p / SUMMARY_FILE).exists() or (p / SAMPLES_FILE).exists():
            found.append(p)
        else:
            below = sorted(x.parent for x in p.rglob(SUMMARY_FILE))
            if not below:
                raise DataError("no run found (no summary.json in it or below it)", file=p)
            found.extend(below)
    seen: set[Path] = set()
    out = []
    for p in found:
        r = p.resolve()
        if r not in seen:
            seen.add(r)
            out.append(p)
    return out


# ---------------------------------------------------------------------------- the index
def reference_rows(ref: Reference) -> list[ModelRow]:
    """The published models as rows: backbones with their five settings, systems with two."""
    rows = []
    cascade = ref.cascade_rows()
    systems = set(ref.systems)
    for name, e in ref.leaderboard.items():
        scores: dict[str, SettingScore] = {}
        for st in PAPER_SETTINGS:
            v = e.value(st.id)
            if v is None:
                continue
            groups: dict[str, Pct] = {}
            if st.id == "akb2000_text":
                groups = {k: Pct(value=x) for k, x in ref.akb2000_by_category.get(name, {}).items() if k != "avg"}
            elif st.task == TASK_CASCADE and name in cascade:
                prefix = f"{st.benchmark}_"
                groups = {k[len(prefix):]: Pct(value=x) for k, x in cascade[name].items()
                          if k.startswith(prefix) and not k.endswith("_avg")}
            scores[st.id] = SettingScore(score=Pct(value=v), groups=groups,
                                         captioner=PUBLISHED_CAPTIONER if st.task == TASK_CASCADE else None)
        rows.append(ModelRow(name=name, source="paper", kind="system" if name in systems else "backbone",
                             group=e.group, scores=scores))
    return rows


def _pick(runs: list[RunRecord]) -> RunRecord:
    """Of several runs of one model in one setting: complete first, then the newest."""
    return max(enumerate(runs), key=lambda ir: (ir[1].complete, ir[1].created or "", ir[0]))[1]


def build_index(paths: list[str | Path], reference: Reference | None = None) -> RunsIndex:
    idx = RunsIndex(reference=reference)
    for st in PAPER_SETTINGS:
        idx.settings[st.id] = st
    if reference is not None:
        idx.rows.extend(reference_rows(reference))
    for d in find_run_dirs(paths):
        rec = load_run(d)
        idx.runs.append(rec)
        st = setting_for(rec.task, rec.benchmark, rec.split)
        idx.settings.setdefault(st.id, st)
        if not rec.complete:
            n = f" on {rec.overall.n} items" if rec.overall.n else ""
            idx.notices.append(f"{d}: incomplete run (complete=false); its score{n} covers only the items scored so far")
    by_model: dict[str, dict[str, list[RunRecord]]] = defaultdict(lambda: defaultdict(list))
    for rec in idx.runs:
        by_model[rec.name][rec.setting].append(rec)
    for name, per_setting in by_model.items():
        row = ModelRow(name=name, source="run", kind="backbone", group=RUNS_GROUP)
        for sid, recs in per_setting.items():
            chosen = _pick(recs)
            if len(recs) > 1:
                others = ", ".join(r.path for r in recs if r is not chosen)
                idx.notices.append(f"{len(recs)} runs give {name} on {idx.label(sid)}; using {chosen.path} "
                                   f"({'complete, ' if chosen.complete else ''}newest), not {others}")
            row.scores[sid] = SettingScore(score=chosen.overall, groups=chosen.groups, subgroups=chosen.subgroups,
                                           run=chosen.path, captioner=chosen.captioner)
        idx.rows.append(row)
    _comparability_notices(idx)
    return idx


def _comparability_notices(idx: RunsIndex) -> None:
    """Where your runs and the published ones were not made the same way."""
    probes = idx.runs_for("akb2000_text")
    sizes = sorted({r.overall.n for r in probes if r.overall.n})
    if len(sizes) > 1:
        detail = ", ".join(f"{r.name}: {r.overall.n}" for r in probes)
        idx.notices.append(f"AKB-2000 runs were scored on different numbers of items ({detail}); "
                           "their scores are not directly comparable")
    if idx.reference is not None and probes and any(s != PUBLISHED_AKB_ITEMS for s in sizes):
        idx.notices.append(f"your AKB-2000 scores rest on {'/'.join(map(str, sizes))} items, the published ones on "
                           f"{PUBLISHED_AKB_ITEMS}: read them side by side as indications, not as a ranking")
    if idx.reference is not None:
        for st in PAPER_SETTINGS:
            caps = sorted({r.captioner or "?" for r in idx.runs_for(st.id) if r.task == TASK_CASCADE})
            if caps:
                idx.notices.append(f"your {st.label} runs were captioned by {', '.join(caps)}, the published ones by "
                                   f"{PUBLISHED_CAPTIONER}: correlations and fits that pool them mix two captioners")


def captioner_rows(ref: Reference) -> dict[str, dict[str, float]]:
    """The published captioner comparison (Table 2's first block): captioner -> scores."""
    return dict(ref.cascade_by_category.get(CAPTIONER_GROUP, {}))


__all__ = [
    "ModelRow", "Pct", "RunRecord", "RunsIndex", "SettingScore", "build_index", "captioner_rows",
    "find_run_dirs", "load_run", "reference_rows",
]
