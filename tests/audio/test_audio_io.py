"""Reading clips: formats, down-mix, resampling, clear errors, and paths kept inside the root."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

from akb.audio.io import AudioError, load_audio, resolve_in_root


def _sine(f: float, sr: int, seconds: float = 1.0) -> np.ndarray:
    return (0.5 * np.sin(2 * np.pi * f * np.arange(int(sr * seconds)) / sr)).astype(np.float32)


def _peak_hz(x: np.ndarray, sr: int) -> float:
    spec = np.abs(np.fft.rfft(x * np.hanning(len(x))))
    return float(np.fft.rfftfreq(len(x), 1 / sr)[np.argmax(spec)])


@pytest.mark.parametrize(("fmt", "subtype"), [("WAV", "PCM_16"), ("FLAC", "PCM_24"), ("OGG", "VORBIS"), ("MP3", "MPEG_LAYER_III")])
def test_formats_resample_to_16k_and_keep_the_pitch(tmp_path: Path, fmt: str, subtype: str) -> None:
    p = tmp_path / f"a.{fmt.lower()}"
    sf.write(p, _sine(440, 44_100), 44_100, format=fmt, subtype=subtype)
    x, sr = load_audio(p)
    assert sr == 16_000 and x.dtype == np.float32 and x.ndim == 1
    assert abs(len(x) / sr - 1.0) < 0.06  # mp3 adds encoder padding
    assert abs(_peak_hz(x, sr) - 440) < 3


def test_stereo_is_down_mixed_and_native_rate_kept_on_request(tmp_path: Path) -> None:
    left, right = _sine(300, 22_050), np.zeros(22_050, dtype=np.float32)
    p = tmp_path / "st.wav"
    sf.write(p, np.stack([left, right], axis=1), 22_050, subtype="FLOAT")
    x, sr = load_audio(p)
    assert sr == 16_000 and abs(np.abs(x).max() - 0.25) < 0.01  # the mean of the channels
    raw, rate = load_audio(p, sr=None, mono=False)
    assert rate == 22_050 and raw.shape == (22_050, 2)


def test_resampling_is_band_limited(tmp_path: Path) -> None:
    # 7 kHz fits under 16 kHz's Nyquist; 12 kHz does not and must be removed, not aliased to 4 kHz.
    p = tmp_path / "hi.wav"
    sf.write(p, _sine(7000, 48_000) + _sine(12_000, 48_000), 48_000, subtype="FLOAT")
    x, sr = load_audio(p)
    spec = np.abs(np.fft.rfft(x))
    f = np.fft.rfftfreq(len(x), 1 / sr)
    assert spec[np.argmin(abs(f - 7000))] > 100 * spec[np.argmin(abs(f - 4000))]


def test_errors_name_the_file(tmp_path: Path) -> None:
    with pytest.raises(AudioError, match="not found") as e:
        load_audio(tmp_path / "missing.wav")
    assert "missing.wav" in str(e.value)
    bad = tmp_path / "corrupt.wav"
    bad.write_bytes(b"RIFF\x00\x00\x00\x00WAVEfmt garbage" + os.urandom(200))
    with pytest.raises(AudioError, match="corrupt.wav: not a readable audio file"):
        load_audio(bad)
    empty = tmp_path / "empty.wav"
    sf.write(empty, np.zeros(0, dtype=np.float32), 16_000)
    with pytest.raises(AudioError, match="no samples"):
        load_audio(empty)
    long = tmp_path / "long.wav"
    sf.write(long, np.zeros(16_000 * 3, dtype=np.float32), 16_000)
    with pytest.raises(AudioError, match="over the 2 s limit"):
        load_audio(long, max_seconds=2)
    with pytest.raises(AudioError, match="directory"):
        load_audio(tmp_path)


def test_paths_stay_inside_the_audio_root(tmp_path: Path) -> None:
    root = tmp_path / "root"
    (root / "sub").mkdir(parents=True)
    assert resolve_in_root(root, "./sub/a.wav") == (root / "sub" / "a.wav").resolve()
    for bad in ("../secret.wav", "sub/../../secret.wav", "/etc/passwd", "C:\\x.wav", ""):
        with pytest.raises(AudioError):
            resolve_in_root(root, bad)
    (tmp_path / "outside.wav").write_bytes(b"x")
    (root / "link.wav").symlink_to(tmp_path / "outside.wav")
    with pytest.raises(AudioError, match="escapes"):
        resolve_in_root(root, "link.wav")
