"""Signal measurements of a clip, the facts the ``dsp`` captioner writes down.

Everything here is a standard algorithm on numpy/scipy, fast enough to run far above real
time on one core (``benchmarks/caption_speed.py`` prints the factor):

- level: peak and RMS in dBFS, integrated loudness in LUFS (ITU-R BS.1770-4 via
  pyloudnorm), clipping as the share of samples stuck flat at the peak;
- an SNR estimate: loud frames against the noise floor (percentiles of frame energy);
- F0 with YIN (:mod:`akb.audio.pitch`; de Cheveigne & Kawahara 2002: cumulative-mean-normalised difference,
  absolute threshold, parabolic interpolation), voiced share, stable tonal events with
  note names and the interval between consecutive events;
- tempo from the autocorrelation of a spectral-flux onset envelope, weighted by a
  log-normal prior around 120 BPM (as in Ellis 2007 / librosa), with a confidence;
- key from a chroma profile correlated with the Krumhansl-Kessler major/minor profiles;
- spectrum: centroid, 85% roll-off, flatness, slope in dB/octave (noise colour), the band
  that holds the energy;
- speech cues: syllable-like energy peaks per second; reverberation: decay time after
  sound offsets (a T20 measure extrapolated to 60 dB).

librosa offers most of these, but its numba JIT costs ~15 s on the first call of every
process (measured), which a CLI and a test suite cannot afford.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from scipy import signal

from akb.audio.pitch import (
    ToneEvent,
    estimate_key,
    estimate_tempo,
    onset_envelope,
    stable_events,
    yin,
)

ANALYSIS_SR = 16_000
FRAME = 640  # 40 ms at 16 kHz; YIN integrates over half of it: 20 ms, one period of 50 Hz
HOP = 160  # 10 ms
VOICED_APER = 0.35
SILENCE_DBFS = -60.0

# Words for measured quantities. The synthetic suite labels its clips with the same bands,
# so a caption and a question speak one vocabulary. (upper bound, word); first match wins.
LOUDNESS_WORDS: tuple[tuple[float, str], ...] = (
    (-40.0, "very quiet"), (-30.0, "quiet"), (-16.0, "moderate"), (-8.0, "loud"), (math.inf, "very loud"),
)
TEMPO_WORDS: tuple[tuple[float, str], ...] = (
    (76.0, "slow"), (108.0, "moderate"), (156.0, "fast"), (math.inf, "very fast"),
)
RATE_WORDS: tuple[tuple[float, str], ...] = (  # syllable-like peaks per second
    (3.5, "slow"), (7.0, "normal"), (math.inf, "fast"),
)
VOICE_WORDS: tuple[tuple[float, str], ...] = (  # median F0 of speech, Hz
    (160.0, "low-pitched"), (math.inf, "high-pitched"),
)
BRIGHTNESS_WORDS: tuple[tuple[float, str], ...] = (  # spectral centroid, Hz
    (500.0, "dark"), (1500.0, "warm"), (3000.0, "balanced"), (math.inf, "bright"),
)


def word_for(value: float, table: tuple[tuple[float, str], ...]) -> str:
    return next(w for bound, w in table if value < bound)


@dataclass
class AudioFeatures:
    duration: float
    sample_rate: int
    channels: int
    peak_dbfs: float
    rms_dbfs: float
    lufs: float | None
    clipped_fraction: float
    snr_db: float | None
    active_fraction: float
    voiced_fraction: float  # of active frames
    f0_median: float | None
    f0_p10: float | None
    f0_p90: float | None
    events: list[ToneEvent] = field(default_factory=list)
    event_coverage: float = 0.0  # share of voiced frames inside stable tonal events
    tempo_bpm: float | None = None
    tempo_confidence: float = 0.0
    onset_rate: float = 0.0
    key: str | None = None
    key_confidence: float = 0.0
    centroid_hz: float = 0.0
    rolloff_hz: float = 0.0
    flatness: float = 0.0
    slope_db_per_octave: float = 0.0
    band_low_hz: float = 0.0
    band_high_hz: float = 0.0
    syllable_rate: float | None = None
    decay_s: float | None = None
    kind: str = "silence"  # silence | noise | tonal | speech | music | mixed

    @property
    def clipped(self) -> bool:
        return self.clipped_fraction >= 0.001


# --------------------------------------------------------------------------- helpers
def _db(x: np.ndarray | float, floor: float = 1e-10) -> Any:
    return 10 * np.log10(np.maximum(x, floor))


def frame_signal(x: np.ndarray, frame: int, hop: int) -> np.ndarray:
    """(n_frames, frame) view, zero-padded at the end so every sample is covered."""
    if len(x) < frame:
        x = np.pad(x, (0, frame - len(x)))
    n = 1 + (len(x) - frame + hop - 1) // hop
    need = (n - 1) * hop + frame
    if need > len(x):
        x = np.pad(x, (0, need - len(x)))
    return np.lib.stride_tricks.sliding_window_view(x, frame)[::hop][:n]


def clipped_fraction(x: np.ndarray) -> float:
    """Share of samples in runs of >= 3 consecutive samples within 1e-4 of the peak
    magnitude: flat tops, which a band-limited clean signal almost never has."""
    a = np.abs(x).reshape(len(x), -1).max(axis=1) if x.ndim > 1 else np.abs(x)
    peak = float(a.max()) if a.size else 0.0
    if peak < 0.1:
        return 0.0
    at = a >= peak - 1e-4
    if not at.any():
        return 0.0
    # run lengths of True
    d = np.diff(np.concatenate(([0], at.astype(np.int8), [0])))
    starts, ends = np.flatnonzero(d == 1), np.flatnonzero(d == -1)
    lengths = ends - starts
    return float(lengths[lengths >= 3].sum() / len(a))


def integrated_lufs(x: np.ndarray, sr: int) -> float | None:
    """BS.1770-4 gated loudness; None when the clip is under one 400 ms block or silent."""
    if x.shape[0] < int(0.4 * sr) + 1:
        return None
    try:
        import pyloudnorm
    except ImportError:  # pragma: no cover - a core dependency
        from akb.core.errors import MissingDependencyError

        raise MissingDependencyError("pyloudnorm", "all", "loudness measurement") from None
    import warnings

    if x.ndim == 2 and x.shape[1] > 5:  # BS.1770 weighs at most 5 channels: measure the mix
        x = x.mean(axis=1)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        value = float(pyloudnorm.Meter(sr).integrated_loudness(x.astype(np.float64)))
    return value if math.isfinite(value) else None


def spectrum_stats(x: np.ndarray, sr: int) -> dict[str, float]:
    f, p = signal.welch(x, fs=sr, nperseg=1024)
    total = p.sum()
    if total <= 0:
        return {"centroid_hz": 0.0, "rolloff_hz": 0.0, "flatness": 0.0, "slope": 0.0, "low": 0.0, "high": 0.0}
    centroid = float((f * p).sum() / total)
    cum = np.cumsum(p) / total
    rolloff = float(f[min(len(f) - 1, int(np.searchsorted(cum, 0.85)))])
    band = (f >= 100) & (f <= 6000)
    pb = np.maximum(p[band], 1e-20)
    flatness = float(np.exp(np.mean(np.log(pb))) / np.mean(pb))
    slope = float(np.polyfit(np.log2(f[band]), 10 * np.log10(pb), 1)[0])
    # band edges: where the spectrum (smoothed over ~ a third octave) is within 30 dB of its max
    sm = _db(np.convolve(p, np.ones(5) / 5, mode="same"))
    sel = np.flatnonzero((sm >= sm.max() - 30) & (f >= 20))
    low, high = (float(f[sel[0]]), float(f[sel[-1]])) if sel.size else (0.0, 0.0)
    return {"centroid_hz": centroid, "rolloff_hz": rolloff, "flatness": flatness, "slope": slope, "low": low, "high": high}


def syllable_rate(x: np.ndarray, sr: int, active: np.ndarray, hop_s: float) -> float | None:
    """Peaks per second of the 300-3000 Hz energy envelope (smoothed to ~12 Hz), counted
    over the active time: the nuclei of syllables in speech."""
    sos = signal.butter(4, [300, 3000], btype="bandpass", fs=sr, output="sos")
    y = signal.sosfilt(sos, x)
    hop = int(round(hop_s * sr))
    env = _db(frame_signal(y * y, hop * 2, hop).mean(axis=1))
    sos2 = signal.butter(2, 16.0, fs=1 / hop_s, output="sos")
    if len(env) < 16:
        return None
    env = signal.sosfiltfilt(sos2, env)
    peaks, _ = signal.find_peaks(env, prominence=4.0, height=env.max() - 35, distance=max(1, int(0.06 / hop_s)))
    active_s = float(active.sum()) * hop_s
    if active_s < 0.5:
        return None
    return len(peaks) / active_s


def _decays(lv: np.ndarray, floor: float, lo: float, hi: float, hop_s: float) -> list[float]:
    """For every strong peak: time for the level to go from ``lo`` to ``hi`` dB under it,
    scaled to 60 dB; skipped when a new sound starts before the decay is done."""
    peaks, _ = signal.find_peaks(lv, prominence=6.0)
    out: list[float] = []
    for p in peaks:
        top = lv[p]
        if top - floor < hi + 5 or top < lv.max() - 30:
            continue
        seg = lv[p + 1 :]
        a_idx, b_idx = np.flatnonzero(seg <= top - lo), np.flatnonzero(seg <= top - hi)
        if not a_idx.size or not b_idx.size:
            continue
        a, b = int(a_idx[0]), int(b_idx[0])
        if np.any(seg[a:b] > top - 3):
            continue
        out.append((b - a) * hop_s * 60.0 / (hi - lo))
    return out


def decay_time(level_db: np.ndarray, hop_s: float) -> float | None:
    """Reverberation estimate: the time sound takes to fall 60 dB after it stops.

    Measured on the late part of every decay (20 to 40 dB under the peak), where a room's
    tail dominates and a source's own fade-out has ended; the median over offsets. Clips
    without 45 dB of range fall back to the early decay (5 to 25 dB), whose fastest
    instance bounds the room's decay from above."""
    if level_db.size < 10:
        return None
    lv = np.convolve(level_db, np.ones(3) / 3, mode="same")
    floor = float(np.percentile(lv, 5))
    late = _decays(lv, floor, 20.0, 40.0, hop_s)
    if len(late) >= 2:
        return float(np.median(late))
    early = _decays(lv, floor, 5.0, 25.0, hop_s)
    return float(min(early)) if early else None


# --------------------------------------------------------------------------- main entry
def analyse(raw: np.ndarray, sr: int) -> AudioFeatures:
    """All measurements of one clip. ``raw`` is (frames,) or (frames, channels) at its own rate."""
    from akb.audio.io import resample

    raw = np.asarray(raw, dtype=np.float32)
    channels = 1 if raw.ndim == 1 else raw.shape[1]
    duration = raw.shape[0] / sr
    peak = float(np.abs(raw).max()) if raw.size else 0.0
    clipped = clipped_fraction(raw)
    lufs = integrated_lufs(raw, sr)
    mono = raw if raw.ndim == 1 else raw.mean(axis=1)
    x = resample(mono, sr, ANALYSIS_SR) if sr != ANALYSIS_SR else mono
    asr = ANALYSIS_SR
    rms = float(np.sqrt(np.mean(mono.astype(np.float64) ** 2))) if mono.size else 0.0
    hop_s = HOP / asr

    frames = frame_signal(x, FRAME, HOP)
    # frame energy on the centre 20 ms of each analysis frame (10 ms resolution)
    centre = frames[:, FRAME // 2 - 160 : FRAME // 2 + 160]
    level = _db(np.mean(centre.astype(np.float64) ** 2, axis=1))
    top = float(level.max()) if level.size else -100.0
    active = (level > SILENCE_DBFS) & (level > top - 50)
    loud = float(np.percentile(level[active], 90)) if active.any() else -100.0
    noise = float(np.percentile(level, 10)) if level.size else -100.0
    feats = AudioFeatures(
        duration=duration, sample_rate=sr, channels=channels,
        peak_dbfs=float(_db(peak**2)), rms_dbfs=float(_db(rms**2)), lufs=lufs,
        clipped_fraction=clipped, snr_db=None, active_fraction=float(active.mean()) if active.size else 0.0,
        voiced_fraction=0.0, f0_median=None, f0_p10=None, f0_p90=None,
    )
    if not active.any():
        return feats
    feats.snr_db = float(min(60.0, loud - max(noise, -100.0)))

    f0, aper = yin(frames, asr)
    voiced = active & np.isfinite(f0) & (aper < VOICED_APER)
    feats.voiced_fraction = float(voiced.sum() / max(1, active.sum()))
    if voiced.sum() >= 3:
        v = f0[voiced]
        feats.f0_median = float(np.median(v))
        feats.f0_p10, feats.f0_p90 = float(np.percentile(v, 10)), float(np.percentile(v, 90))
        feats.events = stable_events(np.where(voiced, f0, np.nan), voiced, hop_s)
        in_events = sum(round((e.end - e.start) / hop_s) for e in feats.events)
        feats.event_coverage = float(min(1.0, in_events / voiced.sum()))

    env = onset_envelope(x, asr, HOP)
    fps = asr / HOP
    if env.size:
        peaks, _ = signal.find_peaks(env, height=max(1e-6, 0.3 * float(env.max())), distance=max(1, int(0.1 * fps)))
        feats.onset_rate = len(peaks) / duration if duration else 0.0
        if len(peaks) >= 4:
            ioi = np.diff(peaks) / fps
            cv = float(ioi.std() / ioi.mean())
            if cv < 0.1 and 60 / ioi.mean() <= 300:
                # a strictly regular pulse (a metronome, a click track): its period is the beat
                feats.tempo_bpm, feats.tempo_confidence = float(60 / ioi.mean()), 1.0 - cv
            else:
                feats.tempo_bpm, feats.tempo_confidence = estimate_tempo(env, fps)
    spec = spectrum_stats(x, asr)
    feats.centroid_hz, feats.rolloff_hz, feats.flatness = spec["centroid_hz"], spec["rolloff_hz"], spec["flatness"]
    feats.slope_db_per_octave, feats.band_low_hz, feats.band_high_hz = spec["slope"], spec["low"], spec["high"]
    feats.decay_s = decay_time(level, hop_s)

    # what kind of sound: simple, stated rules on the measurements above
    speechy_pitch = feats.f0_median is not None and 70 <= feats.f0_median <= 400 and feats.event_coverage < 0.85
    rhythmic = feats.tempo_bpm is not None and feats.tempo_confidence > 0.3
    if feats.voiced_fraction < 0.15 and feats.active_fraction > 0.8 and not rhythmic:
        feats.kind = "noise"
    elif feats.voiced_fraction >= 0.15 and speechy_pitch:
        feats.kind = "speech"
        feats.syllable_rate = syllable_rate(x, asr, active, hop_s)
    elif feats.voiced_fraction >= 0.3 and feats.event_coverage >= 0.85:
        feats.kind = "tonal"
    elif rhythmic:
        feats.kind = "rhythmic"
    else:
        feats.kind = "mixed"
    if feats.kind in ("tonal", "mixed") and len(feats.events) >= 3:
        feats.key, feats.key_confidence = estimate_key(x, asr)
    return feats
