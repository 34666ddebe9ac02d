"""A small fake-API HTTP server for testing the network backends over real HTTP.

One :class:`FakeAPIServer` speaks three dialects on 127.0.0.1 (port 0, a background thread):

* OpenAI chat completions: ``POST /v1/chat/completions`` (with ``top_logprobs`` over the
  letters A-D when the request asks for ``"logprobs": true``);
* Anthropic messages: ``POST /v1/messages``;
* Gemini: ``POST .../models/{model}:generateContent`` (google-genai 3.6 with
  ``HttpOptions(base_url=...)`` posts to ``{base_url}/v1/models/{model}:generateContent``
  and sends the key as ``x-goog-api-key``; other SDK versions may use ``/v1beta``, so any
  prefix is accepted).

What the next requests get is scripted with :meth:`FakeAPIServer.plan`: a queue of
:class:`Behaviour` values, consumed one per request, after which ``default`` applies (a
normal success unless changed). Every request is recorded (method, path, headers, parsed
body) in :attr:`FakeAPIServer.requests`. The answer text comes from ``answer``, a function
of the recorded request (default: always ``"B"``).

The server lives at most ``lifetime_s`` seconds (a watchdog shuts it down), and a delayed
response waits on an event that :meth:`stop` sets, so a fixture teardown never hangs.
Use the ``fake_api`` fixture from ``tests/models/test_api_backends.py`` or :func:`serve`.
"""

from __future__ import annotations

import json
import re
import threading
import time
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

LETTERS = ("A", "B", "C", "D")


@dataclass(frozen=True)
class Behaviour:
    """What the server does with one request.

    kind: "ok" (a valid answer), "status" (an error status with a JSON error body),
    "delay" (wait ``seconds``, then answer normally; the client has usually given up),
    "malformed" (HTTP 200, JSON content type, body ``{not json``),
    "no_logprobs" (a valid OpenAI answer without log-probabilities),
    "echo" (an error status whose body echoes every request header, the key included),
    "raw" (``status`` with ``body`` verbatim, e.g. a success body without ``message``).
    """

    kind: str = "ok"
    status: int = 200
    seconds: float = 0.0
    retry_after: str | None = None
    body: bytes = b""


OK = Behaviour("ok")
MALFORMED = Behaviour("malformed")
NO_LOGPROBS = Behaviour("no_logprobs")


def status(code: int, retry_after: str | None = None) -> Behaviour:
    """An error response; 429 gets ``Retry-After: 0`` unless told otherwise."""
    if code == 429 and retry_after is None:
        retry_after = "0"
    return Behaviour("status", status=code, retry_after=retry_after)


def echo(code: int) -> Behaviour:
    """An error status whose body repeats the request's headers (Authorization included)."""
    return Behaviour("echo", status=code)


def raw(code: int, body: Any) -> Behaviour:
    """``code`` with ``body`` (bytes, or anything JSON-serialisable) verbatim."""
    data = body if isinstance(body, bytes) else json.dumps(body).encode()
    return Behaviour("raw", status=code, body=data)


def delay(seconds: float) -> Behaviour:
    return Behaviour("delay", seconds=seconds)


class _QuietServer(ThreadingHTTPServer):
    def handle_error(self, request: Any, client_address: Any) -> None:
        """A client that hung up (a timeout, a stopped run) is not news; stay quiet on stderr,
        which in-process CLI tests capture."""
        return


@dataclass
class Recorded:
    method: str
    path: str
    headers: dict[str, str]  # lower-cased names
    body: Any  # parsed JSON, or the raw text when it is not JSON
    time: float = field(default_factory=time.monotonic)

    def prompt_text(self) -> str:
        """All text the request carried (messages, system, contents), joined."""
        out: list[str] = []

        def walk(v: Any) -> None:
            if isinstance(v, str):
                out.append(v)
            elif isinstance(v, list):
                for x in v:
                    walk(x)
            elif isinstance(v, dict):
                for k, x in v.items():
                    if k in ("content", "text", "system", "parts", "messages", "contents",
                             "systemInstruction", "system_instruction"):
                        walk(x)

        walk(self.body if isinstance(self.body, dict) else {})
        return "\n".join(out)


Answer = Callable[[Recorded], str]

_GEMINI = re.compile(r"/models/(?P<model>[^/:]+):generateContent$")


class FakeAPIServer:
    def __init__(self, *, lifetime_s: float = 60.0, answer: Answer | None = None) -> None:
        self.answer: Answer = answer or (lambda _req: "B")
        self.default: Behaviour = OK
        self.requests: list[Recorded] = []
        self.log_probs: Callable[[str], dict[str, float]] = default_logprobs
        self._plan: deque[Behaviour] = deque()
        self._lock = threading.Lock()
        self._stopping = threading.Event()
        self._lifetime_s = lifetime_s
        self._httpd = _QuietServer(("127.0.0.1", 0), _make_handler(self))
        self._httpd.daemon_threads = True
        self._thread = threading.Thread(target=self._httpd.serve_forever, kwargs={"poll_interval": 0.05},
                                        name="fake-api", daemon=True)
        self._watchdog = threading.Timer(lifetime_s, self.stop)
        self._watchdog.daemon = True
        self._stopped = False

    # ------------------------------------------------------------------ lifecycle
    def start(self) -> FakeAPIServer:
        self._thread.start()
        self._watchdog.start()
        return self

    def stop(self) -> None:
        with self._lock:
            if self._stopped:
                return
            self._stopped = True
        self._stopping.set()  # release delayed handlers at once
        self._watchdog.cancel()
        self._httpd.shutdown()
        self._httpd.server_close()
        if threading.current_thread() is not self._thread:
            self._thread.join(timeout=5)

    @property
    def port(self) -> int:
        return int(self._httpd.server_address[1])

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def openai_base_url(self) -> str:
        return f"{self.url}/v1"

    # ------------------------------------------------------------------ scripting
    def plan(self, *behaviours: Behaviour | Iterable[Behaviour]) -> FakeAPIServer:
        """Queue behaviours for the next requests (flattening iterables)."""
        with self._lock:
            for b in behaviours:
                if isinstance(b, Behaviour):
                    self._plan.append(b)
                else:
                    self._plan.extend(b)
        return self

    def pending(self) -> int:
        with self._lock:
            return len(self._plan)

    def reset(self) -> None:
        with self._lock:
            self._plan.clear()
            self.requests.clear()
            self.default = OK

    def _next(self, rec: Recorded) -> Behaviour:
        with self._lock:
            self.requests.append(rec)
            return self._plan.popleft() if self._plan else self.default

    def paths(self) -> list[str]:
        return [r.path for r in self.requests]

    # ------------------------------------------------------------------ bodies
    def openai_body(self, rec: Recorded, *, with_logprobs: bool = True) -> dict[str, Any]:
        text = self.answer(rec)
        body = rec.body if isinstance(rec.body, dict) else {}
        choice: dict[str, Any] = {
            "index": 0,
            "message": {"role": "assistant", "content": text},
            "finish_reason": "stop",
            "logprobs": None,
        }
        if body.get("logprobs") and with_logprobs:
            lp = self.log_probs(text)
            top = [{"token": t, "logprob": v, "bytes": list(t.encode())} for t, v in lp.items()]
            first = top[0] if top else {"token": text, "logprob": 0.0, "bytes": list(text.encode())}
            choice["logprobs"] = {"content": [{**first, "top_logprobs": top}], "refusal": None}
        return {
            "id": f"chatcmpl-{len(self.requests)}",
            "object": "chat.completion",
            "created": int(time.time()),
            "model": body.get("model", "unknown"),
            "choices": [choice],
            "usage": {"prompt_tokens": 11, "completion_tokens": 1, "total_tokens": 12},
        }

    def anthropic_body(self, rec: Recorded) -> dict[str, Any]:
        body = rec.body if isinstance(rec.body, dict) else {}
        return {
            "id": f"msg_{len(self.requests)}",
            "type": "message",
            "role": "assistant",
            "model": body.get("model", "unknown"),
            "content": [{"type": "text", "text": self.answer(rec)}],
            "stop_reason": "end_turn",
            "stop_sequence": None,
            "usage": {"input_tokens": 13, "output_tokens": 2},
        }

    def gemini_body(self, rec: Recorded) -> dict[str, Any]:
        return {
            "candidates": [
                {"content": {"role": "model", "parts": [{"text": self.answer(rec)}]}, "finishReason": "STOP", "index": 0}
            ],
            "usageMetadata": {"promptTokenCount": 17, "candidatesTokenCount": 3, "totalTokenCount": 20},
            "modelVersion": _GEMINI.search(rec.path).group("model") if _GEMINI.search(rec.path) else "unknown",
        }


def default_logprobs(answer: str) -> dict[str, float]:
    """A..D, the answer letter most likely; the others in falling order."""
    out: dict[str, float] = {}
    if answer in LETTERS:
        out[answer] = -0.05
    rest = [L for L in LETTERS if L != answer]
    for i, L in enumerate(rest):
        out[L] = -3.0 - i
    return out


def _error_body(path: str, code: int) -> dict[str, Any]:
    if path.endswith("/messages"):
        return {"type": "error", "error": {"type": "api_error" if code >= 500 else "invalid_request_error",
                                           "message": f"fake error {code}"}}
    if ":generateContent" in path:
        return {"error": {"code": code, "message": f"fake error {code}", "status": "UNAVAILABLE" if code >= 500 else "INVALID_ARGUMENT"}}
    return {"error": {"message": f"fake error {code}", "type": "server_error" if code >= 500 else "invalid_request_error",
                      "param": None, "code": None}}


def _make_handler(server: FakeAPIServer) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - quiet
            return

        def _send(self, code: int, payload: bytes, headers: dict[str, str] | None = None) -> None:
            try:
                self.send_response(code)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(payload)))
                for k, v in (headers or {}).items():
                    self.send_header(k, v)
                self.end_headers()
                self.wfile.write(payload)
                self.wfile.flush()
            except (BrokenPipeError, ConnectionResetError, ValueError, OSError):
                self.close_connection = True  # the client gave up (a timeout test)

        def do_GET(self) -> None:  # noqa: N802
            self._send(404, b'{"error": {"message": "not found"}}')

        def do_POST(self) -> None:  # noqa: N802
            n = int(self.headers.get("Content-Length") or 0)
            raw = self.rfile.read(n) if n else b""
            try:
                body: Any = json.loads(raw) if raw else None
            except ValueError:
                body = raw.decode("utf-8", "replace")
            path = self.path.split("?", 1)[0]
            rec = Recorded("POST", self.path, {k.lower(): v for k, v in self.headers.items()}, body)
            b = server._next(rec)

            if b.kind == "status":
                extra = {"Retry-After": b.retry_after} if b.retry_after is not None else {}
                self._send(b.status, json.dumps(_error_body(path, b.status)).encode(), extra)
                return
            if b.kind == "echo":
                payload = {"error": {"message": f"request rejected; you sent {dict(self.headers.items())}",
                                     "type": "invalid_request_error", "param": None, "code": None}}
                self._send(b.status, json.dumps(payload).encode())
                return
            if b.kind == "raw":
                self._send(b.status, b.body)
                return
            if b.kind == "malformed":
                self._send(200, b"{not json")
                return
            if b.kind == "delay":
                # Bounded: ends early when the server stops.
                server._stopping.wait(b.seconds)
                if server._stopping.is_set():
                    self.close_connection = True
                    return

            if path.endswith("/chat/completions"):
                payload = server.openai_body(rec, with_logprobs=b.kind != "no_logprobs")
            elif path.endswith("/messages"):
                payload = server.anthropic_body(rec)
            elif _GEMINI.search(path):
                payload = server.gemini_body(rec)
            else:
                self._send(404, json.dumps({"error": {"message": f"no route {path}"}}).encode())
                return
            self._send(200, json.dumps(payload).encode())

    return Handler


@contextmanager
def serve(*, lifetime_s: float = 60.0, answer: Answer | None = None) -> Iterator[FakeAPIServer]:
    """Start a server for the block; it is stopped on exit, whatever happens."""
    srv = FakeAPIServer(lifetime_s=lifetime_s, answer=answer).start()
    try:
        yield srv
    finally:
        srv.stop()
