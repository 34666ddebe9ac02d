"""The synthetic suite as a benchmark: ``synth`` builds it on the fly in akb's cache
folder (once; later runs reuse it), ``synth:DIR`` reads a suite made by ``akb synth make``
(or builds it there when DIR is empty). It is in MMAU's format, so MMAU's loader reads it.
"""

from __future__ import annotations

import importlib
from pathlib import Path
from typing import Any

from akb.audiobench import mmau
from akb.audiobench.benchmarks import AudioBenchmark
from akb.core.paths import cache_dir

SYNTH_VERSION = "akb-synth-v1"
SUITE_FILE = "synth.json"
METADATA_FILE = "metadata.jsonl"
# The generator (sox, espeak-ng, numpy) lives with the other builders; named here, not
# imported, so that the benchmarks stay below the builders.
GENERATOR = "akb.build.synth:make_suite"


def default_suite_dir(per_task: int = 6, seed: int = 0) -> Path:
    return cache_dir() / "synth" / f"{SYNTH_VERSION}-n{per_task}-s{seed}"


def make_suite(out_dir: str | Path, **kwargs: Any) -> dict[str, Any]:
    """Build the suite with the generator in :mod:`akb.build.synth`."""
    mod, _, fn = GENERATOR.partition(":")
    result: dict[str, Any] = getattr(importlib.import_module(mod), fn)(out_dir, **kwargs)
    return result


def load(arg: str | None, audio_root: Path | None = None, *, per_task: int = 6, seed: int = 0) -> AudioBenchmark:
    d = Path(arg).expanduser() if arg else default_suite_dir(per_task, seed)
    if d.is_file():
        return mmau.load(str(d), audio_root, name="synth")
    if not arg or not (d / SUITE_FILE).exists():
        make_suite(d, per_task=per_task, seed=seed)  # reuses a suite built with the same settings
    bench = mmau.load(str(d / SUITE_FILE), audio_root or d, name="synth")
    bench.split = "synth"
    return bench
