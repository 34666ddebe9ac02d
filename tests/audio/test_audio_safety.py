"""Hostile clips (defects 4, 5 and 8 of issue 12): each fails its own items, fast, and the run
goes on. Built by hand (numpy + soundfile), independent of the synthetic suite."""

from __future__ import annotations

import json
import os
import struct
import time
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

from akb.audio.io import AudioError, load_audio

pytestmark = pytest.mark.timeout(120)

SR = 16_000


def tone(seconds: float = 0.5, f: float = 440.0) -> np.ndarray:
    t = np.arange(int(SR * seconds)) / SR
    return (0.3 * np.sin(2 * np.pi * f * t)).astype(np.float32)


def write_good(p: Path) -> Path:
    sf.write(p, tone(), SR, subtype="PCM_16")
    return p


def write_channels(p: Path, n: int) -> Path:
    sf.write(p, np.stack([tone()] * n, axis=1), SR, subtype="PCM_16")
    return p


def write_float(p: Path, value: float) -> Path:
    x = tone()
    x[100] = value
    sf.write(p, x, SR, subtype="FLOAT")
    return p


def write_rate(p: Path, rate: int) -> Path:
    """A valid PCM WAV whose header then claims ``rate`` Hz (and the matching byte rate)."""
    write_good(p)
    b = bytearray(p.read_bytes())
    assert b[12:16] == b"fmt "
    b[24:28] = struct.pack("<I", rate)
    b[28:32] = struct.pack("<I", (rate * 2) & 0xFFFFFFFF)
    p.write_bytes(bytes(b))
    return p


def write_truncated(p: Path) -> Path:
    sf.write(p, tone(2.0), SR, subtype="PCM_16")
    data = p.read_bytes()
    p.write_bytes(data[: len(data) // 3])
    return p


def make_fifo(p: Path) -> Path:
    os.mkfifo(p)
    return p


BAD = {
    "eight-channels": (lambda p: write_channels(p, 40), "channels"),
    "float-1e30": (lambda p: write_float(p, 1e30), "far outside the audio range"),
    "float-nan": (lambda p: write_float(p, float("nan")), "NaN"),
    "rate-2^31": (lambda p: write_rate(p, 2**31), "Hz"),
    "rate-1": (lambda p: write_rate(p, 1), "Hz"),
    "truncated": (write_truncated, "truncated"),
    "fifo": (make_fifo, "FIFO"),
    "zero-bytes": (lambda p: p.write_bytes(b"") or p, "no samples"),
}


@pytest.mark.parametrize("name", sorted(BAD))
def test_load_audio_refuses_fast(tmp_path: Path, name: str) -> None:
    make, needle = BAD[name]
    p = make(tmp_path / f"{name}.wav")
    t0 = time.monotonic()
    with pytest.raises(AudioError, match=needle) as e:
        load_audio(p)
    assert time.monotonic() - t0 < 5
    assert f"{name}.wav" in str(e.value) and "\n" not in str(e.value)


def test_links_and_devices(tmp_path: Path) -> None:
    from akb.audio.io import check_audio_file

    link = tmp_path / "zero.wav"
    link.symlink_to("/dev/zero")
    with pytest.raises(AudioError, match="device"):
        load_audio(link)
    with pytest.raises(AudioError, match="device"):
        check_audio_file(link)
    good = write_good(tmp_path / "good.wav")
    inside = tmp_path / "inside.wav"
    inside.symlink_to(good)  # a link to a regular file is judged by its target: fine
    x, sr = load_audio(inside)
    assert sr == SR and len(x) == len(tone())
    x8, _ = load_audio(write_channels(tmp_path / "eight.wav", 8))  # 8 channels are legitimate
    assert x8.ndim == 1


def test_size_limit_is_checked_before_reading(tmp_path: Path) -> None:
    from akb.audio.io import check_audio_file

    p = write_good(tmp_path / "a.wav")
    with pytest.raises(AudioError, match="byte limit"):
        check_audio_file(p, max_bytes=100)


def test_each_bad_clip_fails_its_own_items_and_the_cascade_goes_on(tmp_path: Path) -> None:
    from akb.models.spec import ModelConfig
    from akb.runs.cascade import CascadeConfig, run_cascade

    root = tmp_path / "bench"
    (root / "audio").mkdir(parents=True)
    entries = []
    for i in range(3):
        write_good(root / "audio" / f"good-{i}.wav")
        entries.append(f"audio/good-{i}.wav")
    for name, (make, _) in BAD.items():
        make(root / "audio" / f"{name}.wav")
        entries.append(f"audio/{name}.wav")
    write_channels(root / "audio" / "eight.wav", 8)
    entries.append("audio/eight.wav")
    (root / "audio" / "zero.wav").symlink_to("/dev/zero")
    entries.append("audio/zero.wav")
    items = [{"id": f"q{i}", "audio_id": a, "question": "What is heard?", "choices": ["a tone", "speech"],
              "answer": "a tone", "task": "sound"} for i, a in enumerate(entries)]
    (root / "mmau.json").write_text(json.dumps(items))
    cfg = CascadeConfig(benchmark=f"mmau:{root / 'mmau.json'}", model=ModelConfig(backend="random"),
                        out=str(tmp_path / "run"), progress=False, use_cache=False)
    t0 = time.monotonic()
    res = run_cascade(cfg)
    assert time.monotonic() - t0 < 60
    n_bad = len(BAD) + 1  # + the link to /dev/zero
    assert res.stats["failed"] == n_bad, res.summary["failures"]
    assert res.stats["items_scored"] == len(entries) - n_bad  # good clips and the legitimate 8-channel one
    fails = "\n".join(res.summary["failures"])
    for name, (_, needle) in BAD.items():
        line = next(ln for ln in fails.splitlines() if f"{name}.wav" in ln)
        assert needle in line, line
    assert "zero.wav" in fails


def test_caption_command_names_each_bad_file_and_captions_the_rest(tmp_path: Path) -> None:
    """`akb caption` on a FIFO and a link to /dev/zero (they used to hang) beside a good clip."""
    from cli_harness import run_cli

    good = write_good(tmp_path / "good.wav")
    fifo = make_fifo(tmp_path / "fifo.wav")
    zero = tmp_path / "zero.wav"
    zero.symlink_to("/dev/zero")
    t0 = time.monotonic()
    code, out, err = run_cli("caption", str(good), str(fifo), str(zero), "--no-cache")
    assert time.monotonic() - t0 < 30
    assert code != 0 and "Traceback" not in out + err
    assert str(good) in out
    assert "is a FIFO" in out + err and "is a device" in out + err
