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
    labels = []
    xs_pts, ys_pts = [], []
    for row in rows:
        xv, yv = row.value(a) or 0.0, row.value(b) or 0.0
        run = row.source == "run"
        ax.scatter([xv], [yv], color=RUN_COLOR if run else PAPER_COLOR, marker="D" if run else "o", s=36, zorder=3)
        labels.append(ax.text(xv, yv, row.display, fontsize=7))
        xs_pts.append(xv)
        ys_pts.append(yv)
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
    _repel(ax, labels, xs_pts, ys_pts)
    return _save(fig, path)


def _repel(ax: plt.Axes, labels: list, xs: list[float], ys: list[float]) -> None:
    """Move point labels off each other and off the points (adjustText), with leader lines."""
    if len(labels) < 2:
        return
    from adjustText import adjust_text

    adjust_text(labels, x=xs, y=ys, ax=ax, expand=(1.2, 1.4),
                arrowprops={"arrowstyle": "-", "color": "grey", "lw": 0.5})


def category_bars(index: RunsIndex, path: Path) -> Path | None:
    """AKB-2000 accuracy per category as a heatmap: a row per model (published and yours,
    sorted by overall accuracy), a column per category, the value in every cell. Readable
    for any number of models, unlike grouped bars with a legend of 20 colours."""
    rows = [r for r in index.rows if "akb2000_text" in r.scores and r.scores["akb2000_text"].groups]
    if not rows:
        return None
    cats = [c for c in CATEGORY_ORDER if any(c in r.scores["akb2000_text"].groups for r in rows)]
    cats += sorted({c for r in rows for c in r.scores["akb2000_text"].groups} - set(cats))
    rows = sorted(rows, key=lambda r: -(r.scores["akb2000_text"].score.value or 0.0))
    vals = np.full((len(rows), len(cats) + 1), np.nan)
    for i, r in enumerate(rows):
        sc = r.scores["akb2000_text"]
        vals[i, 0] = sc.score.value if sc.score.value is not None else np.nan
        for j, c in enumerate(cats):
            if c in sc.groups:
                vals[i, j + 1] = sc.groups[c].value
    fig, ax = plt.subplots(figsize=(1.2 * (len(cats) + 1) + 3.0, 0.32 * len(rows) + 1.6))
    cmap = plt.get_cmap("viridis").with_extremes(bad="#dddddd")
    im = ax.imshow(np.ma.masked_invalid(vals), cmap=cmap, vmin=25, vmax=100, aspect="auto")
    ax.set_xticks(range(len(cats) + 1), ["Overall"] + [CATEGORY_NAMES.get(c, c) for c in cats], rotation=20, ha="right")
    ax.set_yticks(range(len(rows)), [f"{r.display} (yours)" if r.source == "run" else r.display for r in rows],
                  fontsize=8)
    for i in range(len(rows)):
        for j in range(len(cats) + 1):
            v = vals[i, j]
            if np.isfinite(v):
                ax.text(j, i, f"{v:.1f}", ha="center", va="center", fontsize=7,
                        color="white" if v < 70 else "black")
    ax.axvline(0.5, color="white", lw=2)
    fig.colorbar(im, ax=ax, fraction=0.03, pad=0.02, label="accuracy (%); chance 25")
    ax.set_title("AKB-2000 accuracy by category")
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
