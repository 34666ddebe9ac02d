"""Reading YAML config files: one mapping, or one clear error naming the file."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from akb.core.errors import ConfigError


def read_yaml_mapping(path: str | Path, what: str = "settings") -> dict[str, Any]:
    """The mapping in a YAML file (empty file: empty mapping)."""
    p = Path(path)
    try:
        raw = yaml.safe_load(p.read_text(encoding="utf-8")) or {}
    except FileNotFoundError:
        raise ConfigError(f"{p}: file not found") from None
    except yaml.YAMLError as e:
        raise ConfigError(f"{p}: not valid YAML ({e})") from None
    if not isinstance(raw, dict):
        raise ConfigError(f"{p}: expected a mapping of {what}")
    return raw
