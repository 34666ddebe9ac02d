"""Audio benchmarks (MMAU, MMAR, the synthetic suite): loaders, audio items, official scoring
and the audio summary."""
