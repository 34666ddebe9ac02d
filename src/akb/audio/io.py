"""Reading audio clips: any format soundfile reads (wav, flac, mp3, ogg, ...), down-mixed to
mono float32 and resampled with soxr (a real band-limited resampler).

Every problem is one :class:`AudioError` naming the file: unreadable, empty, silent-length
zero, or longer than ``max_seconds``. Paths taken from a benchmark file are resolved inside
the benchmark's audio root; a path that escapes it is refused (:func:`resolve_in_root`).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from akb.core.errors import AkbError, MissingDependencyError

DEFAULT_SR = 16_000
MAX_SECONDS = 3600.0


class AudioError(AkbError):
    """A clip that cannot be used: missing, unreadable, empty, too long, or outside its root."""

    def __init__(self, message: str, *, file: str | Path | None = None) -> None:
        self.file = str(file) if file is not None else None
        super().__init__(f"{file}: {message}" if file is not None else message)


def resolve_in_root(root: str | Path, rel: str | Path) -> Path:
    """``root / rel``, refusing absolute paths and anything that resolves outside ``root``
    (``..`` components or symlinks pointing out)."""
    rel_s = str(rel)
    if not rel_s.strip():
        raise AudioError("empty audio path")
    if Path(rel_s).is_absolute() or rel_s.startswith(("/", "\\")) or (len(rel_s) > 1 and rel_s[1] == ":"):
        raise AudioError(f"absolute audio path {rel_s!r} is refused; paths are relative to the audio root {root}")
    base = Path(root).resolve()
    target = (base / rel_s).resolve()
    if target != base and base not in target.parents:
        raise AudioError(f"audio path {rel_s!r} escapes the audio root {root}")
    return target


def load_audio(
    path: str | Path,
    *,
    sr: int | None = DEFAULT_SR,
    mono: bool = True,
    max_seconds: float | None = MAX_SECONDS,
) -> tuple[np.ndarray, int]:
    """Read ``path`` as float32 in [-1, 1]; mono (channel mean) unless ``mono=False``
    (then shape (frames, channels)); resampled to ``sr`` unless ``sr`` is None.
    Returns (samples, sample_rate)."""
    try:
        import soundfile as sf
    except ImportError:  # pragma: no cover - soundfile is a core dependency
        raise MissingDependencyError("soundfile", "audio", "reading audio") from None
    p = Path(path)
    if not p.exists():
        raise AudioError("audio file not found", file=p)
    if p.is_dir():
        raise AudioError("is a directory, expected an audio file", file=p)
    try:
        info = sf.info(str(p))
    except Exception as e:  # noqa: BLE001 - libsndfile raises several types
        raise AudioError(f"not a readable audio file ({str(e).strip() or type(e).__name__})", file=p) from None
    if info.frames <= 0 or info.samplerate <= 0:
        raise AudioError("audio file holds no samples", file=p)
    seconds = info.frames / info.samplerate
    if max_seconds is not None and seconds > max_seconds:
        raise AudioError(f"audio is {seconds:.0f} s long, over the {max_seconds:.0f} s limit", file=p)
    try:
        data, rate = sf.read(str(p), dtype="float32", always_2d=True)
    except Exception as e:  # noqa: BLE001
        raise AudioError(f"audio could not be decoded ({str(e).strip() or type(e).__name__})", file=p) from None
    if data.size == 0:
        raise AudioError("audio file holds no samples", file=p)
    if not np.isfinite(data).all():
        raise AudioError("audio holds NaN or infinite samples", file=p)
    out = data.mean(axis=1) if mono else data
    if sr is not None and rate != sr:
        out = resample(out, rate, sr)
        rate = sr
    return np.ascontiguousarray(out, dtype=np.float32), int(rate)


def resample(x: np.ndarray, sr_in: int, sr_out: int) -> np.ndarray:
    """Band-limited resampling (soxr, high quality); works on 1-D or (frames, channels)."""
    if sr_in == sr_out:
        return x.astype(np.float32, copy=False)
    try:
        import soxr
    except ImportError:  # pragma: no cover
        raise MissingDependencyError("soxr", "audio", "resampling audio") from None
    return soxr.resample(x.astype(np.float32, copy=False), sr_in, sr_out, quality="HQ").astype(np.float32)
