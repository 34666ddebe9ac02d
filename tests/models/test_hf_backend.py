"""The hf backend on a tiny Llama built from a config: real from_pretrained, both modes."""

from __future__ import annotations

from pathlib import Path

import pytest

torch = pytest.importorskip("torch")
pytest.importorskip("transformers")

from akb.bench.loader import load_items  # noqa: E402
from akb.models.hf import HFBackend, HFOptions  # noqa: E402
from akb.models.registry import create_backend  # noqa: E402
from akb.models.spec import ModelConfig  # noqa: E402
from akb.runs.probe import ProbeConfig, build_tasks  # noqa: E402
from tiny_lm import build_tiny_lm  # noqa: E402


@pytest.fixture(
    scope="module",
    params=[(True, "llama"), (False, "llama"), (True, "gpt2"), (False, "gpt2")],
    ids=["llama-chat", "llama-plain", "gpt2-chat", "gpt2-plain"],
)
def tiny(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Path:
    chat, arch = request.param
    return build_tiny_lm(tmp_path_factory.mktemp("tiny") / "lm", chat_template=chat, arch=arch)


def _requests(n: int = 6) -> list:
    items = load_items()[:n]
    cfg = ProbeConfig(model=ModelConfig(backend="hf", model="x"))
    return [t.requests[0] for t in build_tasks(items, cfg)]


def _full_sequence_loglik(backend: HFBackend, prompt: str, continuation: str) -> float:
    """log p(continuation | prompt), summed over the continuation's tokens, unbatched."""
    model, tok = backend._load()
    add_special = not backend._uses_chat_template(tok)
    p_ids = tok(prompt, add_special_tokens=add_special)["input_ids"]
    full = tok(prompt + continuation, add_special_tokens=add_special)["input_ids"]
    assert full[: len(p_ids)] == p_ids
    ids = torch.tensor([full])
    with torch.inference_mode():
        logp = torch.log_softmax(model(ids).logits.float(), -1)[0]
    return float(sum(logp[i - 1, full[i]] for i in range(len(p_ids), len(full))))


def test_logprob_mode_matches_full_sequence_loglik(tiny: Path) -> None:
    backend = create_backend(f"hf:{tiny}", batch_size=3, device="cpu", dtype="float32")
    reqs = _requests()
    resps = backend.letter_logprobs(reqs)
    assert len(resps) == len(reqs)
    for req, resp in zip(reqs, resps, strict=True):
        prompt = backend.render(req)
        sep = "" if prompt[-1].isspace() else " "
        full = {L: _full_sequence_loglik(backend, prompt, sep + L) for L in "ABCD"}
        assert resp.letter_logprobs is not None
        assert max(full, key=full.get) == max(resp.letter_logprobs, key=resp.letter_logprobs.get) == resp.text
        for L in "ABCD":  # batched + left-padded equals unbatched
            assert resp.letter_logprobs[L] == pytest.approx(full[L], abs=1e-4)


def test_batched_generation_equals_one_by_one(tiny: Path) -> None:
    backend = create_backend(f"hf:{tiny}", batch_size=4, device="cpu", dtype="float32")
    reqs = [r.model_copy(update={"max_tokens": 6}) for r in _requests(4)]
    batched = backend.generate(reqs)
    single = [backend.generate([r])[0] for r in reqs]
    assert [b.text for b in batched] == [s.text for s in single]
    for r in batched:
        assert r.prompt_tokens and r.prompt_tokens > 10
        assert 1 <= (r.completion_tokens or 0) <= 6
        assert r.finish_reason in {"stop", "length"}


def test_chat_template_used_when_present(tiny: Path) -> None:
    backend = HFBackend(str(tiny), HFOptions(device="cpu"))
    text = backend.render(_requests(1)[0])
    has_template = bool(backend._load()[1].chat_template)
    assert ("<|assistant|>" in text) == has_template
    if not has_template:
        assert text.endswith("Answer:")


def test_identity_fingerprints_local_weights(tiny: Path, tmp_path: Path) -> None:
    a = HFBackend(str(tiny)).identity()
    assert a["revision"].startswith("sha256:")
    assert a == HFBackend(str(tiny)).identity()
    other = build_tiny_lm(tmp_path / "other", chat_template=True, seed=1)
    assert HFBackend(str(other)).identity()["revision"] != a["revision"]


def test_missing_model_is_one_clear_error(tmp_path: Path) -> None:
    from akb.core.errors import BackendError

    backend = create_backend(f"hf:{tmp_path / 'nope'}")
    with pytest.raises(BackendError, match="cannot load"):
        backend.generate(_requests(1))


def test_lora_adapter_changes_identity_and_answers(tmp_path: Path) -> None:
    peft = pytest.importorskip("peft")
    from transformers import AutoModelForCausalLM

    base = build_tiny_lm(tmp_path / "base", chat_template=True)
    torch.manual_seed(1)
    model = AutoModelForCausalLM.from_pretrained(base)
    lora = peft.get_peft_model(model, peft.LoraConfig(r=4, target_modules=["q_proj", "v_proj"], init_lora_weights=False))
    lora.save_pretrained(tmp_path / "adapter")
    plain = create_backend(f"hf:{base}", device="cpu")
    adapted = create_backend(f"hf:{base}", device="cpu", adapter=str(tmp_path / "adapter"))
    assert adapted.identity()["adapter"].startswith("sha256:") and "adapter" not in plain.identity()
    reqs = _requests(3)
    a = [r.letter_logprobs for r in plain.letter_logprobs(reqs)]
    b = [r.letter_logprobs for r in adapted.letter_logprobs(reqs)]
    assert a != b
