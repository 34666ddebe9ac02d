"""``--stop-at-letter``: the reply ends at the delimiter after a leading option letter; the hf
backend stops generating there (fewer tokens), every backend cuts the same way, and a probe
run scores the cut reply."""

from __future__ import annotations

from pathlib import Path

import pytest

from akb.models.letter_stop import cut_at_letter, leading_letter_end

LETTERS = ["A", "B", "C", "D"]


@pytest.mark.parametrize(("text", "cut"), [
    ("B. -23.0 LKFS", "B."),
    ("(C) Second syllable", "(C)"),
    ("**D** because", "**D*"),
    ("  A\nThe answer is C", "  A\n"),
    ("B: gliding", "B:"),
    ("A sine wave has no harmonics", "A sine wave has no harmonics"),  # the article, not an answer
    ("B", "B"),  # no delimiter yet: generation goes on (a reply that ends here is already complete)
    ("E. not an option", "E. not an option"),
    ("The answer is B.", "The answer is B."),
])
def test_cut_keeps_a_leading_letter_and_its_delimiter(text: str, cut: str) -> None:
    assert cut_at_letter(text, LETTERS) == cut
    assert (leading_letter_end(text, LETTERS) is not None) == (cut != text)


torch = pytest.importorskip("torch")
pytest.importorskip("transformers")


def _scripted_lm(path: Path) -> Path:
    """A real one-layer Llama whose weights make greedy decoding write 'B.B.B.B...' after any
    prompt: the layer adds nothing (zeroed output projections), so the logits depend on the
    current token alone; every embedding has a shared component that the lm-head row of 'B'
    reads, and only 'B''s embedding has the direction that the row of '.' reads."""
    from akb.lalm.tiny import build_llama, train_tokenizer

    tok = train_tokenizer(["Answer with the letter. (A) (B) (C) (D) B. A. C. D."] * 3, vocab_size=300)
    model = build_llama(tok, hidden=32, layers=1, heads=4, kv_heads=2, seed=0)
    b, dot = tok.convert_tokens_to_ids("B"), tok.convert_tokens_to_ids(".")
    with torch.no_grad():
        for layer in model.model.layers:
            layer.self_attn.o_proj.weight.zero_()
            layer.mlp.down_proj.weight.zero_()
        emb = model.model.embed_tokens.weight
        emb[:, 1:] = torch.randn(emb.shape[0], emb.shape[1] - 1, generator=torch.Generator().manual_seed(0))
        emb[:, 0] = 1.0
        d = emb[b, 1:].clone()
        d /= d.norm()
        rest = torch.ones(emb.shape[0], dtype=torch.bool)
        rest[b] = False
        emb[rest, 1:] -= (emb[rest, 1:] @ d)[:, None] * d[None, :]  # only 'B' points along d
        head = model.lm_head.weight
        head.zero_()
        head[b, 0] = 60.0  # any token -> 'B'
        head[dot, 1:] = 20.0 * d  # 'B' -> '.'
    model.save_pretrained(path)
    tok.save_pretrained(path)
    return path


def test_hf_backend_stops_at_the_letter_and_matches_the_cut_full_reply(tmp_path: Path) -> None:
    from akb.bench.loader import load_items
    from akb.models.hf import HFBackend, HFOptions
    from akb.models.spec import ModelConfig
    from akb.runs.probe import ProbeConfig, build_tasks

    path = _scripted_lm(tmp_path / "lm")
    backend = HFBackend(str(path), HFOptions(device="cpu", dtype="float32"))
    items = load_items()[:3]
    full_cfg = ProbeConfig(model=ModelConfig(backend="hf", model=str(path)), mode="generate")
    stop_cfg = full_cfg.model_copy(update={"stop_at_letter": True})
    full = backend.generate([t.requests[0] for t in build_tasks(items, full_cfg)])
    stopped = backend.generate([t.requests[0] for t in build_tasks(items, stop_cfg)])
    for f, s in zip(full, stopped, strict=True):
        assert f.text.startswith("B.B.B") and f.completion_tokens == 16  # runs to the cap
        assert s.text == cut_at_letter(f.text, LETTERS) == "B."
        assert s.completion_tokens is not None and s.completion_tokens <= 3 and s.finish_reason == "stop"


def test_probe_scores_the_cut_reply_from_any_backend(fake_api, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """An API backend generates the whole reply; the run cuts it the same way, so 'B. The
    answer is C' counts as C without the setting and as B with it."""
    from akb.models.spec import parse_model_spec
    from akb.runs.probe import ProbeConfig, run_probe

    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    fake_api.answer = lambda req: "B.\nThe answer is C"
    data = tmp_path / "items.jsonl"
    from akb.bench.loader import load_items

    data.write_text("".join(i.model_dump_json() + "\n" for i in load_items()[:4]))
    preds = {}
    for stop in (False, True):
        cfg = ProbeConfig(model=parse_model_spec("openai:test-model", base_url=fake_api.openai_base_url, max_retries=0),
                          mode="generate", data=str(data), out=str(tmp_path / f"run{int(stop)}"), stop_at_letter=stop,
                          progress=False)
        res = run_probe(cfg)
        import json

        recs = [json.loads(x) for x in (Path(res.run_dir) / "samples.jsonl").read_text().splitlines()]
        preds[stop] = {r["pred"] for r in recs}
        if stop:
            assert {r["response"] for r in recs} == {"B."}
    assert preds == {False: {"C"}, True: {"B"}}


def test_stop_at_letter_refuses_cot_and_logprob() -> None:
    from pydantic import ValidationError

    from akb.models.spec import ModelConfig
    from akb.runs.probe import ProbeConfig

    m = ModelConfig(backend="hf", model="x")
    with pytest.raises(ValidationError, match="stop_at_letter"):
        ProbeConfig(model=m, mode="logprob", stop_at_letter=True)
    with pytest.raises(ValidationError, match="stop_at_letter"):
        ProbeConfig(model=m, stop_at_letter=True, prompt={"cot": True})
