"""Real-time factor of the dsp captioner, per core.

Builds a few clips of each kind (tones, click tracks, noise, espeak-ng speech if
installed; 16 kHz and 44.1 kHz stereo versions), then times the full dsp captioner
(load + resample + all measurements + wording) single-threaded. Prints seconds of audio
per second of CPU per kind and overall; the aim is at least 50x real time per core.

    OMP_NUM_THREADS=1 python benchmarks/caption_speed.py [--repeat 3]
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time
from pathlib import Path

os.environ.setdefault("OMP_NUM_THREADS", "1")
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
os.environ.setdefault("MKL_NUM_THREADS", "1")

import numpy as np  # noqa: E402
import soundfile as sf  # noqa: E402

from akb.audio import synthesis as syn  # noqa: E402
from akb.audio.captioners.dsp import DSPCaptioner  # noqa: E402
from akb.audio.clip import Clip  # noqa: E402


def clips(d: Path) -> dict[str, list[Path]]:
    rng = np.random.default_rng(0)
    out: dict[str, list[Path]] = {}

    def add(kind: str, x: np.ndarray, sr: int = 16_000) -> None:
        p = d / f"{kind}-{len(out.get(kind, []))}.wav"
        sf.write(p, x, sr, subtype="PCM_16")
        out.setdefault(kind, []).append(p)

    for f in (220.0, 440.0, 880.0):
        add("tones", np.concatenate([syn.tone(f, 4.0), syn.silence(1.0), syn.tone(f * 1.5, 5.0)]))
    for bpm in (70, 120, 170):
        add("clicks", syn.click_track(bpm, 10.0))
    for c in ("white", "pink", "brown"):
        add("noise", syn.coloured_noise(c, 10.0, rng))
    if syn.have("espeak-ng"):
        text = "The birch canoe slid on the smooth planks. Glue the sheet to the dark blue background. " * 2
        for voice in ("en+m3", "en+f3"):
            add("speech", syn.speak(text, voice=voice))
    # 44.1 kHz stereo music-like: chords with a beat
    t = np.arange(int(44_100 * 10.0)) / 44_100
    chord = sum(np.sin(2 * np.pi * f * t) for f in (261.63, 329.63, 392.0)) / 6
    beat = (np.sin(2 * np.pi * 2 * t) > 0.95).astype(float) * 0.3
    add("music-44k-stereo", np.stack([chord + beat, chord - beat], axis=1).astype(np.float32), 44_100)
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args()
    cap = DSPCaptioner()
    with tempfile.TemporaryDirectory() as tmp:
        groups = clips(Path(tmp))
        cap.caption([Clip(key="warm", path=groups["tones"][0])])  # imports, first-call costs
        total_audio = total_cpu = 0.0
        print(f"{'kind':18s} {'audio s':>8s} {'cpu s':>8s} {'x real time':>12s}")
        for kind, paths in groups.items():
            audio = sum(sf.info(str(p)).duration for p in paths) * args.repeat
            t0 = time.process_time()
            for _ in range(args.repeat):
                for p in paths:
                    text = cap.caption([Clip(key=p.name, path=p)])[0]
                    assert isinstance(text, str), text
            cpu = time.process_time() - t0
            total_audio += audio
            total_cpu += cpu
            print(f"{kind:18s} {audio:8.1f} {cpu:8.2f} {audio / cpu:12.0f}")
        print(f"{'overall':18s} {total_audio:8.1f} {total_cpu:8.2f} {total_audio / total_cpu:12.0f}  (aim: >= 50x per core)")


if __name__ == "__main__":
    main()
