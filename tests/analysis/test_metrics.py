from __future__ import annotations

import pytest

from akb.analysis.metrics import compute_metrics, table1_markdown
from akb.core.scores import wilson


def test_wilson_matches_the_closed_form() -> None:
    s = wilson(81, 100)
    z = 1.959963984540054
    n, p = 100, 0.81
    centre = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z * ((p * (1 - p) / n + z * z / (4 * n * n)) ** 0.5) / (1 + z * z / n)
    assert s.ci_low == pytest.approx(centre - half, abs=1e-9)
    assert s.ci_high == pytest.approx(centre + half, abs=1e-9)
    assert wilson(0, 0).accuracy is None and wilson(0, 10).ci_low == 0.0


def test_plain_mean_over_items_not_mean_of_categories() -> None:
    samples = [{"category": "music", "subcategory": "x", "correct": True, "answer": "A", "pred": "A"}] * 3
    samples += [{"category": "phonetic", "subcategory": "y", "correct": False, "answer": "B", "pred": None, "invalid": True, "method": "no-answer"}]
    m = compute_metrics(samples)
    assert m.overall.accuracy == 0.75  # not (1.0 + 0.0) / 2
    assert m.invalid == 1 and m.invalid_rate == 0.25 and m.invalid_reasons == {"no-answer": 1}
    assert m.predicted_letters == {"A": 3, "invalid": 1}
    assert list(m.categories) == ["phonetic", "music"]  # the study's column order
    md = table1_markdown([("m", m)])
    assert md.splitlines()[0] == "| Model | phonetic | music | Avg. |"
    assert "| m | 0.00 | 100.00 | 75.00 |" in md


def test_wilson_equals_scipy_everywhere() -> None:
    from scipy.stats import binomtest

    for n in (1, 2, 7, 30, 217, 2000):
        for k in sorted({0, 1, n // 3, n // 2, n - 1, n}):
            ci = binomtest(k, n).proportion_ci(method="wilson")
            s = wilson(k, n)
            assert abs(s.ci_low - ci.low) < 1e-12 and abs(s.ci_high - ci.high) < 1e-12


def test_probe_cli_path_does_not_import_scipy() -> None:
    import subprocess
    import sys

    code = "import sys, akb.cli.app, akb.analysis.metrics, akb.core.scores; print('scipy' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"
