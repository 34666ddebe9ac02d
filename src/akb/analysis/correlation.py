"""Correlations between settings across models, with honest uncertainty.

Each cell is computed on the models that have scores in *both* settings (pairwise
deletion), so its n is stated and differs between cells (17 for the text-only pairs of the
study, 8 where audio-grounded scores exist). Pearson and Spearman come from scipy; the 95%
interval is a percentile bootstrap over models (resample the n models with replacement,
recompute r), with a fixed seed per cell so a report is reproducible and a cell does not
change when another setting is added.

A cell is *undefined*, with the reason in its ``note``, when fewer than 3 models are shared
or when a setting has no variance among them (r = 0/0). It never holds NaN.
"""

from __future__ import annotations

import zlib
from collections.abc import Sequence
from itertools import combinations

import numpy as np
from pydantic import BaseModel
from scipy import stats

from akb.analysis.reference import Reference
from akb.analysis.runs_index import RunsIndex

MIN_N = 3
N_BOOT = 2000
SEED = 0


class Cell(BaseModel):
    a: str
    b: str
    n: int
    models: list[str]
    pearson: float | None = None
    pearson_p: float | None = None
    pearson_ci: tuple[float, float] | None = None
    spearman: float | None = None
    spearman_p: float | None = None
    spearman_ci: tuple[float, float] | None = None
    boot_used: int = 0  # resamples with variance in both settings
    note: str | None = None  # why r is undefined, or a caveat

    @property
    def defined(self) -> bool:
        return self.pearson is not None

    def value(self, method: str) -> float | None:
        return self.pearson if method == "pearson" else self.spearman

    def ci(self, method: str) -> tuple[float, float] | None:
        return self.pearson_ci if method == "pearson" else self.spearman_ci


class Matrix(BaseModel):
    settings: list[str]
    labels: dict[str, str]
    cells: dict[str, Cell]  # "a~b" in settings order
    population: list[str]  # every model that entered some cell
    n_boot: int
    seed: int

    def cell(self, a: str, b: str) -> Cell:
        return self.cells.get(f"{a}~{b}") or self.cells[f"{b}~{a}"]

    def pairs(self) -> list[Cell]:
        return list(self.cells.values())


def _boot_r(x: np.ndarray, y: np.ndarray, rng: np.random.Generator, n_boot: int) -> tuple[np.ndarray, np.ndarray]:
    """Bootstrap Pearson and Spearman r over models; resamples without variance are dropped."""
    n = len(x)
    idx = rng.integers(0, n, size=(n_boot, n))
    out = []
    for X, Y in ((x[idx], y[idx]), (stats.rankdata(x[idx], axis=1), stats.rankdata(y[idx], axis=1))):
        xc = X - X.mean(axis=1, keepdims=True)
        yc = Y - Y.mean(axis=1, keepdims=True)
        sxx, syy, sxy = (xc * xc).sum(1), (yc * yc).sum(1), (xc * yc).sum(1)
        ok = (sxx > 1e-12) & (syy > 1e-12)
        out.append(np.clip(sxy[ok] / np.sqrt(sxx[ok] * syy[ok]), -1.0, 1.0))
    return out[0], out[1]


def _ci(vals: np.ndarray, level: float = 0.95) -> tuple[float, float] | None:
    if len(vals) < 100:
        return None
    lo, hi = np.percentile(vals, [100 * (1 - level) / 2, 100 * (1 + level) / 2])
    return float(lo), float(hi)


def correlate(a: str, b: str, x: Sequence[float], y: Sequence[float], models: Sequence[str], *,
              labels: dict[str, str] | None = None, n_boot: int = N_BOOT, seed: int = SEED) -> Cell:
    labels = labels or {}
    xa, ya = np.asarray(x, dtype=float), np.asarray(y, dtype=float)
    cell = Cell(a=a, b=b, n=len(xa), models=list(models))
    if cell.n < MIN_N:
        cell.note = f"n={cell.n} shared model{'s' if cell.n != 1 else ''}: r needs at least {MIN_N}"
        return cell
    for v, s in ((xa, a), (ya, b)):
        if np.ptp(v) == 0:
            cell.note = f"r undefined: every shared model scores {v[0]:.2f} on {labels.get(s, s)} (no variance)"
            return cell
    pr = stats.pearsonr(xa, ya)
    sr = stats.spearmanr(xa, ya)
    cell.pearson, cell.pearson_p = float(pr.statistic), float(pr.pvalue)
    if np.isfinite(sr.statistic):
        cell.spearman, cell.spearman_p = float(sr.statistic), float(sr.pvalue)
    rng = np.random.default_rng([seed, zlib.crc32(f"{a}~{b}".encode())])
    bp, bs = _boot_r(xa, ya, rng, n_boot)
    cell.boot_used = len(bp)
    cell.pearson_ci, cell.spearman_ci = _ci(bp), _ci(bs) if cell.spearman is not None else None
    if cell.pearson_ci is None:
        cell.note = f"too few bootstrap resamples with variance ({len(bp)} of {n_boot}) for an interval"
    elif cell.n < 10:
        cell.note = f"n={cell.n}: a wide interval; read r as an indication"
    return cell


def correlation_matrix(index: RunsIndex, settings: Sequence[str] | None = None, *,
                       n_boot: int = N_BOOT, seed: int = SEED) -> Matrix:
    """Every pair of settings over the backbones (published and yours) that share them."""
    rows = index.backbones()
    sids = list(settings) if settings is not None else index.setting_ids(backbones_only=True)
    labels = {s: index.label(s) for s in sids}
    cells: dict[str, Cell] = {}
    population: set[str] = set()
    for a, b in combinations(sids, 2):
        shared = [r for r in rows if r.value(a) is not None and r.value(b) is not None]
        population.update(r.key for r in shared)
        cells[f"{a}~{b}"] = correlate(a, b, [r.value(a) or 0.0 for r in shared], [r.value(b) or 0.0 for r in shared],
                                      [r.display for r in shared], labels=labels, n_boot=n_boot, seed=seed)
    return Matrix(settings=sids, labels=labels, cells=cells, population=sorted(population), n_boot=n_boot, seed=seed)


# ---------------------------------------------------------------------------- the paper's heatmap
class Reproduction(BaseModel):
    a: str
    b: str
    published_r: float
    published_n: int
    r: float | None
    n: int
    agrees: bool  # same n and r equal after rounding to two decimals, as printed


def reproduce_published(ref: Reference, matrix: Matrix) -> list[Reproduction]:
    """Each published heatmap cell beside the r computed from the published tables."""
    out = []
    for pc in ref.published_cells():
        try:
            c = matrix.cell(pc.a, pc.b)
        except KeyError:
            out.append(Reproduction(a=pc.a, b=pc.b, published_r=pc.r, published_n=pc.n, r=None, n=0, agrees=False))
            continue
        ok = c.pearson is not None and c.n == pc.n and round(c.pearson, 2) == round(pc.r, 2)
        out.append(Reproduction(a=pc.a, b=pc.b, published_r=pc.r, published_n=pc.n, r=c.pearson, n=c.n, agrees=ok))
    return out


# ---------------------------------------------------------------------------- text renderings
def cell_text(c: Cell, method: str = "pearson", ci: bool = False) -> str:
    v = c.value(method)
    if v is None:
        return "undefined" + (f" (n={c.n})" if c.n else "")
    s = f"{v:.2f} (n={c.n})"
    iv = c.ci(method)
    if ci and iv is not None:
        s = f"{v:.2f} [{iv[0]:.2f}, {iv[1]:.2f}] (n={c.n})"
    return s


def matrix_markdown(m: Matrix, method: str = "pearson", ci: bool = False) -> str:
    """The symmetric matrix with n in every cell; the diagonal is 1."""
    heads = [m.labels[s] for s in m.settings]
    lines = ["| " + (f"{method.capitalize()} r") + " | " + " | ".join(heads) + " |",
             "|---|" + "---:|" * len(heads)]
    for a in m.settings:
        cells = ["1" if a == b else cell_text(m.cell(a, b), method, ci) for b in m.settings]
        lines.append(f"| {m.labels[a]} | " + " | ".join(cells) + " |")
    # A setting with no defined cell at all (e.g. a benchmark only your own run has) gets one
    # line instead of one per pair.
    lonely = [s for s in m.settings if len(m.settings) > 4 and all(m.cell(s, o).n < MIN_N for o in m.settings if o != s)]
    notes = [f"- {m.labels[s]}: no other setting shares {MIN_N} or more models with it, so its correlations "
             f"are undefined (most models sharing it with one setting: "
             f"{max((m.cell(s, o).n for o in m.settings if o != s), default=0)})" for s in lonely]
    notes += [f"- {m.labels[c.a]} ~ {m.labels[c.b]}: {c.note}" for c in m.pairs()
              if c.note and not c.defined and c.a not in lonely and c.b not in lonely]
    if notes:
        lines += ["", "Undefined cells:", *notes]
    return "\n".join(lines)


def matrix_records(m: Matrix) -> list[dict[str, object]]:
    """One flat record per pair (CSV/JSON)."""
    out = []
    for c in m.pairs():
        out.append({
            "a": c.a, "b": c.b, "a_label": m.labels[c.a], "b_label": m.labels[c.b], "n": c.n,
            "pearson": c.pearson, "pearson_p": c.pearson_p,
            "pearson_ci_low": c.pearson_ci[0] if c.pearson_ci else None,
            "pearson_ci_high": c.pearson_ci[1] if c.pearson_ci else None,
            "spearman": c.spearman, "spearman_p": c.spearman_p,
            "spearman_ci_low": c.spearman_ci[0] if c.spearman_ci else None,
            "spearman_ci_high": c.spearman_ci[1] if c.spearman_ci else None,
            "bootstrap_used": c.boot_used, "note": c.note or "", "models": "; ".join(c.models),
        })
    return out
