"""Audio input and captioners: reading clips safely, describing them as text.

What a plugin author implements and uses: :class:`Captioner` (the protocol) and
:class:`BaseCaptioner`, :class:`CaptionFailure`, :class:`Clip` (a clip with its audio I/O),
:func:`load_audio` / :class:`AudioError`, :func:`register_captioner` (or an
``akb.captioners`` entry point) and :func:`create_captioner`. Importing this package does
not import torch.
"""

from akb.audio.captioners.base import (
    BaseCaptioner,
    Captioner,
    CaptionFailure,
    available_captioners,
    create_captioner,
    register_captioner,
)
from akb.audio.clip import Clip, clips_for
from akb.audio.io import AudioError, load_audio

__all__ = [
    "AudioError",
    "BaseCaptioner",
    "CaptionFailure",
    "Captioner",
    "Clip",
    "available_captioners",
    "clips_for",
    "create_captioner",
    "load_audio",
    "register_captioner",
]
