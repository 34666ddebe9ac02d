"""Backbone selection: from a text-only score to the expected audio-grounded score.

The study's practical promise is that a backbone's text-only score tells you, before any
multimodal training, roughly how good an audio LLM it will make. Here that is an ordinary
least-squares line from one text-only setting (AKB-2000, MMAU(T), MMAR(T)) to one
audio-grounded setting (MMAU(A), MMAR(A)), fitted on every backbone that has both scores:
the study's 8 DeSTA-trained backbones, plus any of your runs that have both.

With n = 8 the honest answer is an interval, not a number. The 95% *prediction* interval
for a new backbone is

    y0 +- t(0.975, n-2) * s * sqrt(1 + 1/n + (x0 - mean x)^2 / Sxx)

where s is the residual standard deviation: it includes the new backbone's own scatter
around the line, not only the uncertainty of the line. Far from the fitted x range the
line is an extrapolation, and the result says so.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
from pydantic import BaseModel
from scipy import stats

from akb.analysis.runs_index import RunsIndex
from akb.analysis.settings import AKB2000, MMAR_A, MMAR_T, MMAU_A, MMAU_T

PREDICTORS = (AKB2000.id, MMAU_T.id, MMAR_T.id)
TARGETS = (MMAU_A.id, MMAR_A.id)
MIN_FIT_N = 3


class Fit(BaseModel):
    x: str
    y: str
    n: int
    models: list[str]
    slope: float | None = None
    intercept: float | None = None
    r: float | None = None
    resid_sd: float | None = None
    x_mean: float | None = None
    sxx: float | None = None
    x_min: float | None = None
    x_max: float | None = None
    note: str | None = None

    @property
    def ok(self) -> bool:
        return self.slope is not None


class Prediction(BaseModel):
    x: str
    y: str
    x0: float
    n: int
    value: float | None = None
    pi_low: float | None = None
    pi_high: float | None = None
    level: float = 0.95
    extrapolated: bool = False
    note: str | None = None


def fit_line(x_id: str, y_id: str, xs: Sequence[float], ys: Sequence[float], models: Sequence[str]) -> Fit:
    x, y = np.asarray(xs, dtype=float), np.asarray(ys, dtype=float)
    f = Fit(x=x_id, y=y_id, n=len(x), models=list(models))
    if f.n < MIN_FIT_N:
        f.note = f"only {f.n} backbone{'s' if f.n != 1 else ''} with both scores: a line needs at least {MIN_FIT_N}"
        return f
    if np.ptp(x) == 0:
        f.note = f"all {f.n} backbones have the same text-only score ({x[0]:.2f}): no slope can be fitted"
        return f
    lr = stats.linregress(x, y)
    resid = y - (lr.intercept + lr.slope * x)
    f.slope, f.intercept = float(lr.slope), float(lr.intercept)
    f.r = float(lr.rvalue) if np.ptp(y) > 0 else None
    f.resid_sd = float(math.sqrt((resid @ resid) / (f.n - 2))) if f.n > 2 else None
    f.x_mean, f.sxx = float(x.mean()), float(((x - x.mean()) ** 2).sum())
    f.x_min, f.x_max = float(x.min()), float(x.max())
    return f


def fit_from_index(index: RunsIndex, x_id: str, y_id: str) -> Fit:
    rows = [r for r in index.backbones() if r.value(x_id) is not None and r.value(y_id) is not None]
    return fit_line(x_id, y_id, [r.value(x_id) or 0.0 for r in rows], [r.value(y_id) or 0.0 for r in rows],
                    [r.display for r in rows])


def predict(fit: Fit, x0: float, level: float = 0.95) -> Prediction:
    p = Prediction(x=fit.x, y=fit.y, x0=x0, n=fit.n, level=level)
    if not fit.ok:
        p.note = fit.note
        return p
    assert fit.slope is not None and fit.intercept is not None and fit.sxx and fit.x_mean is not None
    p.value = fit.intercept + fit.slope * x0
    s = fit.resid_sd or 0.0
    half = float(stats.t.ppf((1 + level) / 2, fit.n - 2)) * s * math.sqrt(1 + 1 / fit.n + (x0 - fit.x_mean) ** 2 / fit.sxx)
    p.pi_low, p.pi_high = p.value - half, p.value + half
    assert fit.x_min is not None and fit.x_max is not None
    p.extrapolated = not fit.x_min <= x0 <= fit.x_max
    if p.extrapolated:
        p.note = f"{x0:.1f} lies outside the fitted range {fit.x_min:.1f}-{fit.x_max:.1f}: an extrapolation"
    return p


def predict_all(index: RunsIndex, given: dict[str, float], level: float = 0.95,
                targets: Sequence[str] = TARGETS) -> list[tuple[Fit, Prediction]]:
    """For each given text-only score and each audio-grounded target: the fit and the prediction."""
    out = []
    for x_id, x0 in given.items():
        for y_id in targets:
            f = fit_from_index(index, x_id, y_id)
            out.append((f, predict(f, x0, level)))
    return out


def prediction_text(pairs: Sequence[tuple[Fit, Prediction]], index: RunsIndex) -> str:
    """What ``akb predict`` prints: per target, the expected score, interval and what it rests on."""
    labels = {sid: index.label(sid) for sid in index.settings}
    yours = {r.display for r in index.rows if r.source == "run"}
    n_runs = max((sum(m in yours for m in f.models) for f, _ in pairs), default=0)
    lines: list[str] = []
    last_x = None
    for f, p in pairs:
        if p.x != last_x:
            lines.append(f"From {labels.get(p.x, p.x)} = {p.x0:.1f}, expected score after DeSTA training:")
            last_x = p.x
        name = labels.get(p.y, p.y)
        if p.value is None:
            lines.append(f"  {name:8s} no prediction: {p.note}")
            continue
        r = "undefined" if f.r is None else f"{f.r:.2f}"
        lines.append(f"  {name:8s} {p.value:5.1f}   {100 * p.level:.0f}% prediction interval "
                     f"{p.pi_low:.1f} to {p.pi_high:.1f}   (line over n={f.n} backbones, r={r})")
        if p.extrapolated:
            lines.append(f"           {p.note}")
    ns = sorted({f.n for f, _ in pairs if f.ok})
    if ns:
        lines.append("")
        lines.append(f"The fit rests on {'/'.join(map(str, ns))} backbones with both scores, "
                     f"{'/'.join(str(n - 2) for n in ns)} degrees of freedom"
                     + (f" ({n_runs} of them from your runs)" if n_runs else " (the study's DeSTA-trained backbones)")
                     + ". With so few, the prediction interval is wide: it covers a new backbone's own scatter around "
                       "the line, not just the line's uncertainty. Use it to rank candidates, not to promise a score.")
    return "\n".join(lines)
