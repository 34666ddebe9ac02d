"""What the transformers-based captioners share: options, device/dtype choice, identity."""

from __future__ import annotations

from pathlib import Path
from typing import Any, ClassVar

from pydantic import BaseModel, ConfigDict

from akb.audio.captioners.base import BaseCaptioner, options_for
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


class HFCaptioner(BaseCaptioner):
    """A checkpoint loaded on first use with its processor; subclasses set ``options_cls``,
    ``example`` and implement ``load_model`` and ``caption``."""

    options_cls: ClassVar[type[HFCaptionerOptions]] = HFCaptionerOptions
    example: ClassVar[str] = "NAME"

    def __init__(self, model: str, options: HFCaptionerOptions | None = None) -> None:
        if not model:
            raise ConfigError(f"the {self.name} captioner needs a checkpoint: {self.name}:{self.example}")
        self.model_name = model
        self.opts: Any = options or self.options_cls()
        self.batch_size = self.opts.batch_size
        self._model: Any = None
        self._processor: Any = None
        self._revision = model_revision(model, self.opts.revision)

    @classmethod
    def from_spec(cls, arg: str, options: dict[str, Any] | None = None) -> Any:
        return cls(arg, options_for(cls.options_cls, cls.name, options or {}))

    def load_model(self, tr: Any, dtype: Any, kw: dict[str, Any]) -> Any:  # pragma: no cover - abstract
        raise NotImplementedError

    def _load(self) -> tuple[Any, Any]:
        if self._model is None:
            _, tr = import_torch_transformers()
            device = pick_device(self.opts.device)
            kw = {"revision": self.opts.revision, "trust_remote_code": self.opts.trust_remote_code}
            try:
                self._processor = tr.AutoProcessor.from_pretrained(self.model_name, **kw)
                model = self.load_model(tr, pick_dtype(self.opts.dtype, device), kw)
            except (OSError, ValueError) as e:
                raise load_error(self.model_name, e) from None
            self._model = model.to(device).eval()
        return self._model, self._processor

    def close(self) -> None:
        self._model = None
        self._processor = None
