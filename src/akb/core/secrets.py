"""Keeping secrets out of everything akb writes or prints.

:func:`scrub` is applied to every error text before it reaches a file (``samples.jsonl``,
``summary.json``), the cache or the console. It removes

* the values of the environment variables that hold keys: the well-known ones
  (:data:`KEY_ENV_VARS`) and any a backend was configured with (:func:`register_key_env`);
* key values registered directly (:func:`register_secret`);
* anything shaped like a credential: ``Bearer <token>``, ``sk-...`` / ``sk-ant-...`` keys,
  Google ``AIza...`` keys, Hugging Face ``hf_...`` tokens, and the values of ``api-key`` /
  ``x-api-key`` / ``x-goog-api-key`` / ``authorization`` fields and ``key=`` URL parameters.
"""

from __future__ import annotations

import os
import re
import threading

REDACTED = "[redacted]"

KEY_ENV_VARS: set[str] = {
    "OPENAI_API_KEY", "ANTHROPIC_API_KEY", "GEMINI_API_KEY", "GOOGLE_API_KEY", "HF_TOKEN",
    "HUGGING_FACE_HUB_TOKEN", "AKB_REVIEW_TOKEN",
}
_extra_values: set[str] = set()
_lock = threading.Lock()
# Shorter values (a local server's "EMPTY") are too likely to be ordinary words.
MIN_SECRET_LEN = 8

_PATTERNS = [
    # Authorization: Bearer xxx / Basic xxx (any quoting the body used)
    (re.compile(r"(?i)\b(bearer|basic)\s+[A-Za-z0-9._~+/=\-]{8,}"), r"\1 " + REDACTED),
    # header or JSON fields that carry keys: "x-api-key": "...", api_key=..., authorization: ...
    (re.compile(r"""(?i)\b((?:x-goog-api-key|x-api-key|api[-_]?key|authorization|access[-_]?token|token)"""
                r"""["']?\s*[:=]\s*["']?)(?!\[redacted\])[^\s"',;&}]{6,}"""), r"\1" + REDACTED),
    # ?key=... in URLs (Gemini's REST form)
    (re.compile(r"(?i)([?&]key=)[^&\s\"']+"), r"\1" + REDACTED),
    (re.compile(r"\bsk-(?:ant-)?[A-Za-z0-9_\-]{12,}"), REDACTED),
    (re.compile(r"\bAIza[0-9A-Za-z_\-]{20,}"), REDACTED),
    (re.compile(r"\bhf_[A-Za-z0-9]{20,}"), REDACTED),
]


def register_key_env(name: str | None) -> None:
    """Scrub the value of this environment variable too (a backend's ``api_key_env``)."""
    if name:
        with _lock:
            KEY_ENV_VARS.add(name)


def register_secret(value: str | None) -> None:
    """Scrub this literal value wherever it appears."""
    if value and len(value) >= MIN_SECRET_LEN:
        with _lock:
            _extra_values.add(value)


def secret_values() -> list[str]:
    with _lock:
        names = list(KEY_ENV_VARS)
        extra = list(_extra_values)
    vals = {os.environ.get(n, "") for n in names} | set(extra)
    # Longest first, so a key that contains another is removed whole.
    return sorted((v for v in vals if len(v) >= MIN_SECRET_LEN), key=len, reverse=True)


def scrub(text: str) -> str:
    """``text`` without secrets (see the module docstring)."""
    if not text:
        return text
    for v in secret_values():
        if v in text:
            text = text.replace(v, REDACTED)
    for pat, repl in _PATTERNS:
        text = pat.sub(repl, text)
    return text
