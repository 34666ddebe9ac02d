"""Leaderboards shaped like the study's tables, in markdown, CSV, LaTeX and HTML.

- ``overview``: one row per model, one column per setting (the study's leaderboard);
- ``table1_akb2000``: AKB-2000 accuracy per category (Table 1);
- ``table2_cascade``: caption + LLM on MMAU and MMAR, per task (Table 2);
- ``table3_grounded``: audio-grounded scores (Table 3);
- ``runs``: each of your runs with its item count and 95% interval.

Published rows come first in the study's groups, your runs last under "Your runs".
Accuracies are percentages with two decimals as printed in the study; a missing value is
a dash, never NaN.
"""

from __future__ import annotations

import csv
import html
import io
from dataclasses import dataclass, field

from akb.analysis.reference import CAPTIONER_GROUP, CASCADE_LLM_GROUPS, OURS, SYSTEMS
from akb.analysis.runs_index import RUNS_GROUP, Pct, RunRecord, RunsIndex
from akb.analysis.settings import TASK_CASCADE, TASK_GROUNDED
from akb.audiobench.benchmarks import benchmark_label

# Column order and names of the study's Table 1.
CATEGORY_ORDER = ("sound", "paralinguistic", "phonetic", "music", "audio_quality", "technical")
CATEGORY_NAMES = {"sound": "Sound", "paralinguistic": "Paralinguistic", "phonetic": "Phonetic", "music": "Music",
                  "audio_quality": "Audio Quality", "technical": "Technical"}
AUDIO_GROUPS = ("sound", "music", "speech")
DASH = "–"

Cell = str | None


@dataclass
class Table:
    name: str
    title: str
    columns: list[str]
    rows: list[tuple[str, list[Cell]]] = field(default_factory=list)  # (group, cells)
    notes: list[str] = field(default_factory=list)

    @property
    def empty(self) -> bool:
        return not self.rows

    def _aligns(self) -> list[str]:
        out = []
        for j in range(len(self.columns)):
            vals = [c for _, cells in self.rows if (c := cells[j])]
            out.append("r" if vals and all(_is_num(v) for v in vals) else "l")
        return out

    def markdown(self) -> str:
        al = self._aligns()
        lines = [f"### {self.title}", "", "| " + " | ".join(self.columns) + " |",
                 "|" + "|".join("---:" if a == "r" else "---" for a in al) + "|"]
        last = None
        for group, cells in self.rows:
            if group and group != last:
                lines.append(f"| **{group}** |" + " |" * (len(self.columns) - 1))
                last = group
            lines.append("| " + " | ".join(DASH if c is None else c for c in cells) + " |")
        lines += [""] + [f"{n}" for n in self.notes] if self.notes else []
        return "\n".join(lines) + "\n"

    def csv(self) -> str:
        buf = io.StringIO()
        w = csv.writer(buf, lineterminator="\n")
        w.writerow(["Group", *self.columns])
        for group, cells in self.rows:
            w.writerow([group, *("" if c is None else c for c in cells)])
        return buf.getvalue()

    def latex(self) -> str:
        al = self._aligns()
        k = len(self.columns)
        out = [f"% {self.title}", "\\begin{tabular}{" + "".join(al) + "}", "\\toprule",
               " & ".join(_tex(c) for c in self.columns) + " \\\\", "\\midrule"]
        last = None
        for group, cells in self.rows:
            if group and group != last:
                if last is not None:
                    out.append("\\midrule")
                out.append(f"\\multicolumn{{{k}}}{{l}}{{\\textit{{{_tex(group)}}}}} \\\\")
                last = group
            out.append(" & ".join("--" if c is None else _tex(c) for c in cells) + " \\\\")
        out += ["\\bottomrule", "\\end{tabular}"]
        return "\n".join(out) + "\n"

    def html(self) -> str:
        al = self._aligns()
        k = len(self.columns)
        parts = [f'<table class="lb" id="{html.escape(self.name)}">',
                 "<thead><tr>" + "".join(f"<th>{html.escape(c)}</th>" for c in self.columns) + "</tr></thead><tbody>"]
        last = None
        for group, cells in self.rows:
            if group and group != last:
                parts.append(f'<tr class="grp"><th colspan="{k}">{html.escape(group)}</th></tr>')
                last = group
            tds = "".join(f'<td class="{"num" if a == "r" else ""}">{html.escape(DASH if c is None else c)}</td>'
                          for a, c in zip(al, cells, strict=True))
            parts.append(f"<tr>{tds}</tr>")
        parts.append("</tbody></table>")
        if self.notes:
            parts.append("".join(f'<p class="note">{html.escape(n)}</p>' for n in self.notes))
        return "\n".join(parts)


def _is_num(s: str) -> bool:
    try:
        float(s.split(" ")[0])
        return True
    except ValueError:
        return False


def _tex(s: str) -> str:
    rep = {"\\": "\\textbackslash{}", "&": "\\&", "%": "\\%", "$": "\\$", "#": "\\#", "_": "\\_",
           "{": "\\{", "}": "\\}", "~": "\\textasciitilde{}", "^": "\\textasciicircum{}", "–": "--", "—": "---"}
    return "".join(rep.get(ch, ch) for ch in s)


def fmt(v: float | Pct | None) -> Cell:
    if v is None:
        return None
    return f"{v.value if isinstance(v, Pct) else v:.2f}"


# ---------------------------------------------------------------------------- the tables
def overview(index: RunsIndex) -> Table:
    sids = index.setting_ids()
    t = Table("overview", "Leaderboard: every model in every setting (accuracy %)",
              ["Model", *(index.label(s) for s in sids)])
    for r in index.rows:
        t.rows.append((r.group, [r.display, *(fmt(r.value(s)) for s in sids)]))
    t.notes.append("(T): text only (AKB-2000, or MMAU/MMAR through a caption); (A): audio-grounded (DeSTA-trained "
                   "backbone, or a published audio LLM).")
    return t


def table1(index: RunsIndex) -> Table:
    rows = [r for r in index.rows if "akb2000_text" in r.scores]
    extra = sorted({g for r in rows for g in r.scores["akb2000_text"].groups} - set(CATEGORY_ORDER))
    cats = [*CATEGORY_ORDER, *extra]
    t = Table("table1_akb2000", "Table 1: AKB-2000 accuracy by category (%)",
              ["Model", *(CATEGORY_NAMES.get(c, c) for c in cats), "Avg."])
    for r in rows:
        s = r.scores["akb2000_text"]
        t.rows.append((r.group, [r.display, *(fmt(s.groups.get(c)) for c in cats), fmt(s.score)]))
    if any(r.source == "run" for r in rows):
        t.notes.append("Avg. is accuracy over all items, not a mean of the category columns. "
                       "Intervals for your runs: see the runs table.")
    return t


def _bench_columns(index: RunsIndex, task: str) -> list[tuple[str, list[str]]]:
    """(benchmark, its group columns) for the audio benchmarks of one task, MMAU and MMAR first."""
    benches: dict[str, set[str]] = {}
    for rec in index.runs:
        if rec.task == task:
            benches.setdefault(index.settings[rec.setting].benchmark, set()).update(rec.groups)
    if index.reference is not None:
        benches.setdefault("mmau", set())
        benches.setdefault("mmar", set())
    out = []
    for b in sorted(benches, key=lambda b: ({"mmau": 0, "mmar": 1}.get(b, 2), b)):
        groups = [g for g in AUDIO_GROUPS if b in ("mmau", "mmar") or g in benches[b]]
        groups += sorted(g for g in benches[b] if g not in groups and b not in ("mmau", "mmar"))
        out.append((b, groups))
    return out


def _bench_label(b: str) -> str:
    return benchmark_label(b)


def table2(index: RunsIndex) -> Table:
    cols = _bench_columns(index, TASK_CASCADE)
    heads = ["Model", "Captioner"]
    for b, groups in cols:
        heads += [f"{_bench_label(b)} {g.capitalize()}" for g in groups] + [f"{_bench_label(b)} Avg"]
    t = Table("table2_cascade", "Table 2: cascade (caption + text LLM) on MMAU and MMAR (%)", heads)
    ref = index.reference
    if ref is not None:
        for cap, v in ref.cascade_by_category.get(CAPTIONER_GROUP, {}).items():
            t.rows.append((CAPTIONER_GROUP, ["Gemini-2.5-Pro", cap, *_ref_cascade_cells(v, cols)]))
        for g in CASCADE_LLM_GROUPS:
            for model, v in ref.cascade_by_category.get(g, {}).items():
                t.rows.append((g, [model, "Gemini-caption", *_ref_cascade_cells(v, cols)]))
    combos: dict[tuple[str, str], dict[str, RunRecord]] = {}
    for rec in index.runs:
        if rec.task == TASK_CASCADE:
            combos.setdefault((rec.name, rec.captioner or "?"), {})[index.settings[rec.setting].benchmark] = rec
    for (model, cap), per in combos.items():
        cells: list[Cell] = [f"{model} (run)", cap]
        for b, groups in cols:
            got = per.get(b)
            cells += [fmt(got.groups.get(g)) if got else None for g in groups] + [fmt(got.overall) if got else None]
        t.rows.append((RUNS_GROUP, cells))
    t.notes.append("Official scoring rule; missing predictions counted wrong. MMAR Avg includes the mixed-modality items.")
    return t


def _ref_cascade_cells(v: dict[str, float], cols: list[tuple[str, list[str]]]) -> list[Cell]:
    cells: list[Cell] = []
    for b, groups in cols:
        cells += [fmt(v.get(f"{b}_{g}")) for g in groups] + [fmt(v.get(f"{b}_avg"))]
    return cells


def table3(index: RunsIndex) -> Table:
    sids = [s for s in index.setting_ids() if index.settings[s].modality == "audio"]
    t = Table("table3_grounded", "Table 3: audio-grounded accuracy (%)", ["Model", *(index.label(s) for s in sids)])
    ref = index.reference
    if ref is not None:
        for group in (SYSTEMS, OURS):
            for model in ref.audio_grounded[group]:
                row = next(r for r in index.rows if r.source == "paper" and r.name == model)
                t.rows.append((group, [model, *(fmt(row.value(s)) for s in sids)]))
    for r in index.rows:
        if r.source == "run" and any(index.settings[s].task == TASK_GROUNDED for s in r.scores):
            t.rows.append((RUNS_GROUP, [f"{r.name} (run)", *(fmt(r.value(s)) for s in sids)]))
    t.notes.append("Your grounded runs are named by the backbone LLM the audio model was built on.")
    return t


def runs_table(index: RunsIndex) -> Table:
    t = Table("runs", "Your runs: accuracy with 95% Wilson intervals",
              ["Model", "Setting", "Setup", "Items", "Accuracy %", "95% CI", "Complete", "Run directory"])
    for rec in index.runs:
        ci = (f"{rec.overall.ci_low:.1f}–{rec.overall.ci_high:.1f}"
              if rec.overall.ci_low is not None and rec.overall.ci_high is not None else None)
        t.rows.append(("", [rec.name, index.label(rec.setting), rec.detail or None,
                            str(rec.overall.n) if rec.overall.n is not None else None, fmt(rec.overall), ci,
                            "yes" if rec.complete else "NO", rec.path]))
    return t


def all_tables(index: RunsIndex) -> list[Table]:
    """The non-empty tables, overview first."""
    return [t for t in (overview(index), table1(index), table2(index), table3(index), runs_table(index)) if not t.empty]
