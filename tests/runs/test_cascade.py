"""The cascade end to end: synthetic suite -> captioner -> backend -> official scores,
resume, failures that do not stop the run, and the generate path over real HTTP."""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path
from typing import Any

import pytest
from scipy.stats import binomtest
from typer.testing import CliRunner

from akb.build.synth import make_suite
from akb.cli.app import app
from akb.models.spec import ModelConfig
from akb.runs.cascade import CascadeConfig, run_cascade
from akb.runs.score import score_file

DSP_ANSWERABLE = {"pitch direction", "interval", "loudness", "tempo"}


@pytest.fixture(scope="module")
def default_run(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """``akb cascade`` with no arguments, in an empty folder: the offline quickstart."""
    import os

    work = tmp_path_factory.mktemp("quickstart")
    old, old_env = os.getcwd(), os.environ.get("AKB_CACHE_DIR")
    os.environ["AKB_CACHE_DIR"] = str(work / "cache")
    os.chdir(work)
    try:
        r = CliRunner().invoke(app, ["cascade"])
    finally:
        os.chdir(old)
        if old_env is None:
            os.environ.pop("AKB_CACHE_DIR", None)
        else:
            os.environ["AKB_CACHE_DIR"] = old_env
    assert r.exit_code == 0, r.output
    assert "official" in r.output and "results: runs/cascade/synth-dsp-embedding-logprob" in r.output
    return work / "runs" / "cascade" / "synth-dsp-embedding-logprob"


def test_quickstart_beats_chance_where_the_dsp_caption_answers(default_run: Path) -> None:
    summary = json.loads((default_run / "summary.json").read_text())
    assert summary["task"] == "cascade" and summary["model"] == "embedding" and summary["captioner"] == "dsp"
    assert summary["benchmark"] == "synth" and summary["complete"] and summary["metrics"]["missing"] == 0
    samples = [json.loads(x) for x in (default_run / "samples.jsonl").read_text().splitlines()]
    answerable = [s for s in samples if s["subcategory"] in DSP_ANSWERABLE]
    chance = sum(1 / len(s["choices"]) for s in answerable) / len(answerable)
    k = sum(s["correct"] for s in answerable)
    assert binomtest(k, len(answerable), chance, alternative="greater").pvalue < 1e-3
    for sub in ("pitch direction", "loudness", "tempo"):
        these = [s for s in samples if s["subcategory"] == sub]
        assert sum(s["correct"] for s in these) / len(these) > 1.5 / len(these[0]["choices"]), sub
    # the embedding baseline read the caption: the same questions without it sit near chance
    sub = summary["metrics"]["official"]["by_subcategory"]
    assert sub["tempo"]["accuracy"] > 0.8 and sub["pitch direction"]["accuracy"] > 0.8
    caps = [json.loads(x) for x in (default_run / "captions.jsonl").read_text().splitlines()]
    assert len(caps) == len({s["audio"] for s in samples}) and all(c["caption"] for c in caps)


def test_quickstart_files_follow_the_results_format(default_run: Path) -> None:
    summary = json.loads((default_run / "summary.json").read_text())
    m = summary["metrics"]
    for rule in ("official", "robust"):
        assert set(m[rule]) >= {"overall", "by_group", "by_category", "by_subcategory", "by_difficulty"}
        assert set(m[rule]["overall"]) == {"n", "correct", "accuracy", "ci_low", "ci_high"}
    assert "invalid_rate" in m["robust"] and summary["split"] == "synth"
    assert (default_run / "summary.md").read_text().startswith("# cascade: embedding on synth")
    # predictions.json is what MMAU's script reads; akb score on it gives the same numbers
    preds = json.loads((default_run / "predictions.json").read_text())
    assert all("model_output" in p and p["model_output"] in p["choices"] for p in preds)
    rescored = score_file("synth", default_run / "predictions.json")
    assert rescored["metrics"]["official"]["overall"] == m["official"]["overall"]


def test_rerun_resumes_without_new_work(default_run: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    work = default_run.parents[2]
    monkeypatch.chdir(work)
    monkeypatch.setenv("AKB_CACHE_DIR", str(work / "cache"))
    before = (default_run / "samples.jsonl").read_text()
    r = CliRunner().invoke(app, ["cascade", "--no-progress"])
    assert r.exit_code == 0, r.output
    assert (default_run / "samples.jsonl").read_text() == before
    stats = json.loads((default_run / "summary.json").read_text())["stats"]
    assert stats["resumed"] == stats["items_selected"] and stats["computed"] == 0


def _broken_benchmark(tmp_path: Path) -> Path:
    suite = tmp_path / "suite"
    make_suite(suite, per_task=2, seed=0, tasks=["tempo", "loudness"])
    items = json.loads((suite / "synth.json").read_text())
    (suite / "audio" / "tempo-001.wav").unlink()  # a missing file
    (suite / "audio" / "loudness-001.wav").write_bytes(b"RIFF....WAVEfmt not audio at all")  # corrupt
    items[2]["audio_id"] = "../../etc/passwd"  # escapes the root
    items.append({**items[0], "id": "bad-choices", "choices": ["only one"], "answer": "only one"})
    p = suite / "broken.json"
    p.write_text(json.dumps(items))
    return p


def test_failures_are_counted_named_and_retried(tmp_path: Path) -> None:
    bench = _broken_benchmark(tmp_path)
    cfg = CascadeConfig(benchmark=f"mmau:{bench}", model=ModelConfig(backend="random"), out=str(tmp_path / "run"),
                        progress=False)
    res = run_cascade(cfg)
    assert not res.complete and res.stats["failed"] == 3 and res.stats["items_scored"] == 1
    assert res.stats["unreadable_entries"] == 1 and res.metrics.missing == 3 and res.metrics.official.overall.n == 4
    fails = "\n".join(res.summary["failures"])
    assert "tempo-001.wav: audio file not found" in fails and "not a readable audio file" in fails
    assert "escapes the audio root" in fails
    assert "field 'choices'" in res.summary["load_problems"][0]
    md = (tmp_path / "run" / "summary.md").read_text()
    assert "**Incomplete**: 3 item(s) failed" in md and "could not be read" in md
    # fix one file: the next run captions and answers only what failed
    shutil.copy(bench.parent / "audio" / "tempo-000.wav", bench.parent / "audio" / "tempo-001.wav")
    res2 = run_cascade(cfg)
    assert res2.stats["failed"] == 2 and res2.stats["items_scored"] == 2 and res2.stats["resumed"] == 1
    r = CliRunner().invoke(app, ["cascade", "-b", f"mmau:{bench}", "-m", "random", "--out", str(tmp_path / "run"), "--no-progress"])
    assert r.exit_code == 3 and "2 item(s) failed" in r.output


def _answer_first_option(rec: Any) -> str:
    text = rec.prompt_text()
    assert "Audio description:" in text and "exactly as written" in text
    return re.search(r"^\(A\) (.+)$", text, re.M).group(1)  # type: ignore[union-attr]


def test_generate_mode_over_http_scores_raw_text(tmp_path: Path, fake_api: Any) -> None:
    suite = tmp_path / "s"
    make_suite(suite, per_task=2, seed=0, tasks=["pitch-direction", "clipping"])
    fake_api.answer = _answer_first_option
    model = ModelConfig(backend="openai", model="gpt-test", options={"base_url": fake_api.openai_base_url})
    res = run_cascade(CascadeConfig(benchmark=f"synth:{suite}", model=model, out=str(tmp_path / "run"), progress=False))
    samples = [json.loads(x) for x in (tmp_path / "run" / "samples.jsonl").read_text().splitlines()]
    assert all(s["pred"] == s["choices"][0] for s in samples)
    assert all(s["correct"] == (s["answer"] == s["choices"][0]) for s in samples)
    assert res.summary["mode"] == "generate" and res.metrics.robust.invalid == 0
    assert "Signal analysis" not in fake_api.requests[0].prompt_text()  # a single captioner: no labels
    assert "LUFS" in fake_api.requests[0].prompt_text()
    preds = json.loads((tmp_path / "run" / "predictions.json").read_text())
    assert preds[0]["model_output"] == preds[0]["choices"][0]
