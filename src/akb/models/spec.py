"""Model specs: ``backend:name`` on the command line, the rest in YAML or flags."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from akb.core.errors import ConfigError


class ModelConfig(BaseModel):
    """A backend name, a model name and backend-specific options."""

    model_config = ConfigDict(extra="forbid")
    backend: str
    model: str = ""
    options: dict[str, Any] = Field(default_factory=dict)

    @property
    def spec(self) -> str:
        return f"{self.backend}:{self.model}" if self.model else self.backend


def parse_model_spec(spec: str, **options: Any) -> ModelConfig:
    """``hf:Qwen/Qwen3-8B`` -> backend 'hf', model 'Qwen/Qwen3-8B'. ``random`` has no model.

    A spec may also be a path to a YAML file holding ``backend``, ``model`` and ``options``.
    """
    spec = spec.strip()
    if not spec:
        raise ConfigError("empty model spec; expected BACKEND:NAME, e.g. hf:Qwen/Qwen3-8B")
    if spec.endswith((".yaml", ".yml")) and Path(spec).is_file():
        from akb.core.configfile import read_yaml_mapping

        raw = read_yaml_mapping(spec, "model settings")
        try:
            cfg = ModelConfig.model_validate(raw)
        except ValidationError as e:
            err = e.errors()[0]
            raise ConfigError(f"{spec}: field '{'.'.join(map(str, err['loc']))}': {err['msg']}") from None
        cfg.options.update({k: v for k, v in options.items() if v is not None})
        return cfg
    backend, _, model = spec.partition(":")
    return ModelConfig(
        backend=backend.strip().lower(),
        model=model.strip(),
        options={k: v for k, v in options.items() if v is not None},
    )


def options_model(cls: type[BaseModel], cfg: ModelConfig) -> Any:
    """Validate a backend's options, naming the bad option in one line."""
    try:
        return cls.model_validate(cfg.options)
    except ValidationError as e:
        err = e.errors()[0]
        field = ".".join(str(p) for p in err["loc"])
        known = ", ".join(cls.model_fields)
        if err["type"] == "extra_forbidden":
            raise ConfigError(
                f"backend '{cfg.backend}' has no option '{field}'; its options are: {known}"
            ) from None
        raise ConfigError(f"backend '{cfg.backend}', option '{field}': {err['msg']}") from None
