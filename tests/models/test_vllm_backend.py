"""The vllm backend's request handling, against a stand-in for vLLM's engine API.

vLLM needs a CUDA build of torch and cannot be installed on the test machines, so these
tests drive ``VLLMBackend`` through a small stand-in with vLLM's interface (``LLM``,
``SamplingParams``, ``llm_engine.add_request`` / ``step``) whose numbers come from a real
tiny transformers model: the log-probabilities it returns are the model's, so the backend's
letter scores can be compared with the hf backend's on the same weights.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest

torch = pytest.importorskip("torch")
pytest.importorskip("transformers")

from akb.models import vllm_engine  # noqa: E402
from akb.models.base import ChatRequest, Message  # noqa: E402
from akb.models.registry import create_backend  # noqa: E402
from tiny_lm import build_tiny_lm  # noqa: E402


@dataclass
class SamplingParams:
    max_tokens: int = 16
    temperature: float = 0.0
    top_p: float = 1.0
    seed: int | None = None
    stop: list[str] | None = None
    logprobs: int | None = None
    prompt_logprobs: int | None = None
    allowed_token_ids: list[int] | None = None


@dataclass
class _Engine:
    model: Any
    tok: Any
    per_step: int = 3
    queue: list[tuple[str, list[int], SamplingParams]] = field(default_factory=list)
    seen_params: list[SamplingParams] = field(default_factory=list)

    def add_request(self, rid: str, prompt: dict[str, list[int]], params: SamplingParams) -> None:
        self.queue.append((rid, prompt["prompt_token_ids"], params))
        self.seen_params.append(params)

    def step(self) -> list[Any]:
        done, self.queue = self.queue[: self.per_step], self.queue[self.per_step :]
        outs = []
        for rid, ids, params in done:
            x = torch.tensor([ids])
            with torch.inference_mode():
                logp = torch.log_softmax(self.model(x).logits.float(), -1)[0]
            prompt_lp = [None] + [{ids[j]: SimpleNamespace(logprob=float(logp[j - 1, ids[j]]))} for j in range(1, len(ids))]
            new = self.model.generate(x, max_new_tokens=params.max_tokens, do_sample=False,
                                      pad_token_id=self.tok.pad_token_id)[0, len(ids):].tolist()
            text = self.tok.decode(new, skip_special_tokens=True)
            outs.append(SimpleNamespace(request_id=rid, finished=True, prompt_token_ids=ids,
                                        prompt_logprobs=prompt_lp,
                                        outputs=[SimpleNamespace(text=text, token_ids=new, finish_reason="length")]))
        return outs


class _LLM:
    def __init__(self, path: Path) -> None:
        from transformers import AutoModelForCausalLM, AutoTokenizer

        self.tok = AutoTokenizer.from_pretrained(path)
        self.llm_engine = _Engine(AutoModelForCausalLM.from_pretrained(path, dtype=torch.float32).eval(), self.tok)

    def get_tokenizer(self) -> Any:
        return self.tok


@pytest.fixture(scope="module")
def tiny(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_tiny_lm(tmp_path_factory.mktemp("vllm") / "lm", chat_template=True)


@pytest.fixture
def backend(tiny: Path, monkeypatch: pytest.MonkeyPatch) -> vllm_engine.VLLMBackend:
    monkeypatch.setattr(vllm_engine, "_import_vllm", lambda: SimpleNamespace(SamplingParams=SamplingParams))
    b = vllm_engine.VLLMBackend(str(tiny))
    b._llm = _LLM(tiny)
    return b


def _req(q: str, letters: str, **kw: Any) -> ChatRequest:
    opts = " ".join(f"({L}) option {L.lower()}" for L in letters)
    return ChatRequest(messages=[Message(role="user", content=f"Question: {q} {opts}\nAnswer:")],
                       letters=list(letters), **kw)


def test_letters_outside_the_top_k_are_scored_and_equal_the_hf_backend(backend: Any, tiny: Path) -> None:
    reqs = [_req("Which syllable carries stress?", "ABCD"), _req("Loudness unit?", "ABCDEFGH"), _req("Two?", "AB")]
    got = backend.letter_logprobs(reqs)
    hf = create_backend(f"hf:{tiny}", device="cpu", dtype="float32").letter_logprobs(reqs)
    for g, h, r in zip(got, hf, reqs, strict=True):
        assert g.letter_logprobs is not None and h.letter_logprobs is not None
        assert list(g.letter_logprobs) == r.letters  # each request keeps its own letters
        for L in r.letters or []:
            assert math.isfinite(g.letter_logprobs[L])  # never -inf, even far outside a top 4
            assert g.letter_logprobs[L] == pytest.approx(h.letter_logprobs[L], abs=1e-4)
        assert g.text == h.text


def test_each_request_keeps_its_own_sampling_settings(backend: Any) -> None:
    reqs = [_req("a?", "ABCD", max_tokens=3), _req("b?", "ABCD", max_tokens=9, stop=["\n"]), _req("c?", "AB", max_tokens=1)]
    outs = backend.generate(reqs)
    assert len(outs) == 3
    seen = backend._llm.llm_engine.seen_params
    assert [p.max_tokens for p in seen] == [3, 9, 1]
    assert seen[1].stop == ["\n"] and seen[0].stop is None
    assert [len(o.text) >= 0 and (o.completion_tokens or 0) <= r.max_tokens for o, r in zip(outs, reqs, strict=True)] == [True] * 3


def test_results_stream_as_requests_finish(backend: Any) -> None:
    reqs = [_req(f"q{i}?", "ABCD") for i in range(5)]
    chunks = list(backend.answer_stream(reqs, "logprob"))
    assert len(chunks) > 1  # written as the engine finishes them, not after the last one
    assert sorted(i for c in chunks for i, _ in c) == list(range(5))
