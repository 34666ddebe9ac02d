"""Backend registry: a spec's prefix names the backend.

Adding a backend is one new file in ``akb.models`` plus one line in ``BUILTIN`` below (or a
:func:`register_backend` call). What the engine needs to know about a backend it declares on
the class itself: ``supports_logprobs`` and ``chooses_option``.
Third-party packages register through the ``akb.backends`` entry-point group. Modules are
imported only when used, so ``akb bench stats`` never imports torch.
"""

from __future__ import annotations

import importlib
from importlib.metadata import entry_points
from typing import Any

from akb.core.errors import ConfigError
from akb.models.base import Backend
from akb.models.spec import ModelConfig, parse_model_spec

BUILTIN: dict[str, str] = {
    "hf": "akb.models.hf:HFBackend",
    "openai": "akb.models.openai_compat:OpenAIBackend",
    "anthropic": "akb.models.anthropic_api:AnthropicBackend",
    "gemini": "akb.models.gemini:GeminiBackend",
    "vllm": "akb.models.vllm_engine:VLLMBackend",
    "random": "akb.models.baselines:RandomBackend",
    "position": "akb.models.baselines:PositionBackend",
    "options-only": "akb.models.baselines:OptionsOnlyBackend",
    "embedding": "akb.models.embedding:EmbeddingBackend",
}


def register_backend(name: str, target: str | type) -> None:
    """Register a backend class (or its ``"module:Class"``) under a spec prefix."""
    BUILTIN[name] = target if isinstance(target, str) else f"{target.__module__}:{target.__qualname__}"


def available_backends() -> dict[str, str]:
    out = dict(BUILTIN)
    for ep in entry_points(group="akb.backends"):
        out.setdefault(ep.name, ep.value)
    return out


def backend_class(name: str) -> Any:
    table = available_backends()
    if name not in table:
        raise ConfigError(f"unknown backend '{name}'; known: {', '.join(sorted(table))}")
    module, _, attr = table[name].partition(":")
    return getattr(importlib.import_module(module), attr)


def create_backend(cfg: ModelConfig | str, **options: Any) -> Backend:
    """Build a backend from a ModelConfig or a ``backend:name`` spec."""
    if isinstance(cfg, str):
        cfg = parse_model_spec(cfg, **options)
    cls = backend_class(cfg.backend)
    backend: Backend = cls.from_config(cfg)
    return backend
