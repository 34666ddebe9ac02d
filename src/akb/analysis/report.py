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

import base64
import csv
import html
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
    cell_text,
    correlation_matrix,
    matrix_markdown,
    matrix_records,
    reproduce_published,
)
from akb.analysis.leaderboard import CATEGORY_NAMES, Table, all_tables
from akb.analysis.paired import Paired, load_correct, paired_compare
from akb.analysis.predict import PREDICTORS, TARGETS, Fit, fit_from_index, predict
from akb.analysis.reference import Reference
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
    return out


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
            p = plots.scatter(index, c.a, c.b, fdir / f"scatter_{c.a}__{c.b}.png", fit=fit, r=c.pearson)
            if p is not None:
                figs[f"scatter_{c.a}__{c.b}"] = p
    p = plots.category_bars(index, fdir / "categories.png")
    if p is not None:
        figs["categories"] = p
    probes = [r for r in index.runs if r.setting == "akb2000_text"]
    p = plots.subcategory_bars(probes, fdir / "subcategories.png", dict(names))
    if p is not None:
        figs["subcategories"] = p
    res.files.extend(figs.values())
    return figs


def reproduction_markdown(rows: Sequence[Reproduction], index: RunsIndex) -> str:
    lines = ["| Pair | Published r | n | Computed r | n | Agrees (2 decimals) |", "|---|---:|---:|---:|---:|---|"]
    for r in rows:
        comp = "undefined" if r.r is None else f"{r.r:.3f}"
        lines.append(f"| {index.label(r.a)} ~ {index.label(r.b)} | {r.published_r:.2f} | {r.published_n} | {comp} | "
                     f"{r.n} | {'yes' if r.agrees else 'NO'} |")
    return "\n".join(lines)


def paired_markdown(rows: Sequence[Paired]) -> str:
    lines = ["| Setting | A | B | Items | A % | B % | A - B (points) [95% CI] | A only right | B only right | McNemar p |",
             "|---|---|---|---:|---:|---:|---|---:|---:|---:|"]
    for p in rows:
        if p.diff is None:
            lines.append(f"| {p.setting} | {p.a} | {p.b} | {p.n} | – | – | {p.note} | – | – | – |")
            continue
        lines.append(f"| {p.setting} | {p.a} | {p.b} | {p.n} | {p.acc_a:.1f} | {p.acc_b:.1f} | "
                     f"{p.diff:+.1f} [{p.ci_low:+.1f}, {p.ci_high:+.1f}] | {p.a_only_right} | {p.b_only_right} | "
                     f"{p.p_mcnemar:.3g} |")
    return "\n".join(lines)


def fits_markdown(fits: Sequence[Fit], index: RunsIndex) -> str:
    lines = ["| From (text only) | To (audio-grounded) | n | r | Line | Residual SD |", "|---|---|---:|---:|---|---:|"]
    for f in fits:
        if not f.ok:
            lines.append(f"| {index.label(f.x)} | {index.label(f.y)} | {f.n} | – | {f.note} | – |")
            continue
        r = "–" if f.r is None else f"{f.r:.2f}"
        lines.append(f"| {index.label(f.x)} | {index.label(f.y)} | {f.n} | {r} | "
                     f"y = {f.intercept:.2f} + {f.slope:.3f} x | {f.resid_sd:.2f} |")
    return "\n".join(lines)


def _run_predictions(index: RunsIndex, fits: Sequence[Fit]) -> list[str]:
    """What your runs' text-only scores predict for audio-grounded training (flagging extrapolation)."""
    out = []
    for row in index.rows:
        if row.source != "run":
            continue
        for f in fits:
            x0 = row.value(f.x)
            if x0 is None or not f.ok:
                continue
            p = predict(f, x0)
            out.append(f"{row.name}: {index.label(f.x)} {x0:.1f} -> expected {index.label(f.y)} {p.value:.1f} "
                       f"[95% PI {p.pi_low:.1f}, {p.pi_high:.1f}], n={f.n}" + (f" ({p.note})" if p.note else ""))
    return out


def report_markdown(res: ReportResult, tables: Sequence[Table]) -> str:
    idx = res.index
    parts = ["# akb report", ""]
    if idx.notices:
        parts += ["## Notices", "", *(f"- {n}" for n in idx.notices), ""]
    if res.findings:
        parts += ["## Findings", "", *(f"- {f}" for f in res.findings), ""]
    parts += ["## Correlations between settings", "",
              f"Pairwise on the backbones each pair shares; 95% interval: percentile bootstrap over models "
              f"({res.matrix.n_boot} resamples, seed {res.matrix.seed}).", "",
              matrix_markdown(res.matrix, "pearson", ci=True), "", matrix_markdown(res.matrix, "spearman", ci=True), ""]
    if res.reproduction:
        parts += ["## The published heatmap, recomputed", "", reproduction_markdown(res.reproduction, idx), ""]
    if res.fits:
        parts += ["## Backbone selection", "", fits_markdown(res.fits, idx), "", *(f"- {x}" for x in _run_predictions(idx, res.fits)), ""]
    if res.paired:
        parts += ["## Paired comparisons", "", paired_markdown(res.paired), ""]
    parts += ["## Tables", ""] + [t.markdown() for t in tables]
    parts += ["## Figures", "", *(f"![{k}](figures/{p.name})" for k, p in res.figures.items()), ""]
    return "\n".join(parts) + "\n"


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
CSS = """
body{font-family:system-ui,-apple-system,Segoe UI,Roboto,sans-serif;margin:0;color:#1d232b;background:#fff}
header{background:#17324d;color:#fff;padding:18px 28px}header h1{margin:0;font-size:22px}
header p{margin:4px 0 0;opacity:.85;font-size:13px}
nav{padding:8px 28px;background:#eef2f6;font-size:13px;position:sticky;top:0}nav a{margin-right:14px;color:#17324d}
main{padding:8px 28px 40px;max-width:1280px}h2{border-bottom:2px solid #17324d;padding-bottom:4px;margin-top:32px}
table{border-collapse:collapse;margin:10px 0;font-size:13px}th,td{border:1px solid #cfd6de;padding:4px 8px}
th{background:#f3f6f9;text-align:left}td.num{text-align:right;font-variant-numeric:tabular-nums}
tr.grp th{background:#e2e9f0;font-style:italic}td.bad{background:#fde2e1}td.good{background:#e3f4e1}
td.undef{color:#8a5a00;background:#fff6e0}.note{font-size:12px;color:#555;margin:2px 0}
ul.notices li{color:#8a3b00}.figs{display:flex;flex-wrap:wrap;gap:14px}
figure{margin:0;border:1px solid #dde3ea;padding:6px;background:#fafbfc}figure img{max-width:100%;display:block}
figcaption{font-size:12px;color:#444;margin-top:4px}.big img{max-width:900px}.small img{max-width:420px}
.files a{margin-right:10px;font-size:12px}
"""


def _img(p: Path, caption: str, cls: str = "small") -> str:
    data = base64.b64encode(p.read_bytes()).decode("ascii")
    return (f'<figure class="{cls}"><img alt="{html.escape(caption)}" src="data:image/png;base64,{data}">'
            f'<figcaption>{html.escape(caption)} (<a href="figures/{html.escape(p.name)}">{html.escape(p.name)}</a>)'
            f"</figcaption></figure>")


def _matrix_html(m: Matrix, method: str) -> str:
    heads = "".join(f"<th>{html.escape(m.labels[s])}</th>" for s in m.settings)
    rows = []
    for a in m.settings:
        tds = []
        for b in m.settings:
            if a == b:
                tds.append('<td class="num">1</td>')
                continue
            c = m.cell(a, b)
            if c.value(method) is None:
                tds.append(f'<td class="undef" title="{html.escape(c.note or "")}">undefined (n={c.n})<br>'
                           f'<span class="note">{html.escape(c.note or "")}</span></td>')
            else:
                tip = html.escape(f"models: {', '.join(c.models)}" + (f"; {c.note}" if c.note else ""))
                tds.append(f'<td class="num" title="{tip}">{html.escape(cell_text(c, method, ci=True))}</td>')
        rows.append(f"<tr><th>{html.escape(m.labels[a])}</th>{''.join(tds)}</tr>")
    return (f'<table class="matrix" id="matrix-{method}"><thead><tr><th>{method.capitalize()} r</th>{heads}</tr></thead>'
            f"<tbody>{''.join(rows)}</tbody></table>")


def _md_table_html(md: str) -> str:
    """A small markdown pipe table as HTML (for the report's own generated tables)."""
    lines = [ln for ln in md.splitlines() if ln.startswith("|")]
    if len(lines) < 2:
        return ""
    def cells(ln: str) -> list[str]:
        return [c.strip() for c in ln.strip().strip("|").split("|")]
    head = "".join(f"<th>{html.escape(c)}</th>" for c in cells(lines[0]))
    body = []
    for ln in lines[2:]:
        tds = []
        for c in cells(ln):
            cls = "bad" if c == "NO" else "good" if c == "yes" else "num" if c[:1].isdigit() or c[:1] in "+-" else ""
            tds.append(f'<td class="{cls}">{html.escape(c)}</td>')
        body.append(f"<tr>{''.join(tds)}</tr>")
    return f"<table><thead><tr>{head}</tr></thead><tbody>{''.join(body)}</tbody></table>"


def report_html(res: ReportResult, tables: Sequence[Table]) -> str:
    idx = res.index
    runs = len(idx.runs)
    sub = f"{runs} run{'s' if runs != 1 else ''}" + (" beside the published numbers of Lu et al. (2026)" if idx.reference else "")
    secs = []
    nav = []

    def section(anchor: str, title: str, body: str) -> None:
        nav.append(f'<a href="#{anchor}">{html.escape(title)}</a>')
        secs.append(f'<section id="{anchor}"><h2>{html.escape(title)}</h2>{body}</section>')

    top = ""
    if idx.notices:
        top += '<ul class="notices">' + "".join(f"<li>{html.escape(n)}</li>" for n in idx.notices) + "</ul>"
    if res.findings:
        top += "<ul>" + "".join(f"<li>{html.escape(f)}</li>" for f in res.findings) + "</ul>"
    section("summary", "Summary", top or "<p>Nothing to summarise.</p>")
    corr = (f'<p class="note">Pairwise on the backbones each pair shares (published systems are not backbones and are '
            f"left out); 95% interval: percentile bootstrap over models, {res.matrix.n_boot} resamples, seed "
            f"{res.matrix.seed}. Hover a cell for its models.</p>")
    if len(res.matrix.settings) >= 2:
        corr += _matrix_html(res.matrix, "pearson") + _matrix_html(res.matrix, "spearman")
        corr += '<div class="figs">' + "".join(_img(res.figures[k], k.replace("_", " "), "big") for k in
                                              ("heatmap_pearson", "heatmap_spearman") if k in res.figures) + "</div>"
    else:
        corr += "<p>Correlations need scores in at least two settings.</p>"
    corr += '<p class="files"><a href="correlations.csv">correlations.csv</a><a href="correlations.md">correlations.md</a></p>'
    section("correlations", "Correlations between settings", corr)
    if res.reproduction:
        section("reproduction", "The published heatmap, recomputed",
                '<p class="note">Each Pearson r printed in the study\'s heatmap beside the r its own published tables give.</p>'
                + _md_table_html(reproduction_markdown(res.reproduction, idx)))
    if res.fits:
        preds = _run_predictions(idx, res.fits)
        section("selection", "Backbone selection",
                '<p class="note">Least-squares lines from a text-only score to the audio-grounded score after DeSTA '
                "training, over every backbone with both. <code>akb predict --akb SCORE</code> gives a new backbone's "
                "expected score with its 95% prediction interval.</p>" + _md_table_html(fits_markdown(res.fits, idx))
                + ("<ul>" + "".join(f"<li>{html.escape(p)}</li>" for p in preds) + "</ul>" if preds else ""))
    if res.paired:
        section("paired", "Paired comparisons", '<p class="note">Same items, matched on id: McNemar exact test on the '
                "discordant items, and a paired bootstrap 95% interval on the difference.</p>"
                + _md_table_html(paired_markdown(res.paired)))
    tb = ""
    for t in tables:
        links = " ".join(f'<a href="tables/{t.name}.{e}">{e}</a>' for e in ("md", "csv", "tex", "html"))
        tb += f"<h3>{html.escape(t.title)}</h3>{t.html()}<p class=\"files\">{links}</p>"
    section("tables", "Leaderboards", tb)
    scat = [k for k in res.figures if k.startswith("scatter_")]
    if scat:
        section("scatter", "Scatter plots", '<div class="figs">' + "".join(
            _img(res.figures[k], k.removeprefix("scatter_").replace("__", " vs ")) for k in scat) + "</div>")
    bars = "".join(_img(res.figures[k], k, "big") for k in ("categories", "subcategories") if k in res.figures)
    if bars:
        section("categories", "Categories and subcategories", f'<div class="figs">{bars}</div>')
    return (f'<!doctype html><html lang="en"><head><meta charset="utf-8"><title>akb report</title>'
            f'<meta name="viewport" content="width=device-width, initial-scale=1"><style>{CSS}</style></head><body>'
            f"<header><h1>akb report</h1><p>{html.escape(sub)}</p></header><nav>{''.join(nav)}</nav>"
            f"<main>{''.join(secs)}</main></body></html>\n")
