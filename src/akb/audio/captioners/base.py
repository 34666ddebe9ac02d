"""What every captioner speaks, the registry that names them, and the caption cache.

A captioner turns clips into text. It has an ``identity`` (everything that changes its
output: model, revision or weights fingerprint, prompt, decoding; never a secret) and a
batch method ``caption(clips)`` returning, per clip, the caption or a
:class:`CaptionFailure`. Captions are cached in SQLite keyed on the captioner identity and
the sha256 of the clip's bytes, so re-running a cascade with another LLM, or resuming one,
never captions a clip twice, and a changed file or checkpoint is never served a stale one.

Specs: ``dsp``, ``whisper:openai/whisper-large-v3``, ``faster-whisper:tiny.en``, ``hf-audio-lm:Qwen/Qwen2-Audio-7B-Instruct``,
``api:gemini:gemini-2.5-flash``, ``file:captions.jsonl``, and ``A+B`` to join several (each
part cached on its own). Adding a captioner is one file with a class that has
``from_spec``, ``identity`` and ``caption``, plus one line in :data:`BUILTIN` (or an
``akb.captioners`` entry point).
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from importlib.metadata import entry_points
from pathlib import Path
from typing import Any, ClassVar, Protocol, runtime_checkable

from pydantic import BaseModel, ValidationError

from akb.audio.clip import Clip
from akb.audio.io import AudioError
from akb.core.cache import ResponseCache, cache_key
from akb.core.errors import ConfigError
from akb.core.paths import cache_dir

BUILTIN: dict[str, str] = {
    "dsp": "akb.audio.captioners.dsp:DSPCaptioner",
    "whisper": "akb.audio.captioners.whisper:WhisperCaptioner",
    "faster-whisper": "akb.audio.captioners.whisper_ct2:FasterWhisperCaptioner",
    "hf-audio-lm": "akb.audio.captioners.hf_audio_lm:HFAudioLMCaptioner",
    "api": "akb.audio.captioners.api:APICaptioner",
    "file": "akb.audio.captioners.file:FileCaptioner",
}


@dataclass(frozen=True)
class CaptionFailure:
    message: str
    retryable: bool = False


CaptionResult = str | CaptionFailure


@runtime_checkable
class Captioner(Protocol):
    name: ClassVar[str]
    label: ClassVar[str]  # heading of its part in a joined caption
    needs_audio: ClassVar[bool]
    cacheable: ClassVar[bool]
    batch_size: int

    def identity(self) -> dict[str, Any]: ...

    def caption(self, clips: Sequence[Clip]) -> list[CaptionResult]: ...

    def close(self) -> None: ...


class BaseCaptioner:
    """Defaults: audio needed, results cached, one clip per call."""

    name: ClassVar[str] = "base"
    label: ClassVar[str] = "Description"
    needs_audio: ClassVar[bool] = True
    cacheable: ClassVar[bool] = True
    batch_size: int = 1

    def close(self) -> None:
        return None


def options_for(cls: type[BaseModel], name: str, options: dict[str, Any]) -> Any:
    """Validate captioner options, naming the bad one in one line."""
    try:
        return cls.model_validate(options)
    except ValidationError as e:
        err = e.errors()[0]
        fld = ".".join(str(p) for p in err["loc"])
        if err["type"] == "extra_forbidden":
            raise ConfigError(f"captioner '{name}' has no option '{fld}'; its options are: {', '.join(cls.model_fields)}") from None
        raise ConfigError(f"captioner '{name}', option '{fld}': {err['msg']}") from None


def per_clip(clips: Sequence[Clip], fn: Callable[[Clip], str]) -> list[CaptionResult]:
    """Apply ``fn`` clip by clip; an unusable clip fails alone: an AudioError, or any other
    error analysing that one clip (named, so it can be reported). Errors about the setup
    (a missing package, a bad option: AkbError) still stop the run."""
    from akb.core.errors import AkbError

    out: list[CaptionResult] = []
    for c in clips:
        try:
            out.append(fn(c))
        except AudioError as e:
            out.append(CaptionFailure(str(e)))
        except AkbError:
            raise
        except (ValueError, ArithmeticError, IndexError, MemoryError, RuntimeError) as e:
            out.append(CaptionFailure(f"{c.path or c.key}: could not be analysed ({type(e).__name__}: {e})"))
    return out


# --------------------------------------------------------------------------- registry
def register_captioner(name: str, target: str | type) -> None:
    """Register a captioner class (or its ``"module:Class"``) under a spec prefix."""
    BUILTIN[name] = target if isinstance(target, str) else f"{target.__module__}:{target.__qualname__}"


def available_captioners() -> dict[str, str]:
    out = dict(BUILTIN)
    for ep in entry_points(group="akb.captioners"):
        out.setdefault(ep.name, ep.value)
    return out


def _split_parts(spec: str) -> list[str]:
    return [p.strip() for p in spec.split("+") if p.strip()]


def create_captioner(spec: str, options: dict[str, Any] | None = None) -> Any:
    """Build a captioner from a spec. ``options`` apply to a single captioner; for a joined
    one, ``{"whisper": {...}, "dsp": {...}}`` or dotted ``"whisper.batch_size"`` keys."""
    spec = (spec or "").strip()
    if not spec:
        raise ConfigError("empty captioner spec; expected e.g. dsp, whisper:openai/whisper-large-v3, dsp+whisper:NAME")
    options = dict(options or {})
    parts = _split_parts(spec)
    if len(parts) > 1:
        from akb.audio.captioners.compose import ComposedCaptioner

        per: dict[str, dict[str, Any]] = {}
        for k, v in options.items():
            head, dot, rest = k.partition(".")
            if dot:
                per.setdefault(head, {})[rest] = v
            elif isinstance(v, dict):
                per.setdefault(k, {}).update(v)
            else:
                raise ConfigError(f"option '{k}' is ambiguous for a joined captioner; write NAME.{k}, e.g. whisper.{k}")
        names = [p.partition(":")[0].lower() for p in parts]
        unknown = set(per) - set(names)
        if unknown:
            raise ConfigError(f"options for {', '.join(sorted(unknown))}, which is not part of {spec!r}")
        return ComposedCaptioner([create_captioner(p, per.get(n)) for p, n in zip(parts, names, strict=True)])
    name, _, arg = spec.partition(":")
    name = name.strip().lower()
    table = available_captioners()
    if name not in table:
        raise ConfigError(f"unknown captioner '{name}'; known: {', '.join(sorted(table))}")
    module, _, attr = table[name].partition(":")
    cls = getattr(importlib.import_module(module), attr)
    return cls.from_spec(arg.strip(), options)


# --------------------------------------------------------------------------- cache
def default_caption_cache_path() -> Path:
    return cache_dir() / "captions.sqlite"


class CaptionCache:
    """Captions keyed on captioner identity + audio sha256 (akb's SQLite response cache)."""

    def __init__(self, path: str | Path | None = None) -> None:
        self._cache = ResponseCache(path or default_caption_cache_path())

    @staticmethod
    def key(identity: dict[str, Any], sha: str) -> str:
        return cache_key(identity, {"audio_sha256": sha})

    def get_many(self, keys: list[str]) -> dict[str, str]:
        return self._cache.get_many(keys)

    def put(self, key: str, identity: dict[str, Any], sha: str, caption: str) -> None:
        self._cache.put(key, identity, {"audio_sha256": sha}, caption)

    def close(self) -> None:
        self._cache.close()
