"""Captioning many clips: cache first, then the captioner in batches, failures per clip.

A clip that cannot be read fails alone (its items are counted as failed and the run goes
on); a failure is never cached, so the next run tries it again.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from akb.audio.captioners.base import CaptionCache, CaptionFailure, CaptionResult
from akb.audio.clip import Clip
from akb.audio.io import AudioError


@dataclass
class CaptionOutcome:
    caption: str | None = None
    error: str | None = None
    retryable: bool = False

    @property
    def ok(self) -> bool:
        return self.caption is not None


def _run_one(captioner: Any, clips: Sequence[Clip], cache: CaptionCache | None,
             advance: Callable[[int], None]) -> list[CaptionResult]:
    """One (non-composed) captioner over clips, through the cache."""
    results: list[CaptionResult | None] = [None] * len(clips)
    identity = captioner.identity()
    keys: dict[int, tuple[str, str]] = {}
    todo: list[int] = []
    for i, c in enumerate(clips):
        if captioner.needs_audio and c.path is None:
            results[i] = CaptionFailure(str(AudioError(c.error or "no audio file", file=c.key)))
            continue
        if cache is not None and captioner.cacheable:
            try:
                sha = c.sha256()
            except AudioError as e:
                results[i] = CaptionFailure(str(e))
                continue
            keys[i] = (CaptionCache.key(identity, sha), sha)
        todo.append(i)
    if cache is not None and keys:
        hits = cache.get_many([k for k, _ in keys.values()])
        still = []
        for i in todo:
            k = keys.get(i)
            if k and k[0] in hits:
                results[i] = hits[k[0]]
            else:
                still.append(i)
        todo = still
    advance(len(clips) - len(todo))
    size = max(1, int(captioner.batch_size))
    for s in range(0, len(todo), size):
        idx = todo[s : s + size]
        batch = [clips[i] for i in idx]
        try:
            got = captioner.caption(batch)
        except AudioError as e:  # a batch captioner that could not isolate the bad clip
            got = [CaptionFailure(str(e))] * len(batch)
        for i, r in zip(idx, got, strict=True):
            if isinstance(r, str) and not r.strip():
                r = CaptionFailure("the captioner returned an empty caption")
            results[i] = r
            if isinstance(r, str) and cache is not None and i in keys:
                cache.put(keys[i][0], identity, keys[i][1], r)
        for c in batch:
            c.release()
        advance(len(idx))
    return [r if r is not None else CaptionFailure("not captioned") for r in results]


def caption_clips(captioner: Any, clips: Sequence[Clip], cache: CaptionCache | None = None,
                  advance: Callable[[int], None] | None = None) -> dict[str, CaptionOutcome]:
    """Caption every clip; returns outcomes by clip key."""
    adv = advance or (lambda n: None)
    parts = getattr(captioner, "parts", None)
    if parts:
        per_part = []
        for j, p in enumerate(parts):
            # progress counts clips once: only the last part advances the bar
            per_part.append(_run_one(p, clips, cache, adv if j == len(parts) - 1 else (lambda n: None)))
        results = captioner.combine(per_part)
    else:
        results = _run_one(captioner, clips, cache, adv)
    out: dict[str, CaptionOutcome] = {}
    for c, r in zip(clips, results, strict=True):
        if isinstance(r, CaptionFailure):
            out[c.key] = CaptionOutcome(error=r.message, retryable=r.retryable)
        else:
            out[c.key] = CaptionOutcome(caption=r)
    return out
