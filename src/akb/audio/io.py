"""Reading audio clips: any format soundfile reads (wav, flac, mp3, ogg, ...), down-mixed to
mono float32 and resampled with soxr (a real band-limited resampler).

Every problem is one :class:`AudioError` naming the file, and fails only that clip's items.
Before a byte of audio is read (:func:`check_audio_file`, :func:`load_audio`):

* the path must be a regular file (not a FIFO, device, socket or folder; a link is followed
  and judged by its target) of at most ``MAX_BYTES``;
* the header must promise sane audio: 1 to ``MAX_CHANNELS`` channels, a rate of
  ``MIN_RATE``..``MAX_RATE`` Hz, at least one frame, at most ``max_seconds``, and (WAV) no
  more data than the file holds (a truncated file is refused, not read short);

and after reading, every sample must be finite and within ``MAX_ABS`` (a float WAV of 1e30
is refused). Paths taken from a benchmark file are resolved inside the benchmark's audio
root; a path that escapes it, a link pointing out included, is refused (:func:`resolve_in_root`).
"""

from __future__ import annotations

import os
import stat
import struct
from pathlib import Path

import numpy as np

from akb.core.errors import AkbError, MissingDependencyError

DEFAULT_SR = 16_000
MAX_SECONDS = 3600.0
MAX_BYTES = 2 << 30  # 2 GiB: an hour of 48 kHz stereo float32 is 1.4 GB
MAX_CHANNELS = 16
MIN_RATE, MAX_RATE = 1_000, 384_000
MAX_ABS = 64.0  # float files may exceed full scale a little; 1e30 is not audio


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


def check_audio_file(path: str | Path, *, max_bytes: int = MAX_BYTES) -> os.stat_result:
    """Refuse anything but a regular file of at most ``max_bytes`` without opening it (a FIFO
    would block the reader, a link to /dev/zero would never end)."""
    p = Path(path)
    try:
        st = p.stat()  # follows links: a link is judged by what it points to
    except FileNotFoundError:
        raise AudioError("audio file not found", file=p) from None
    except OSError as e:
        raise AudioError(f"cannot read the audio file ({e.strerror or e})", file=p) from None
    if stat.S_ISDIR(st.st_mode):
        raise AudioError("is a directory, expected an audio file", file=p)
    if not stat.S_ISREG(st.st_mode):
        kind = ("a FIFO" if stat.S_ISFIFO(st.st_mode) else "a device" if stat.S_ISCHR(st.st_mode) or stat.S_ISBLK(st.st_mode)
                else "a socket" if stat.S_ISSOCK(st.st_mode) else "not a regular file")
        raise AudioError(f"is {kind}, expected a regular audio file", file=p)
    if st.st_size == 0:
        raise AudioError("audio file holds no samples (0 bytes)", file=p)
    if st.st_size > max_bytes:
        raise AudioError(f"audio file is {st.st_size} bytes, over the {max_bytes} byte limit", file=p)
    return st


def _wav_header(p: Path, size: int) -> dict[str, int] | None:
    """What a RIFF/WAVE header claims (rate, channels, data bytes promised and present), read
    with struct so that absurd values are seen before any decoder trusts them; None for other
    formats."""
    out: dict[str, int] = {}
    try:
        with p.open("rb") as f:
            head = f.read(12)
            if len(head) < 12 or head[:4] != b"RIFF" or head[8:12] != b"WAVE":
                return None
            pos = 12
            for _ in range(64):  # chunks before 'data' (fmt, LIST, fact, ...)
                f.seek(pos)
                ch = f.read(8)
                if len(ch) < 8:
                    break
                cid, n = ch[:4], struct.unpack("<I", ch[4:])[0]
                if cid == b"fmt " and n in (16, 18, 40):  # other sizes: not a WAV header to trust
                    fmt = f.read(16)
                    if len(fmt) == 16:
                        _tag, channels, rate = struct.unpack("<HHI", fmt[:8])
                        out["channels"], out["rate"] = channels, rate
                elif cid == b"data":
                    if n not in (0, 0xFFFFFFFF):  # 0 / -1: a streamed file, length unknown
                        out["promised"], out["present"] = n, size - (pos + 8)
                    break
                pos += 8 + n + (n & 1)
    except OSError:
        return None
    return out


def _check_header(rate: int, channels: int, p: Path) -> None:
    if not MIN_RATE <= rate <= MAX_RATE:
        raise AudioError(f"the header claims a sample rate of {rate} Hz, outside {MIN_RATE}..{MAX_RATE} Hz", file=p)
    if not 1 <= channels <= MAX_CHANNELS:
        raise AudioError(f"the header claims {channels} channels; 1 to {MAX_CHANNELS} are allowed", file=p)


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
    st = check_audio_file(p)
    wav = _wav_header(p, st.st_size)
    if wav is not None:
        if "rate" in wav:
            _check_header(wav["rate"], wav["channels"], p)
        if wav.get("promised", 0) > wav.get("present", 0):
            raise AudioError(f"truncated: the header promises {wav['promised']} bytes of samples, "
                             f"the file holds {max(0, wav['present'])}", file=p)
    try:
        info = sf.info(str(p))
    except Exception as e:  # noqa: BLE001 - libsndfile raises several types
        raise AudioError(f"not a readable audio file ({str(e).strip() or type(e).__name__})", file=p) from None
    if info.frames <= 0:
        raise AudioError("audio file holds no samples", file=p)
    _check_header(info.samplerate, info.channels, p)
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
    peak = float(np.abs(data).max())
    if peak > MAX_ABS:
        raise AudioError(f"samples reach {peak:.3g}, far outside the audio range [-1, 1]", file=p)
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
