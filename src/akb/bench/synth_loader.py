"""The synthetic suite as a benchmark: ``synth`` builds it on the fly in akb's cache
folder (once; later runs reuse it), ``synth:DIR`` reads a suite made by ``akb synth make``
(or builds it there when DIR is empty). It is in MMAU's format, so MMAU's loader reads it.
"""

from __future__ import annotations

from pathlib import Path

from akb.bench import mmau
from akb.bench.audio_benchmarks import AudioBenchmark
from akb.bench.synth import SUITE_FILE, default_suite_dir, make_suite


def load(arg: str | None, audio_root: Path | None = None, *, per_task: int = 6, seed: int = 0) -> AudioBenchmark:
    d = Path(arg).expanduser() if arg else default_suite_dir(per_task, seed)
    if d.is_file():
        return mmau.load(str(d), audio_root, name="synth")
    if not arg or not (d / SUITE_FILE).exists():
        make_suite(d, per_task=per_task, seed=seed)  # reuses a suite built with the same settings
    bench = mmau.load(str(d / SUITE_FILE), audio_root or d, name="synth")
    bench.split = "synth"
    return bench
