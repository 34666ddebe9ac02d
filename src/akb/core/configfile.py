"""Reading YAML config files safely: one mapping, or one clear error naming the file.

The file must be a regular UTF-8 text file of at most :data:`MAX_CONFIG_BYTES`. YAML is read
with the safe loader and with limits that make hostile input fail fast: at most
:data:`MAX_ALIASES` alias uses (a "billion laughs" alias bomb is refused before anything is
expanded), at most :data:`MAX_NODES` values once aliases are counted out, and at most
:data:`MAX_DEPTH` levels of nesting. Duplicate keys in one mapping are an error (YAML
silently keeps the last, hiding a typo).
"""

from __future__ import annotations

import stat
from pathlib import Path
from typing import Any

import yaml

from akb.core.errors import ConfigError

MAX_CONFIG_BYTES = 1 << 20
MAX_ALIASES = 100
MAX_NODES = 100_000
MAX_DEPTH = 50


class _LimitExceeded(yaml.YAMLError):
    pass


class _LimitedLoader(yaml.SafeLoader):
    """SafeLoader counting aliases, nodes and depth while composing (before constructing)."""

    def __init__(self, stream: str) -> None:
        super().__init__(stream)
        self._aliases = 0
        self._depth = 0

    def compose_node(self, parent: Any, index: Any) -> Any:
        if self.check_event(yaml.AliasEvent):
            self._aliases += 1
            if self._aliases > MAX_ALIASES:
                raise _LimitExceeded(f"more than {MAX_ALIASES} aliases (an alias bomb?)")
        self._depth += 1
        if self._depth > MAX_DEPTH:
            raise _LimitExceeded(f"nested more than {MAX_DEPTH} levels deep")
        try:
            return super().compose_node(parent, index)
        finally:
            self._depth -= 1

    def construct_mapping(self, node: Any, deep: bool = False) -> Any:
        if isinstance(node, yaml.MappingNode):
            seen: set[Any] = set()
            for key_node, _ in node.value:
                if isinstance(key_node, yaml.ScalarNode):
                    if key_node.value in seen and key_node.value != "<<":
                        raise yaml.constructor.ConstructorError(
                            None, None, f"duplicate key {key_node.value!r}", key_node.start_mark)
                    seen.add(key_node.value)
        return super().construct_mapping(node, deep=deep)


def _expanded_size(node: Any, budget: int) -> int:
    """Nodes in the tree with aliases expanded, counting no further than ``budget``."""
    count = 0
    stack = [node]
    while stack:
        n = stack.pop()
        count += 1
        if count > budget:
            return count
        if isinstance(n, yaml.SequenceNode):
            stack.extend(n.value)
        elif isinstance(n, yaml.MappingNode):
            for k, v in n.value:
                stack.append(k)
                stack.append(v)
    return count


def load_yaml_text(text: str) -> Any:
    """Parse YAML text under the limits above (raises yaml.YAMLError)."""
    loader = _LimitedLoader(text)
    try:
        node = loader.get_single_node()
        if node is None:
            return None
        if _expanded_size(node, MAX_NODES) > MAX_NODES:
            raise _LimitExceeded(f"more than {MAX_NODES} values once aliases are expanded")
        return loader.construct_document(node)
    finally:
        loader.dispose()


def read_config_text(path: str | Path, what: str = "config") -> str:
    """The text of a config file: a regular UTF-8 file of bounded size, else one ConfigError."""
    p = Path(path)
    try:
        st = p.stat()
    except FileNotFoundError:
        raise ConfigError(f"{p}: file not found") from None
    except OSError as e:
        raise ConfigError(f"{p}: cannot read the {what} ({e.strerror or e})") from None
    if stat.S_ISDIR(st.st_mode):
        raise ConfigError(f"{p}: is a directory, expected a YAML {what} file")
    if not stat.S_ISREG(st.st_mode):
        raise ConfigError(f"{p}: not a regular file (a FIFO or device?), expected a YAML {what} file")
    if st.st_size > MAX_CONFIG_BYTES:
        raise ConfigError(f"{p}: {st.st_size} bytes, over the {MAX_CONFIG_BYTES} byte limit for a {what} file")
    data = p.read_bytes()
    if b"\x00" in data:
        raise ConfigError(f"{p}: a binary file, expected a YAML {what} file")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as e:
        raise ConfigError(f"{p}: not UTF-8 text (byte 0x{data[e.start]:02x} at offset {e.start})") from None


def read_yaml_mapping(path: str | Path, what: str = "settings") -> dict[str, Any]:
    """The mapping in a YAML file (empty file: empty mapping)."""
    p = Path(path)
    text = read_config_text(p, what)
    try:
        raw = load_yaml_text(text)
    except yaml.YAMLError as e:
        raise ConfigError(f"{p}: not valid YAML ({' '.join(str(e).split())})") from None
    raw = raw if raw is not None else {}
    if not isinstance(raw, dict):
        raise ConfigError(f"{p}: expected a mapping of {what}, got {type(raw).__name__}")
    return raw
