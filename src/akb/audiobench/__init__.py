"""Audio benchmarks (MMAU, MMAR, the synthetic suite): loaders, audio items, official scoring
and the audio summary.

Adding a benchmark: one module with ``load(arg, audio_root) -> AudioBenchmark`` and one
``register_benchmark(BenchmarkSpec(...))`` (or an ``akb.benchmarks`` entry point naming the
spec). Importing this package imports only the registry.
"""

from akb.audiobench.benchmarks import (
    AudioBenchmark,
    BenchmarkSpec,
    available_benchmarks,
    load_audio_benchmark,
    register_benchmark,
)
from akb.audiobench.items import AudioItem

__all__ = ["AudioBenchmark", "AudioItem", "BenchmarkSpec", "available_benchmarks", "load_audio_benchmark",
           "register_benchmark"]
