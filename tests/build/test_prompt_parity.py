"""One prompt, three tools: akb's rendering of an item equals what lm-evaluation-harness
builds from the exported task (plain and chat modes, 0 and 3 shots) and what the exported
inspect task sends, byte for byte; the letter akb scores is lm-eval's continuation."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest

from akb.bench.fewshot import shots_for
from akb.bench.loader import load_items
from akb.bench.prompts import build_messages
from akb.bench.taxonomy import load_taxonomy
from akb.build.release import write_harness_tasks

VERSION = "0.0.0-parity"


@pytest.fixture(scope="module")
def items() -> list:
    return [i for i in load_items() if i.category == "music"][:5]


@pytest.fixture(scope="module")
def release(tmp_path_factory: pytest.TempPathFactory, items: list) -> Path:
    return write_harness_tasks(tmp_path_factory.mktemp("parity") / "rel", load_taxonomy(), VERSION, items)


def test_inspect_sends_akb_messages(release: Path, items: list) -> None:
    pytest.importorskip("inspect_ai")
    spec = importlib.util.spec_from_file_location("inspect_akb2000_parity", release / "inspect_akb2000.py")
    assert spec and spec.loader
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    for k in (0, 3):
        task = mod.akb2000(category="music", fewshot=k)
        samples = list(task.dataset)
        assert len(samples) == len(items)
        for s, it in zip(samples, items, strict=True):
            got = [{"role": m.role, "content": m.text} for m in s.input]
            assert got == build_messages(it.question, it.choices, shots=shots_for(k)), (k, it.id)


@pytest.mark.slow
@pytest.mark.parametrize("chat", [False, True], ids=["plain", "chat"])
def test_lm_eval_context_and_continuation_equal_akb(release: Path, items: list, chat: bool,
                                                    tmp_path_factory: pytest.TempPathFactory) -> None:
    pytest.importorskip("lm_eval")
    pytest.importorskip("transformers")
    from lm_eval.models.huggingface import HFLM
    from lm_eval.tasks import TaskManager, get_task_dict

    from akb.models.base import ChatRequest, Message
    from akb.models.hf import HFBackend, HFOptions
    from tiny_lm import build_tiny_lm

    path = build_tiny_lm(tmp_path_factory.mktemp("tiny") / "lm", chat_template=True)
    lm = HFLM(pretrained=str(path), device="cpu", batch_size=1)
    akb = HFBackend(str(path), HFOptions(device="cpu", dtype="float32", chat_template="auto" if chat else "none"))
    tm = TaskManager(include_path=str(release / "lm_eval"))
    task = get_task_dict(["akb2000_music"], task_manager=tm)["akb2000_music"]
    docs = list(task.test_docs())
    for k in (0, 3):
        for doc, it in zip(docs, items, strict=True):
            ctx = task.fewshot_context(doc, k, apply_chat_template=chat,
                                       chat_template=lm.apply_chat_template if chat else None)
            req = ChatRequest(messages=[Message(**m) for m in build_messages(it.question, it.choices, shots=shots_for(k))],
                              letters=list("ABCD"))
            prompt = akb.render(req)
            assert ctx == prompt, (chat, k, it.id)
            conts = [inst.arguments[1] for inst in task.construct_requests(doc, ctx, apply_chat_template=chat)]
            assert conts == ([L for L in "ABCD"] if chat else [f" {L}" for L in "ABCD"])
            ids = akb.letter_token_ids(prompt, list("ABCD"))
            for L, cont, tid in zip("ABCD", conts, ids, strict=True):
                _, cont_enc = lm._encode_pair(ctx, cont)
                assert cont_enc[-1] == tid, (chat, L)
