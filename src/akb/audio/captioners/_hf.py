"""What the transformers-based captioners share: options, device/dtype choice, identity."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict

from akb.core.errors import BackendError, ConfigError, MissingDependencyError
from akb.core.hashing import directory_fingerprint


class HFCaptionerOptions(BaseModel):
    model_config = ConfigDict(extra="forbid")
    device: str = "auto"  # auto | cpu | cuda | cuda:N | mps
    dtype: str = "auto"  # auto | float32 | float16 | bfloat16
    batch_size: int = 8
    revision: str | None = None
    trust_remote_code: bool = False
    max_new_tokens: int = 256


def import_torch_transformers() -> tuple[Any, Any]:
    try:
        import torch
        import transformers
    except ImportError:
        raise MissingDependencyError("transformers", "hf", "this captioner") from None
    return torch, transformers


def pick_device(opt: str) -> str:
    torch, _ = import_torch_transformers()
    if opt != "auto":
        return opt
    if torch.cuda.is_available():
        return "cuda"
    return "cpu"


def pick_dtype(opt: str, device: str) -> Any:
    torch, _ = import_torch_transformers()
    if opt == "auto":
        return torch.float16 if device.startswith("cuda") else torch.float32
    try:
        return {"float32": torch.float32, "float16": torch.float16, "bfloat16": torch.bfloat16}[opt]
    except KeyError:
        raise ConfigError(f"dtype must be auto, float32, float16 or bfloat16, got {opt!r}") from None


def model_revision(name: str, revision: str | None) -> str | None:
    """A local folder's weights fingerprint, else the hub revision asked for."""
    p = Path(name).expanduser()
    if p.is_dir():
        return "sha256:" + directory_fingerprint(p)
    return revision


def load_error(name: str, e: Exception) -> BackendError:
    return BackendError(f"cannot load {name}: {str(e).splitlines()[0][:300] if str(e) else type(e).__name__}")
