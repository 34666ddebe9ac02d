"""Errors users see. Each renders as one readable line; the CLI prints it and exits 2."""

from __future__ import annotations

from enum import Enum
from pathlib import Path


class AkbError(Exception):
    """Base class for errors caused by input, configuration or the environment."""


class DataError(AkbError):
    """Bad input data, located precisely: file, line (1-based) and field where known."""

    def __init__(
        self,
        message: str,
        *,
        file: str | Path | None = None,
        line: int | None = None,
        field: str | None = None,
    ) -> None:
        self.file = str(file) if file is not None else None
        self.line = line
        self.field = field
        self.message = message
        where = ""
        if self.file is not None:
            where = self.file
            if line is not None:
                where += f":{line}"
            where += ": "
        what = f"field '{field}': " if field else ""
        super().__init__(f"{where}{what}{message}")


class ConfigError(AkbError):
    """A bad model spec, run configuration or option combination."""


class BackendError(AkbError):
    """A backend could not be created or failed for good (not a retryable hiccup)."""


class AuthError(BackendError):
    """The server refused the credentials (HTTP 401/403). Final for the whole run: every
    further request would fail the same way, so the run stops and nothing is recorded.

    ``kind`` is the error-kind name the engine uses for run-stopping failures ("auth",
    "not-found", "protocol"); ``reason`` says more precisely what happened."""

    kind = "auth"
    reason = "auth"


class ProtocolError(BackendError):
    """The server answered, but not with something usable: the model does not exist there,
    it lacks a feature the run needs (log-probabilities), or a success body lacks what the
    protocol promises. Final for the whole run: it stops, and nothing is recorded."""

    kind = "protocol"
    reason = "protocol"


class ModelNotFoundError(ProtocolError):
    """HTTP 404: no such model (or route) on this server."""

    kind = "not-found"
    reason = "model-not-found"


class UnsupportedFeatureError(ProtocolError):
    """The server lacks a feature the run asked for (e.g. no log-probabilities)."""

    reason = "unsupported"


class MalformedResponseError(ProtocolError):
    """A success (2xx) body that parses but lacks what the protocol promises."""

    reason = "malformed"


class MissingDependencyError(AkbError):
    """An optional dependency is needed for what was asked."""

    def __init__(self, package: str, extra: str, purpose: str) -> None:
        super().__init__(
            f"{purpose} needs the '{package}' package: pip install -c constraints.txt 'akb[{extra}]'"
        )


class ResumeError(AkbError):
    """A run directory holds a different run than the one asked for."""


class ErrorKind(str, Enum):
    """How a failed request is handled. A backend classifies each failure; the engine acts:

    - ``retryable`` (rate limit, 5xx, timeout, after all retries): never recorded; the
      same command tries the item again;
    - ``final`` (this one request cannot succeed, e.g. a 400 for it): recorded as a wrong
      answer with the error;
    - ``auth`` (401/403), ``not-found`` (no such model), ``protocol`` (a success body
      without what was asked, e.g. no logprobs): the run stops at once with one error
      and a non-zero exit; nothing is recorded.
    """

    RETRYABLE = "retryable"
    FINAL = "final"
    AUTH = "auth"
    NOT_FOUND = "not-found"
    PROTOCOL = "protocol"

    @property
    def stops_run(self) -> bool:
        return self in (ErrorKind.AUTH, ErrorKind.NOT_FOUND, ErrorKind.PROTOCOL)

    @property
    def recorded(self) -> bool:
        """Whether a sample with this failure is written (as a wrong answer)."""
        return self is ErrorKind.FINAL

    @classmethod
    def of(cls, error: str | None) -> ErrorKind | None:
        """The kind of an error text ``"KIND: message"``; an unprefixed error is final."""
        if not error:
            return None
        head = error.split(":", 1)[0].strip()
        try:
            return cls(head)
        except ValueError:
            return cls.FINAL


class RunStopped(AkbError):
    """A failure that no other item can get past (bad key, unknown model, a server that
    lacks a feature the run needs): the run stops and nothing of it is recorded."""

    def __init__(self, kind: ErrorKind, message: str) -> None:
        self.kind = kind
        super().__init__(f"run stopped ({kind.value}): {message}")


class RunLocked(AkbError):
    """Another process holds the run directory."""
