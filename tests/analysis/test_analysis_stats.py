"""Correlation cells, paired comparisons and prediction intervals on data with known answers."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import stats

from akb.analysis.correlation import cell_text, correlate
from akb.analysis.paired import paired_compare
from akb.analysis.predict import fit_line, predict


def test_correlate_matches_scipy_and_is_seeded() -> None:
    rng = np.random.default_rng(3)
    x = rng.normal(60, 10, 12)
    y = 0.5 * x + rng.normal(0, 4, 12)
    names = [f"m{i}" for i in range(12)]
    c = correlate("a", "b", x, y, names, n_boot=1000, seed=1)
    assert c.n == 12 and c.models == names
    assert c.pearson == pytest.approx(stats.pearsonr(x, y).statistic)
    assert c.spearman == pytest.approx(stats.spearmanr(x, y).statistic)
    assert c.pearson_ci[0] < c.pearson < c.pearson_ci[1]
    assert correlate("a", "b", x, y, names, n_boot=1000, seed=1) == c
    assert correlate("a", "b", x, y, names, n_boot=1000, seed=2).pearson_ci != c.pearson_ci


@pytest.mark.parametrize(
    ("x", "y", "why"),
    [
        ([70.0], [50.0], "n=1 shared model: r needs at least 3"),
        ([70.0, 80.0], [50.0, 55.0], "n=2 shared models: r needs at least 3"),
        ([], [], "n=0 shared models"),
        ([60.0, 60.0, 60.0, 60.0], [50.0, 52.0, 49.0, 51.0], "every shared model scores 60.00 on AKB-2000 (no variance)"),
        ([60.0, 62.0, 61.0], [50.0, 50.0, 50.0], "every shared model scores 50.00 on MMAU(A) (no variance)"),
    ],
)
def test_degenerate_cells_say_why_and_hold_no_nan(x: list[float], y: list[float], why: str) -> None:
    c = correlate("akb2000_text", "mmau_audio_grounded", x, y, [f"m{i}" for i in range(len(x))],
                  labels={"akb2000_text": "AKB-2000", "mmau_audio_grounded": "MMAU(A)"})
    assert not c.defined and c.spearman is None and c.pearson_ci is None
    assert why in (c.note or "")
    assert "nan" not in cell_text(c).lower() and "undefined" in cell_text(c)
    assert "nan" not in c.model_dump_json().lower()


def test_paired_comparison_finds_a_known_difference() -> None:
    n = 600
    ids = [f"q{i}" for i in range(n)]
    # Same items; A is right on 60 items B misses, B on 15 A misses, both on 300: A - B = 45/600 = 7.5 points.
    a = {i: k < 360 for k, i in enumerate(ids)}
    b = {i: (k < 300) or (360 <= k < 375) for k, i in enumerate(ids)}
    b["extra"] = True  # scored by B only: left out and counted
    p = paired_compare(a, b, name_a="A", name_b="B", setting="AKB-2000", n_boot=20000, seed=0)
    assert (p.n, p.only_a, p.only_b) == (n, 0, 1)
    assert (p.a_only_right, p.b_only_right) == (60, 15)
    assert p.diff == pytest.approx(7.5)
    assert p.p_mcnemar == pytest.approx(stats.binomtest(60, 75, 0.5).pvalue) and p.p_mcnemar < 1e-6
    assert 0 < p.ci_low < 7.5 < p.ci_high
    # The paired bootstrap's standard error is the analytic one of a mean of +1/0/-1 values.
    d = np.array([1] * 60 + [-1] * 15 + [0] * 525)
    se = 100 * d.std() / np.sqrt(n)
    assert (p.ci_high - p.ci_low) / (2 * 1.96) == pytest.approx(se, rel=0.06)
    assert p.verdict().startswith("A is better by 7.5 points")
    # Reversed, the sign flips; the p-value does not.
    q = paired_compare(b, a, name_a="B", name_b="A", n_boot=20000, seed=0)
    assert q.diff == pytest.approx(-7.5) and q.p_mcnemar == pytest.approx(p.p_mcnemar)


def test_paired_comparison_degenerate_inputs() -> None:
    same = {f"q{i}": i % 2 == 0 for i in range(50)}
    p = paired_compare(same, dict(same))
    assert p.diff == 0 and p.p_mcnemar == 1.0 and p.ci_low == p.ci_high == 0
    assert "agree on every shared item" in (p.note or "")
    assert "no clear difference" in p.verdict()
    none = paired_compare({"a": True}, {"b": True})
    assert none.n == 0 and none.diff is None and "nothing to compare" in none.verdict()


def test_prediction_interval_has_its_nominal_coverage() -> None:
    """Simulate the study's situation (n = 8 backbones): the 95% interval covers ~95% of new backbones."""
    rng = np.random.default_rng(7)
    hits, trials = 0, 3000
    x = np.linspace(65, 90, 8)
    for _ in range(trials):
        y = 30 + 0.4 * x + rng.normal(0, 3, 8)
        f = fit_line("akb2000_text", "mmau_audio_grounded", x, y, [str(i) for i in range(8)])
        x0 = rng.uniform(60, 95)
        p = predict(f, x0)
        y0 = 30 + 0.4 * x0 + rng.normal(0, 3)
        hits += p.pi_low <= y0 <= p.pi_high
    assert 0.935 < hits / trials < 0.965


def test_prediction_formula_and_honesty_flags() -> None:
    x = [60.0, 70.0, 80.0, 90.0]
    y = [50.0, 56.0, 58.0, 66.0]
    f = fit_line("a", "b", x, y, ["p", "q", "r", "s"])
    slope, intercept = np.polyfit(x, y, 1)
    assert (f.slope, f.intercept) == (pytest.approx(slope), pytest.approx(intercept))
    resid = np.array(y) - (intercept + slope * np.array(x))
    s = np.sqrt(resid @ resid / 2)
    half = stats.t.ppf(0.975, 2) * s * np.sqrt(1 + 1 / 4 + (75 - 75) ** 2 / 500)
    p = predict(f, 75.0)
    assert p.value == pytest.approx(intercept + slope * 75)
    assert (p.pi_low, p.pi_high) == (pytest.approx(p.value - half), pytest.approx(p.value + half))
    assert not p.extrapolated and p.note is None
    far = predict(f, 30.0)
    assert far.extrapolated and "extrapolation" in (far.note or "")
    assert far.pi_high - far.pi_low > p.pi_high - p.pi_low
    two = fit_line("a", "b", [60.0, 70.0], [50.0, 51.0], ["p", "q"])
    assert not two.ok and "at least 3" in (two.note or "") and predict(two, 65).value is None
    flat = fit_line("a", "b", [60.0, 60.0, 60.0], [50.0, 51.0, 52.0], ["p", "q", "r"])
    assert not flat.ok and "same text-only score" in (flat.note or "")
