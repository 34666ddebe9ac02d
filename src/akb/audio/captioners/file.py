"""``file:CAPTIONS.jsonl``: captions you already have (from another system, or a previous
run's ``captions.jsonl``). One JSON object per line with the caption under ``caption``
(or ``text``) and the clip named by any of ``id``/``item_id``/``item_ids`` (benchmark item
ids), ``audio``/``audio_id``/``audio_path`` (the benchmark's path), or ``key``. A clip is
looked up by its items' ids, then its path (as written, without ``./``, file name, file
stem). It needs no audio file; a clip with no caption fails alone, naming the file.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path, PurePosixPath
from typing import Any, ClassVar

from akb.audio.captioners.base import BaseCaptioner, CaptionFailure, CaptionResult
from akb.audio.clip import Clip
from akb.core.errors import ConfigError, DataError
from akb.core.hashing import stable_hash
from akb.core.jsonl import iter_jsonl

ID_KEYS = ("id", "item_id", "item_ids", "audio", "audio_id", "audio_path", "key")


def _aliases(path: str) -> list[str]:
    p = path.strip()
    bare = p[2:] if p.startswith("./") else p
    pp = PurePosixPath(bare.replace("\\", "/"))
    return [p, bare, pp.name, pp.stem]


class FileCaptioner(BaseCaptioner):
    name: ClassVar[str] = "file"
    label: ClassVar[str] = "Description"
    needs_audio: ClassVar[bool] = False
    cacheable: ClassVar[bool] = False

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        self.batch_size = 1024
        self.index: dict[str, str] = {}
        for lineno, rec in iter_jsonl(self.path):
            text = rec.get("caption", rec.get("text"))
            if not isinstance(text, str) or not text.strip():
                raise DataError("expected a non-empty string", file=self.path, line=lineno, field="caption")
            names: list[str] = []
            for k in ID_KEYS:
                v = rec.get(k)
                if isinstance(v, list):
                    names.extend(str(x) for x in v)
                elif v is not None:
                    names.append(str(v))
            if not names:
                raise DataError(f"names no clip; give one of {', '.join(ID_KEYS)}", file=self.path, line=lineno)
            for n in names:
                for a in _aliases(n) if "/" in n or "." in n else [n]:
                    self.index.setdefault(a, text.strip())
        self._digest = stable_hash(sorted(self.index.items()), 16)

    @classmethod
    def from_spec(cls, arg: str, options: dict[str, Any] | None = None) -> FileCaptioner:
        if not arg:
            raise ConfigError("the file captioner needs a JSONL path: file:captions.jsonl")
        if options:
            raise ConfigError(f"the file captioner takes no options (got {', '.join(options)})")
        return cls(arg)

    def identity(self) -> dict[str, Any]:
        return {"captioner": "file", "path": str(self.path), "sha256": self._digest}

    def lookup(self, clip: Clip) -> str | None:
        for iid in clip.item_ids:
            if iid in self.index:
                return self.index[iid]
        for a in _aliases(clip.key):
            if a in self.index:
                return self.index[a]
        return None

    def caption(self, clips: Sequence[Clip]) -> list[CaptionResult]:
        out: list[CaptionResult] = []
        for c in clips:
            text = self.lookup(c)
            out.append(text if text is not None else CaptionFailure(f"{self.path}: no caption for {c.key} (items {', '.join(c.item_ids)})"))
        return out
