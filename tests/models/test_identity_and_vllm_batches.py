"""The two engine-side backend bugs of issue 11, each shown by a test that failed before its fix."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

import huggingface_hub
import pytest

from akb.models.base import MCQ, ChatRequest, Message
from akb.models.hf import HFBackend

COMMIT = "c" * 40


def test_a_hub_model_first_run_and_its_resume_have_one_identity(monkeypatch: pytest.MonkeyPatch) -> None:
    """First run: the weights are not cached, so the revision cannot be read from disk; it
    used to become "unresolved", and the resume (weights now cached) refused the run."""
    cached = {"yes": False}

    def snapshot_download(name: str, revision: str | None = None, local_files_only: bool = False) -> str:
        if not cached["yes"]:
            raise OSError("not in the local cache")
        return f"/cache/models--org--model/snapshots/{COMMIT}"

    monkeypatch.setattr(huggingface_hub, "snapshot_download", snapshot_download)
    first = HFBackend("org/model")

    def load() -> tuple[Any, Any]:  # fetching the weights caches them
        first._model = SimpleNamespace(config=SimpleNamespace(_commit_hash=COMMIT))
        cached["yes"] = True
        return first._model, None

    monkeypatch.setattr(first, "_load", load)
    assert first.identity()["revision"] == COMMIT
    assert HFBackend("org/model").identity()["revision"] == COMMIT  # the resume agrees


class _FakeVLLM:
    """Enough of vllm for the backend: records each engine call's sampling settings."""

    def __init__(self) -> None:
        self.calls: list[tuple[dict[str, Any], int]] = []
        fake = self

        class SamplingParams(dict):  # type: ignore[type-arg]
            def __init__(self, **kw: Any) -> None:
                super().__init__(**kw)

        class Tokenizer:
            def encode(self, text: str, add_special_tokens: bool = False) -> list[int]:
                return [ord(text[0])]

        class LLM:
            def __init__(self, **kw: Any) -> None:
                pass

            def get_tokenizer(self) -> Tokenizer:
                return Tokenizer()

            def chat(self, msgs: list[Any], params: dict[str, Any], **kw: Any) -> list[Any]:
                fake.calls.append((dict(params), len(msgs)))
                allowed = params.get("allowed_token_ids") or []
                lp = {t: SimpleNamespace(logprob=-float(k)) for k, t in enumerate(allowed)}
                return [SimpleNamespace(prompt_token_ids=[1, 2], outputs=[SimpleNamespace(
                    text=f" {params['max_tokens']} ", token_ids=[1], finish_reason="stop", logprobs=[lp])])
                    for _ in msgs]

        self.SamplingParams = SamplingParams
        self.LLM = LLM


def _request(n_choices: int, max_tokens: int = 16) -> ChatRequest:
    letters = list("ABCDEFGH"[:n_choices])
    return ChatRequest(messages=[Message(role="user", content=f"q{n_choices}")], max_tokens=max_tokens, letters=letters,
                       mcq=MCQ(question="q", choices=[f"c{i}" for i in range(n_choices)], letters=letters))


def test_vllm_scores_each_request_with_its_own_letters_and_settings(monkeypatch: pytest.MonkeyPatch) -> None:
    from akb.models import vllm_engine

    fake = _FakeVLLM()
    monkeypatch.setattr(vllm_engine, "_import_vllm", lambda: fake)
    backend = vllm_engine.VLLMBackend("/models/m")
    got = backend.letter_logprobs([_request(4), _request(2), _request(8), _request(2)])
    assert [sorted(r.letter_logprobs or {}) for r in got] == [list("ABCD"), list("AB"), list("ABCDEFGH"), list("AB")]
    assert all(r.text == "A" for r in got)

    fake.calls.clear()
    texts = [r.text for r in backend.generate([_request(4, 16), _request(4, 2048), _request(4, 16)])]
    assert texts == ["16", "2048", "16"]  # each answer decoded with its own max_tokens
    assert sorted(p["max_tokens"] for p, _ in fake.calls) == [16, 2048]
