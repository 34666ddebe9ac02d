"""Console and error helpers shared by the CLI command modules."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml
from rich.console import Console

from akb.core.errors import ConfigError

console = Console(soft_wrap=True)
err_console = Console(stderr=True, soft_wrap=True)


def parse_options(pairs: list[str], flag: str = "--option") -> dict[str, Any]:
    """``KEY=VALUE`` pairs; values are read as YAML (numbers, booleans, lists, mappings)."""
    out: dict[str, Any] = {}
    for p in pairs:
        key, sep, value = p.partition("=")
        if not sep or not key:
            raise ConfigError(f"{flag} expects KEY=VALUE, got {p!r}")
        out[key.strip()] = yaml.safe_load(value)
    return out


def split_csv(values: list[str] | None) -> list[str] | None:
    """Repeated and comma-separated values, flattened."""
    if not values:
        return None
    return [v.strip() for x in values for v in x.split(",") if v.strip()]


def read_run_config(path: Path | None) -> dict[str, Any]:
    """A YAML run config as a dict ({} without one); one-line errors."""
    from akb.core.configfile import read_yaml_mapping

    return read_yaml_mapping(path, "run settings") if path else {}


def build_run_config(cls: Any, raw: dict[str, Any], overrides: dict[str, Any], *, source: Path | None,
                     cot: bool | None, no_cache: bool, no_progress: bool, overwrite: bool) -> Any:
    """Flags over a YAML run config, validated into ``cls`` with a one-line error."""
    from pydantic import ValidationError

    raw.update({k: v for k, v in overrides.items() if v is not None})
    if cot is not None:
        raw.setdefault("prompt", {})["cot"] = cot
    if no_cache:
        raw["use_cache"] = False
    if no_progress:
        raw["progress"] = False
    if overwrite:
        raw["overwrite"] = True
    try:
        return cls.model_validate(raw)
    except ValidationError as e:
        err = e.errors()[0]
        raise ConfigError(f"{source or 'options'}: field '{'.'.join(map(str, err['loc']))}': {err['msg']}") from None
