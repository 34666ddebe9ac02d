"""akb quickstart: every evaluation that exists, then the report; unbuilt steps skip cleanly."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

from rich.console import Console

from akb.runs.quickstart import STEPS, Step, StepContext, probe_random, run_quickstart, select_steps

ROOT = Path(__file__).resolve().parents[1]


def test_quickstart_command_runs_the_steps_and_ends_in_the_report(tmp_path: Path) -> None:
    out = tmp_path / "qs"
    cmd = [sys.executable, "-m", "akb", "quickstart", "--out", str(out), "--limit", "30"]
    r = subprocess.run(cmd, capture_output=True, text=True, timeout=300, env=os.environ)
    assert r.returncode == 0, r.stderr
    total = len(STEPS) + 1
    for i, s in enumerate(STEPS, start=1):
        assert f"[{i}/{total}] {s.name}" in r.stderr  # progress, step by step
        assert re.search(rf"^{re.escape(s.name)}\s+(ran|skipped)", r.stdout, re.M), s.name
    assert f"[{total}/{total}] report" in r.stderr
    assert "| MMAU(A) | 0.75 (n=8) |" in r.stdout  # the published numbers are in the report
    for name in ("probe-embedding", "probe-random"):
        assert (out / "runs" / name / "summary.json").is_file()
    html = (out / "report" / "index.html").read_text()
    assert "embedding (run)" in html and "Gemini-2.5-Pro" in html
    assert "AKB-2000, embedding vs random" in (out / "report" / "report.md").read_text()
    # Again: everything resumes, nothing is asked twice.
    lines = (out / "runs" / "probe-embedding" / "samples.jsonl").read_text().count("\n")
    r2 = subprocess.run(cmd, capture_output=True, text=True, timeout=300, env=os.environ)
    assert r2.returncode == 0, r2.stderr
    assert (out / "runs" / "probe-embedding" / "samples.jsonl").read_text().count("\n") == lines == 30


def test_a_step_whose_module_is_not_there_is_skipped_with_one_line(tmp_path: Path) -> None:
    console = Console(file=open(os.devnull, "w"), record=True, width=200)  # noqa: SIM115
    steps = [
        Step("future-eval", "an evaluation still being built", "akb.runs.not_built_yet", lambda ctx: ctx.run_dir),
        Step("probe-random", "AKB-2000, random baseline", "akb.runs.probe", probe_random),
    ]
    res = run_quickstart(tmp_path / "qs", steps=steps, progress=False, console=console, limit=12)
    status = {o.step: o.status for o in res.outcomes}
    assert status == {"future-eval": "skipped", "probe-random": "ran"}
    text = console.export_text()
    assert "future-eval: an evaluation still being built skipped: akb.runs.not_built_yet is not part of this install yet" in text
    assert res.report.html.is_file() and len(res.report.index.runs) == 1


def test_steps_without_their_entry_point_skip_and_unknown_names_fail(tmp_path: Path) -> None:
    console = Console(file=open(os.devnull, "w"), record=True, width=200)  # noqa: SIM115

    def no_entry(ctx: StepContext) -> Path:
        from akb.runs.quickstart import _entry

        return _entry("akb.runs.probe", ctx)  # importable, but has no run_quickstart

    res = run_quickstart(tmp_path / "qs", steps=[Step("half-wired", "x", "akb.runs.probe", no_entry)],
                         progress=False, console=console, reference="paper")
    assert res.outcomes[0].status == "skipped" and "has no run_quickstart" in res.outcomes[0].message
    r = subprocess.run([sys.executable, "-m", "akb", "quickstart", "--steps", "nope"], capture_output=True, text=True,
                       timeout=120)
    assert r.returncode == 2 and "unknown step nope" in r.stderr
    assert [s.name for s in select_steps(["probe-random"])] == ["probe-random"]


def test_readme_main_command_is_quickstart() -> None:
    readme = (ROOT / "README.md").read_text()
    main = 'python3 -m venv .venv && . .venv/bin/activate && pip install -c constraints.txt -e ".[all]" && akb quickstart'
    test = 'python3 -m venv .venv && . .venv/bin/activate && pip install -c constraints.txt -e ".[all]" && python -m pytest -q'
    assert main in readme and test in readme
    assert readme.index(main) < readme.index(test)
