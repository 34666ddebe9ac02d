"""The engine every evaluation shares (akb.runs.engine): lock, failure kinds, cache, Ctrl-C."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import threading
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any, ClassVar

import pytest
from pydantic import ValidationError

from akb.core.errors import ConfigError, ErrorKind, RunLocked, RunStopped
from akb.models.base import AsyncBackend, BaseBackend, ChatRequest, Response
from akb.models.spec import ModelConfig
from akb.runs.engine import CachingBackend, open_response_cache, run_directory
from akb.runs.probe import ProbeConfig, run_probe


class Scripted(BaseBackend):
    """Answers 'A', except where ``errors`` (by call number) says to fail."""

    name: ClassVar[str] = "scripted"

    def __init__(self, errors: dict[int, Response] | None = None) -> None:
        self.errors = errors or {}
        self.calls = 0
        self._batch_size = 1

    def identity(self) -> dict[str, Any]:
        return {"backend": "scripted"}

    def generate(self, requests: Sequence[ChatRequest]) -> list[Response]:
        out = []
        for _ in requests:
            out.append(self.errors.get(self.calls, Response(text="A")))
            self.calls += 1
        return out


def cfg(out: Path, **kw: Any) -> ProbeConfig:
    return ProbeConfig(model=ModelConfig(backend="scripted", model="x"), out=str(out), progress=False, limit=6, **kw)


def samples(run: Path) -> list[dict[str, Any]]:
    p = run / "samples.jsonl"
    return [json.loads(x) for x in p.read_text().splitlines()] if p.exists() else []


def test_a_second_process_on_a_run_directory_is_refused_naming_the_holder(tmp_path: Path) -> None:
    out = tmp_path / "run"
    with run_directory(out, {"task": "x"}):
        with pytest.raises(RunLocked, match=rf"in use by process {os.getpid()} on .*"):
            run_probe(cfg(out), backend=Scripted())
    assert run_probe(cfg(out, overwrite=True), backend=Scripted()).complete  # released after the run
    assert not (out / ".lock.json").exists()


def test_a_run_that_fails_validation_leaves_no_directory(tmp_path: Path) -> None:
    out = tmp_path / "run"
    with pytest.raises(ConfigError, match="unknown category"):
        run_probe(cfg(out, categories=["nope"]), backend=Scripted())
    assert not out.exists()


def test_a_run_that_fails_before_its_first_answer_leaves_nothing_to_block_the_rerun(tmp_path: Path) -> None:
    out = tmp_path / "run"
    with pytest.raises(ValidationError):  # a temperature no request accepts
        run_probe(cfg(out, temperature=-1.0), backend=Scripted())
    assert not out.exists()
    assert run_probe(cfg(out), backend=Scripted()).complete  # the corrected command is not refused


@pytest.mark.parametrize("kind", [ErrorKind.AUTH, ErrorKind.NOT_FOUND, ErrorKind.PROTOCOL])
def test_auth_and_protocol_failures_stop_the_run_and_record_nothing_of_them(tmp_path: Path, kind: ErrorKind) -> None:
    out = tmp_path / "run"
    bad = Response(error=f"{kind.value}: 401 invalid key", error_kind=kind)
    with pytest.raises(RunStopped, match=kind.value):
        run_probe(cfg(out), backend=Scripted({2: bad}))
    written = samples(out)
    assert len(written) == 2 and not any(s.get("error") for s in written)
    assert not (out / "summary.json").exists()
    # Fixed (a good key), the same command resumes and finishes.
    assert run_probe(cfg(out), backend=Scripted()).complete


def test_retryable_failures_are_not_recorded_and_final_ones_are(tmp_path: Path) -> None:
    out = tmp_path / "run"
    errors = {1: Response(error="retryable: 503 after 3 attempts"), 3: Response(error="final: 400 too long")}
    res = run_probe(cfg(out), backend=Scripted(errors))
    by_id = {s["id"]: s for s in samples(out)}
    assert len(by_id) == 5 and not res.complete
    assert [s for s in by_id.values() if s.get("error")][0]["error"] == "final: 400 too long"
    assert res.stats["retry_later"] == 1 and res.stats["final_errors"] == 1
    again = run_probe(cfg(out), backend=Scripted())
    assert again.complete and len(samples(out)) == 6


def test_the_cache_wraps_any_backend(tmp_path: Path) -> None:
    first = Scripted()
    run_probe(cfg(tmp_path / "a"), backend=first)
    second = Scripted()
    res = run_probe(cfg(tmp_path / "b"), backend=second)
    assert first.calls == 6 and second.calls == 0 and res.stats["from_cache"] == 6
    wrapped = CachingBackend(Scripted(), open_response_cache(tmp_path / "c.sqlite"), "generate")
    req = ChatRequest(messages=[{"role": "user", "content": "hi"}])  # type: ignore[list-item]
    assert wrapped.generate([req])[0].text == "A" and wrapped.generate([req])[0].cached
    assert wrapped.inner.calls == 1
    wrapped.close()


class Hanging(AsyncBackend):
    """A server that answers two requests, then never again, and a client that never closes."""

    name: ClassVar[str] = "hanging"
    concurrency = 4

    def __init__(self, hang: bool = True) -> None:
        self.answered = 0
        self.hang = hang

    def identity(self) -> dict[str, Any]:
        return {"backend": "hanging"}

    async def agenerate_one(self, request: ChatRequest) -> Response:
        if self.answered < 2 or not self.hang:
            self.answered += 1
            return Response(text="A")
        await asyncio.sleep(3600)
        return Response(text="B")

    async def aclose(self) -> None:
        if not self.hang:
            return
        try:
            await asyncio.sleep(3600)
        except asyncio.CancelledError:
            await asyncio.sleep(3600)  # ignores cancellation too


def test_ctrl_c_stops_an_api_run_within_5_seconds_with_only_whole_lines(tmp_path: Path) -> None:
    out = tmp_path / "run"
    sent: dict[str, float] = {}

    def interrupt() -> None:  # Ctrl-C once the two answers are written, however busy the machine
        deadline = time.monotonic() + 120
        p = out / "samples.jsonl"
        while time.monotonic() < deadline and not (p.exists() and p.read_text().count("\n") >= 2):
            time.sleep(0.05)
        sent["t"] = time.monotonic()
        os.kill(os.getpid(), signal.SIGINT)

    # Ctrl-C as a terminal delivers it, whatever SIGINT disposition the test runner inherited
    # (a runner started in the background has SIGINT ignored).
    previous = signal.signal(signal.SIGINT, signal.default_int_handler)
    try:
        threading.Thread(target=interrupt, daemon=True).start()
        with pytest.raises(KeyboardInterrupt):
            run_probe(cfg(out, use_cache=False), backend=Hanging())
    finally:
        signal.signal(signal.SIGINT, previous)
    stopped = time.monotonic() - sent["t"]
    assert stopped < 5.0, f"took {stopped:.1f} s after Ctrl-C"
    assert len(samples(out)) == 2 and (out / "samples.jsonl").read_text().endswith("\n")
    assert not (out / "summary.json").exists()
    again = run_probe(cfg(out, use_cache=False), backend=Hanging(hang=False))  # the same command resumes
    assert again.complete and again.stats["resumed"] == 2
