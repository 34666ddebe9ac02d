"""Configuration of the DeSTA audio LLM and of its training, with the published defaults.

The defaults follow DeSTA2.5-Audio (Lu et al., arXiv:2507.02768): a frozen Whisper-large-v3
encoder tapped after layers 7, 15, 23 and 31; 64 learned queries per tap through one shared
6-layer BERT-style Q-Former (hidden = encoder width, 20 heads, FFN 3072, post-LN); a
per-query softmax over the taps; LayerNorm + Linear to the LLM width; the LLM frozen (LoRA
off); AdamW lr 1e-4, betas (0.9, 0.98), weight decay 0.01, 5,000 warm-up steps then cosine,
grad-norm clip 1.0, bf16, 12 clips per GPU, 5 epochs, responses cut at 300 tokens.

Only torch-free code lives here, so ``akb ground params`` and config validation stay light.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from akb.core.configfile import read_yaml_mapping
from akb.core.errors import ConfigError

DEFAULT_SYSTEM_PROMPT = "Focus on the audio clips and instructions."
AUDIO_LOCATOR = "<|AUDIO|>"

Dtype = Literal["auto", "bfloat16", "float16", "float32"]


def even_taps(n_layers: int, n_taps: int) -> list[int]:
    """``n_taps`` 0-based layer indices spread evenly, the last one the encoder's last layer.

    32 layers, 4 taps -> [7, 15, 23, 31] (Whisper-large-v3, as published); 12 -> [2, 5, 8, 11].
    """
    if n_layers < 1 or n_taps < 1:
        raise ConfigError(f"need at least one encoder layer and one tap (got {n_layers} layers, {n_taps} taps)")
    if n_taps > n_layers:
        raise ConfigError(f"{n_taps} taps asked for an encoder of {n_layers} layers")
    return [(i + 1) * n_layers // n_taps - 1 for i in range(n_taps)]


class LoraSettings(BaseModel):
    """Optional LoRA on the frozen LLM (off in the published recipe)."""

    model_config = ConfigDict(extra="forbid")
    r: int = Field(16, ge=1)
    alpha: int = Field(16, ge=1)
    dropout: float = Field(0.1, ge=0.0, lt=1.0)
    target_modules: list[str] = Field(default_factory=lambda: ["q_proj", "k_proj", "v_proj"])


class DestaConfig(BaseModel):
    """The audio LLM: which backbone, which encoder, and the connector's shape."""

    model_config = ConfigDict(extra="forbid")

    llm: str = Field(description="backbone causal LM: a Hugging Face name or a local folder")
    encoder: str = Field("openai/whisper-large-v3", description="Whisper model: a name or a local folder")
    taps: list[int] | None = Field(
        None, description="0-based encoder layers whose outputs (before the final LayerNorm) feed the connector; "
        "default: n_taps evenly spaced, the last one the encoder's last layer")
    n_taps: int = Field(4, ge=1)
    queries: int = Field(64, ge=1, description="learned queries per tap = audio vectors per clip")
    qformer_layers: int = Field(6, ge=1)
    qformer_heads: int = Field(20, ge=1)
    qformer_ffn: int = Field(3072, ge=1)
    dropout: float = Field(0.1, ge=0.0, lt=1.0, description="Q-Former dropout (BERT's default)")
    lora: LoraSettings | None = None
    system_prompt: str = DEFAULT_SYSTEM_PROMPT
    audio_locator: str = Field(AUDIO_LOCATOR, description="marks the audio in a user message")
    audio_start: str = Field("<start_audio>", description="text placed before the audio span")
    audio_end: str = Field("<end_audio>", description="text placed after the audio span (and transcript)")
    llm_dtype: Dtype = Field("auto", description="auto: bfloat16 on GPU, float32 on CPU")
    encoder_dtype: Dtype = "auto"
    attn_implementation: str | None = None
    gradient_checkpointing: bool = Field(False, description="recompute the frozen LLM's activations in backward")
    trust_remote_code: bool = False

    @field_validator("taps")
    @classmethod
    def _taps_sorted(cls, v: list[int] | None) -> list[int] | None:
        if v is None:
            return v
        if not v:
            raise ValueError("taps must list at least one layer")
        if any(t < 0 for t in v) or sorted(set(v)) != v:
            raise ValueError("taps must be distinct, ascending, non-negative layer indices")
        return v

    def resolve_taps(self, n_layers: int) -> list[int]:
        taps = self.taps if self.taps is not None else even_taps(n_layers, self.n_taps)
        if taps[-1] >= n_layers:
            raise ConfigError(f"tap {taps[-1]} is beyond the encoder's {n_layers} layers (0-based)")
        return taps


class TrainConfig(BaseModel):
    """``akb ground train config.yaml``: the model, the distilled data and the recipe."""

    model_config = ConfigDict(extra="forbid", allow_inf_nan=False)

    model: DestaConfig
    data: list[str] = Field(description="self-distillation JSONL files, or folders searched for samples.jsonl")
    audio_root: str = Field(description="clip paths in the data are relative to this folder")
    out: str = Field(description="training folder: checkpoints/, metrics.csv, final/")
    init_from: str | None = Field(None, description="start from these connector weights (a saved model folder)")
    epochs: int = Field(5, ge=1)
    max_steps: int | None = Field(None, ge=1, description="stop (with a checkpoint) after this many optimizer steps")
    batch_size: int = Field(12, ge=1, description="clips per device per forward pass")
    grad_accum: int = Field(1, ge=1)
    lr: float = Field(1e-4, gt=0)
    betas: tuple[float, float] = (0.9, 0.98)
    weight_decay: float = Field(0.01, ge=0)
    warmup_steps: int = Field(5000, ge=0)
    schedule: Literal["cosine", "linear", "constant"] = "cosine"
    max_grad_norm: float = Field(1.0, gt=0)
    max_response_tokens: int = Field(300, ge=1)
    precision: Literal["auto", "bf16", "fp16", "no"] = Field("auto", description="auto: bf16 where the GPU has it, else fp32")
    seed: int = 42
    save_every: int = Field(1000, ge=1, description="optimizer steps between checkpoints")
    keep_checkpoints: int = Field(2, ge=1)
    log_every: int = Field(10, ge=1)
    num_workers: int = Field(2, ge=0, description="DataLoader workers reading audio")
    log_with: list[Literal["tensorboard", "wandb"]] = Field(default_factory=list)
    progress: bool = True
    overwrite: bool = Field(False, description="clear a previous run's files in out first")

    @field_validator("betas")
    @classmethod
    def _betas_in_range(cls, v: tuple[float, float]) -> tuple[float, float]:
        if not all(0.0 <= b < 1.0 for b in v):
            raise ValueError(f"each of betas must be in [0, 1), got {list(v)}")
        return v

    @field_validator("out")
    @classmethod
    def _out_is_a_folder(cls, v: str) -> str:
        from akb.core.paths import check_dir_target

        return check_dir_target(v, "training folder (out)")

    @model_validator(mode="after")
    def _data_given(self) -> TrainConfig:
        if not self.data:
            raise ValueError("data must name at least one file or folder")
        return self

    @field_validator("data")
    @classmethod
    def _data_exists(cls, v: list[str]) -> list[str]:
        # Checked before any model is built: a typo costs a second, not a model load.
        for d in v:
            if not str(d).strip():
                raise ValueError("an empty data path")
            if not Path(d).expanduser().exists():
                raise ValueError(f"{d} does not exist")
        return v

    @field_validator("audio_root")
    @classmethod
    def _root_is_a_folder(cls, v: str) -> str:
        if not Path(v).expanduser().is_dir():
            raise ValueError(f"{v} is not a folder")
        return v


def load_train_config(path: str | Path, overrides: dict[str, Any] | None = None) -> TrainConfig:
    """Read a YAML training config (relative paths in it are relative to the working directory)."""
    p = Path(path)
    raw = read_yaml_mapping(p, "training settings")
    raw.update({k: v for k, v in (overrides or {}).items() if v is not None})
    if isinstance(raw.get("data"), str):
        raw["data"] = [raw["data"]]
    try:
        return TrainConfig.model_validate(raw)
    except ValidationError as e:
        err = e.errors()[0]
        msg = err["msg"].removeprefix("Value error, ")
        raise ConfigError(f"{p}: field '{'.'.join(map(str, err['loc']))}': {msg}") from None


# ---------------------------------------------------------------------- published shapes
# Configs of the published models, so shapes can be built with random weights (params,
# benchmarks) without any download.

WHISPER_LARGE_V3: dict[str, Any] = {
    "d_model": 1280, "encoder_layers": 32, "encoder_attention_heads": 20, "encoder_ffn_dim": 5120,
    "decoder_layers": 32, "decoder_attention_heads": 20, "decoder_ffn_dim": 5120,
    "num_mel_bins": 128, "max_source_positions": 1500, "max_target_positions": 448, "vocab_size": 51866,
    "pad_token_id": 50256, "bos_token_id": 50257, "eos_token_id": 50257, "decoder_start_token_id": 50258,
}

LLAMA_31_8B: dict[str, Any] = {
    "hidden_size": 4096, "intermediate_size": 14336, "num_hidden_layers": 32, "num_attention_heads": 32,
    "num_key_value_heads": 8, "vocab_size": 128256, "max_position_embeddings": 131072, "rms_norm_eps": 1e-5,
    "rope_theta": 500000.0, "tie_word_embeddings": False, "bos_token_id": 128000, "eos_token_id": 128009,
}

PRESETS: dict[str, tuple[str, dict[str, Any]]] = {
    "whisper-large-v3": ("whisper", WHISPER_LARGE_V3),
    "llama-3.1-8b": ("llama", LLAMA_31_8B),
}
