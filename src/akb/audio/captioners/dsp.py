"""``dsp``: a built-in captioner with no weights. It measures the clip
(:mod:`akb.audio.features`) and writes what it measured as a short factual paragraph:
duration and kind of sound, loudness, clipping, noise, pitch (notes and intervals for
tones, F0 and speaking rate for voices), tempo and key for music, spectrum and noise
colour, reverberation. Every number comes from a measurement; words such as "quiet" or
"fast" come from fixed bands (``akb.audio.features.*_WORDS``), stated in the caption.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, ClassVar

from pydantic import BaseModel, ConfigDict

from akb.audio.captioners.base import BaseCaptioner, CaptionResult, options_for, per_clip
from akb.audio.clip import Clip
from akb.audio.features import (
    BRIGHTNESS_WORDS,
    LOUDNESS_WORDS,
    RATE_WORDS,
    TEMPO_WORDS,
    VOICE_WORDS,
    AudioFeatures,
    analyse,
    word_for,
)
from akb.audio.pitch import interval_name, semitones
from akb.core.errors import ConfigError

VERSION = "dsp-v1"  # bump when the wording or a measurement changes: it is in the cache key

NOISE_COLOURS = ((6.0, "violet"), (3.0, "blue"), (0.0, "white"), (-3.0, "pink"), (-6.0, "brown"))


class DSPOptions(BaseModel):
    model_config = ConfigDict(extra="forbid")
    max_events: int = 8  # list tonal events only when there are at most this many


def _fmt_time(t: float) -> str:
    return f"{t:.1f} s"


def noise_colour(slope: float) -> str:
    return min(NOISE_COLOURS, key=lambda c: abs(c[0] - slope))[1]


def describe(f: AudioFeatures, max_events: int = 8) -> str:
    """The caption for a set of measurements."""
    layout = "mono" if f.channels == 1 else f"{f.channels}-channel"
    kind = {
        "silence": "that is silent (nothing above -60 dBFS)",
        "noise": "of steady noise without pitch",
        "tonal": "of pitched tones",
        "speech": "that sounds like speech",
        "rhythmic": "of regular percussive pulses",
        "mixed": "of mixed or unclear content",
    }[f.kind]
    s: list[str] = [f"A {f.duration:.1f}-second {layout} clip {kind}."]
    if f.kind == "silence":
        return " ".join(s)

    # level
    if f.lufs is not None:
        s.append(f"The level is {word_for(f.lufs, LOUDNESS_WORDS)}: {f.lufs:.0f} LUFS, peak {f.peak_dbfs:.1f} dBFS.")
    else:
        s.append(f"The level is {f.rms_dbfs:.0f} dBFS RMS (too short for a LUFS reading), peak {f.peak_dbfs:.1f} dBFS.")
    if f.clipped:
        s.append(f"It is clipped: {100 * f.clipped_fraction:.1f}% of samples sit flat at the peak, which sounds distorted.")
    else:
        s.append("The waveform is clean: no sample sits flat at the peak.")
    if f.snr_db is not None and f.kind != "noise":
        if f.snr_db >= 40:
            s.append("The background is clean: estimated SNR above 40 dB.")
        elif f.snr_db >= 3:
            quality = "some background noise" if f.snr_db >= 15 else "noisy"
            s.append(f"Estimated SNR about {f.snr_db:.0f} dB ({quality}).")

    # pitch
    if f.kind == "tonal" and f.events and len(f.events) <= max_events:
        ev = "; ".join(f"{_fmt_time(e.start)}-{_fmt_time(e.end)} at {e.f0:.0f} Hz ({e.note})" for e in f.events)
        word = "tone" if len(f.events) == 1 else "tones"
        s.append(f"{len(f.events)} {word}: {ev}.")
        if len(f.events) == 2:
            a, b = f.events
            st = round(semitones(a.f0, b.f0))
            if st == 0:
                s.append("Both tones have the same pitch (a unison).")
            else:
                rel, move = ("higher", "rises") if st > 0 else ("lower", "falls")
                s.append(f"The second tone is {rel} than the first: the pitch {move} by {abs(st)} semitone{'s' if abs(st) != 1 else ''} ({'an' if interval_name(st)[0] in 'aeiou' else 'a'} {interval_name(st)}).")
        elif len(f.events) > 2:
            st = round(semitones(f.events[0].f0, f.events[-1].f0))
            trend = "rises" if st > 0 else "falls" if st < 0 else "returns to its starting note"
            s.append(f"Overall the melody {trend}{f' by {abs(st)} semitones' if st else ''} from first to last note.")
    elif f.kind == "tonal" and f.f0_median:
        s.append(f"Pitch around {f.f0_median:.0f} Hz.")
    if f.kind == "speech" and f.f0_median:
        voice = word_for(f.f0_median, VOICE_WORDS)
        typical = "typical of an adult male voice" if f.f0_median < 160 else "typical of an adult female or a child's voice"
        s.append(f"The voice is {voice}: median F0 {f.f0_median:.0f} Hz (10-90% range {f.f0_p10:.0f}-{f.f0_p90:.0f} Hz), {typical}.")
        if f.syllable_rate is not None:
            how = {"slow": "slowly", "normal": "at a normal pace", "fast": "quickly"}[word_for(f.syllable_rate, RATE_WORDS)]
            s.append(f"The speaker talks {how}: about {f.syllable_rate:.1f} syllables per second.")
    if f.key and f.key_confidence >= 0.6:
        s.append(f"The notes fit the key of {f.key} (profile correlation {f.key_confidence:.2f}).")

    # rhythm
    if f.tempo_bpm is not None and f.tempo_confidence >= 0.5:
        s.append(f"There is a steady beat at about {f.tempo_bpm:.0f} BPM ({word_for(f.tempo_bpm, TEMPO_WORDS)} tempo).")

    # spectrum
    if f.kind == "noise":
        s.append(f"Its spectral slope is {f.slope_db_per_octave:+.1f} dB per octave, closest to {noise_colour(f.slope_db_per_octave)} noise.")
    s.append(f"Spectral centroid {f.centroid_hz:.0f} Hz ({word_for(f.centroid_hz, BRIGHTNESS_WORDS)} timbre); "
             f"energy spans about {f.band_low_hz:.0f}-{f.band_high_hz:.0f} Hz.")
    if f.kind in ("speech", "mixed"):
        if f.band_high_hz < 1500:
            s.append(f"Almost nothing above {f.band_high_hz:.0f} Hz: it sounds muffled, as if low-pass filtered.")
        elif f.band_high_hz < 4000 and f.band_low_hz >= 200:
            s.append("The band is limited to the telephone range, like a phone call.")

    # room
    if f.decay_s is not None:
        if f.decay_s >= 0.8:
            s.append(f"Sound dies away slowly after it stops (about {f.decay_s:.1f} s to fall 60 dB): reverberant, as in a large room or hall.")
        elif f.decay_s >= 0.5:
            s.append(f"Sound lingers briefly after it stops (about {f.decay_s:.1f} s to fall 60 dB): some reverberation.")
        else:
            took = f"about {f.decay_s:.1f} s" if f.decay_s >= 0.1 else "under 0.1 s"
            s.append(f"Sound stops quickly ({took} to fall 60 dB): dry, with little reverberation.")
    return " ".join(s)


class DSPCaptioner(BaseCaptioner):
    name: ClassVar[str] = "dsp"
    label: ClassVar[str] = "Signal analysis"

    def __init__(self, options: DSPOptions | None = None) -> None:
        self.opts = options or DSPOptions()
        self.batch_size = 16

    @classmethod
    def from_spec(cls, arg: str, options: dict[str, Any] | None = None) -> DSPCaptioner:
        if arg:
            raise ConfigError(f"the dsp captioner takes no name (got 'dsp:{arg}')")
        return cls(options_for(DSPOptions, "dsp", options or {}))

    def identity(self) -> dict[str, Any]:
        return {"captioner": "dsp", "version": VERSION, "options": self.opts.model_dump()}

    def features(self, clip: Clip) -> AudioFeatures:
        raw, sr = clip.load(sr=None, mono=False)  # native rate and channels: peaks and LUFS as recorded
        return analyse(raw, sr)

    def caption(self, clips: Sequence[Clip]) -> list[CaptionResult]:
        return per_clip(clips, lambda c: describe(self.features(c), self.opts.max_events))
