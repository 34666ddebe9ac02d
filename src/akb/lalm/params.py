"""Parameter counts of a DeSTA model, without loading any weights.

Trainable parameters (the connector) are counted analytically from the shape; the test
suite checks the formula against the real module. Frozen parameters (the tapped part of the
Whisper encoder, the LLM) are counted by building the models from their configs on the
``meta`` device, which allocates nothing.

The published shape (encoder width 1280, LLM width 4096, 4 taps, 64 queries, 6 Q-Former
layers, FFN 3072) has 131,540,224 trainable parameters: "about 131.5 M".
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from akb.core.errors import ConfigError, MissingDependencyError
from akb.lalm.config import PRESETS, even_taps


def qformer_layer_params(width: int, ffn: int) -> int:
    """One post-LN BERT layer with cross-attention: self-attention, cross-attention (keys and
    values from frames of the same width) and a feed-forward block, each with a LayerNorm."""
    attention = 4 * width * width + 4 * width  # q, k, v, out projections with biases
    norm = 2 * width
    feed_forward = width * ffn + ffn + ffn * width + width
    return 2 * (attention + norm) + feed_forward + norm


def connector_params(encoder_width: int, llm_width: int, taps: int, queries: int,
                     qformer_layers: int, qformer_ffn: int = 3072) -> int:
    """Trainable parameters of the connector (no LoRA)."""
    for name, v in (("encoder width", encoder_width), ("llm width", llm_width), ("taps", taps),
                    ("queries", queries), ("qformer layers", qformer_layers), ("qformer ffn", qformer_ffn)):
        if v < 1:
            raise ConfigError(f"{name} must be positive, got {v}")
    query_banks = taps * queries * encoder_width
    tap_weights = queries * taps
    projection = 2 * encoder_width + encoder_width * llm_width + llm_width  # LayerNorm + Linear
    return qformer_layers * qformer_layer_params(encoder_width, qformer_ffn) + query_banks + tap_weights + projection


@dataclass
class ParamReport:
    trainable: int
    encoder_frozen: int | None
    llm_frozen: int | None
    taps: list[int] | None

    @property
    def frozen(self) -> int | None:
        if self.encoder_frozen is None or self.llm_frozen is None:
            return None
        return self.encoder_frozen + self.llm_frozen

    def as_dict(self) -> dict[str, Any]:
        return {"trainable": self.trainable, "encoder_frozen": self.encoder_frozen, "llm_frozen": self.llm_frozen,
                "frozen": self.frozen, "taps": self.taps}


def _config(spec: str, kind: str) -> Any:
    """A transformers config from a preset name, a config.json / model folder, or a cached hub name."""
    try:
        from transformers import AutoConfig, LlamaConfig, WhisperConfig
    except ImportError:
        raise MissingDependencyError("transformers", "hf", "counting frozen parameters") from None
    if spec in PRESETS:
        family, values = PRESETS[spec]
        return (WhisperConfig if family == "whisper" else LlamaConfig)(**values)
    p = Path(spec).expanduser()
    if p.is_file():
        raw = json.loads(p.read_text(encoding="utf-8"))
        model_type = raw.pop("model_type", None)
        if model_type is None:
            raise ConfigError(f"{p}: no 'model_type' in the config")
        return AutoConfig.for_model(model_type, **raw)
    try:
        return AutoConfig.from_pretrained(spec, local_files_only=True)
    except (OSError, ValueError):
        known = ", ".join(PRESETS)
        raise ConfigError(f"no local config for {kind} {spec!r}; give a config.json, a model folder, "
                          f"or a preset ({known})") from None


def _count_meta(build: Any) -> int:
    import torch

    with torch.device("meta"):
        module = build()
    return sum(p.numel() for p in module.parameters())


def encoder_frozen_params(spec: str, taps: list[int] | None, n_taps: int) -> tuple[int, list[int], int]:
    """(parameters of the encoder up to the last tap, the taps, the encoder width)."""
    from transformers.models.whisper.modeling_whisper import WhisperEncoder

    cfg = _config(spec, "encoder")
    if getattr(cfg, "model_type", None) != "whisper":
        raise ConfigError(f"encoder {spec!r} is a {getattr(cfg, 'model_type', '?')} config, not Whisper")
    taps = taps or even_taps(cfg.encoder_layers, n_taps)
    cfg.encoder_layers = taps[-1] + 1  # layers after the last tap are dropped from the model
    return _count_meta(lambda: WhisperEncoder(cfg)), taps, int(cfg.d_model)


def llm_frozen_params(spec: str) -> tuple[int, int]:
    """(parameters of the causal LM, its width)."""
    from transformers import AutoModelForCausalLM

    cfg = _config(spec, "llm")
    return _count_meta(lambda: AutoModelForCausalLM.from_config(cfg)), int(cfg.hidden_size)


def count_params(*, encoder_width: int | None = None, llm_width: int | None = None, taps: int = 4,
                 queries: int = 64, qformer_layers: int = 6, qformer_ffn: int = 3072, qformer_heads: int = 20,
                 encoder: str | None = None, llm: str | None = None) -> ParamReport:
    """Counts for a shape. ``encoder`` / ``llm`` (preset, config.json or local model) add the
    frozen counts and supply the widths when they are not given; given widths must agree."""
    enc_frozen = llm_frozen = None
    tap_layers: list[int] | None = None
    if encoder:
        enc_frozen, tap_layers, width = encoder_frozen_params(encoder, None, taps)
        if encoder_width is not None and encoder_width != width:
            raise ConfigError(f"--encoder-width {encoder_width} disagrees with {encoder} (width {width})")
        encoder_width = width
    if llm:
        llm_frozen, width = llm_frozen_params(llm)
        if llm_width is not None and llm_width != width:
            raise ConfigError(f"--llm-width {llm_width} disagrees with {llm} (width {width})")
        llm_width = width
    if encoder_width is None or llm_width is None:
        raise ConfigError("give --encoder-width and --llm-width, or --encoder and --llm configs")
    if encoder_width % qformer_heads:
        raise ConfigError(f"encoder width {encoder_width} is not divisible by {qformer_heads} Q-Former heads")
    trainable = connector_params(encoder_width, llm_width, taps, queries, qformer_layers, qformer_ffn)
    return ParamReport(trainable=trainable, encoder_frozen=enc_frozen, llm_frozen=llm_frozen, taps=tap_layers)
