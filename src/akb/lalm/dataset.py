"""Reading self-distillation records for training, and a data order that resumes exactly.

The records (``akb ground build-data`` output or DeSTA-AQA5M-style JSONL) are scanned once:
every line is checked and only its file offset is kept, so millions of records cost a few
bytes each. A record whose generation failed (``error``) or whose response is empty is
skipped and counted; a malformed one is a :class:`DataError` naming file, line and field.

The order of an epoch is a permutation drawn from (seed, epoch) alone, split across data-
parallel ranks; :class:`EpochBatchSampler` can start an epoch after any number of batches,
which is what makes a mid-epoch resume continue the very same sequence of batches.
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import torch
from pydantic import ValidationError

from akb.audio.io import load_audio, resolve_in_root
from akb.core.errors import DataError
from akb.core.results import SAMPLES_FILE
from akb.lalm.data import DistillRecord
from akb.lalm.processor import SAMPLING_RATE, DestaProcessor, Encoded


def data_files(paths: list[str]) -> list[Path]:
    """Files named directly, plus every ``samples.jsonl`` below a named folder (sorted)."""
    out: list[Path] = []
    for raw in paths:
        p = Path(raw).expanduser()
        if p.is_dir():
            found = sorted(p.rglob(SAMPLES_FILE))
            if not found:
                raise DataError(f"no {SAMPLES_FILE} below this folder", file=p)
            out += found
        elif p.is_file():
            out.append(p)
        else:
            raise DataError("training data not found", file=p)
    return out


@dataclass
class ScanStats:
    records: int = 0
    skipped_error: int = 0
    skipped_empty: int = 0


def _check(obj: Any, file: Path, lineno: int, locator: str) -> DistillRecord:
    try:
        rec = DistillRecord.model_validate(obj)
    except ValidationError as e:
        err = e.errors()[0]
        raise DataError(err["msg"], file=file, line=lineno, field=".".join(map(str, err["loc"])) or None) from None
    try:
        rec.audio(locator)
    except ValueError as e:
        raise DataError(str(e), file=file, line=lineno, field="messages") from None
    return rec


class DistillDataset(torch.utils.data.Dataset):
    """Items are ``(Encoded, waveform)`` pairs, ready for :meth:`DestaProcessor.collate`."""

    def __init__(self, paths: list[str], audio_root: str | Path, processor: DestaProcessor,
                 max_response_tokens: int = 300) -> None:
        self.files = data_files(paths)
        self.audio_root = Path(audio_root)
        self.processor = processor
        self.max_response_tokens = max_response_tokens
        self.stats = ScanStats()
        file_idx: list[int] = []
        offsets: list[int] = []
        locator = processor.config.audio_locator
        for fi, f in enumerate(self.files):
            offset = 0
            with f.open("rb") as fh:
                for lineno, line in enumerate(fh, start=1):
                    start, offset = offset, offset + len(line)
                    if not line.strip():
                        continue
                    try:
                        obj = json.loads(line)
                    except (ValueError, UnicodeDecodeError) as e:
                        raise DataError(f"not valid JSON ({e})", file=f, line=lineno) from None
                    if not isinstance(obj, dict):
                        raise DataError("expected a JSON object", file=f, line=lineno)
                    if obj.get("error"):
                        self.stats.skipped_error += 1
                        continue
                    rec = _check(obj, f, lineno, locator)
                    if not rec.response.strip():
                        self.stats.skipped_empty += 1
                        continue
                    file_idx.append(fi)
                    offsets.append(start)
        if not offsets:
            raise DataError(f"no usable training records in {', '.join(map(str, self.files))}")
        self.stats.records = len(offsets)
        self._file_idx = np.asarray(file_idx, dtype=np.int32)
        self._offsets = np.asarray(offsets, dtype=np.int64)

    def __len__(self) -> int:
        return len(self._offsets)

    def record(self, i: int) -> DistillRecord:
        f = self.files[int(self._file_idx[i])]
        with f.open("rb") as fh:
            fh.seek(int(self._offsets[i]))
            return DistillRecord.model_validate(json.loads(fh.readline()))

    def __getitem__(self, i: int) -> tuple[Encoded, np.ndarray]:
        rec = self.record(i)
        audio, transcript = rec.audio(self.processor.config.audio_locator)
        wave, _ = load_audio(resolve_in_root(self.audio_root, audio), sr=SAMPLING_RATE)
        enc = self.processor.encode(rec.chat(), transcript, rec.response, self.max_response_tokens)
        return enc, wave

    def collate(self, items: list[tuple[Encoded, np.ndarray]]) -> dict[str, torch.Tensor]:
        return self.processor.collate([e for e, _ in items], [w for _, w in items])


class EpochBatchSampler(torch.utils.data.Sampler[list[int]]):
    """Batches of one data-parallel rank for one epoch, from a (seed, epoch) permutation.

    Every rank gets the same number of batches (the permutation is padded by wrapping
    around); :meth:`start` chooses the epoch and how many batches to skip.
    """

    def __init__(self, n: int, batch_size: int, *, seed: int, rank: int = 0, world: int = 1) -> None:
        self.n, self.batch_size, self.seed, self.rank, self.world = n, batch_size, seed, rank, world
        self.epoch, self.skip = 0, 0

    def start(self, epoch: int, skip: int = 0) -> None:
        self.epoch, self.skip = epoch, skip

    @property
    def per_rank(self) -> int:
        return math.ceil(self.n / self.world)

    def __len__(self) -> int:
        """Batches per epoch for this rank (ignoring ``skip``)."""
        return math.ceil(self.per_rank / self.batch_size)

    def __iter__(self) -> Iterator[list[int]]:
        g = torch.Generator().manual_seed(self.seed * 1_000_003 + self.epoch)
        perm = torch.randperm(self.n, generator=g).tolist()
        total = self.per_rank * self.world
        perm = (perm * math.ceil(total / self.n))[:total]
        mine = perm[self.rank::self.world]
        for b in range(self.skip, len(self)):
            yield mine[b * self.batch_size:(b + 1) * self.batch_size]
