"""Errors users see. Each renders as one readable line; the CLI prints it and exits 2."""

from __future__ import annotations

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


class MissingDependencyError(AkbError):
    """An optional dependency is needed for what was asked."""

    def __init__(self, package: str, extra: str, purpose: str) -> None:
        super().__init__(
            f"{purpose} needs the '{package}' package: pip install -c constraints.txt 'akb[{extra}]'"
        )


class ResumeError(AkbError):
    """A run directory holds a different run than the one asked for."""
