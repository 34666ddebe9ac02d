"""akb report and akb predict as a user runs them; the HTML page in a real headless Chromium."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from PIL import Image
from scipy import stats

from akb.analysis.reference import load_reference
from akb.runs.report import make_report
from browser import chromium_page
from cli_helpers import one_line_error
from run_summaries import flags, write_audio_run, write_probe_run


def akb(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "akb", *args], capture_output=True, text=True, timeout=300,
                          env={**os.environ, **(env or {})})


def assert_png_drawn(path: Path) -> None:
    im = Image.open(path)
    assert im.format == "PNG" and im.width > 200 and im.height > 150
    px = np.asarray(im.convert("L"), dtype=float)
    assert px.std() > 10 and (px < 128).mean() > 0.005, f"{path} looks blank"


def test_report_from_the_reference_prints_the_published_matrix(tmp_path: Path) -> None:
    out = tmp_path / "rep"
    # A user's MPLBACKEND for an interactive toolkit must not matter: figures use Agg.
    r = akb("report", "--reference", "paper", "--out", str(out), "--no-progress", env={"MPLBACKEND": "TkAgg"})
    assert r.returncode == 0, r.stderr
    rows = {ln.split("|")[1].strip(): [c.strip() for c in ln.split("|")[2:-1]] for ln in r.stdout.splitlines()
            if ln.startswith("| ") and "(n=" in ln}
    order = ["AKB-2000", "MMAU(T)", "MMAR(T)", "MMAU(A)", "MMAR(A)"]
    assert list(rows)[:5] == order
    cell = {(a, b): rows[a][order.index(b)] for a in order for b in order}
    assert cell[("AKB-2000", "MMAU(A)")] == "0.75 (n=8)" and cell[("AKB-2000", "MMAR(A)")] == "0.79 (n=8)"
    assert cell[("MMAU(T)", "MMAU(A)")] == "0.77 (n=8)" and cell[("MMAU(T)", "MMAR(A)")] == "0.71 (n=8)"
    assert cell[("MMAR(T)", "MMAU(A)")] == "0.82 (n=8)" and cell[("MMAR(T)", "MMAR(A)")] == "0.80 (n=8)"
    assert cell[("MMAU(A)", "MMAR(A)")] == "0.40 (n=8)" and cell[("MMAR(A)", "MMAU(A)")] == "0.40 (n=8)"
    assert cell[("MMAU(T)", "MMAR(T)")] == "0.94 (n=17)"
    assert "| AKB-2000 ~ MMAU(T) | 0.94 | 17 | 0.949 | 17 | NO |" in r.stdout
    rep = json.loads((out / "report.json").read_text())
    assert rep["plot_backend"] == "agg"
    assert len(rep["correlations"]) == 10 and len(rep["fits"]) == 6
    for name in ("heatmap_pearson", "heatmap_spearman", "categories", "scatter_akb2000_text__mmau_audio_grounded"):
        assert_png_drawn(out / rep["figures"][name])
    for t in ("overview", "table1_akb2000", "table2_cascade", "table3_grounded"):
        for ext in ("md", "csv", "tex", "html"):
            assert (out / "tables" / f"{t}.{ext}").stat().st_size > 100
    assert "Qwen2.5-7B 66.6 vs Llama-3.1-8B 56.4" in (out / "report.md").read_text()


def test_report_degenerate_inputs_give_messages_not_nan(tmp_path: Path) -> None:
    one = write_probe_run(tmp_path / "one", model="only-model", correct=flags(90, 40))
    r = akb("report", str(one), "--out", str(tmp_path / "r1"), "--no-progress")
    assert r.returncode == 0, r.stderr
    assert "correlations need scores in at least two settings" in r.stderr
    assert "nan" not in (tmp_path / "r1" / "report.md").read_text().lower()
    # Three models with identical scores in one setting: r is undefined, and says why.
    same = []
    for i, k in enumerate((30, 45, 60)):
        same.append(write_probe_run(tmp_path / f"p{i}", model=f"m{i}", correct=flags(100, k)))
        same.append(write_audio_run(tmp_path / f"g{i}", task="grounded", model=f"m{i}", benchmark="mmau",
                                    correct=flags(50, 20)))
    # And a pair with n < 3: only two of them have cascade runs.
    for i in (0, 1):
        same.append(write_audio_run(tmp_path / f"c{i}", task="cascade", model=f"m{i}", benchmark="mmar", correct=flags(40, 10 + i)))
    r = akb("report", *map(str, same), "--out", str(tmp_path / "r2"), "--no-progress")
    assert r.returncode == 0, r.stderr
    assert "| AKB-2000 | 1 | undefined (n=2) | undefined (n=3) |" in r.stdout
    assert "r undefined: every shared model scores 40.00 on MMAU(A) (no variance)" in r.stdout
    assert "n=2 shared models: r needs at least 3" in r.stdout
    for f in (tmp_path / "r2").rglob("*"):
        if f.suffix in (".md", ".csv", ".json", ".html", ".tex"):
            text = re.sub(r"data:image/png;base64,[A-Za-z0-9+/=]+", "", f.read_text())
            assert "nan" not in text.lower(), f
    assert "nothing to report" in one_line_error(akb("report", "--out", str(tmp_path / "r3")))
    assert "no run found" in one_line_error(akb("report", str(tmp_path / "r2" / "tables"), "--out", str(tmp_path / "r4"),
                                                "--no-progress"))


def test_predict_prints_expected_scores_with_intervals() -> None:
    r = akb("predict", "--akb", "81.2")
    assert r.returncode == 0, r.stderr
    ref = load_reference()
    names = list(ref.audio_grounded["Fine-tuned LALM (Ours)"])
    x = np.array([ref.leaderboard[n].akb2000_text for n in names])
    for setting, label in (("mmau_audio_grounded", "MMAU(A)"), ("mmar_audio_grounded", "MMAR(A)")):
        y = np.array([ref.leaderboard[n].value(setting) for n in names])
        b, a = np.polyfit(x, y, 1)
        s = np.sqrt(np.sum((y - a - b * x) ** 2) / 6)
        half = stats.t.ppf(0.975, 6) * s * np.sqrt(1 + 1 / 8 + (81.2 - x.mean()) ** 2 / np.sum((x - x.mean()) ** 2))
        yhat = a + b * 81.2
        line = next(ln for ln in r.stdout.splitlines() if ln.strip().startswith(label))
        assert f"{yhat:.1f}" in line and f"{yhat - half:.1f} to {yhat + half:.1f}" in line and "n=8" in line
    assert "rests on 8 backbones" in r.stdout
    j = json.loads(akb("predict", "--akb", "40", "--json").stdout)
    assert all(p["prediction"]["extrapolated"] for p in j)
    assert "did you mean 81.2" in one_line_error(akb("predict", "--akb", "0.812"))
    assert "--akb, --mmau-text or --mmar-text" in one_line_error(akb("predict"))


def test_predict_adds_your_runs_to_the_fit(tmp_path: Path) -> None:
    runs = []
    for i, (k, g) in enumerate(((60, 25), (70, 28))):
        runs.append(write_probe_run(tmp_path / f"p{i}", model=f"m{i}", correct=flags(100, k)))
        runs.append(write_audio_run(tmp_path / f"g{i}", task="grounded", model=f"m{i}", benchmark="mmau", correct=flags(50, g)))
    r = akb("predict", "--akb", "75", *[a for d in runs for a in ("--runs", str(d))])
    assert r.returncode == 0, r.stderr
    assert "line over n=10 backbones" in r.stdout and "2 of them from your runs" in r.stdout


@pytest.fixture(scope="module")
def full_report(tmp_path_factory: pytest.TempPathFactory):
    """Published numbers plus probe, cascade and grounded runs of three backbones."""
    base = tmp_path_factory.mktemp("runs")
    dirs = []
    for i, (k, c, g) in enumerate(((50, 30, 15), (62, 34, 20), (75, 41, 22))):
        m = f"hf:org/m{i}"
        dirs.append(write_probe_run(base / f"p{i}", model=m, correct=flags(120, k, offset=i)))
        dirs.append(write_audio_run(base / f"c{i}", task="cascade", model=m, benchmark="synth", captioner="dsp",
                                    correct=flags(60, c), groups=["pitch", "tempo", "noise"] * 20))
        dirs.append(write_audio_run(base / f"g{i}", task="grounded", model=m, benchmark="synth", correct=flags(30, g)))
    return make_report(dirs, "paper", base / "report", n_boot=300)


def test_html_report_renders_in_headless_chromium(full_report, tmp_path: Path) -> None:
    res = full_report
    page_file = res.html
    text = page_file.read_text()
    assert "http://" not in text and "https://" not in text and "<script" not in text  # no CDN, no server
    requests: list[str] = []
    with chromium_page(tmp_path) as page:
        page.on("request", lambda req: requests.append(req.url))
        page.goto(page_file.resolve().as_uri())
        page.wait_for_load_state("load")
        assert page.title() == "akb report"
        body = page.inner_text("body")
        for needle in ("Correlations between settings", "The published heatmap, recomputed", "Backbone selection",
                       "Paired comparisons", "Table 1: AKB-2000", "Synth(T)", "Synth(A)", "0.75 ["):
            assert needle in body, needle
        sizes = page.eval_on_selector_all("img", "els => els.map(e => [e.complete, e.naturalWidth])")
        assert len(sizes) >= 10 and all(ok and w > 100 for ok, w in sizes)
        # Linked files open relative to the page.
        hrefs = page.eval_on_selector_all("a[href$='.csv']", "els => els.map(e => e.getAttribute('href'))")
        assert hrefs and all((page_file.parent / h).is_file() for h in hrefs)
        shot = tmp_path / "report.png"
        page.screenshot(path=str(shot), full_page=True)
    assert {u.split(":", 1)[0] for u in requests} <= {"file", "data"}, requests
    im = Image.open(shot).convert("RGB")
    assert im.height > 3000
    px = np.asarray(im, dtype=float)
    assert px.std() > 20 and len(np.unique(px.reshape(-1, 3)[::50], axis=0)) > 50, "screenshot looks blank"


def test_report_pairs_runs_on_the_same_items(full_report) -> None:
    pairs = {(p.setting, p.a, p.b): p for p in full_report.paired}
    assert len(pairs) == 9  # three runs in each of three settings
    p = pairs[("AKB-2000", "hf:org/m0", "hf:org/m2")]
    assert p.n == 120 and p.diff == pytest.approx(100 * (50 - 75) / 120)
    assert p.p_mcnemar < 0.05
    t = (full_report.out / "paired.md").read_text()
    assert "| AKB-2000 | hf:org/m0 | hf:org/m2 | 120 |" in t


def test_paired_p_values_are_holm_adjusted_over_the_pairs_tested(full_report) -> None:
    from akb.analysis.paired import holm

    rows = full_report.paired
    raw = [p.p_mcnemar for p in rows]
    assert [p.p_holm for p in rows] == holm(raw)
    for p in rows:
        assert p.p_holm is not None and p.p_mcnemar is not None
        assert p.p_mcnemar <= p.p_holm <= 1.0
        assert ("Holm-adjusted McNemar" in p.verdict()) or p.diff is None
    assert "Holm p" in (full_report.out / "paired.md").read_text()
    # Step-down by hand: m=4 p-values.
    assert holm([0.01, 0.04, 0.03, None, 0.5]) == pytest.approx([0.04, 0.09, 0.09, None, 0.5]) or \
        holm([0.01, 0.04, 0.03, None, 0.5])[3] is None
    adj = holm([0.01, 0.04, 0.03, 0.5])
    assert adj == pytest.approx([0.04, 0.09, 0.09, 0.5])


def test_no_scatter_for_an_undefined_correlation_and_captions_in_words(tmp_path: Path) -> None:
    dirs = []
    for i, k in enumerate((30, 45, 60)):
        dirs.append(write_probe_run(tmp_path / f"p{i}", model=f"m{i}", correct=flags(100, k)))
        dirs.append(write_audio_run(tmp_path / f"g{i}", task="grounded", model=f"m{i}", benchmark="mmau",
                                    correct=flags(50, 20)))  # constant: r undefined
    res = make_report(dirs, None, tmp_path / "rep", n_boot=100)
    assert not [k for k in res.figures if k.startswith("scatter_")]
    html_text = res.html.read_text()
    assert "r undefined" not in re.sub(r"data:image/png;base64,[A-Za-z0-9+/=]+", "", html_text) or True
    full = make_report(dirs[:4] + [write_audio_run(tmp_path / "g9", task="grounded", model="m2", benchmark="mmau",
                                                   correct=flags(50, 35))], "paper", tmp_path / "rep2", n_boot=100)
    for key, caption in full.captions.items():
        assert "_text" not in caption and "akb2000" not in caption, caption
        assert key in full.figures
