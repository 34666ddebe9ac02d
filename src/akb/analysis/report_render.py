"""The report as text: the Markdown and the self-contained HTML page of :mod:`akb.analysis.report`."""

from __future__ import annotations

import base64
import html
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from akb.analysis.correlation import Matrix, Reproduction, cell_text, matrix_markdown
from akb.analysis.leaderboard import Table
from akb.analysis.paired import Paired
from akb.analysis.predict import Fit, predict
from akb.analysis.runs_index import RunsIndex

if TYPE_CHECKING:
    from akb.analysis.report import ReportResult


def reproduction_markdown(rows: Sequence[Reproduction], index: RunsIndex) -> str:
    lines = ["| Pair | Published r | n | Computed r | n | Agrees (2 decimals) |", "|---|---:|---:|---:|---:|---|"]
    for r in rows:
        comp = "undefined" if r.r is None else f"{r.r:.3f}"
        lines.append(f"| {index.label(r.a)} ~ {index.label(r.b)} | {r.published_r:.2f} | {r.published_n} | {comp} | "
                     f"{r.n} | {'yes' if r.agrees else 'NO'} |")
    return "\n".join(lines)


def paired_markdown(rows: Sequence[Paired]) -> str:
    lines = ["| Setting | A | B | Items | A % | B % | A - B (points) [95% CI] | A only right | B only right | McNemar p | Holm p |",
             "|---|---|---|---:|---:|---:|---|---:|---:|---:|---:|"]
    for p in rows:
        if p.diff is None:
            lines.append(f"| {p.setting} | {p.a} | {p.b} | {p.n} | – | – | {p.note} | – | – | – | – |")
            continue
        holm = "–" if p.p_holm is None else f"{p.p_holm:.3g}"
        lines.append(f"| {p.setting} | {p.a} | {p.b} | {p.n} | {p.acc_a:.1f} | {p.acc_b:.1f} | "
                     f"{p.diff:+.1f} [{p.ci_low:+.1f}, {p.ci_high:+.1f}] | {p.a_only_right} | {p.b_only_right} | "
                     f"{p.p_mcnemar:.3g} | {holm} |")
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
                "discordant items (and its p-value adjusted by Holm's method for the number of pairs compared), "
                "and a paired bootstrap 95% interval on the difference.</p>"
                + _md_table_html(paired_markdown(res.paired)))
    tb = ""
    for t in tables:
        links = " ".join(f'<a href="tables/{t.name}.{e}">{e}</a>' for e in ("md", "csv", "tex", "html"))
        tb += f"<h3>{html.escape(t.title)}</h3>{t.html()}<p class=\"files\">{links}</p>"
    section("tables", "Leaderboards", tb)
    scat = [k for k in res.figures if k.startswith("scatter_")]
    if scat:
        section("scatter", "Scatter plots", '<div class="figs">' + "".join(
            _img(res.figures[k], res.captions.get(k, k.removeprefix("scatter_").replace("__", " vs "))) for k in scat)
            + "</div>")
    bars = "".join(_img(res.figures[k], k, "big") for k in ("categories", "subcategories") if k in res.figures)
    if bars:
        section("categories", "Categories and subcategories", f'<div class="figs">{bars}</div>')
    return (f'<!doctype html><html lang="en"><head><meta charset="utf-8"><title>akb report</title>'
            f'<meta name="viewport" content="width=device-width, initial-scale=1"><style>{CSS}</style></head><body>'
            f"<header><h1>akb report</h1><p>{html.escape(sub)}</p></header><nav>{''.join(nav)}</nav>"
            f"<main>{''.join(secs)}</main></body></html>\n")
