"""Injected server faults over real HTTP on 127.0.0.1 (tests/servers.py), end to end.

Each test drives ``akb probe`` in-process (the same ``main`` a user runs, under click's
CliRunner isolation) or a backend directly, and checks what the issue promises: a key never
reaches a file, the cache or the console; auth, not-found, missing-feature and malformed
success bodies stop the run with one line and exit 2 and record nothing; Retry-After is
honoured; retryable failures are never recorded.
"""

from __future__ import annotations

import email.utils
import json
import time
from pathlib import Path

import pytest

pytest.importorskip("openai")
pytest.importorskip("anthropic")
pytest.importorskip("google.genai")

REDACTED = "[redacted]"
from akb.models.base import ChatRequest, Message  # noqa: E402
from akb.models.registry import create_backend  # noqa: E402
from cli_harness import run_cli  # noqa: E402
from servers import NO_LOGPROBS, FakeAPIServer, delay, echo, raw, status  # noqa: E402

pytestmark = pytest.mark.timeout(60)

SECRET = "sk-akb-fault-1b7e0c55d2aa4f0e9-never-written"
FAST = ["-o", "retry_initial_wait=0.01", "-o", "retry_max_wait=0.02", "-o", "max_retries=1", "-o", "timeout=2"]


def probe(srv: FakeAPIServer, out: Path, *extra: str) -> tuple[int, str, str]:
    return run_cli("probe", "--model", "openai:loopback", "--base-url", srv.openai_base_url, "--concurrency", "1",
                   "--out", str(out), "--no-progress", "--limit", "4", *FAST, *extra)


def samples(out: Path) -> list[dict]:
    p = out / "samples.jsonl"
    return [json.loads(x) for x in p.read_text().splitlines()] if p.exists() else []


def no_secret_anywhere(*roots: Path, texts: tuple[str, ...] = ()) -> None:
    for t in texts:
        assert SECRET not in t
    for root in roots:
        for p in root.rglob("*"):
            if p.is_file():
                assert SECRET.encode() not in p.read_bytes(), p


def one_line(err: str) -> str:
    lines = [ln for ln in err.splitlines() if ln.strip()]
    assert len(lines) == 1, err
    assert "Traceback" not in err
    return lines[0]


@pytest.fixture
def keyed(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    monkeypatch.setenv("OPENAI_API_KEY", SECRET)
    return tmp_path


# ------------------------------------------------------------------ defect 1: keys in results
@pytest.mark.parametrize("code", [401, 503])
def test_a_server_echoing_the_key_never_puts_it_in_results(fake_api: FakeAPIServer, keyed: Path, code: int) -> None:
    out, cache = keyed / "run", keyed / "cache"
    fake_api.default = echo(code)
    rc, stdout, err = probe(fake_api, out, "--cache", str(cache / "c.sqlite"))
    assert any(SECRET in r.headers.get("authorization", "") for r in fake_api.requests)  # the key was sent
    assert rc == (2 if code == 401 else 3), err
    no_secret_anywhere(out, cache, texts=(stdout, err))
    if code == 503:  # retryable: nothing written, the failures in summary.json are scrubbed
        assert samples(out) == []
        summary = json.loads((out / "summary.json").read_text())
        assert summary["failures"] and all(REDACTED in f for f in summary["failures"])


def test_scrub_removes_configured_values_and_token_shapes(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MY_VENDOR_KEY", "plain-looking-value-123")
    from akb.core.secrets import register_key_env, scrub

    register_key_env("MY_VENDOR_KEY")
    text = ("x plain-looking-value-123 Authorization: Bearer abc.def-123456789 sk-proj-ABCDEFGHIJKLMNOP1234 "
            "'x-api-key': 'zzzzzzzzzz' AIzaSyA1234567890abcdefghijk ?key=secret123&alt=json hf_abcdefghijklmnopqrstuvwx")
    clean = scrub(text)
    for leaked in ("plain-looking-value-123", "abc.def-123456789", "sk-proj-", "zzzzzzzzzz", "AIzaSy", "secret123",
                   "hf_abcdef"):
        assert leaked not in clean, clean
    assert scrub("max_tokens: 16, prompt_tokens=123456") == "max_tokens: 16, prompt_tokens=123456"
    # Any backend's error text is scrubbed where a Response is made (local backends included).
    from akb.models.base import Response

    assert "plain-looking-value-123" not in (Response(error="final: echo plain-looking-value-123").error or "")


# ------------------------------------------------------------------ defect 2: failures stop the run
@pytest.mark.parametrize("fault,needle", [
    (status(401), "refused the credentials (HTTP 401)"),
    (status(403), "refused the credentials (HTTP 403)"),
    (status(404), "not found on the server (HTTP 404)"),
    (raw(200, {"id": "x", "object": "chat.completion", "created": 1, "model": "m",
               "choices": [{"index": 0, "finish_reason": "stop"}]}), "no 'message'"),
    (raw(200, {"id": "x", "object": "chat.completion", "created": 1, "model": "m", "choices": []}), "without 'choices'"),
], ids=["401", "403", "404", "choice-without-message", "no-choices"])
def test_run_stopping_failures_exit_2_and_record_nothing(fake_api: FakeAPIServer, tmp_path: Path, fault, needle) -> None:
    fake_api.default = fault
    out = tmp_path / "run"
    rc, stdout, err = probe(fake_api, out)
    assert rc == 2, err
    assert needle in one_line(err)
    assert samples(out) == []  # nothing recorded as an answer
    # Never retried: the one failed request, plus the next one the free slot had already sent.
    assert len(fake_api.requests) <= 2
    # The corrected server resumes the same run.
    from servers import OK

    fake_api.default = OK
    rc, stdout, err = probe(fake_api, out)
    assert rc == 0, err
    assert len(samples(out)) == 4


def test_logprob_mode_against_a_server_without_logprobs_stops(fake_api: FakeAPIServer, tmp_path: Path) -> None:
    fake_api.default = NO_LOGPROBS
    out = tmp_path / "run"
    rc, _, err = probe(fake_api, out, "--mode", "logprob")
    assert rc == 2 and "no log-probabilities" in one_line(err) and "--mode generate" in err
    assert samples(out) == []


def test_backends_raise_typed_errors(fake_api: FakeAPIServer, monkeypatch: pytest.MonkeyPatch) -> None:
    from akb.core.errors import (
        AuthError,
        MalformedResponseError,
        ModelNotFoundError,
        UnsupportedFeatureError,
    )

    monkeypatch.setenv("ANTHROPIC_API_KEY", SECRET)
    monkeypatch.setenv("GEMINI_API_KEY", SECRET)
    req = ChatRequest(messages=[Message(role="user", content="Which? A) a B) b")])
    fast = {"retry_initial_wait": 0.01, "retry_max_wait": 0.02, "max_retries": 2, "timeout": 2}
    for spec in ("openai:m", "anthropic:m", "gemini:m"):
        b = create_backend(spec, base_url=fake_api.openai_base_url if spec.startswith("openai") else fake_api.url, **fast)
        for code, exc in ((401, AuthError), (403, AuthError), (404, ModelNotFoundError)):
            fake_api.reset()
            fake_api.default = echo(code)
            with pytest.raises(exc) as e:
                b.generate([req])
            assert SECRET not in str(e.value)
            assert len(fake_api.requests) == 1, spec
    b = create_backend("openai:m", base_url=fake_api.openai_base_url, **fast)
    fake_api.reset()
    fake_api.default = NO_LOGPROBS
    with pytest.raises(UnsupportedFeatureError):
        b.letter_logprobs([req.model_copy(update={"letters": ["A", "B"]})])
    fake_api.default = raw(200, {"id": "x", "object": "chat.completion", "created": 1, "model": "m",
                                 "choices": [{"index": 0, "message": {"role": "assistant", "content": 7}}]})
    with pytest.raises(MalformedResponseError) as e:
        b.generate([req])
    # The kinds the engine's error-kind enum names: auth, not-found, protocol.
    assert (AuthError.kind, ModelNotFoundError.kind, e.value.kind, UnsupportedFeatureError.kind) == (
        "auth", "not-found", "protocol", "protocol")


def test_retryable_failures_are_never_recorded(fake_api: FakeAPIServer, tmp_path: Path) -> None:
    out = tmp_path / "run"
    fake_api.default = status(500)
    rc, _, err = probe(fake_api, out)
    assert rc == 3 and "incomplete" in err
    assert samples(out) == []
    fake_api.default = delay(0)
    rc, _, err = probe(fake_api, out)
    assert rc == 0 and len(samples(out)) == 4


def test_malformed_json_and_timeouts_are_retried(fake_api: FakeAPIServer, tmp_path: Path) -> None:
    from servers import MALFORMED

    fake_api.plan(MALFORMED, delay(3))
    out = tmp_path / "run"
    rc, _, err = probe(fake_api, out, "-o", "timeout=0.5", "-o", "max_retries=3")
    assert rc == 0, err
    assert len(samples(out)) == 4 and not any(s.get("error") for s in samples(out))


# ------------------------------------------------------------------ defect 9: Retry-After
def _gaps(srv: FakeAPIServer) -> list[float]:
    t = [r.time for r in srv.requests]
    return [b - a for a, b in zip(t, t[1:], strict=False)]


@pytest.mark.parametrize("header", ["2", "date"])
def test_retry_after_is_honoured(fake_api: FakeAPIServer, header: str) -> None:
    value = email.utils.formatdate(time.time() + 3, usegmt=True) if header == "date" else header
    b = create_backend("openai:m", base_url=fake_api.openai_base_url, retry_initial_wait=0.01, retry_max_wait=0.05,
                       max_retries=2, timeout=5)
    if header == "date":  # one fault: a date is a moment, so a second one would already be past
        fake_api.plan(status(503, retry_after=value))
    else:
        fake_api.plan(status(429, retry_after=value), status(503, retry_after=value))
    (r,) = b.generate([ChatRequest(messages=[Message(role="user", content="q")])])
    assert r.ok, r.error
    gaps = _gaps(fake_api)
    assert len(gaps) == (1 if header == "date" else 2)
    least = 1.9 if header == "2" else 1.0  # an HTTP date has one-second resolution
    assert all(g >= least for g in gaps), gaps


def test_retry_after_is_capped(fake_api: FakeAPIServer) -> None:
    b = create_backend("openai:m", base_url=fake_api.openai_base_url, max_retries=1, max_retry_after=0.2, timeout=5)
    fake_api.plan(status(429, retry_after="3600"))
    t0 = time.monotonic()
    (r,) = b.generate([ChatRequest(messages=[Message(role="user", content="q")])])
    assert r.ok and time.monotonic() - t0 < 3


@pytest.mark.parametrize("spec", ["anthropic:m", "gemini:m"])
def test_retry_after_is_honoured_by_every_vendor(fake_api: FakeAPIServer, monkeypatch: pytest.MonkeyPatch,
                                                spec: str) -> None:
    monkeypatch.setenv("ANTHROPIC_API_KEY", SECRET)
    monkeypatch.setenv("GEMINI_API_KEY", SECRET)
    b = create_backend(spec, base_url=fake_api.url, retry_initial_wait=0.01, retry_max_wait=0.05, max_retries=2,
                       timeout=5)
    fake_api.plan(status(429, retry_after="1.5"))
    (r,) = b.generate([ChatRequest(messages=[Message(role="user", content="q")])])
    assert r.ok, r.error
    (gap,) = _gaps(fake_api)
    assert gap >= 1.4, gap
