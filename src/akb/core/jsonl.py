"""JSONL reading with precise errors, and crash-safe appending.

An appended record is one ``os.write`` of one complete line on an ``O_APPEND`` descriptor,
so a killed process leaves either the whole line or (if the kernel was stopped mid-write,
e.g. a power cut) a final fragment without a newline, which :func:`repair_tail` removes.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from akb.core.errors import DataError

MAX_JSON_DEPTH = 64  # the deepest nesting any akb input has is 5


class JsonShapeError(ValueError):
    """JSON that parses but is refused: a key given twice, or nesting deeper than allowed."""


def _no_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for k, v in pairs:
        if k in out:
            raise JsonShapeError(f"key {k!r} appears twice in one object")
        out[k] = v
    return out


def _depth_ok(text: str, limit: int) -> bool:
    """Whether brackets outside strings nest at most ``limit`` deep (a linear scan, no recursion)."""
    depth = 0
    in_str = esc = False
    for ch in text:
        if in_str:
            if esc:
                esc = False
            elif ch == "\\":
                esc = True
            elif ch == '"':
                in_str = False
        elif ch == '"':
            in_str = True
        elif ch in "[{":
            depth += 1
            if depth > limit:
                return False
        elif ch in "]}":
            depth -= 1
    return True


def loads_strict(text: str, *, max_depth: int = MAX_JSON_DEPTH) -> Any:
    """``json.loads`` that refuses duplicate keys and nesting deeper than ``max_depth``
    (:class:`JsonShapeError`); a syntax error is ``json.JSONDecodeError`` as usual."""
    if text.count("[") + text.count("{") > max_depth and not _depth_ok(text, max_depth):
        raise JsonShapeError(f"nested more than {max_depth} levels deep")
    return json.loads(text, object_pairs_hook=_no_duplicates)


MAX_INPUT_BYTES = 4 << 30


def check_input_file(p: Path, what: str, max_bytes: int = MAX_INPUT_BYTES) -> None:
    """A data file must be a regular file (a FIFO would block, a device never end)."""
    import stat

    try:
        st = p.stat()
    except FileNotFoundError:
        raise DataError("file not found", file=p) from None
    except OSError as e:
        raise DataError(f"cannot read the file ({e.strerror or e})", file=p) from None
    if stat.S_ISDIR(st.st_mode):
        raise DataError(f"is a directory, expected {what}", file=p)
    if not stat.S_ISREG(st.st_mode):
        raise DataError(f"not a regular file (a FIFO or device?), expected {what}", file=p)
    if st.st_size > max_bytes:
        raise DataError(f"{st.st_size} bytes, over the {max_bytes} byte limit", file=p)


def iter_jsonl(path: str | Path) -> Iterator[tuple[int, dict[str, Any]]]:
    """Yield (line number, object) for each non-blank line; raise DataError on bad lines."""
    p = Path(path)
    check_input_file(p, "a JSONL file")
    try:
        raw = p.read_bytes()
    except FileNotFoundError:
        raise DataError("file not found", file=p) from None
    except IsADirectoryError:
        raise DataError("is a directory, expected a JSONL file", file=p) from None
    except OSError as e:
        raise DataError(f"cannot read the file ({e.strerror or e})", file=p) from None
    for lineno, bline in enumerate(raw.split(b"\n"), start=1):
        if not bline.strip():
            continue
        try:
            line = bline.decode("utf-8")
        except UnicodeDecodeError as e:
            raise DataError(
                f"not valid UTF-8 (byte 0x{bline[e.start]:02x} at column {e.start + 1})",
                file=p,
                line=lineno,
            ) from None
        try:
            obj = loads_strict(line)
        except json.JSONDecodeError as e:
            raise DataError(f"not valid JSON ({e.msg} at column {e.colno})", file=p, line=lineno) from None
        except JsonShapeError as e:
            raise DataError(f"refused JSON: {e}", file=p, line=lineno) from None
        if not isinstance(obj, dict):
            raise DataError(f"expected a JSON object, got {type(obj).__name__}", file=p, line=lineno)
        yield lineno, obj


def dumps_line(obj: Any) -> bytes:
    return (json.dumps(obj, ensure_ascii=False, default=str) + "\n").encode("utf-8")


def repair_tail(path: str | Path) -> int:
    """Drop a trailing partial line (no final newline). Returns bytes removed."""
    p = Path(path)
    if not p.exists():
        return 0
    with p.open("rb+") as f:
        f.seek(0, os.SEEK_END)
        size = f.tell()
        if size == 0:
            return 0
        f.seek(size - 1)
        if f.read(1) == b"\n":
            return 0
        # Walk back to the last newline.
        pos = size - 1
        step = 4096
        while pos > 0:
            start = max(0, pos - step)
            f.seek(start)
            chunk = f.read(pos - start)
            idx = chunk.rfind(b"\n")
            if idx >= 0:
                keep = start + idx + 1
                break
            pos = start
        else:
            keep = 0
        f.truncate(keep)
        return size - keep


class JsonlAppender:
    """Appends whole lines atomically with respect to process death."""

    def __init__(self, path: str | Path, fsync_every: int = 0) -> None:
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._fd = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
        self._fsync_every = fsync_every
        self._since_sync = 0

    def write(self, obj: Any) -> None:
        data = dumps_line(obj)
        view = memoryview(data)
        while view:
            n = os.write(self._fd, view)
            view = view[n:]
        self._since_sync += 1
        if self._fsync_every and self._since_sync >= self._fsync_every:
            os.fsync(self._fd)
            self._since_sync = 0

    def close(self) -> None:
        if self._fd >= 0:
            os.fsync(self._fd)
            os.close(self._fd)
            self._fd = -1

    def __enter__(self) -> JsonlAppender:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def write_json_atomic(path: str | Path, obj: Any) -> None:
    """Write JSON (or text) via a temp file + rename, so readers never see half a file."""
    p = Path(path)
    p.parent.mkdir(parents=True, exist_ok=True)
    tmp = p.with_name(f".{p.name}.tmp-{os.getpid()}")
    text = obj if isinstance(obj, str) else json.dumps(obj, indent=2, ensure_ascii=False, default=str) + "\n"
    tmp.write_text(text, encoding="utf-8")
    os.replace(tmp, p)
