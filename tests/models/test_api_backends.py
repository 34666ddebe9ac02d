"""The network backends against a real HTTP server on 127.0.0.1.

No client library is mocked: the openai, anthropic and google-genai SDKs send real HTTP
requests to :class:`servers.FakeAPIServer`, which scripts rate limits, server errors, slow
and malformed responses, and records what it was sent.
"""

from __future__ import annotations

import math
import time
import uuid

import pytest

pytest.importorskip("openai")
pytest.importorskip("anthropic")
pytest.importorskip("google.genai")

from akb.core.errors import ConfigError  # noqa: E402
from akb.models.base import ChatRequest, Message, Response  # noqa: E402
from akb.models.registry import create_backend  # noqa: E402
from servers import MALFORMED, NO_LOGPROBS, FakeAPIServer, delay, status  # noqa: E402  (tests/ is on sys.path)

pytestmark = pytest.mark.timeout(30)

MAX_RETRIES = 2
FAST = {
    "retry_initial_wait": 0.01,
    "retry_max_wait": 0.05,
    "timeout": 0.5,
    "max_retries": MAX_RETRIES,
}


def _req(text: str = "Which letter? A) a B) b C) c D) d", **kw) -> ChatRequest:
    return ChatRequest(
        messages=[Message(role="system", content="Answer with one letter."), Message(role="user", content=text)],
        **kw,
    )


def _one(backend, request: ChatRequest | None = None) -> Response:
    out = backend.generate([request or _req()])
    assert len(out) == 1
    return out[0]


# ---------------------------------------------------------------------------- openai


@pytest.fixture
def openai_backend(fake_api: FakeAPIServer, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    return create_backend("openai:test-model", base_url=fake_api.openai_base_url, **FAST)


def test_openai_success_text_and_usage(fake_api: FakeAPIServer, openai_backend) -> None:
    fake_api.answer = lambda rec: "C" if "letter C" in rec.prompt_text() else "B"
    r1 = _one(openai_backend, _req(max_tokens=7, seed=3, stop=["\n"]))
    r2 = _one(openai_backend, _req("say letter C"))
    assert r1.ok and r1.error is None
    assert r1.text == "B" and r2.text == "C"
    assert (r1.prompt_tokens, r1.completion_tokens) == (11, 1)
    assert r1.finish_reason == "stop"
    assert r1.latency_s > 0
    assert len(fake_api.requests) == 2
    sent = fake_api.requests[0]
    assert sent.path == "/v1/chat/completions"
    assert sent.body["model"] == "test-model"
    assert sent.body["max_tokens"] == 7
    assert sent.body["seed"] == 3 and sent.body["stop"] == ["\n"]
    assert sent.body["messages"][0] == {"role": "system", "content": "Answer with one letter."}
    assert sent.body["messages"][1]["role"] == "user"
    assert "logprobs" not in sent.body
    # A local server needs no key; the placeholder is sent, not a real key.
    assert sent.headers["authorization"] == "Bearer EMPTY"


def test_openai_extra_body_is_sent(fake_api: FakeAPIServer, monkeypatch: pytest.MonkeyPatch) -> None:
    b = create_backend("openai:test-model", base_url=fake_api.openai_base_url,
                       extra_body={"chat_template_kwargs": {"enable_thinking": False}}, **FAST)
    assert _one(b).ok
    assert fake_api.requests[0].body["chat_template_kwargs"] == {"enable_thinking": False}


def test_openai_429_then_success(fake_api: FakeAPIServer, openai_backend) -> None:
    fake_api.plan(status(429))
    r = _one(openai_backend)
    assert r.ok, r.error
    assert r.text == "B"
    assert len(fake_api.requests) == 2
    assert fake_api.pending() == 0


def test_openai_persistent_500_gives_up_as_retryable(fake_api: FakeAPIServer, openai_backend) -> None:
    fake_api.plan([status(500)] * 10)
    r = _one(openai_backend)
    assert not r.ok
    assert r.error is not None and r.error.startswith("retryable"), r.error
    assert f"after {MAX_RETRIES + 1} attempts" in r.error
    assert "500" in r.error
    assert len(fake_api.requests) == MAX_RETRIES + 1
    assert r.text == ""


def test_openai_max_retries_zero_is_one_attempt(fake_api: FakeAPIServer) -> None:
    b = create_backend("openai:test-model", base_url=fake_api.openai_base_url, **{**FAST, "max_retries": 0})
    fake_api.plan(status(503), status(503))
    r = _one(b)
    assert r.error is not None and r.error.startswith("retryable")
    assert len(fake_api.requests) == 1


def test_openai_slow_response_past_timeout_then_success(fake_api: FakeAPIServer, openai_backend) -> None:
    fake_api.plan(delay(5.0))  # far past the 0.5 s timeout; released when the server stops
    t0 = time.perf_counter()
    r = _one(openai_backend)
    elapsed = time.perf_counter() - t0
    assert r.ok, r.error
    assert r.text == "B"
    assert len(fake_api.requests) == 2
    assert 0.4 < elapsed < 4.0  # it waited for the timeout, not for the slow answer


def test_openai_malformed_json_then_success(fake_api: FakeAPIServer, openai_backend) -> None:
    fake_api.plan(MALFORMED)
    r = _one(openai_backend)
    assert r.ok, r.error
    assert r.text == "B"
    assert len(fake_api.requests) == 2


def test_openai_persistent_malformed_is_retryable(fake_api: FakeAPIServer, openai_backend) -> None:
    fake_api.plan([MALFORMED] * 10)
    r = _one(openai_backend)
    assert r.error is not None and r.error.startswith("retryable"), r.error
    assert len(fake_api.requests) == MAX_RETRIES + 1


def test_openai_400_is_final_and_not_retried(fake_api: FakeAPIServer, openai_backend) -> None:
    fake_api.plan(status(400), status(400))
    r = _one(openai_backend)
    assert r.error is not None and r.error.startswith("final"), r.error
    assert "400" in r.error
    assert len(fake_api.requests) == 1


def test_openai_logprobs_read_top_logprobs(fake_api: FakeAPIServer, openai_backend) -> None:
    fake_api.answer = lambda rec: "C"
    req = _req(letters=["A", "B", "C", "D", "E"], max_tokens=16)
    (r,) = openai_backend.letter_logprobs([req])
    assert r.ok, r.error
    assert r.text == "C"
    assert r.finish_reason == "logprob"
    lp = r.letter_logprobs
    assert lp is not None and set(lp) == {"A", "B", "C", "D", "E"}
    assert lp["C"] == pytest.approx(-0.05)
    assert lp["A"] == pytest.approx(-3.0) and lp["B"] == pytest.approx(-4.0) and lp["D"] == pytest.approx(-5.0)
    assert lp["E"] == -math.inf  # outside the server's top list
    sent = fake_api.requests[0].body
    assert sent["logprobs"] is True and sent["top_logprobs"] == 20
    assert sent["max_tokens"] == 1 and sent["temperature"] == 0.0


def test_openai_logprobs_strip_spaces_and_parens_and_retry(fake_api: FakeAPIServer, openai_backend) -> None:
    fake_api.log_probs = lambda _ans: {" B": -0.2, "(A)": -1.5, "B": -0.9, "D": -7.0}
    fake_api.plan(status(429))
    (r,) = openai_backend.letter_logprobs([_req(letters=["A", "B", "C", "D"])])
    assert r.ok, r.error
    assert r.letter_logprobs == {"A": -1.5, "B": -0.2, "C": -math.inf, "D": -7.0}
    assert r.text == "B"
    assert len(fake_api.requests) == 2


def test_openai_server_without_logprobs_is_reported(fake_api: FakeAPIServer, openai_backend) -> None:
    # A missing feature stops the run (UnsupportedFeatureError), never a wrong answer.
    from akb.core.errors import UnsupportedFeatureError

    fake_api.plan(NO_LOGPROBS)
    with pytest.raises(UnsupportedFeatureError, match="log-probabilities"):
        openai_backend.letter_logprobs([_req(letters=["A", "B", "C", "D"])])
    assert len(fake_api.requests) == 1


def test_openai_key_from_env_is_sent(fake_api: FakeAPIServer, monkeypatch: pytest.MonkeyPatch) -> None:
    key = f"sk-test-{uuid.uuid4().hex}"
    monkeypatch.setenv("OPENAI_API_KEY", key)
    b = create_backend("openai:test-model", base_url=fake_api.openai_base_url, **FAST)
    assert _one(b).ok
    assert fake_api.requests[0].headers["authorization"] == f"Bearer {key}"
    assert key not in repr(b.identity())


def test_openai_key_from_named_env_var(fake_api: FakeAPIServer, monkeypatch: pytest.MonkeyPatch) -> None:
    var = f"AKB_TEST_KEY_{uuid.uuid4().hex[:8].upper()}"
    key = f"local-{uuid.uuid4().hex}"
    monkeypatch.setenv(var, key)
    monkeypatch.setenv("OPENAI_API_KEY", "sk-not-this-one")
    b = create_backend("openai:test-model", base_url=fake_api.openai_base_url, api_key_env=var, **FAST)
    assert _one(b).ok
    assert fake_api.requests[0].headers["authorization"] == f"Bearer {key}"


def test_openai_official_endpoint_needs_key(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    with pytest.raises(ConfigError, match="OPENAI_API_KEY"):
        create_backend("openai:gpt-4o-mini")
    with pytest.raises(ConfigError, match="OPENAI_API_KEY"):
        create_backend("openai:gpt-4o-mini", base_url="https://api.openai.com/v1/")


def test_openai_concurrent_requests_all_answered(fake_api: FakeAPIServer, openai_backend) -> None:
    fake_api.answer = lambda rec: rec.prompt_text().rsplit("#", 1)[-1]
    fake_api.plan(status(429), status(502))
    reqs = [_req(f"item #{i}") for i in range(12)]
    out = openai_backend.generate(reqs)
    assert [r.text for r in out] == [str(i) for i in range(12)]
    assert all(r.ok for r in out)
    assert len(fake_api.requests) == 14


# ---------------------------------------------------------------------------- anthropic


@pytest.fixture
def anthropic_key(monkeypatch: pytest.MonkeyPatch) -> str:
    key = f"sk-ant-test-{uuid.uuid4().hex}"
    monkeypatch.setenv("ANTHROPIC_API_KEY", key)
    return key


def test_anthropic_success(fake_api: FakeAPIServer, anthropic_key: str) -> None:
    b = create_backend("anthropic:claude-test", base_url=fake_api.url, **FAST)
    r = _one(b, _req(max_tokens=9, stop=["\n\n"], top_p=0.5))
    assert r.ok, r.error
    assert r.text == "B"
    assert (r.prompt_tokens, r.completion_tokens) == (13, 2)
    assert r.finish_reason == "end_turn"
    assert len(fake_api.requests) == 1
    sent = fake_api.requests[0]
    assert sent.path == "/v1/messages"
    # Older SDKs send X-Api-Key, newer ones a bearer token.
    assert sent.headers.get("x-api-key") == anthropic_key or sent.headers.get("authorization") == f"Bearer {anthropic_key}"
    assert sent.body["model"] == "claude-test"
    assert sent.body["system"] == "Answer with one letter."
    assert [m["role"] for m in sent.body["messages"]] == ["user"]
    assert sent.body["max_tokens"] == 9
    assert sent.body["stop_sequences"] == ["\n\n"]
    # Sampling parameters go out only where the installed SDK still takes them (newer SDKs
    # dropped them, and newer models reject them with a 400).
    import inspect

    from anthropic.resources.messages import AsyncMessages

    accepted = inspect.signature(AsyncMessages.create).parameters
    assert ("temperature" in sent.body) == ("temperature" in accepted)
    assert ("top_p" in sent.body) == ("top_p" in accepted)
    if "top_p" in accepted:
        assert sent.body["top_p"] == 0.5 and sent.body["temperature"] == 0.0


def test_anthropic_429_then_success(fake_api: FakeAPIServer, anthropic_key: str) -> None:
    b = create_backend("anthropic:claude-test", base_url=fake_api.url, **FAST)
    fake_api.plan(status(429))
    r = _one(b)
    assert r.ok, r.error
    assert r.text == "B"
    assert len(fake_api.requests) == 2


def test_anthropic_persistent_529_and_400(fake_api: FakeAPIServer, anthropic_key: str) -> None:
    b = create_backend("anthropic:claude-test", base_url=fake_api.url, **FAST)
    fake_api.plan([status(529)] * 10)
    r = _one(b)
    assert r.error is not None and r.error.startswith("retryable"), r.error
    assert len(fake_api.requests) == MAX_RETRIES + 1
    fake_api.reset()
    fake_api.plan(status(400))
    r = _one(b)
    assert r.error is not None and r.error.startswith("final"), r.error
    assert len(fake_api.requests) == 1


def test_anthropic_timeout_and_malformed_then_success(fake_api: FakeAPIServer, anthropic_key: str) -> None:
    b = create_backend("anthropic:claude-test", base_url=fake_api.url, **{**FAST, "max_retries": 3})
    fake_api.plan(delay(5.0), MALFORMED)
    t0 = time.perf_counter()
    r = _one(b)
    assert r.ok, r.error
    assert r.text == "B"
    assert len(fake_api.requests) == 3
    assert time.perf_counter() - t0 < 4.0


def test_anthropic_needs_key(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("ANTHROPIC_API_KEY", raising=False)
    with pytest.raises(ConfigError, match="ANTHROPIC_API_KEY"):
        create_backend("anthropic:claude-test")


# ---------------------------------------------------------------------------- gemini


@pytest.fixture
def gemini_key(monkeypatch: pytest.MonkeyPatch) -> str:
    key = f"gem-test-{uuid.uuid4().hex}"
    monkeypatch.setenv("GEMINI_API_KEY", key)
    return key


def test_gemini_success(fake_api: FakeAPIServer, gemini_key: str) -> None:
    b = create_backend("gemini:gemini-test", base_url=fake_api.url, **FAST)
    r = _one(b, _req(max_tokens=5, seed=7))
    assert r.ok, r.error
    assert r.text == "B"
    assert (r.prompt_tokens, r.completion_tokens) == (17, 3)
    assert r.finish_reason == "STOP"
    assert len(fake_api.requests) == 1
    sent = fake_api.requests[0]
    assert sent.path.endswith("/models/gemini-test:generateContent"), sent.path
    assert sent.headers["x-goog-api-key"] == gemini_key
    body = sent.body
    assert body["contents"] == [{"role": "user", "parts": [{"text": _req().messages[1].content}]}]
    cfg = body["generationConfig"]
    assert cfg["maxOutputTokens"] == 5 and cfg["seed"] == 7 and cfg["temperature"] == 0.0
    assert body["systemInstruction"]["parts"][0]["text"] == "Answer with one letter."


def test_gemini_429_then_success(fake_api: FakeAPIServer, gemini_key: str) -> None:
    b = create_backend("gemini:gemini-test", base_url=fake_api.url, **FAST)
    fake_api.plan(status(429))
    r = _one(b)
    assert r.ok, r.error
    assert r.text == "B"
    assert len(fake_api.requests) == 2


def test_gemini_persistent_503_and_400(fake_api: FakeAPIServer, gemini_key: str) -> None:
    b = create_backend("gemini:gemini-test", base_url=fake_api.url, **FAST)
    fake_api.plan([status(503)] * 10)
    r = _one(b)
    assert r.error is not None and r.error.startswith("retryable"), r.error
    assert len(fake_api.requests) == MAX_RETRIES + 1
    fake_api.reset()
    fake_api.plan(status(400))
    r = _one(b)
    assert r.error is not None and r.error.startswith("final"), r.error
    assert len(fake_api.requests) == 1


def test_gemini_timeout_then_success(fake_api: FakeAPIServer, gemini_key: str) -> None:
    b = create_backend("gemini:gemini-test", base_url=fake_api.url, **FAST)
    fake_api.plan(delay(5.0))
    t0 = time.perf_counter()
    r = _one(b)
    assert r.ok, r.error
    assert r.text == "B"
    assert len(fake_api.requests) == 2
    assert time.perf_counter() - t0 < 4.0


def test_gemini_malformed_then_success(fake_api: FakeAPIServer, gemini_key: str) -> None:
    b = create_backend("gemini:gemini-test", base_url=fake_api.url, **FAST)
    fake_api.plan(MALFORMED)
    r = _one(b)
    assert r.ok, r.error
    assert r.text == "B"
    assert len(fake_api.requests) == 2


def test_gemini_needs_key(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("GEMINI_API_KEY", raising=False)
    with pytest.raises(ConfigError, match="GEMINI_API_KEY"):
        create_backend("gemini:gemini-test")
