"""Figures for the report, drawn with matplotlib's non-interactive Agg backend.

The backend is chosen before pyplot is imported, so plotting works on a server, in CI and
over SSH whatever ``MPLBACKEND`` says, and never opens a window.
"""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

from collections.abc import Sequence  # noqa: E402
from pathlib import Path  # noqa: E402

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

from akb.analysis.correlation import Matrix  # noqa: E402
from akb.analysis.leaderboard import CATEGORY_NAMES, CATEGORY_ORDER  # noqa: E402
from akb.analysis.predict import Fit, predict  # noqa: E402
from akb.analysis.runs_index import RunRecord, RunsIndex  # noqa: E402

DPI = 110
RUN_COLOR, PAPER_COLOR = "#d62728", "#1f77b4"


def backend() -> str:
    return str(matplotlib.get_backend()).lower()


def _save(fig: plt.Figure, path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=DPI, bbox_inches="tight")
    plt.close(fig)
    return path


def heatmap(m: Matrix, path: Path, method: str = "pearson") -> Path:
    """The settings x settings matrix like the study's figure: r and n in each cell."""
    k = len(m.settings)
    vals = np.full((k, k), np.nan)
    text = [["" for _ in range(k)] for _ in range(k)]
    for i, a in enumerate(m.settings):
        for j, b in enumerate(m.settings):
            if i == j:
                vals[i, j], text[i][j] = 1.0, "1"
                continue
            c = m.cell(a, b)
            v = c.value(method)
            if v is not None:
                vals[i, j] = v
                text[i][j] = f"{v:.2f}\nn={c.n}"
            else:
                text[i][j] = f"n/a\nn={c.n}"
    size = 1.3 + 1.15 * k
    fig, ax = plt.subplots(figsize=(size + 1.2, size))
    cmap = plt.get_cmap("RdBu_r").with_extremes(bad="#dddddd")
    im = ax.imshow(np.ma.masked_invalid(vals), cmap=cmap, vmin=-1, vmax=1)
    labels = [m.labels[s] for s in m.settings]
    ax.set_xticks(range(k), labels, rotation=30, ha="right")
    ax.set_yticks(range(k), labels)
    for i in range(k):
        for j in range(k):
            v = vals[i, j]
            color = "white" if np.isfinite(v) and abs(v) > 0.6 else "black"
            ax.text(j, i, text[i][j], ha="center", va="center", fontsize=9, color=color)
    fig.colorbar(im, ax=ax, fraction=0.046, pad=0.04, label=f"{method.capitalize()} r")
    ax.set_title(f"{method.capitalize()} correlation between settings (pairwise on shared models)")
    return _save(fig, path)


def scatter(index: RunsIndex, a: str, b: str, path: Path, fit: Fit | None = None, r: float | None = None) -> Path | None:
    """One point per backbone, labelled; the least-squares line and its 95% prediction band."""
    rows = [x for x in index.backbones() if x.value(a) is not None and x.value(b) is not None]
    if not rows:
        return None
    fig, ax = plt.subplots(figsize=(6.4, 4.8))
    for row in rows:
        xv, yv = row.value(a) or 0.0, row.value(b) or 0.0
        run = row.source == "run"
        ax.scatter([xv], [yv], color=RUN_COLOR if run else PAPER_COLOR, marker="D" if run else "o", s=36, zorder=3)
        ax.annotate(row.display, (xv, yv), textcoords="offset points", xytext=(4, 3), fontsize=7)
    if fit is not None and fit.ok and fit.x_min is not None and fit.x_max is not None:
        pad = 0.05 * (fit.x_max - fit.x_min or 1.0)
        xs = np.linspace(fit.x_min - pad, fit.x_max + pad, 50)
        preds = [predict(fit, float(x)) for x in xs]
        ax.plot(xs, [p.value or 0.0 for p in preds], color="black", lw=1.2, label=f"fit: y = {fit.intercept:.1f} + {fit.slope:.2f}x")
        ax.fill_between(xs, [p.pi_low or 0.0 for p in preds], [p.pi_high or 0.0 for p in preds], color="grey",
                        alpha=0.2, label="95% prediction interval")
        ax.legend(fontsize=8, loc="lower right")
    title = f"{index.label(b)} vs {index.label(a)}"
    title += f": r = {r:.2f}, n = {len(rows)}" if r is not None else f": r undefined, n = {len(rows)}"
    ax.set_title(title)
    ax.set_xlabel(f"{index.label(a)} accuracy (%)")
    ax.set_ylabel(f"{index.label(b)} accuracy (%)")
    ax.grid(alpha=0.3)
    return _save(fig, path)


def category_bars(index: RunsIndex, path: Path) -> Path | None:
    """AKB-2000 accuracy per category, a bar per model (published and yours)."""
    rows = [r for r in index.rows if "akb2000_text" in r.scores and r.scores["akb2000_text"].groups]
    if not rows:
        return None
    cats = [c for c in CATEGORY_ORDER if any(c in r.scores["akb2000_text"].groups for r in rows)]
    cats += sorted({c for r in rows for c in r.scores["akb2000_text"].groups} - set(cats))
    k = len(rows)
    width = 0.8 / k
    fig, ax = plt.subplots(figsize=(max(7.0, 1.2 * len(cats) + 0.12 * k * len(cats)), 4.8))
    cmap = plt.get_cmap("tab20")
    for i, r in enumerate(rows):
        g = r.scores["akb2000_text"].groups
        xs = np.arange(len(cats)) + (i - (k - 1) / 2) * width
        ys = [g[c].value if c in g else 0.0 for c in cats]
        err = None
        if r.source == "run":
            lo = [g[c].value - (g[c].ci_low or g[c].value) if c in g else 0.0 for c in cats]
            hi = [(g[c].ci_high or g[c].value) - g[c].value if c in g else 0.0 for c in cats]
            err = [lo, hi]
        ax.bar(xs, ys, width=width, color=cmap(i % 20), yerr=err, capsize=1.5, label=r.display,
               hatch="//" if r.source == "run" else None, edgecolor="black" if r.source == "run" else None, lw=0.3)
    ax.set_xticks(range(len(cats)), [CATEGORY_NAMES.get(c, c) for c in cats])
    ax.set_ylabel("accuracy (%)")
    ax.set_ylim(0, 100)
    ax.axhline(25, color="grey", ls=":", lw=1)
    ax.set_title("AKB-2000 by category (dotted: chance, 25%)")
    ax.legend(fontsize=7, ncol=1, bbox_to_anchor=(1.01, 1), loc="upper left")
    ax.grid(axis="y", alpha=0.3)
    return _save(fig, path)


def subcategory_bars(runs: Sequence[RunRecord], path: Path, names: dict[str, str] | None = None) -> Path | None:
    """Your probe runs per subcategory, hardest first, with 95% Wilson intervals."""
    runs = [r for r in runs if r.subgroups]
    if not runs:
        return None
    names = names or {}
    keys = sorted({k for r in runs for k in r.subgroups},
                  key=lambda k: np.mean([r.subgroups[k].value for r in runs if k in r.subgroups]))
    k = len(runs)
    height = 0.8 / k
    fig, ax = plt.subplots(figsize=(8.0, max(3.0, 0.22 * len(keys) * max(1, k) ** 0.5 + 1.0)))
    cmap = plt.get_cmap("tab10")
    for i, r in enumerate(runs):
        ys = np.arange(len(keys)) + (i - (k - 1) / 2) * height
        vals = [r.subgroups[key].value if key in r.subgroups else 0.0 for key in keys]
        lo = [r.subgroups[key].value - (r.subgroups[key].ci_low or r.subgroups[key].value) if key in r.subgroups else 0.0
              for key in keys]
        hi = [(r.subgroups[key].ci_high or r.subgroups[key].value) - r.subgroups[key].value if key in r.subgroups else 0.0
              for key in keys]
        ax.barh(ys, vals, height=height, color=cmap(i % 10), xerr=[lo, hi], capsize=1.2, label=r.name,
                error_kw={"lw": 0.6})
    n_items = {key: max((r.subgroups[key].n or 0) for r in runs if key in r.subgroups) for key in keys}
    ax.set_yticks(range(len(keys)), [f"{names.get(key, key)} (n={n_items[key]})" for key in keys], fontsize=7)
    ax.invert_yaxis()
    ax.set_xlim(0, 100)
    ax.set_xlabel("accuracy (%) with 95% Wilson interval")
    ax.axvline(25, color="grey", ls=":", lw=1)
    ax.set_title("AKB-2000 subcategories, hardest first")
    ax.legend(fontsize=7, loc="lower right")
    ax.grid(axis="x", alpha=0.3)
    return _save(fig, path)
