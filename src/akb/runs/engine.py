"""One evaluation engine: ``run_eval`` runs any :class:`EvalTask` against any backend.

An evaluation says *what is asked* and *how it is judged* as an :class:`EvalTask`
(load, select, requests per item, score a sample, summarise); the engine owns everything
else, the same for every task:

- the run directory, created only after the task has validated its input: a lock file
  held for the whole run (a second process on the same directory refuses, naming the
  holder), ``run.json`` (resume refuses a different run), resume from ``samples.jsonl``;
- the response cache, as a caching wrapper around the backend (:class:`CachingBackend`),
  constructed here and nowhere else (:func:`open_response_cache`);
- the runner (:mod:`akb.runs.runner`): progress, streaming or batched calls, Ctrl-C
  within seconds with nothing partial written, and failure handling by
  :class:`~akb.core.errors.ErrorKind` (retryable: not recorded; auth/not-found/protocol:
  the run stops with one error; final: recorded as wrong);
- the summary, which the task writes from the samples once the runner is done.
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import sys
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Generic, Protocol, TypeVar, cast

from filelock import FileLock, Timeout
from rich.console import Console

from akb.core.cache import ResponseCache, cache_key
from akb.core.errors import RunLocked
from akb.core.paths import default_cache_path
from akb.core.results import LOCK_FILE, RUN_FILE, SAMPLES_FILE
from akb.models.base import Backend, ChatRequest, Mode, Response
from akb.runs.results import open_run_dir
from akb.runs.runner import Runner, RunStats, Task, read_done, samples_path

ItemT = TypeVar("ItemT")
ResultT = TypeVar("ResultT", covariant=True)


def open_response_cache(path: str | Path | None = None, *, enabled: bool = True) -> ResponseCache | None:
    """The response cache (``path`` or ``$AKB_CACHE_DIR/responses.sqlite``); the one place it is opened."""
    if not enabled:
        return None
    return ResponseCache(Path(path) if path else default_cache_path())


class CachingBackend:
    """Any backend, with every good response kept in the response cache (in the spirit of
    lm-eval's ``CachingLM``). The key is the backend's identity, the mode and the full
    request, so a changed model or prompt is never served a stale answer."""

    def __init__(self, backend: Backend, cache: ResponseCache | None, mode: Mode) -> None:
        self.inner = backend
        self.cache = cache
        self.mode = mode
        self._identity: dict[str, Any] | None = None

    def __getattr__(self, name: str) -> Any:  # name, batch_size, concurrency, supports_logprobs, ...
        return getattr(self.inner, name)

    def identity(self) -> dict[str, Any]:
        if self._identity is None:
            self._identity = self.inner.identity()
        return self._identity

    def request_dict(self, request: ChatRequest) -> dict[str, Any]:
        return {"mode": self.mode, **request.cache_dict()}

    def key(self, request: ChatRequest) -> str:
        return cache_key(self.identity(), self.request_dict(request))

    def lookup(self, keys: Sequence[str]) -> dict[str, Response]:
        if self.cache is None or not keys:
            return {}
        out = {}
        for k, raw in self.cache.get_many(list(set(keys))).items():
            resp = Response.model_validate_json(raw)
            resp.cached = True
            out[k] = resp
        return out

    def store(self, request: ChatRequest, response: Response, key: str | None = None) -> None:
        if self.cache is None or response.error is not None:
            return
        self.cache.put(key or self.key(request), self.identity(), self.request_dict(request),
                       response.model_dump_json())

    def _cached_call(self, requests: Sequence[ChatRequest], call: Any) -> list[Response]:
        keys = [self.key(r) for r in requests]
        hits = self.lookup(keys)
        todo = [i for i, k in enumerate(keys) if k not in hits]
        fresh = call([requests[i] for i in todo]) if todo else []
        out: list[Response | None] = [hits.get(k) for k in keys]
        for i, resp in zip(todo, fresh, strict=True):
            self.store(requests[i], resp, keys[i])
            out[i] = resp
        return [r for r in out if r is not None]

    def generate(self, requests: Sequence[ChatRequest]) -> list[Response]:
        return self._cached_call(requests, self.inner.generate)

    def letter_logprobs(self, requests: Sequence[ChatRequest]) -> list[Response]:
        return self._cached_call(requests, self.inner.letter_logprobs)

    def close(self) -> None:
        try:
            self.inner.close()
        finally:
            if self.cache is not None:
                self.cache.close()


# ---------------------------------------------------------------------------- run directory
def _holder(lock_path: Path) -> str:
    try:
        info = json.loads(lock_path.with_suffix(".json").read_text(encoding="utf-8"))
        return f"process {info.get('pid')} on {info.get('host')} since {info.get('since')} ({info.get('command')})"
    except (OSError, ValueError):
        return "another process"


@contextmanager
def run_directory(run_dir: Path, fingerprint: dict[str, Any], *, overwrite: bool = False) -> Iterator[dict[str, Any]]:
    """Lock ``run_dir`` for the run, then create or check its ``run.json``; yields the run record.

    Call it only once the task's input is validated; and should the run still fail before
    its first sample is written (a request that does not validate, a model that does not
    load), what this call created is removed again, so nothing blocks the corrected rerun."""
    new_dir = not run_dir.exists()
    new_run = new_dir or not (run_dir / RUN_FILE).exists()
    run_dir.mkdir(parents=True, exist_ok=True)
    lock_path = run_dir / LOCK_FILE
    lock = FileLock(str(lock_path))
    try:
        lock.acquire(timeout=0)
    except Timeout:
        raise RunLocked(f"{run_dir} is in use by {_holder(lock_path)}; wait for it to finish or use another --out") from None
    info = lock_path.with_suffix(".json")
    try:
        info.write_text(json.dumps({"pid": os.getpid(), "host": socket.gethostname(), "command": " ".join(sys.argv),
                                    "since": time.strftime("%Y-%m-%dT%H:%M:%S")}), encoding="utf-8")
        yield open_run_dir(run_dir, fingerprint, overwrite=overwrite)
    except BaseException:
        samples = run_dir / SAMPLES_FILE
        if new_run and (not samples.exists() or samples.stat().st_size == 0):
            info.unlink(missing_ok=True)
            lock.release()
            if new_dir:
                shutil.rmtree(run_dir, ignore_errors=True)
            else:
                (run_dir / RUN_FILE).unlink(missing_ok=True)
                samples.unlink(missing_ok=True)
        raise
    finally:
        info.unlink(missing_ok=True)
        lock.release()


# ---------------------------------------------------------------------------- tasks
class EvalTask(Protocol[ItemT, ResultT]):
    """An evaluation: what is asked and how it is judged. The engine does the rest."""

    description: str  # the progress bar's title

    def load(self) -> Sequence[ItemT]:
        """Read the items (and validate them): raises before any directory is made."""
        ...

    def select(self, items: Sequence[ItemT]) -> list[ItemT]: ...

    def key(self, item: ItemT) -> str:
        """The item's id: one line of samples.jsonl."""
        ...

    def fingerprint(self, backend: Backend, mode: Mode) -> dict[str, Any]:
        """Everything that decides the answers (written to run.json; a change refuses to resume)."""
        ...

    def run_dir(self, backend: Backend, mode: Mode) -> Path: ...

    def prepare(self, run_dir: Path, pending: Sequence[ItemT]) -> None:
        """Work before the requests (a cascade's captions); nothing for most tasks."""
        ...

    def requests(self, item: ItemT) -> list[ChatRequest] | None:
        """The requests that answer ``item``; None when the item failed in ``prepare``."""
        ...

    def score(self, item: ItemT, responses: list[Response]) -> dict[str, Any]:
        """One sample record (core.results.Sample) from the item's responses."""
        ...

    def summarise(self, run_dir: Path, items: Sequence[ItemT], stats: RunStats, record: dict[str, Any]) -> ResultT:
        """Write summary.json / summary.md from the samples; return the task's result."""
        ...


class TaskBase(Generic[ItemT]):
    """Defaults for the optional parts of :class:`EvalTask`."""

    def prepare(self, run_dir: Path, pending: Sequence[ItemT]) -> None:
        return None


def run_eval(task: EvalTask[ItemT, ResultT], backend: Backend | Callable[[], Backend], *,
             mode: Mode | Callable[[Backend], Mode], cache: str | Path | None = None, use_cache: bool = True,
             overwrite: bool = False, progress: bool = True, console: Console | None = None) -> ResultT:
    """Run ``task``: load and select its items (before any model is built, when ``backend``
    is a factory), build the backend and pick the mode, lock the run directory, answer what
    is not answered yet (cache first), score, summarise. Closes the backend."""
    items = task.select(task.load())
    if not hasattr(backend, "identity"):  # a factory: build the model only once the items are good
        backend = cast(Callable[[], Backend], backend)()
    backend = cast(Backend, backend)
    try:
        run_mode = mode(backend) if callable(mode) else mode
        fingerprint = task.fingerprint(backend, run_mode)
        run_dir = task.run_dir(backend, run_mode)
    except BaseException:
        backend.close()
        raise
    with run_directory(run_dir, fingerprint, overwrite=overwrite) as record:
        done = read_done(samples_path(run_dir))
        pending = [it for it in items if task.key(it) not in done]
        caching = CachingBackend(backend, open_response_cache(cache, enabled=use_cache), run_mode)
        try:
            task.prepare(run_dir, pending)
            jobs = []
            for it in pending:
                reqs = task.requests(it)
                if reqs is not None:
                    jobs.append(Task(key=task.key(it), requests=reqs, payload=it))
            runner = Runner(caching, mode=run_mode, run_dir=run_dir, progress=progress, console=console,
                            description=task.description)
            stats = runner.run(jobs, lambda job, resps: task.score(job.payload, resps), total=len(items),
                               resumed=len(items) - len(pending))
        finally:
            caching.close()
        return task.summarise(run_dir, items, stats, record)
