"""Several captioners joined: ``dsp+whisper:openai/whisper-large-v3``.

Each part captions on its own (and is cached on its own, so adding Whisper to a dsp run
reuses every dsp caption); the caption is the parts under their labels, one per line:

    Signal analysis: A 3.6-second clip that sounds like speech ...
    Speech transcript (en): The birch canoe slid on the smooth planks.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, ClassVar

from akb.audio.captioners.base import BaseCaptioner, CaptionFailure, CaptionResult
from akb.audio.clip import Clip


def join(labels: Sequence[str], captions: Sequence[str]) -> str:
    return "\n".join(f"{label}: {text}" for label, text in zip(labels, captions, strict=True))


class ComposedCaptioner(BaseCaptioner):
    name: ClassVar[str] = "compose"
    label: ClassVar[str] = "Description"

    def __init__(self, parts: Sequence[Any]) -> None:
        if len(parts) < 2:
            raise ValueError("a joined captioner needs at least two parts")
        self.parts = list(parts)
        self.batch_size = min(p.batch_size for p in self.parts)

    @property
    def needs_audio(self) -> bool:  # type: ignore[override]
        return any(p.needs_audio for p in self.parts)

    @property
    def cacheable(self) -> bool:  # type: ignore[override]
        return False  # the parts are cached, the join is free

    def identity(self) -> dict[str, Any]:
        return {"captioner": "compose", "parts": [p.identity() for p in self.parts]}

    def labels(self) -> list[str]:
        return [p.part_label() if hasattr(p, "part_label") else p.label for p in self.parts]

    def caption(self, clips: Sequence[Clip]) -> list[CaptionResult]:
        per_part = [p.caption(clips) for p in self.parts]
        return self.combine(per_part)

    def combine(self, per_part: Sequence[Sequence[CaptionResult]]) -> list[CaptionResult]:
        out: list[CaptionResult] = []
        labels = self.labels()
        for results in zip(*per_part, strict=True):
            failed = [(lab, r) for lab, r in zip(labels, results, strict=True) if isinstance(r, CaptionFailure)]
            if failed:
                lab, f = failed[0]
                out.append(CaptionFailure(f"{lab}: {f.message}", retryable=any(r.retryable for _, r in failed)))
            else:
                out.append(join(labels, [str(r) for r in results]))
        return out

    def close(self) -> None:
        for p in self.parts:
            p.close()
