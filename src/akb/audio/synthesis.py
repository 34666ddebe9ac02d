"""Making test sounds: tones, coloured noise, click tracks, speech (espeak-ng) and sox
effects, and loudness normalisation. Used by the synthetic suite and the tests.

espeak-ng and sox are Debian packages (``apt-get install espeak-ng sox``); the functions
that need them raise :class:`ToolMissing` when they are absent, so callers can skip what
needs them and say so.
"""

from __future__ import annotations

import shutil
import subprocess
import tempfile
from pathlib import Path

import numpy as np

from akb.audio.features import integrated_lufs
from akb.audio.io import load_audio, resample
from akb.core.errors import AkbError

SR = 16_000


class ToolMissing(AkbError):
    """An external program (espeak-ng, sox) is not installed."""


def have(tool: str) -> bool:
    return shutil.which(tool) is not None


def midi_to_hz(m: float) -> float:
    return 440.0 * 2 ** ((m - 69) / 12)


def fade(x: np.ndarray, sr: int, ms: float = 15.0) -> np.ndarray:
    n = min(len(x) // 2, int(sr * ms / 1000))
    if n > 0:
        ramp = np.linspace(0.0, 1.0, n, dtype=np.float32)
        x = x.copy()
        x[:n] *= ramp
        x[-n:] *= ramp[::-1]
    return x


def tone(f0: float, seconds: float, sr: int = SR, harmonics: tuple[float, ...] = (1.0, 0.5, 0.25), amp: float = 0.3) -> np.ndarray:
    """A harmonic tone (fundamental plus overtones with the given weights), faded in/out."""
    t = np.arange(int(seconds * sr)) / sr
    x = sum(w * np.sin(2 * np.pi * f0 * (k + 1) * t) for k, w in enumerate(harmonics) if f0 * (k + 1) < sr / 2)
    x = np.asarray(x, dtype=np.float64)
    x = amp * x / max(1e-9, np.abs(x).max())
    return fade(x.astype(np.float32), sr)


def silence(seconds: float, sr: int = SR) -> np.ndarray:
    return np.zeros(int(seconds * sr), dtype=np.float32)


def coloured_noise(colour: str, seconds: float, rng: np.random.Generator, sr: int = SR, amp: float = 0.3) -> np.ndarray:
    """White (flat), pink (-3 dB/octave) or brown (-6 dB/octave) noise by spectral shaping."""
    alpha = {"white": 0.0, "pink": 1.0, "brown": 2.0}[colour]
    n = int(seconds * sr)
    spec = np.fft.rfft(rng.standard_normal(n))
    f = np.fft.rfftfreq(n, 1 / sr)
    f[0] = f[1]
    spec /= f ** (alpha / 2)
    y = np.fft.irfft(spec, n)
    y -= y.mean()
    return fade((amp * y / np.abs(y).max()).astype(np.float32), sr)


def click_track(bpm: float, seconds: float, sr: int = SR, amp: float = 0.5) -> np.ndarray:
    """A metronome: a short 1.5 kHz blip on every beat."""
    x = np.zeros(int(seconds * sr), dtype=np.float32)
    n = int(0.012 * sr)
    blip = (np.sin(2 * np.pi * 1500 * np.arange(n) / sr) * np.exp(-np.arange(n) / (0.002 * sr))).astype(np.float32)
    period = 60.0 / bpm
    t = 0.05
    while t * sr + n < len(x):
        i = int(round(t * sr))
        x[i : i + n] += blip
        t += period
    return amp * x


def normalise_lufs(x: np.ndarray, target: float, sr: int = SR) -> np.ndarray:
    """Scale to an integrated loudness of ``target`` LUFS (BS.1770-4)."""
    now = integrated_lufs(x, sr)
    if now is None:
        raise ValueError("cannot measure the loudness of this signal (too short or silent)")
    return (x * 10 ** ((target - now) / 20)).astype(np.float32)


def hard_clip(x: np.ndarray, gain: float) -> np.ndarray:
    return np.clip(x * gain, -1.0, 1.0).astype(np.float32)


def _run(cmd: list[str], what: str) -> None:
    try:
        r = subprocess.run(cmd, capture_output=True, text=True, timeout=60)
    except FileNotFoundError:
        raise ToolMissing(f"{what} needs '{cmd[0]}': apt-get install {'espeak-ng' if cmd[0] == 'espeak-ng' else cmd[0]}") from None
    if r.returncode != 0:
        raise AkbError(f"{cmd[0]} failed ({r.returncode}): {r.stderr.strip()[:300]}")


def speak(text: str, *, voice: str = "en+m3", wpm: int = 160, pitch: int = 50, sr: int = SR) -> np.ndarray:
    """Speech from espeak-ng, at ``sr``. ``pitch`` is espeak's 0-99 scale; ``wpm`` words per minute."""
    if not have("espeak-ng"):
        raise ToolMissing("speech synthesis needs 'espeak-ng': apt-get install espeak-ng")
    with tempfile.TemporaryDirectory() as d:
        out = Path(d) / "s.wav"
        _run(["espeak-ng", "-w", str(out), "-v", voice, "-s", str(wpm), "-p", str(pitch), "--", text], "speech synthesis")
        y, rate = load_audio(out, sr=sr)
    return y


def sox_effect(x: np.ndarray, effects: list[str], sr: int = SR) -> np.ndarray:
    """Run ``sox in.wav out.wav EFFECTS...`` on ``x``; returns the result at ``sr``."""
    if not have("sox"):
        raise ToolMissing("sox effects need 'sox': apt-get install sox")
    import soundfile as sf

    with tempfile.TemporaryDirectory() as d:
        a, b = Path(d) / "in.wav", Path(d) / "out.wav"
        sf.write(a, x, sr, subtype="FLOAT")
        _run(["sox", "-V1", str(a), str(b), *effects], "sox effects")
        y, rate = load_audio(b, sr=None)
    return resample(y, rate, sr) if rate != sr else y
