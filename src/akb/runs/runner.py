"""The runner every evaluation shares: cache, resume, progress, results writer.

A *task* is one unit that becomes one line of ``samples.jsonl`` (an item; in circular
mode, an item's four rotations). The runner

1. drops a trailing partial line left by a killed process and skips tasks already written;
2. serves every request it can from the SQLite cache (keyed on model identity + request);
3. sends the rest to the backend, streaming (async API backends, ``concurrency`` in flight)
   or in length-sorted batches (local models);
4. caches each good response the moment it arrives and appends a task's sample line the
   moment its last response is in: one ``os.write`` of one whole line, so SIGINT or SIGKILL
   at any point loses no finished answer and never leaves a duplicate or partial line.

Failures are handled by their :class:`~akb.core.errors.ErrorKind`: retryable ones (rate
limits, 5xx, timeouts, after all retries) are not written, so the next run of the same
command tries them again; final ones (a 400 for this request) are written as wrong, with
the error, since retrying cannot help; auth, not-found and protocol failures stop the run
at once (:class:`~akb.core.errors.RunStopped`) and nothing of them is written.

Ctrl-C stops a run within seconds: requests in flight are cancelled, the backend gets two
seconds to close, and only whole lines have been written.
"""

from __future__ import annotations

import asyncio
import math
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    ProgressColumn,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)
from rich.progress import (
    Task as RichTask,
)
from rich.text import Text

from akb.core.errors import ErrorKind, ResumeError, RunStopped
from akb.core.jsonl import JsonlAppender, iter_jsonl, repair_tail
from akb.core.results import SAMPLES_FILE
from akb.models.base import ChatRequest, Mode, Response
from akb.models.letter_stop import cut_at_letter


@dataclass
class Task:
    key: str
    requests: list[ChatRequest]
    payload: Any = None  # whatever the scorer needs (the item)


@dataclass
class RunStats:
    total: int = 0
    resumed: int = 0
    from_cache: int = 0
    computed: int = 0
    written: int = 0
    retry_later: int = 0
    final_errors: int = 0
    seconds: float = 0.0
    failures: list[str] = field(default_factory=list)

    @property
    def complete(self) -> bool:
        return self.retry_later == 0


class _RateColumn(ProgressColumn):
    def render(self, task: RichTask) -> Text:
        speed = task.finished_speed or task.speed
        return Text(f"{speed:.1f} items/s" if speed else "- items/s", style="progress.data.speed")


def samples_path(run_dir: str | Path) -> Path:
    return Path(run_dir) / SAMPLES_FILE


def read_done(samples_path: Path) -> dict[str, dict[str, Any]]:
    """Samples already written, by key. A duplicate key means the file was edited by hand."""
    done: dict[str, dict[str, Any]] = {}
    if not samples_path.exists():
        return done
    repair_tail(samples_path)
    for lineno, rec in iter_jsonl(samples_path):
        k = rec.get("id")
        if not isinstance(k, str):
            raise ResumeError(f"{samples_path}:{lineno}: sample without an 'id'")
        if k in done:
            raise ResumeError(f"{samples_path}:{lineno}: duplicate sample for {k!r}; the run directory was edited")
        done[k] = rec
    return done


def finite(obj: Any) -> Any:
    """JSON other tools can read: non-finite floats become null."""
    if isinstance(obj, float) and not math.isfinite(obj):
        return None
    if isinstance(obj, dict):
        return {k: finite(v) for k, v in obj.items()}
    if isinstance(obj, list):
        return [finite(v) for v in obj]
    return obj


Scorer = Callable[[Task, list[Response]], dict[str, Any]]
CLOSE_TIMEOUT_S = 2.0  # on Ctrl-C or a stop: how long requests in flight and the client get to close


def response_kind(resp: Response) -> ErrorKind | None:
    """The failure kind of a response: its ``error_kind``, else read from its error text."""
    if resp.error is None:
        return None
    return resp.error_kind or ErrorKind.of(resp.error)


def run_interruptibly(coro: Any) -> Any:
    """``asyncio.run`` that Ctrl-C leaves within seconds: on KeyboardInterrupt the main task
    and every task it started are cancelled and given :data:`CLOSE_TIMEOUT_S` to finish;
    tasks that ignore cancellation are abandoned rather than waited for."""
    loop = asyncio.new_event_loop()
    main = loop.create_task(coro)
    try:
        return loop.run_until_complete(main)
    except BaseException:
        main.cancel()
        try:
            loop.run_until_complete(asyncio.wait([main], timeout=CLOSE_TIMEOUT_S))
        except BaseException:  # noqa: BLE001 - a second Ctrl-C: leave now
            pass
        raise
    finally:
        rest = [t for t in asyncio.all_tasks(loop) if not t.done()]
        for t in rest:
            t.cancel()
        if rest:
            try:
                loop.run_until_complete(asyncio.wait(rest, timeout=1.0))
            except BaseException:  # noqa: BLE001
                pass
        loop.close()


class Runner:
    """Answers tasks with ``backend`` (a :class:`~akb.runs.engine.CachingBackend`, or any
    backend when nothing is cached) and appends each task's sample as soon as it is in."""

    def __init__(
        self,
        backend: Any,
        *,
        mode: Mode,
        run_dir: str | Path,
        progress: bool = True,
        console: Console | None = None,
        description: str = "probing",
    ) -> None:
        self.backend = backend
        self.mode = mode
        self.run_dir = Path(run_dir)
        self.progress = progress
        self.console = console or Console(stderr=True)
        self.description = description

    # ------------------------------------------------------------------ main loop
    def run(self, tasks: Sequence[Task], score: Scorer, *, total: int | None = None,
            resumed: int | None = None) -> RunStats:
        """Answer ``tasks`` not yet in samples.jsonl. ``total``/``resumed``: the run's item
        counts when ``tasks`` holds only the pending ones (the progress bar shows the run)."""
        t0 = time.perf_counter()
        samples_path = self.run_dir / SAMPLES_FILE
        done = read_done(samples_path)
        pending = [t for t in tasks if t.key not in done]
        stats = RunStats(total=total if total is not None else len(tasks))
        stats.resumed = resumed if resumed is not None else len(tasks) - len(pending)

        slots: dict[str, list[Response | None]] = {t.key: [None] * len(t.requests) for t in pending}
        by_key = {t.key: t for t in pending}
        keys: dict[tuple[str, int], str] = {}
        caching = hasattr(self.backend, "lookup")
        if caching:
            for t in pending:
                for j, r in enumerate(t.requests):
                    keys[(t.key, j)] = self.backend.key(r)
            hits = self.backend.lookup(list(keys.values()))
            for (tk, j), ck in keys.items():
                if ck in hits:
                    slots[tk][j] = hits[ck].model_copy()
                    slots[tk][j].cached = True  # type: ignore[union-attr]
        todo = [(t.key, j) for t in pending for j, _ in enumerate(t.requests) if slots[t.key][j] is None]

        with JsonlAppender(samples_path) as out, self._progress_bar(stats.total, stats.resumed) as bar:

            def finish_if_ready(tk: str) -> None:
                resps = slots[tk]
                if any(r is None for r in resps):
                    return
                ready = [r for r in resps if r is not None]
                kinds = [response_kind(r) for r in ready]
                stop = next((k for k in kinds if k is not None and k.stops_run), None)
                if stop is not None:
                    raise RunStopped(stop, next(r.error or "" for r, k in zip(ready, kinds, strict=True) if k is stop))
                if ErrorKind.RETRYABLE in kinds:
                    stats.retry_later += 1
                    stats.failures.append(f"{tk}: {next(r.error for r in ready if r.error)}")
                    bar.advance()
                    return
                if any(r.error for r in ready):
                    stats.final_errors += 1
                sample = score(by_key[tk], ready)
                out.write(finite(sample))
                stats.written += 1
                if all(r.cached for r in ready):
                    stats.from_cache += 1
                else:
                    stats.computed += 1
                bar.advance()

            def accept(tk: str, j: int, resp: Response) -> None:
                req = by_key[tk].requests[j]
                if req.stop_at_letter and req.letters and resp.text:
                    # every backend cuts the same way (the hf backend has stopped there already)
                    cut = cut_at_letter(resp.text, req.letters)
                    if cut != resp.text:
                        resp = resp.model_copy(update={"text": cut, "finish_reason": "stop"})
                slots[tk][j] = resp
                if caching:
                    self.backend.store(by_key[tk].requests[j], resp, keys.get((tk, j)))
                finish_if_ready(tk)

            # Everything answered from the cache is written first.
            needs = {tk for tk, _ in todo}
            for t in pending:
                if t.key not in needs:
                    finish_if_ready(t.key)
            if todo:
                if hasattr(self.backend, "agenerate_one"):
                    run_interruptibly(self._run_async(todo, by_key, accept))
                else:
                    self._run_batched(todo, by_key, accept)
        stats.seconds = time.perf_counter() - t0
        return stats

    def _run_batched(self, todo: list[tuple[str, int]], by_key: dict[str, Task], accept: Callable[[str, int, Response], None]) -> None:
        def length(entry: tuple[str, int]) -> int:
            return sum(len(m.content) for m in by_key[entry[0]].requests[entry[1]].messages)

        stream = getattr(self.backend, "answer_stream", None)
        if stream is not None:
            # The backend tokenises once and packs its own token-budget batches; results
            # come back one batch at a time, so they are written as they arrive.
            reqs = [by_key[tk].requests[j] for tk, j in todo]
            with self._cache_batch():
                for chunk in stream(reqs, self.mode):
                    for idx, resp in chunk:
                        tk, j = todo[idx]
                        accept(tk, j, resp)
                    self._flush_cache()
            return
        order = sorted(todo, key=length, reverse=True)  # long first: memory errors surface early
        size = max(1, self.backend.batch_size)
        inner = getattr(self.backend, "inner", self.backend)  # the cache was read before; misses only here
        call = inner.letter_logprobs if self.mode == "logprob" else inner.generate
        for i in range(0, len(order), size):
            batch = order[i : i + size]
            resps = call([by_key[tk].requests[j] for tk, j in batch])
            for (tk, j), resp in zip(batch, resps, strict=True):
                accept(tk, j, resp)

    def _cache_batch(self) -> Any:
        from contextlib import nullcontext

        cache = getattr(self.backend, "cache", None)  # the CachingBackend's store, if any
        return cache.batch() if cache is not None else nullcontext()

    def _flush_cache(self) -> None:
        cache = getattr(self.backend, "cache", None)
        if cache is not None:
            cache.flush()

    async def _run_async(self, todo: list[tuple[str, int]], by_key: dict[str, Task], accept: Callable[[str, int, Response], None]) -> None:
        backend: Any = self.backend
        sem = asyncio.Semaphore(max(1, int(getattr(backend, "concurrency", 8))))
        fn = backend.alogprob_one if self.mode == "logprob" else backend.agenerate_one
        if self.mode == "logprob" and not hasattr(backend, "alogprob_one"):
            self.backend.letter_logprobs([])  # raises the backend's own clear error

        async def one(tk: str, j: int) -> tuple[str, int, Response]:
            async with sem:
                return tk, j, await fn(by_key[tk].requests[j])

        tasks = [asyncio.ensure_future(one(tk, j)) for tk, j in todo]
        try:
            for fut in asyncio.as_completed(tasks):
                tk, j, resp = await fut
                accept(tk, j, resp)
        finally:
            for t in tasks:
                t.cancel()
            await asyncio.wait(tasks, timeout=CLOSE_TIMEOUT_S)
            try:
                await asyncio.wait_for(backend.aclose(), CLOSE_TIMEOUT_S)
            except (asyncio.TimeoutError, asyncio.CancelledError):
                pass

    def _progress_bar(self, total: int, done: int) -> _Bar:
        return _Bar(self.console, total, done, self.description, enabled=self.progress)


class _Bar:
    def __init__(self, console: Console, total: int, done: int, description: str, enabled: bool) -> None:
        self.enabled = enabled
        self._progress = Progress(
            TextColumn("[bold]{task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            _RateColumn(),
            TimeElapsedColumn(),
            TextColumn("eta"),
            TimeRemainingColumn(),
            console=console,
            transient=False,
            disable=not enabled,
        )
        self._task = self._progress.add_task(description, total=total, completed=done)

    def advance(self) -> None:
        self._progress.advance(self._task)

    def __enter__(self) -> _Bar:
        self._progress.__enter__()
        return self

    def __exit__(self, *exc: object) -> None:
        self._progress.__exit__(None, None, None)
