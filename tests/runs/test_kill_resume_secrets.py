"""A real probe process against a real loopback API: killed, resumed, and audited for keys."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from akb.bench.loader import load_items
from akb.models.baselines import HIDDEN
from servers import FakeAPIServer, delay

SECRET = "sk-akb-test-9f3c2e71-do-not-leak"


def start_probe(srv: FakeAPIServer, out: Path, cache: Path, *extra: str, env_extra: dict[str, str] | None = None) -> subprocess.Popen[str]:
    env = {**os.environ, "AKB_CACHE_DIR": str(cache), "NO_PROXY": "127.0.0.1", **(env_extra or {})}
    return subprocess.Popen(
        [sys.executable, "-m", "akb", "probe", "--model", "openai:loopback-model", "--base-url", srv.openai_base_url,
         "--concurrency", "2", "--out", str(out), "--no-progress", *extra],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env,
        # A test runner started in the background inherits SIGINT ignored; the child must
        # see Ctrl-C as a user's terminal delivers it.
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),
    )


def lines(path: Path) -> list[str]:
    return path.read_text().splitlines() if path.exists() else []


def wait_for_lines(path: Path, n: int, proc: subprocess.Popen[str], timeout: float = 60) -> None:
    t0 = time.monotonic()
    while len(lines(path)) < n:
        assert proc.poll() is None, proc.communicate()
        assert time.monotonic() - t0 < timeout, "probe made no progress"
        time.sleep(0.01)


def answer_gold(items: dict[str, str]):
    """The server answers correctly for items whose question it recognises."""
    def answer(rec) -> str:  # noqa: ANN001
        text = rec.prompt_text()
        for q, letter in items.items():
            if q in text:
                return letter
        return "A"
    return answer


@pytest.mark.parametrize("sig", [signal.SIGKILL, signal.SIGINT], ids=["SIGKILL", "SIGINT"])
def test_killed_probe_resumes_with_exactly_one_sample_per_item(fake_api: FakeAPIServer, tmp_path: Path, sig: int) -> None:
    items = load_items()
    fake_api.answer = answer_gold({i.question: i.answer for i in items})
    fake_api.default = delay(0.02)
    out, cache = tmp_path / "run", tmp_path / "cache"
    proc = start_probe(fake_api, out, cache)
    wait_for_lines(out / "samples.jsonl", 20, proc)
    proc.send_signal(sig)
    _, err = proc.communicate(timeout=30)
    if sig == signal.SIGINT:
        assert proc.returncode == 130 and "run the same command again to resume" in err
    else:
        assert proc.returncode == -signal.SIGKILL
    written = lines(out / "samples.jsonl")
    assert 20 <= len(written) < len(items)
    before = len(fake_api.requests)

    proc = start_probe(fake_api, out, cache)
    stdout, err = proc.communicate(timeout=120)
    assert proc.returncode == 0, err
    samples = [json.loads(x) for x in lines(out / "samples.jsonl")]
    ids = [s["id"] for s in samples]
    assert sorted(ids) == sorted(i.id for i in items)  # every item exactly once
    assert lines(out / "samples.jsonl")[: len(written)] == written  # nothing rewritten
    assert all(s["correct"] for s in samples)
    # Only items unanswered at the kill were asked again (plus at most the 2 in flight).
    asked_again = len(fake_api.requests) - before
    assert len(items) - len(written) - 2 <= asked_again <= len(items) - len(written)
    summary = json.loads((out / "summary.json").read_text())
    assert summary["complete"] and summary["metrics"]["overall"]["accuracy"] == 1.0


def test_api_key_never_reaches_results_cache_or_output(fake_api: FakeAPIServer, tmp_path: Path) -> None:
    out, cache = tmp_path / "run", tmp_path / "cache"
    fake_api.plan(*[delay(0)] * 3)
    proc = start_probe(fake_api, out, cache, "--limit", "12", env_extra={"OPENAI_API_KEY": SECRET})
    stdout, err = proc.communicate(timeout=120)
    assert proc.returncode == 0, err
    # The key did go to the server, so the audit below is meaningful.
    assert any(SECRET in r.headers.get("authorization", "") for r in fake_api.requests)
    assert SECRET not in stdout and SECRET not in err
    files = [p for root in (out, cache) for p in root.rglob("*") if p.is_file()]
    assert any(p.suffix == ".sqlite" for p in files) and (out / "samples.jsonl").exists()
    for p in files:
        assert SECRET.encode() not in p.read_bytes(), p


def test_final_errors_are_written_and_retryable_ones_are_retried(fake_api: FakeAPIServer, tmp_path: Path) -> None:
    from servers import status

    out, cache = tmp_path / "run", tmp_path / "cache"
    # One request gets a 400 (final: written, counted wrong), then 500s until retries run out.
    fake_api.plan(status(400), *[status(500)] * 7)
    proc = start_probe(fake_api, out, cache, "--limit", "6", "--concurrency", "1", "-o", "max_retries=1",
                       "-o", "retry_initial_wait=0.01", "-o", "retry_max_wait=0.02")
    stdout, err = proc.communicate(timeout=120)
    assert proc.returncode == 3 and "incomplete" in err
    samples = [json.loads(x) for x in lines(out / "samples.jsonl")]
    errs = [s for s in samples if s.get("error")]
    assert len(errs) == 1 and errs[0]["error"].startswith("final") and errs[0]["correct"] is False
    assert len(samples) == 6 - 3  # 3 items ran out of retries (2 attempts each): not written
    proc = start_probe(fake_api, out, cache, "--limit", "6")
    proc.communicate(timeout=120)
    assert proc.returncode == 0
    assert len(lines(out / "samples.jsonl")) == 6


def test_options_only_hides_the_question(fake_api: FakeAPIServer, tmp_path: Path) -> None:
    items = load_items()[:5]
    env = {**os.environ, "NO_PROXY": "127.0.0.1"}
    r = subprocess.run(
        [sys.executable, "-m", "akb", "probe", "--model", "options-only:openai:loopback-model", "--base-url",
         fake_api.openai_base_url, "--limit", "5", "--out", str(tmp_path / "run"), "--no-progress"],
        capture_output=True, text=True, env=env, timeout=120,
    )
    assert r.returncode == 0, r.stderr
    assert len(fake_api.requests) == 5
    asked = set()
    for rec in fake_api.requests:
        text = rec.prompt_text()
        assert HIDDEN in text
        assert all(i.question not in text for i in items)
        # The options are still there, all four of exactly one item.
        shown = [i.id for i in items if all(f". {c}\n" in text for c in i.choices)]  # "A. option" lines
        assert len(shown) == 1
        asked.add(shown[0])
    assert asked == {i.id for i in items}
