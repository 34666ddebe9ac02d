"""Text LLM backends. What a plugin author implements and uses:

- :class:`Backend` (the protocol), :class:`BaseBackend` / :class:`AsyncBackend` /
  :class:`StreamingBackend` (bases with the defaults; a local engine yields batches), declaring ``name``, ``supports_logprobs`` and ``chooses_option``;
- :class:`ChatRequest`, :class:`Message`, :class:`MCQ` in, :class:`Response` out, with
  :class:`~akb.core.errors.ErrorKind` on failures;
- :func:`register_backend` (or an ``akb.backends`` entry point), :func:`create_backend`.

Everything else in this package is private by convention.
"""

from akb.core.errors import ErrorKind
from akb.models.base import (
    MCQ,
    AsyncBackend,
    Backend,
    BaseBackend,
    ChatRequest,
    Message,
    Mode,
    Response,
    StreamingBackend,
)
from akb.models.registry import available_backends, create_backend, register_backend
from akb.models.spec import ModelConfig, parse_model_spec

__all__ = [
    "MCQ",
    "AsyncBackend",
    "Backend",
    "BaseBackend",
    "ChatRequest",
    "ErrorKind",
    "Message",
    "Mode",
    "ModelConfig",
    "Response",
    "StreamingBackend",
    "available_backends",
    "create_backend",
    "parse_model_spec",
    "register_backend",
]
