"""Pitch, intervals, tempo and key: the music measurements of a clip.

- F0 with YIN (de Cheveigne & Kawahara 2002: cumulative-mean-normalised difference,
  absolute threshold, parabolic interpolation), stable tonal events with note names and
  the interval between consecutive events;
- tempo from the autocorrelation of a spectral-flux onset envelope, weighted by a
  log-normal prior around 120 BPM (as in Ellis 2007 / librosa), with a confidence;
- key from a chroma profile correlated with the Krumhansl-Kessler major/minor profiles.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from scipy import signal

F0_MIN, F0_MAX = 50.0, 2000.0
YIN_THRESHOLD = 0.25  # dip threshold; frames with aperiodicity under VOICED_APER are voiced
NOTE_NAMES = ("C", "C#", "D", "D#", "E", "F", "F#", "G", "G#", "A", "A#", "B")
INTERVAL_NAMES = {
    0: "unison", 1: "minor second", 2: "major second", 3: "minor third", 4: "major third",
    5: "perfect fourth", 6: "tritone", 7: "perfect fifth", 8: "minor sixth", 9: "major sixth",
    10: "minor seventh", 11: "major seventh", 12: "octave",
}
# Krumhansl & Kessler (1982) probe-tone profiles, tonic first.
KK_MAJOR = np.array([6.35, 2.23, 3.48, 2.33, 4.38, 4.09, 2.52, 5.19, 2.39, 3.66, 2.29, 2.88])
KK_MINOR = np.array([6.33, 2.68, 3.52, 5.38, 2.60, 3.53, 2.54, 4.75, 3.98, 2.69, 3.34, 3.17])

def hz_to_note(f: float) -> str:
    midi = int(round(69 + 12 * math.log2(f / 440.0)))
    return f"{NOTE_NAMES[midi % 12]}{midi // 12 - 1}"


def semitones(f1: float, f2: float) -> float:
    return 12 * math.log2(f2 / f1)


def interval_name(steps: int) -> str:
    steps = abs(steps)
    if steps in INTERVAL_NAMES:
        return INTERVAL_NAMES[steps]
    octaves, rest = divmod(steps, 12)
    return f"{octaves} octave{'s' if octaves > 1 else ''} and a {INTERVAL_NAMES[rest]}" if rest else f"{octaves} octaves"


@dataclass
class ToneEvent:
    start: float
    end: float
    f0: float
    note: str


def yin(frames: np.ndarray, sr: int, fmin: float = F0_MIN, fmax: float = F0_MAX,
        threshold: float = YIN_THRESHOLD) -> tuple[np.ndarray, np.ndarray]:
    """YIN over frames (n, W): returns (f0 in Hz or nan, aperiodicity = CMND minimum).

    The difference function d(tau) = e(0) + e(tau) - 2 r(tau) over an integration window of
    W/2 samples, with r from one FFT per frame."""
    n, w = frames.shape
    win = w // 2
    tau_min = max(2, int(sr / fmax))
    tau_max = min(win - 1, int(math.ceil(sr / fmin)))
    nfft = 1 << int(math.ceil(math.log2(w + win)))
    spec_x = np.fft.rfft(frames, nfft, axis=1)
    spec_k = np.fft.rfft(frames[:, :win][:, ::-1], nfft, axis=1)
    # r(tau) = sum_{j<win} x[j] x[j+tau]: correlate the first `win` samples with the frame.
    corr = np.fft.irfft(spec_x * spec_k, nfft, axis=1)[:, win - 1 : win - 1 + tau_max + 1]
    sq = np.concatenate([np.zeros((n, 1)), np.cumsum(frames.astype(np.float64) ** 2, axis=1)], axis=1)
    taus = np.arange(tau_max + 1)
    energy0 = sq[:, win][:, None]
    energy_tau = sq[:, taus + win] - sq[:, taus]
    d = energy0 + energy_tau - 2 * corr
    d[:, 0] = 0.0
    d = np.maximum(d, 0.0)
    cums = np.cumsum(d[:, 1:], axis=1)
    cmnd = np.ones_like(d)
    cmnd[:, 1:] = d[:, 1:] * taus[1:] / np.maximum(cums, 1e-12)
    seg = cmnd[:, tau_min : tau_max + 1]
    below = seg < threshold
    has = below.any(axis=1)
    first = np.where(has, below.argmax(axis=1), seg.argmin(axis=1))
    # walk to the local minimum after the first dip under the threshold
    idx = first.copy()
    rows = np.arange(n)
    for _ in range(tau_max):
        nxt = np.minimum(idx + 1, seg.shape[1] - 1)
        step = (seg[rows, nxt] < seg[rows, idx]) & (nxt != idx)
        if not step.any():
            break
        idx = np.where(step, nxt, idx)
    aper = seg[rows, idx]
    # parabolic interpolation
    left = seg[rows, np.maximum(idx - 1, 0)]
    right = seg[rows, np.minimum(idx + 1, seg.shape[1] - 1)]
    denom = left - 2 * aper + right
    shift = np.where(np.abs(denom) > 1e-12, 0.5 * (left - right) / np.where(np.abs(denom) > 1e-12, denom, 1), 0.0)
    shift = np.clip(shift, -1, 1)
    period = idx + tau_min + shift
    f0 = np.where(has, sr / np.maximum(period, 1e-6), np.nan)
    return f0, aper


def stable_events(f0: np.ndarray, voiced: np.ndarray, hop_s: float, min_dur: float = 0.12) -> list[ToneEvent]:
    """Runs of voiced frames whose pitch stays within half a semitone of the run's median."""
    events: list[ToneEvent] = []
    i, n = 0, len(f0)
    while i < n:
        if not voiced[i]:
            i += 1
            continue
        j = i
        ref = f0[i]
        vals = [f0[i]]
        while j + 1 < n and voiced[j + 1] and abs(12 * math.log2(f0[j + 1] / ref)) < 0.5:
            j += 1
            vals.append(f0[j])
            ref = float(np.median(vals))
        dur = (j - i + 1) * hop_s
        if dur >= min_dur:
            f = float(np.median(vals))
            events.append(ToneEvent(start=round(i * hop_s, 2), end=round((j + 1) * hop_s, 2), f0=f, note=hz_to_note(f)))
        i = j + 1
    # merge neighbours on the same note separated by a tiny gap
    merged: list[ToneEvent] = []
    for e in events:
        if merged and merged[-1].note == e.note and e.start - merged[-1].end < 0.05:
            merged[-1].end = e.end
        else:
            merged.append(e)
    return merged


def onset_envelope(x: np.ndarray, sr: int, hop: int) -> np.ndarray:
    """Half-wave rectified spectral flux of a log-magnitude spectrogram, mean-removed."""
    _, _, z = signal.stft(x, fs=sr, nperseg=512, noverlap=512 - hop, boundary=None, padded=True)
    mag = np.log1p(100.0 * np.abs(z))
    flux = np.maximum(np.diff(mag, axis=1), 0.0).mean(axis=0)
    if flux.size == 0:
        return flux
    # subtract a local mean (0.3 s) so slow level changes are not onsets
    k = max(1, int(0.3 * sr / hop))
    local = np.convolve(flux, np.ones(k) / k, mode="same")
    return np.maximum(flux - local, 0.0)


def estimate_tempo(env: np.ndarray, fps: float, lo: float = 40.0, hi: float = 240.0) -> tuple[float | None, float]:
    """Tempo in BPM from the onset envelope's autocorrelation, and a 0..1 confidence."""
    if env.size < fps * 2 or not env.any():
        return None, 0.0
    e = env - env.mean()
    n = len(e)
    nfft = 1 << int(math.ceil(math.log2(2 * n)))
    spec = np.fft.rfft(e, nfft)
    ac = np.fft.irfft(spec * np.conj(spec), nfft)[:n]
    if ac[0] <= 0:
        return None, 0.0
    ac = ac / ac[0]
    lag_lo, lag_hi = int(fps * 60 / hi), min(n - 1, int(math.ceil(fps * 60 / lo)))
    if lag_hi <= lag_lo + 1:
        return None, 0.0
    lags = np.arange(lag_lo, lag_hi + 1)
    bpm = 60 * fps / lags
    prior = np.exp(-0.5 * (np.log2(bpm / 120.0) / 1.0) ** 2)
    # unbiased estimate: a finite signal's autocorrelation falls linearly with lag
    unbiased = ac[lags] * n / (n - lags)
    score = unbiased * prior
    k = int(np.argmax(score))
    lag = float(lags[k])
    if 0 < k < len(lags) - 1:
        a, b, c = unbiased[k - 1], unbiased[k], unbiased[k + 1]
        den = a - 2 * b + c
        if abs(den) > 1e-12:
            lag += float(np.clip(0.5 * (a - c) / den, -0.5, 0.5))
    conf = float(np.clip(unbiased[k], 0.0, 1.0))
    return 60 * fps / lag, conf


def estimate_key(x: np.ndarray, sr: int) -> tuple[str | None, float]:
    """Krumhansl-Schmuckler key from an STFT chroma (55 Hz - 2 kHz)."""
    f, _, z = signal.stft(x, fs=sr, nperseg=4096, noverlap=2048, boundary=None)
    power = (np.abs(z) ** 2).sum(axis=1)
    band = (f >= 55) & (f <= 2000)
    if not band.any() or power[band].sum() <= 0:
        return None, 0.0
    pcs = (np.round(12 * np.log2(f[band] / 440.0)) + 9) % 12
    chroma = np.bincount(pcs.astype(int), weights=np.sqrt(power[band]), minlength=12)
    if chroma.std() == 0:
        return None, 0.0
    best, best_r = None, -2.0
    for tonic in range(12):
        for name, prof in (("major", KK_MAJOR), ("minor", KK_MINOR)):
            r = float(np.corrcoef(chroma, np.roll(prof, tonic))[0, 1])
            if r > best_r:
                best, best_r = f"{NOTE_NAMES[tonic]} {name}", r
    return best, best_r
