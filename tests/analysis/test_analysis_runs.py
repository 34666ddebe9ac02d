"""Probe, cascade and grounded runs read through the one adapter, into tables and correlations."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from akb.analysis.correlation import correlation_matrix, matrix_markdown
from akb.analysis.leaderboard import all_tables, table1, table2, table3
from akb.analysis.reference import load_reference
from akb.analysis.runs_index import build_index, find_run_dirs, load_run
from akb.core.errors import DataError
from akb.models.spec import parse_model_spec
from akb.runs.probe import ProbeConfig, run_probe
from run_summaries import flags, write_audio_run, write_probe_run


@pytest.fixture(scope="module")
def probe_run(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A real probe run (seeded random baseline), as akb probe writes it."""
    out = tmp_path_factory.mktemp("probe") / "random"
    cache = tmp_path_factory.mktemp("cache") / "c.sqlite"
    run_probe(ProbeConfig(model=parse_model_spec("random"), out=str(out), limit=60, progress=False, cache=str(cache)))
    return out


def test_each_task_maps_to_its_setting(tmp_path: Path, probe_run: Path) -> None:
    c = write_audio_run(tmp_path / "c", task="cascade", model="hf:Q", benchmark="mmau", split="test-mini",
                        captioner="whisper:x+dsp", correct=flags(30, 18))
    g = write_audio_run(tmp_path / "g", task="grounded", model="hf:Q", benchmark="mmar", correct=flags(40, 10))
    full = write_audio_run(tmp_path / "t", task="cascade", model="hf:Q", benchmark="mmau", split="test", correct=flags(30, 3))
    s = write_audio_run(tmp_path / "s", task="grounded", model="hf:Q", benchmark="synth", correct=flags(20, 15),
                        groups=["pitch", "loudness"] * 10)
    got = {load_run(d).setting for d in (c, g, full, s)}
    assert got == {"mmau_cascade_text", "mmar_audio_grounded", "mmau-test_cascade_text", "synth_audio_grounded"}
    rec = load_run(c)
    assert rec.overall.value == pytest.approx(60.0) and rec.overall.n == 30 and rec.captioner == "whisper:x+dsp"
    assert set(rec.groups) == {"sound", "music", "speech"}
    p = load_run(probe_run)
    assert p.setting == "akb2000_text" and p.overall.n == 60 and p.groups and p.subgroups
    idx = build_index([tmp_path, probe_run])  # a folder of runs and a run
    assert idx.label("synth_audio_grounded") == "Synth(A)" and idx.label("mmau-test_cascade_text") == "MMAU-test(T)"
    assert len(idx.runs) == 5


def test_off_contract_summaries_are_one_clear_error(tmp_path: Path) -> None:
    d = write_audio_run(tmp_path / "pct", task="cascade", model="m", benchmark="mmau", correct=flags(10, 5))
    raw = json.loads((d / "summary.json").read_text())
    raw["metrics"]["official"]["overall"]["accuracy"] = 50.0
    (d / "summary.json").write_text(json.dumps(raw))
    with pytest.raises(DataError, match=r"field 'metrics\.official\.overall\.accuracy': 50\.0 is not a fraction"):
        load_run(d)
    raw["task"] = "probe"
    (d / "summary.json").write_text(json.dumps(raw))
    with pytest.raises(DataError, match="field 'task': unknown task 'probe'"):
        load_run(d)
    raw["task"] = "cascade"
    del raw["benchmark"]
    (d / "summary.json").write_text(json.dumps(raw))
    with pytest.raises(DataError, match="field 'benchmark'"):
        load_run(d)
    (d / "summary.json").unlink()
    with pytest.raises(DataError, match="has not finished"):
        load_run(d)
    empty = tmp_path / "empty"
    empty.mkdir()
    with pytest.raises(DataError, match="no run found"):
        find_run_dirs([empty])
    with pytest.raises(DataError, match="not found"):
        find_run_dirs([tmp_path / "missing"])


def test_duplicates_and_incomplete_runs_are_announced(tmp_path: Path) -> None:
    old = write_audio_run(tmp_path / "old", task="grounded", model="m", benchmark="mmau", correct=flags(10, 2),
                          created="2026-01-01T00:00:00+00:00")
    new = write_audio_run(tmp_path / "new", task="grounded", model="m", benchmark="mmau", correct=flags(10, 7),
                          created="2026-02-01T00:00:00+00:00")
    part = write_audio_run(tmp_path / "part", task="grounded", model="m", benchmark="mmau", correct=flags(4, 4),
                           created="2026-03-01T00:00:00+00:00", complete=False)
    idx = build_index([old, new, part])
    row = next(r for r in idx.rows if r.name == "m")
    assert row.scores["mmau_audio_grounded"].run == str(new)  # complete beats newer-but-partial
    text = " ".join(idx.notices)
    assert "3 runs give m on MMAU(A)" in text and "incomplete run" in text and str(part) in text


def _population(tmp_path: Path) -> list[Path]:
    """Five backbones with probe, cascade and grounded runs whose scores are chosen by hand."""
    akb = [30, 40, 50, 60, 70]
    mmau_t = [20, 26, 24, 35, 38]
    mmau_a = [10, 14, 13, 16, 19]
    dirs = []
    for i, (k, c, g) in enumerate(zip(akb, mmau_t, mmau_a, strict=True)):
        m = f"hf:org/model-{i}"
        dirs.append(write_probe_run(tmp_path / f"p{i}", model=m, correct=flags(100, k)))
        dirs.append(write_audio_run(tmp_path / f"c{i}", task="cascade", model=m, benchmark="mmau",
                                    captioner="dsp", correct=flags(60, c)))
        dirs.append(write_audio_run(tmp_path / f"g{i}", task="grounded", model=m, benchmark="mmau", correct=flags(30, g)))
    return dirs


def test_correlations_over_your_runs_alone(tmp_path: Path) -> None:
    idx = build_index(_population(tmp_path))
    m = correlation_matrix(idx, n_boot=300)
    assert m.settings == ["akb2000_text", "mmau_cascade_text", "mmau_audio_grounded"]
    c = m.cell("akb2000_text", "mmau_audio_grounded")
    x = [r.value("akb2000_text") for r in idx.rows]
    y = [r.value("mmau_audio_grounded") for r in idx.rows]
    assert c.n == 5 and c.pearson == pytest.approx(np.corrcoef(x, y)[0, 1])
    assert "(n=5)" in matrix_markdown(m)


def test_your_runs_sit_beside_the_published_rows(tmp_path: Path) -> None:
    dirs = _population(tmp_path)
    ref = load_reference()
    idx = build_index(dirs, ref)
    m = correlation_matrix(idx, n_boot=300)
    # Pairs count the models that share both settings: 17 published + 5 of yours for AKB~MMAU(T).
    assert m.cell("akb2000_text", "mmau_cascade_text").n == 22
    assert m.cell("akb2000_text", "mmar_cascade_text").n == 17  # you have no MMAR(T) runs
    assert any("captioned by dsp, the published ones by Gemini-caption" in n for n in idx.notices)
    t1, t2, t3 = table1(idx), table2(idx), table3(idx)
    assert [c for g, c in t1.rows if g == "Your runs"][0][0] == "hf:org/model-0 (run)"
    assert sum(g == "Your runs" for g, _ in t1.rows) == 5 and sum(g != "Your runs" for g, _ in t1.rows) == 17
    mine = [c for g, c in t2.rows if g == "Your runs"]
    assert len(mine) == 5 and mine[0][1] == "dsp" and mine[0][t2.columns.index("MMAU Avg")] == "33.33"
    assert mine[0][t2.columns.index("MMAR Avg")] is None
    assert t2.columns[:3] == ["Model", "Captioner", "MMAU Sound"]
    groups3 = [g for g, _ in t3.rows]
    assert groups3.count("Published Systems") == 5 and groups3.count("Fine-tuned LALM (Ours)") == 8
    assert groups3.count("Your runs") == 5
    for t in all_tables(idx):
        for text in (t.markdown(), t.csv(), t.latex(), t.html()):
            assert "nan" not in text.lower().replace("nano", "")
        assert t.latex().startswith("% ") and "\\toprule" in t.latex()
