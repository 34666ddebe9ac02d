"""The DeSTA model on tiny components built from configs: parameter counts, encoder taps,
prompt layout, save/load, LoRA, and Whisper ASR with its no-speech test."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

torch = pytest.importorskip("torch")
pytest.importorskip("transformers")

from typer.testing import CliRunner  # noqa: E402

from akb.cli.app import app  # noqa: E402
from akb.core.errors import DataError  # noqa: E402
from akb.lalm.config import DestaConfig, LoraSettings, even_taps  # noqa: E402
from akb.lalm.model import WEIGHTS_FILE, DestaModel, QFormerConnector  # noqa: E402
from akb.lalm.params import connector_params, count_params  # noqa: E402
from akb.lalm.processor import IGNORE  # noqa: E402
from akb.lalm.tiny import build_tiny_whisper  # noqa: E402
from tiny_desta import clip  # noqa: E402
from tiny_lm import build_tiny_lm  # noqa: E402


@pytest.fixture(autouse=True)
def _one_thread():
    n = torch.get_num_threads()
    torch.set_num_threads(1)  # tiny ops on shared cores: threads only contend
    yield
    torch.set_num_threads(n)


@pytest.fixture(scope="module")
def parts(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    root = tmp_path_factory.mktemp("desta-parts")
    return build_tiny_lm(root / "lm", chat_template=True), build_tiny_whisper(root / "whisper", layers=4)


def _config(parts: tuple[Path, Path], **kw) -> DestaConfig:
    lm, wh = parts
    base = dict(llm=str(lm), encoder=str(wh), queries=3, n_taps=2, qformer_layers=2, qformer_heads=4,
                qformer_ffn=48, llm_dtype="float32", encoder_dtype="float32")
    return DestaConfig(**{**base, **kw})


def _batch(model: DestaModel, responses: bool = True) -> dict:
    chat = [{"role": "system", "content": "Focus."}, {"role": "user", "content": "<|AUDIO|>\nDescribe the audio."}]
    rng = np.random.default_rng(0)
    enc = [model.processor.encode(chat, "a b c", "pitch" if responses else None, 300),
           model.processor.encode(chat, "", "white noise sound" if responses else None, 300)]
    return model.processor.collate(enc, [clip("hum", rng), clip("hiss", rng)[:9000]])


def test_published_shape_has_131_5_m_trainable_parameters() -> None:
    assert connector_params(1280, 4096, 4, 64, 6, 3072) == 131_540_224
    out = CliRunner().invoke(app, ["ground", "params", "--encoder-width", "1280", "--llm-width", "4096", "--taps", "4",
                                   "--queries", "64", "--qformer-layers", "6"])
    assert out.exit_code == 0, out.output
    assert "trainable (connector): 131.5 M" in out.output
    assert "frozen LLM (llama-3.1-8b): 8030.3 M" in out.output and "frozen total: 8667.2 M" in out.output
    other = CliRunner().invoke(app, ["ground", "params", "--encoder-width", "1280", "--llm-width", "3584"])
    assert "frozen LLM (no config): n/a (give --llm)" in other.output
    out = CliRunner().invoke(app, ["ground", "params", "--encoder", "whisper-large-v3", "--llm", "llama-3.1-8b", "--json"])
    import json

    r = json.loads(out.output)
    assert r["trainable"] == 131_540_224 and r["taps"] == [7, 15, 23, 31]
    assert 8.0e9 < r["llm_frozen"] < 8.1e9 and 6.3e8 < r["encoder_frozen"] < 6.4e8
    assert even_taps(32, 4) == [7, 15, 23, 31] and even_taps(12, 4) == [2, 5, 8, 11]


@pytest.mark.parametrize("shape", [(16, 24, 2, 3, 1, 40, 4), (32, 8, 4, 5, 2, 20, 8), (20, 20, 1, 1, 3, 7, 5)])
def test_params_formula_equals_the_real_module(shape: tuple[int, ...]) -> None:
    enc, llm, taps, queries, layers, ffn, heads = shape
    module = QFormerConnector(enc, llm, taps, queries, layers, heads, ffn)
    assert sum(p.numel() for p in module.parameters()) == connector_params(enc, llm, taps, queries, layers, ffn)


def test_counts_without_weights_equal_the_built_model(parts: tuple[Path, Path]) -> None:
    lm, wh = parts
    cfg = _config(parts, taps=[0, 2])
    model = DestaModel.build(cfg, device="cpu")
    assert len(model.encoder.layers) == 3  # the layer after the last tap is dropped
    report = count_params(encoder=str(wh), llm=str(lm), taps=2, queries=3, qformer_layers=2, qformer_ffn=48,
                          qformer_heads=4)
    built = model.describe()
    assert report.trainable == built["trainable"]
    default = DestaModel.build(_config(parts), device="cpu")  # default taps: [1, 3], nothing dropped
    assert default.taps == [1, 3] and report.taps == [1, 3]
    assert report.frozen == default.describe()["frozen"]


def test_taps_are_layer_outputs_before_the_final_layernorm(parts: tuple[Path, Path]) -> None:
    model = DestaModel.build(_config(parts), device="cpu")
    feats = _batch(model)["input_features"]
    enc = model.encoder
    with torch.no_grad():
        ref = enc(feats, output_hidden_states=True)
        model._captured.clear()
        enc(feats)
    captured = dict(model._captured)
    hs = ref.hidden_states  # embeddings, then layer outputs; the last one has the final LayerNorm
    torch.testing.assert_close(captured[1], hs[2])
    assert not torch.allclose(captured[3], hs[4])
    torch.testing.assert_close(enc.layer_norm(captured[3]), hs[4])
    torch.testing.assert_close(enc.layer_norm(captured[3]), ref.last_hidden_state)


def test_prompt_layout_and_loss_positions(parts: tuple[Path, Path]) -> None:
    model = DestaModel.build(_config(parts), device="cpu")
    proc = model.processor
    tok = proc.tokenizer
    chat = [{"role": "user", "content": "<|AUDIO|>\nDescribe the audio."}]
    e = proc.encode(chat, "white noise", "pitch", 300)
    slots = [i for i, m in enumerate(e.audio_mask) if m]
    assert len(slots) == 3 and slots == list(range(slots[0], slots[0] + 3))
    text_before = tok.decode(e.input_ids[: slots[0]])
    assert text_before.endswith("<start_audio>") and "<|user|>" in text_before
    after = tok.decode(e.input_ids[slots[-1] + 1:])
    assert after.startswith("white noise<end_audio>\nDescribe the audio.")
    assert e.labels is not None
    labelled = [t for t, y in zip(e.input_ids, e.labels, strict=True) if y != IGNORE]
    assert labelled == tok("pitch", add_special_tokens=False)["input_ids"] + [tok.eos_token_id]
    assert e.input_ids[-len(labelled):] == labelled
    long = proc.encode(chat, "", "white noise " * 50, 5)
    assert sum(y != IGNORE for y in long.labels) == 6  # 5 response tokens + EOS


def test_loss_on_kept_logits_equals_full_logits(parts: tuple[Path, Path]) -> None:
    model = DestaModel.build(_config(parts), device="cpu").eval()
    batch = _batch(model)
    assert model._logits_to_keep
    with torch.no_grad():
        fast = model(**batch)
        model._logits_to_keep = False
        full = model(**batch)
    torch.testing.assert_close(fast["loss"], full["loss"])
    tok = model.processor.tokenizer
    expected = sum(len(tok(t, add_special_tokens=False)["input_ids"]) + 1 for t in ("pitch", "white noise sound"))
    assert int(fast["tokens"]) == int(full["tokens"]) == expected


def test_save_load_round_trip_and_loud_failures(parts: tuple[Path, Path], tmp_path: Path) -> None:
    from safetensors.torch import load_file, save_file

    model = DestaModel.build(_config(parts), device="cpu")
    with torch.no_grad():
        for p in model.connector.parameters():
            p.add_(torch.randn_like(p) * 0.1)
    saved = model.save_pretrained(tmp_path / "m")
    assert sorted(f.name for f in saved.iterdir()) == ["desta_config.json", WEIGHTS_FILE]
    state = load_file(str(saved / WEIGHTS_FILE))
    assert all(k.startswith("connector.") for k in state)  # only the connector is stored
    assert sum(v.numel() for v in state.values()) == model.describe()["trainable"]
    again = DestaModel.from_pretrained(saved, device="cpu")
    model.eval()
    again.eval()
    batch = _batch(model)
    with torch.no_grad():
        torch.testing.assert_close(model(**batch)["loss"], again(**batch)["loss"], rtol=0, atol=0)
    gen = _batch(model, responses=False)
    assert model.generate(gen, max_new_tokens=6) == again.generate(gen, max_new_tokens=6)

    missing = dict(state)
    gone = "connector.tap_logits"
    del missing[gone]
    bad = tmp_path / "bad"
    bad.mkdir()
    (bad / "desta_config.json").write_text((saved / "desta_config.json").read_text())
    save_file(missing, str(bad / WEIGHTS_FILE))
    with pytest.raises(DataError) as e:
        DestaModel.from_pretrained(bad, device="cpu")
    assert "1 missing key(s): connector.tap_logits" in str(e.value) and str(bad / WEIGHTS_FILE) in str(e.value)
    save_file({**state, "connector.extra.weight": torch.zeros(2)}, str(bad / WEIGHTS_FILE))
    with pytest.raises(DataError, match="1 unexpected key\\(s\\): connector.extra.weight"):
        again.load_trainable(bad)
    save_file({**state, gone: torch.zeros(5, 5)}, str(bad / WEIGHTS_FILE))
    with pytest.raises(DataError, match="another shape, e.g. connector.tap_logits \\(5, 5\\) saved vs \\(3, 2\\)"):
        again.load_trainable(bad)
    with pytest.raises(DataError, match="no desta_config.json"):
        DestaModel.from_pretrained(tmp_path, device="cpu")


def test_lora_weights_train_save_and_load(parts: tuple[Path, Path], tmp_path: Path) -> None:
    pytest.importorskip("peft")
    cfg = _config(parts, lora=LoraSettings(r=2, alpha=4, dropout=0.0))
    model = DestaModel.build(cfg, device="cpu")
    names = [n for n, p in model.named_parameters() if p.requires_grad]
    assert any("lora_A" in n for n in names) and any(n.startswith("connector.") for n in names)
    batch = _batch(model)
    model.train()
    model(**batch)["loss"].backward()
    assert all(p.grad is not None for n, p in model.named_parameters() if "lora_A" in n)
    with torch.no_grad():
        for n, p in model.named_parameters():
            if "lora_B" in n:
                p.add_(0.05)
    model.save_pretrained(tmp_path / "l")
    again = DestaModel.from_pretrained(tmp_path / "l", device="cpu")
    model.eval()
    again.eval()
    with torch.no_grad():
        torch.testing.assert_close(model(**batch)["loss"], again(**batch)["loss"], rtol=0, atol=0)


def test_asr_transcribes_speech_and_leaves_non_speech_empty(parts: tuple[Path, Path]) -> None:
    from akb.audio.whisper import WhisperASR

    _, wh = parts
    asr = WhisperASR(str(wh), device="cpu", max_new_tokens=4, no_speech_threshold=0.6)
    tok = asr.tokenizer
    assert asr.no_speech_id == tok.convert_tokens_to_ids("<|nospeech|>")
    rng = np.random.default_rng(0)
    waves = [clip("hum", rng), clip("hiss", rng), clip("ticking", rng)]
    dec = asr.model.model.decoder
    emb = asr.model.get_input_embeddings().weight

    def steer(token: int) -> torch.Tensor:  # a logit of 40 for ``token``, about 0 for the rest
        return emb[token] / emb[token].pow(2).sum() * 40
    # Steer the decoder's output: its final LayerNorm emits one token's embedding, so that
    # token wins every step (the output projection is tied to the embeddings).
    with torch.no_grad():
        dec.layer_norm.weight.zero_()
        dec.layer_norm.bias.copy_(steer(asr.no_speech_id))
    assert asr.no_speech_prob(asr._features(waves)).min() > 0.99
    assert asr.transcribe(waves) == ["", "", ""]
    word = tok.convert_tokens_to_ids("a")
    with torch.no_grad():
        dec.layer_norm.bias.copy_(steer(word))
    assert asr.no_speech_prob(asr._features(waves)).max() < 0.01
    assert asr.transcribe(waves) == ["aaaa", "aaaa", "aaaa"]


def test_grounded_eval_records_transcripts_and_reuses_the_cache(parts: tuple[Path, Path], tmp_path: Path) -> None:
    import json

    import soundfile as sf

    from akb.audio.whisper import WhisperASR
    from akb.runs.grounded import GroundedEvalConfig, run_grounded

    _, wh = parts
    model = DestaModel.build(_config(parts), device="cpu")
    asr = WhisperASR(str(wh), device="cpu", max_new_tokens=3)
    dec, emb = asr.model.model.decoder, asr.model.get_input_embeddings().weight
    word = asr.tokenizer.convert_tokens_to_ids("b")
    with torch.no_grad():
        dec.layer_norm.weight.zero_()
        dec.layer_norm.bias.copy_(emb[word] / emb[word].pow(2).sum() * 40)
    rng = np.random.default_rng(1)
    rows = []
    for i, kind in enumerate(["hum", "hiss", "beep"]):
        sf.write(tmp_path / f"{kind}.wav", clip(kind, rng), 16000)
        rows.append({"id": f"i{i}", "audio_id": f"{kind}.wav", "question": "Which sound?",
                     "choices": ["hum", "hiss", "beep"], "answer": kind, "task": "sound", "difficulty": "easy",
                     "source": "test"})
    data = tmp_path / "items.json"  # MMAU's format, read as such without being told
    data.write_text(json.dumps(rows))
    saved = model.save_pretrained(tmp_path / "m")
    cfg = dict(checkpoint=str(saved), data=str(data), audio_root=str(tmp_path), batch_size=2, max_new_tokens=4,
               progress=False)
    first = run_grounded(GroundedEvalConfig(**cfg, out=str(tmp_path / "r1")), model=model, asr=asr)
    samples = [json.loads(x) for x in (tmp_path / "r1" / "samples.jsonl").read_text().splitlines()]
    assert [s["transcript"] for s in samples] == ["bbb"] * 3 and not any(s["cached"] for s in samples)
    assert first.summary["complete"] and first.summary["metrics"]["official"]["overall"]["n"] == 3
    assert first.summary["identity"]["asr"]["asr"] == str(wh)
    second = run_grounded(GroundedEvalConfig(**cfg, out=str(tmp_path / "r2")), model=model, asr=asr)
    again = [json.loads(x) for x in (tmp_path / "r2" / "samples.jsonl").read_text().splitlines()]
    assert all(s["cached"] for s in again)
    assert [s["response"] for s in again] == [s["response"] for s in samples]
    assert second.summary["metrics"] == first.summary["metrics"]
    assert first.summary["benchmark"] == "mmau" and first.summary["metrics"]["official"]["by_group"]["sound"]["n"] == 3
    preds = json.loads((tmp_path / "r1" / "predictions.json").read_text())
    assert preds[0]["source"] == "test" and preds[0]["model_output"] == samples[0]["response"]


def test_grounded_run_with_a_corrupt_and_a_missing_clip_finishes_and_reports(parts: tuple[Path, Path],
                                                                              tmp_path: Path) -> None:
    """Bad clips fail their items alone (counted wrong, listed, exit code 3), a rerun retries
    only them, and ``akb report`` reads the grounded summary."""
    import json

    import soundfile as sf

    saved = DestaModel.build(_config(parts), device="cpu").save_pretrained(tmp_path / "m")
    root = tmp_path / "audio"
    root.mkdir()
    rng = np.random.default_rng(3)
    kinds = ["hum", "hiss", "beep", "ticking"]
    for kind in ("hum", "hiss"):
        sf.write(root / f"{kind}.wav", clip(kind, rng), 16000)
    (root / "beep.wav").write_bytes(b"RIFF\x10\x00\x00\x00WAVEjunk" + bytes(40))  # corrupt; ticking.wav is missing
    entries = [{"id": f"i{i}", "audio_id": f"{k}.wav", "question": "Which sound?", "choices": kinds, "answer": k,
                "task": "sound", "split": "test-mini", "difficulty": "easy"} for i, k in enumerate(kinds)]
    entries.append({"id": "bad", "audio_id": "hum.wav", "question": "Which sound?", "choices": kinds, "answer": "bark"})
    data = tmp_path / "mmau-test-mini.json"
    data.write_text(json.dumps(entries))
    run = tmp_path / "run"
    args = ["ground", "eval", str(saved), "--data", f"mmau:{data}", "--audio-root", str(root), "--asr", "none",
            "--out", str(run), "--device", "cpu", "--max-new-tokens", "3", "--label", "tiny-desta", "--no-progress"]
    first = CliRunner().invoke(app, args)
    assert first.exit_code == 3, first.output
    assert "2 item(s) failed" in first.output
    summary = json.loads((run / "summary.json").read_text())
    assert summary["task"] == "grounded" and not summary["complete"]
    assert summary["stats"]["failed"] == 2 and summary["stats"]["unreadable_entries"] == 1
    reasons = dict(f.split(": ", 1) for f in summary["failures"])
    assert set(reasons) == {"i2", "i3"}
    assert "not a readable audio file" in reasons["i2"] and "audio file not found" in reasons["i3"]
    assert "answer 'bark' is not one of the choices" in summary["load_problems"][0]
    m = summary["metrics"]
    assert m["missing"] == 2 and m["official"]["overall"]["n"] == 4 and m["official_script"]["n"] == 2
    assert len(json.loads((run / "predictions.json").read_text())) == 2
    md = (run / "summary.md").read_text()
    assert "**Incomplete**: 2 item(s) failed" in md and "- i3: " in md

    rep = CliRunner().invoke(app, ["report", str(run), "--reference", "paper", "--out", str(tmp_path / "rep"),
                                   "--bootstrap", "200", "--no-progress"])
    assert rep.exit_code == 0, rep.output
    assert "incomplete run" in rep.output  # the report says the score covers only what was scored
    table = (tmp_path / "rep" / "report.md").read_text()
    assert "tiny-desta" in table and "MMAU(A)" in table

    # Fixed clips: the rerun answers the two failed items only and completes.
    sf.write(root / "beep.wav", clip("beep", rng), 16000)
    sf.write(root / "ticking.wav", clip("ticking", rng), 16000)
    second = CliRunner().invoke(app, args)
    assert second.exit_code == 0, second.output
    again = json.loads((run / "summary.json").read_text())
    assert again["complete"] and again["stats"]["resumed"] == 2 and again["stats"]["computed"] == 2
    assert again["metrics"]["missing"] == 0 and len(json.loads((run / "predictions.json").read_text())) == 4
    assert len((run / "samples.jsonl").read_text().splitlines()) == 4
