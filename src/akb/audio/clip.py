"""A clip of a benchmark run: where its audio is, which items use it, its samples loaded once."""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

import numpy as np

from akb.audio.io import DEFAULT_SR, AudioError, check_audio_file, load_audio, resolve_in_root


@dataclass
class Clip:
    """One clip of a benchmark run (to caption, or to answer about): its id as the benchmark
    names it, the resolved file (None when the path could not be resolved; ``error`` says
    why) and the items that use it."""

    key: str
    path: Path | None
    item_ids: list[str] = field(default_factory=list)
    error: str | None = None
    _sha: str | None = None
    _audio: dict[tuple[int | None, bool], tuple[np.ndarray, int]] = field(default_factory=dict, repr=False)

    def sha256(self) -> str:
        """sha256 of the file's bytes: the caption cache key (with the captioner identity)."""
        if self._sha is None:
            if self.path is None:
                raise AudioError(self.error or "no audio file", file=self.key)
            h = hashlib.sha256()
            check_audio_file(self.path)  # never open a FIFO or a device
            try:
                with open(self.path, "rb") as f:
                    for block in iter(lambda: f.read(1 << 20), b""):
                        h.update(block)
            except FileNotFoundError:
                raise AudioError("audio file not found", file=self.path) from None
            except IsADirectoryError:
                raise AudioError("is a directory, expected an audio file", file=self.path) from None
            self._sha = h.hexdigest()
        return self._sha

    def load(self, sr: int | None = DEFAULT_SR, mono: bool = True) -> tuple[np.ndarray, int]:
        """The samples (float32), loaded once per (rate, mono) and kept for other captioners."""
        if self.path is None:
            raise AudioError(self.error or "no audio file", file=self.key)
        k = (sr, mono)
        if k not in self._audio:
            self._audio[k] = load_audio(self.path, sr=sr, mono=mono)
        return self._audio[k]

    def release(self) -> None:
        self._audio.clear()


class _HasAudio(Protocol):
    id: str
    audio: str


def clips_for(items: Sequence[_HasAudio], root: str | Path) -> dict[str, Clip]:
    """One Clip per distinct audio path of a benchmark's items (cascade and grounded runs);
    a path escaping the root is a clip with an error, so only its items fail."""
    clips: dict[str, Clip] = {}
    for it in items:
        c = clips.get(it.audio)
        if c is None:
            try:
                path: Path | None = resolve_in_root(root, it.audio)
                err = None
            except AudioError as e:
                path, err = None, str(e)
            c = clips[it.audio] = Clip(key=it.audio, path=path, error=err)
        c.item_ids.append(it.id)
    return clips
