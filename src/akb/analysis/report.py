"""The report: every table, figure and test for a set of runs (and the published numbers).

``build_report`` writes into one folder::

    index.html              one self-contained page (figures embedded), opens without a server
    report.md, report.json  the same for people and for programs
    tables/NAME.{md,csv,tex,html}   overview, Tables 1-3, your runs
    correlations.{md,csv}   Pearson and Spearman, n, bootstrap 95% interval, per pair of settings
    reproduction.{md,csv}   the published heatmap cells beside the r the published tables give
    fits.csv                backbone selection: text-only -> audio-grounded lines
    paired.{md,csv}         A vs B on the same items: McNemar p and bootstrap interval
    figures/*.png           heatmaps, scatter plots, category and subcategory bars

Degenerate input (one model, a missing setting, identical scores) gives cells that say
why they are empty, never NaN and never a crash.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from itertools import combinations
from pathlib import Path
from typing import Any

from akb.analysis import plots
from akb.analysis.breakdown import hardest_categories, hardest_subcategories, spreads
from akb.analysis.correlation import (
    Matrix,
    Reproduction,
    correlation_matrix,
    matrix_markdown,
    matrix_records,
    reproduce_published,
)
from akb.analysis.leaderboard import CATEGORY_NAMES, all_tables
from akb.analysis.paired import Paired, adjust_holm, load_correct, paired_compare
from akb.analysis.predict import PREDICTORS, TARGETS, Fit, fit_from_index
from akb.analysis.reference import Reference
from akb.analysis.report_render import (
    paired_markdown,
    report_html,
    report_markdown,
    reproduction_markdown,
)
from akb.analysis.runs_index import RunsIndex, build_index
from akb.core.jsonl import write_json_atomic

Progress = Callable[[str], None]


@dataclass
class ReportResult:
    out: Path
    index: RunsIndex
    matrix: Matrix
    reproduction: list[Reproduction] = field(default_factory=list)
    paired: list[Paired] = field(default_factory=list)
    fits: list[Fit] = field(default_factory=list)
    findings: list[str] = field(default_factory=list)
    figures: dict[str, Path] = field(default_factory=dict)
    captions: dict[str, str] = field(default_factory=dict)  # figure key -> a caption in words
    files: list[Path] = field(default_factory=list)

    @property
    def html(self) -> Path:
        return self.out / "index.html"

    @property
    def notices(self) -> list[str]:
        return self.index.notices


def _write(res: ReportResult, rel: str, text: str) -> Path:
    p = res.out / rel
    write_json_atomic(p, text)
    res.files.append(p)
    return p


def _csv(records: Sequence[Mapping[str, Any]]) -> str:
    if not records:
        return ""
    buf = io.StringIO()
    w = csv.DictWriter(buf, fieldnames=list(records[0]), lineterminator="\n")
    w.writeheader()
    for r in records:
        w.writerow({k: ("" if v is None else round(v, 6) if isinstance(v, float) else v) for k, v in r.items()})
    return buf.getvalue()


def build_report(paths: Sequence[str | Path], reference: Reference | None, out: str | Path, *,
                 n_boot: int = 2000, seed: int = 0, subcategory_names: Mapping[str, str] | None = None,
                 progress: Progress | None = None) -> ReportResult:
    say = progress or (lambda _msg: None)
    say("reading runs")
    index = build_index(list(paths), reference)
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    say("correlations")
    matrix = correlation_matrix(index, n_boot=n_boot, seed=seed)
    res = ReportResult(out=out, index=index, matrix=matrix)
    if reference is not None:
        res.reproduction = reproduce_published(reference, correlation_matrix(build_index([], reference), n_boot=n_boot, seed=seed))
    if len(matrix.settings) < 2:
        have = ", ".join(index.label(s) for s in matrix.settings) or "none"
        index.notices.append(f"correlations need scores in at least two settings; the backbones here have: {have}")
    res.fits = [fit_from_index(index, x, y) for x in PREDICTORS for y in TARGETS
                if x in matrix.settings and y in matrix.settings]
    say("paired comparisons")
    res.paired = _paired(index, n_boot=10000, seed=seed)
    res.findings = _findings(index, res)
    say("tables")
    tables = all_tables(index)
    for t in tables:
        for ext, text in (("md", t.markdown()), ("csv", t.csv()), ("tex", t.latex()), ("html", t.html())):
            _write(res, f"tables/{t.name}.{ext}", text)
    _write(res, "correlations.md", "\n\n".join([matrix_markdown(matrix, "pearson", ci=True),
                                                 matrix_markdown(matrix, "spearman", ci=True)]) + "\n")
    _write(res, "correlations.csv", _csv(matrix_records(matrix)))
    if res.reproduction:
        _write(res, "reproduction.md", reproduction_markdown(res.reproduction, index) + "\n")
        _write(res, "reproduction.csv", _csv([r.model_dump() for r in res.reproduction]))
    if res.fits:
        _write(res, "fits.csv", _csv([f.model_dump(exclude={"models"}) | {"models": "; ".join(f.models)} for f in res.fits]))
    if res.paired:
        _write(res, "paired.md", paired_markdown(res.paired) + "\n")
        _write(res, "paired.csv", _csv([p.model_dump() | {"verdict": p.verdict()} for p in res.paired]))
    say("figures")
    res.figures = _figures(index, matrix, res, subcategory_names or {})
    markdown = report_markdown(res, tables)
    _write(res, "report.md", markdown)
    _write(res, "report.json", json.dumps(_json(res), indent=2, ensure_ascii=False) + "\n")
    _write(res, "index.html", report_html(res, tables))
    say("done")
    return res


# ---------------------------------------------------------------------------- pieces
def _paired(index: RunsIndex, *, n_boot: int, seed: int) -> list[Paired]:
    out = []
    for sid in index.setting_ids():
        chosen = [(r.name, r.scores[sid].run) for r in index.rows if r.source == "run" and sid in r.scores]
        usable = []
        for name, run in chosen:
            if run and (Path(run) / "samples.jsonl").exists():
                usable.append((name, load_correct(Path(run) / "samples.jsonl")))
            elif run:
                index.notices.append(f"{run}: no samples.jsonl, so it is left out of the paired comparisons")
        for (na, a), (nb, b) in combinations(usable, 2):
            out.append(paired_compare(a, b, name_a=na, name_b=nb, setting=index.label(sid), n_boot=n_boot, seed=seed))
    return adjust_holm(out)


def _findings(index: RunsIndex, res: ReportResult) -> list[str]:
    out = []
    if res.reproduction:
        ok = [r for r in res.reproduction if r.agrees]
        line = f"{len(ok)} of {len(res.reproduction)} published heatmap cells are reproduced to two decimals from the published tables"
        bad = [r for r in res.reproduction if not r.agrees]
        if bad:
            line += "; differing: " + "; ".join(
                f"{index.label(r.a)}~{index.label(r.b)} printed {r.published_r:.2f} (n={r.published_n}), "
                f"computed {'undefined' if r.r is None else f'{r.r:.3f}'} (n={r.n})" for r in bad)
        out.append(line + ".")
    for c in res.matrix.pairs():
        sa, sb = index.settings.get(c.a), index.settings.get(c.b)
        if c.defined and sa and sb and sa.modality == "text" and sb.modality == "audio" and c.pearson_ci:
            out.append(f"{index.label(c.a)} predicts {index.label(c.b)}: Pearson r = {c.pearson:.2f} "
                       f"[{c.pearson_ci[0]:.2f}, {c.pearson_ci[1]:.2f}], n = {c.n}.")
    out += [s.sentence() + "." for s in spreads(index)]
    for src in ("paper", "run"):
        cats = [h for h in hardest_categories(index) if h.source == src]
        if cats:
            h = cats[0]
            who = "published models" if src == "paper" else "your runs"
            out.append(f"Hardest AKB-2000 category for {who}: {CATEGORY_NAMES.get(h.key, h.key)} "
                       f"(mean {h.mean:.1f}%, the lowest category for {h.lowest_for} of {h.models}).")
    subs, small = hardest_subcategories(index)
    if subs:
        out.append("Hardest subcategories in your runs: " + ", ".join(f"{h.key} ({h.mean:.1f}%, {h.items} items)" for h in subs)
                   + (f" ({small} subcategories with fewer than 10 items not ranked)." if small else "."))
    out += [f"{p.setting}, {p.a} vs {p.b}: {p.verdict()}" for p in res.paired]
    return out


def _figures(index: RunsIndex, matrix: Matrix, res: ReportResult, names: Mapping[str, str]) -> dict[str, Path]:
    figs: dict[str, Path] = {}
    fdir = res.out / "figures"
    if len(matrix.settings) >= 2:
        for method in ("pearson", "spearman"):
            figs[f"heatmap_{method}"] = plots.heatmap(matrix, fdir / f"heatmap_{method}.png", method)
        for c in matrix.pairs():
            if c.n == 0:
                continue
            fit = fit_from_index(index, c.a, c.b)
            if c.pearson is None:
                continue  # an undefined correlation (n < 3 or a constant column): no plot to show
            p = plots.scatter(index, c.a, c.b, fdir / f"scatter_{c.a}__{c.b}.png", fit=fit, r=c.pearson)
            if p is not None:
                figs[f"scatter_{c.a}__{c.b}"] = p
                res.captions[f"scatter_{c.a}__{c.b}"] = f"{index.label(c.b)} against {index.label(c.a)}"
    p = plots.category_bars(index, fdir / "categories.png")
    if p is not None:
        figs["categories"] = p
    probes = [r for r in index.runs if r.setting == "akb2000_text"]
    p = plots.subcategory_bars(probes, fdir / "subcategories.png", dict(names))
    if p is not None:
        figs["subcategories"] = p
    res.files.extend(figs.values())
    return figs


def _json(res: ReportResult) -> dict[str, Any]:
    return {
        "notices": res.notices,
        "findings": res.findings,
        "settings": {s: res.index.label(s) for s in res.matrix.settings},
        "correlations": matrix_records(res.matrix),
        "reproduction": [r.model_dump() for r in res.reproduction],
        "fits": [f.model_dump() for f in res.fits],
        "paired": [p.model_dump() for p in res.paired],
        "runs": [r.model_dump() for r in res.index.runs],
        "figures": {k: str(p.relative_to(res.out)) for k, p in res.figures.items()},
        "plot_backend": plots.backend(),
    }


# ---------------------------------------------------------------------------- HTML
