"""The review web page: a small Starlette app served by uvicorn on 127.0.0.1 only.

Access: a random token (``secrets``) is printed at start; the first request carries it as
``?token=``, the page answer sets it as an HttpOnly, SameSite=Strict cookie (named after
the port, so two servers do not clash) and redirects to a clean URL. Every request
without the token gets 403, and so does a request whose Host is not the loopback address
(a DNS-rebinding guard). POSTs also need a CSRF header whose value is embedded in the
page, a JSON body, and a same-origin ``Origin`` when the browser sends one.

Blindness is enforced by the server, not only hidden by the page: in review mode the key
and rationale are sent only after the reviewer commits a blind answer (or chooses to see
the key without one), and that answer is locked in the store from then on.
"""

from __future__ import annotations

import json
import secrets
import socket
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from importlib import resources
from typing import Any, Literal
from urllib.parse import urlencode

from pydantic import ValidationError
from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import (
    HTMLResponse,
    JSONResponse,
    PlainTextResponse,
    RedirectResponse,
    Response,
)
from starlette.routing import Route

from akb.bench.items import LETTERS
from akb.review.consensus import Consensus
from akb.review.content import (
    Edit,
    EditError,
    apply_edit,
    edit_in_target_order,
    letter_in,
    unified_diff,
)
from akb.review.decision import check_reviewer, first_error, make_decision
from akb.review.queue import Progress, QueueFilter, next_disagreement, next_item
from akb.review.store import ReviewStore, StoredItem

Mode = Literal["review", "adjudicate"]
LOOPBACK = "127.0.0.1"
_LOCAL_HOSTS = {"127.0.0.1", "localhost"}
REVIEWER_COOKIE = "akb_reviewer"
FORBIDDEN = ("403 forbidden: this review server needs the access token printed when it started "
             "(open the URL with ?token=... that akb review serve printed)\n")


@dataclass
class ReviewConfig:
    mode: Mode = "review"
    reviewer: str | None = None  # fixed reviewer id; None: the page asks and keeps it in a cookie
    flt: QueueFilter = QueueFilter()
    required: int = 1


def _page_template() -> str:
    return (resources.files("akb.review") / "page.html").read_text(encoding="utf-8")


class ReviewServer:
    """The app and its socket, bound at construction so the URL is known before serving."""

    def __init__(self, store: ReviewStore, config: ReviewConfig, port: int = 0) -> None:
        if config.reviewer is not None:
            config.reviewer = check_reviewer(config.reviewer)
        self.store = store
        self.config = config
        self.token = secrets.token_urlsafe(32)
        self.csrf = secrets.token_urlsafe(32)
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.sock.bind((LOOPBACK, port))
        self.port: int = self.sock.getsockname()[1]
        self.cookie = f"akb_review_{self.port}"
        self.app = Starlette(routes=[
            Route("/", self._guard(self.page), methods=["GET"]),
            Route("/api/next", self._guard(self.next), methods=["GET"]),
            Route("/api/reviewer", self._guard(self.set_reviewer, post=True), methods=["POST"]),
            Route("/api/reveal", self._guard(self.reveal, post=True), methods=["POST"]),
            Route("/api/decision", self._guard(self.decide, post=True), methods=["POST"]),
        ])
        self._server: Any = None
        self._thread: threading.Thread | None = None

    # ------------------------------------------------------------------ serving
    @property
    def url(self) -> str:
        return f"http://{LOOPBACK}:{self.port}/"

    @property
    def login_url(self) -> str:
        return f"{self.url}?{urlencode({'token': self.token})}"

    def _uvicorn(self) -> Any:
        import uvicorn

        # No access log: a logged request line would carry the token.
        cfg = uvicorn.Config(self.app, log_level="warning", access_log=False, lifespan="off")
        self._server = uvicorn.Server(cfg)
        return self._server

    def serve_forever(self) -> None:
        """Serve in this thread until Ctrl-C."""
        self._uvicorn().run(sockets=[self.sock])

    def start(self, timeout: float = 15.0) -> ReviewServer:
        """Serve in a background thread (tests, notebooks); returns once it accepts requests."""
        server = self._uvicorn()
        self._thread = threading.Thread(target=server.run, kwargs={"sockets": [self.sock]}, daemon=True,
                                        name=f"akb-review-{self.port}")
        self._thread.start()
        deadline = time.monotonic() + timeout
        while not server.started:
            if not self._thread.is_alive() or time.monotonic() > deadline:
                raise RuntimeError("the review server did not start")
            time.sleep(0.02)
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.should_exit = True
        if self._thread is not None:
            self._thread.join(timeout=10)
        self.sock.close()

    def __enter__(self) -> ReviewServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # ------------------------------------------------------------------ access
    def _authorised(self, request: Request, post: bool) -> bool:
        host = (request.headers.get("host") or "").rsplit(":", 1)[0]
        if host not in _LOCAL_HOSTS:
            return False
        given = [request.cookies.get(self.cookie) or "", request.query_params.get("token") or ""]
        if not any(secrets.compare_digest(g.encode(), self.token.encode()) for g in given):
            return False
        if post:
            if not secrets.compare_digest((request.headers.get("x-akb-csrf") or "").encode(), self.csrf.encode()):
                return False
            if not (request.headers.get("content-type") or "").startswith("application/json"):
                return False
            origin = request.headers.get("origin")
            if origin is not None and origin != f"http://{request.headers.get('host')}":
                return False
        return True

    def _guard(self, endpoint: Callable[[Request, dict[str, Any]], Response], post: bool = False) -> Callable[[Request], Any]:
        async def guarded(request: Request) -> Response:
            if not self._authorised(request, post):
                return PlainTextResponse(FORBIDDEN, status_code=403)
            body: dict[str, Any] = {}
            if post:
                try:
                    body = json.loads(await request.body() or b"{}")
                except ValueError:
                    return JSONResponse({"error": "the request body is not JSON"}, status_code=400)
                if not isinstance(body, dict):
                    return JSONResponse({"error": "the request body must be a JSON object"}, status_code=400)
            try:
                resp = await run_in_threadpool(endpoint, request, body)
            except _Refused as e:
                return JSONResponse({"error": e.message}, status_code=e.status)
            if request.query_params.get("token") and request.method == "GET":
                if request.url.path == "/":
                    rest = {k: v for k, v in request.query_params.items() if k != "token"}
                    resp = RedirectResponse("/" + (f"?{urlencode(rest)}" if rest else ""), status_code=303)
                resp.set_cookie(self.cookie, self.token, httponly=True, samesite="strict", path="/")
            return resp

        return guarded

    def _reviewer(self, request: Request) -> str | None:
        if self.config.reviewer is not None:
            return self.config.reviewer
        name = request.cookies.get(REVIEWER_COOKIE)
        if not name:
            return None
        try:
            return check_reviewer(name)
        except ValueError:
            return None

    def _need_reviewer(self, request: Request) -> str:
        r = self._reviewer(request)
        if r is None:
            raise _Refused(400, "set your reviewer id first")
        return r

    # ------------------------------------------------------------------ endpoints
    def page(self, request: Request, _body: dict[str, Any]) -> Response:
        cfg = {"mode": self.config.mode, "csrf": self.csrf, "fixedReviewer": self.config.reviewer is not None,
               "required": self.config.required}
        html = _page_template().replace("__AKB_CONFIG__", json.dumps(cfg).replace("</", "<\\/"))
        return HTMLResponse(html, headers={"Cache-Control": "no-store", "X-Frame-Options": "DENY",
                                           "Content-Security-Policy": "default-src 'self'; script-src 'unsafe-inline'; "
                                           "style-src 'unsafe-inline'; connect-src 'self'; frame-ancestors 'none'"})

    def next(self, request: Request, _body: dict[str, Any]) -> Response:
        reviewer = self._reviewer(request)
        after = request.query_params.get("after") or None
        if reviewer is None:
            return JSONResponse({"reviewer": None, "mode": self.config.mode})
        if self.config.mode == "adjudicate":
            found, progress = next_disagreement(self.store, self.config.required, self.config.flt, after)
            item = self._adjudication_view(*found) if found else None
        else:
            it, progress = next_item(self.store, reviewer, self.config.flt, after)
            item = self._review_view(it, reviewer) if it else None
        return JSONResponse({"reviewer": reviewer, "mode": self.config.mode, "item": item,
                             "progress": _progress(progress)}, headers={"Cache-Control": "no-store"})

    def set_reviewer(self, request: Request, body: dict[str, Any]) -> Response:
        if self.config.reviewer is not None:
            raise _Refused(409, f"this server is for reviewer {self.config.reviewer!r}")
        try:
            name = check_reviewer(str(body.get("reviewer", "")))
        except ValueError as e:
            raise _Refused(422, str(e)) from None
        resp = JSONResponse({"reviewer": name})
        resp.set_cookie(REVIEWER_COOKIE, name, httponly=True, samesite="strict", path="/", max_age=400 * 86400)
        return resp

    def reveal(self, request: Request, body: dict[str, Any]) -> Response:
        reviewer = self._need_reviewer(request)
        it = self._current(body)
        blind = body.get("blind_answer")
        if blind is not None and blind not in LETTERS:
            raise _Refused(422, "blind_answer must be A, B, C, D or null")
        locked = self.store.reveal(reviewer, it.id, it.content_key, blind)
        return JSONResponse({"blind_answer": locked, "answer": it.item.answer, "rationale": it.item.rationale})

    def decide(self, request: Request, body: dict[str, Any]) -> Response:
        reviewer = self._need_reviewer(request)
        it = self._current(body)
        verdict = body.get("verdict")
        if verdict not in ("accept", "edit", "reject"):
            raise _Refused(422, "verdict must be accept, edit or reject")
        shown = it.shown
        role = "adjudication" if self.config.mode == "adjudicate" else "review"
        blind = None
        if role == "review":
            seen, blind = self.store.revealed(reviewer, it.id, it.content_key)
            if not seen:
                raise _Refused(409, "answer blind (or show the key) before deciding")
        edit = None
        if verdict == "edit":
            try:
                edit = Edit.model_validate(body.get("edit") or {})
                apply_edit(shown, edit)
            except ValidationError as e:
                raise _Refused(422, "edit: " + first_error(e)) from None
            except EditError as e:
                raise _Refused(422, str(e)) from None
        note = body.get("note")
        if verdict == "reject" and not (isinstance(note, str) and note.strip()):
            raise _Refused(422, "a reason is required to reject")
        try:
            d = make_decision(shown, reviewer=reviewer, verdict=verdict, blind_answer=blind,
                              note=note if isinstance(note, str) else None, edit=edit, role=role)
        except ValidationError as e:
            raise _Refused(422, first_error(e)) from None
        self.store.add(d)
        diff = unified_diff(it.item, edit_in_target_order(it.item, shown, d.edited)) if d.edited else None
        return JSONResponse({"ok": True, "uid": d.uid, "diff": diff})

    # ------------------------------------------------------------------ views
    def _current(self, body: dict[str, Any]) -> StoredItem:
        item_id = body.get("item_id")
        it = self.store.item(item_id) if isinstance(item_id, str) else None
        if it is None:
            raise _Refused(404, f"no item {item_id!r} under review")
        if body.get("content_key") != it.content_key:
            raise _Refused(409, f"{it.id} changed since this page showed it; reload")
        return it

    def _base_view(self, it: StoredItem) -> dict[str, Any]:
        i = it.item
        return {"id": i.id, "category": i.category, "subcategory": i.subcategory, "question": i.question,
                "choices": list(i.choices), "content_key": it.content_key, "status": i.review.status}

    def _review_view(self, it: StoredItem, reviewer: str) -> dict[str, Any]:
        view = self._base_view(it)
        seen, blind = self.store.revealed(reviewer, it.id, it.content_key)
        view["revealed"] = {"blind_answer": blind, "answer": it.item.answer, "rationale": it.item.rationale} if seen else None
        return view

    def _adjudication_view(self, it: StoredItem, c: Consensus) -> dict[str, Any]:
        view = self._base_view(it)
        view["revealed"] = {"blind_answer": None, "answer": it.item.answer, "rationale": it.item.rationale}
        view["reasons"] = c.reasons
        view["decisions"] = [{
            "reviewer": d.reviewer, "verdict": d.verdict, "at": d.at.isoformat(),
            "blind_answer": letter_in(it.item.choices, d.shown, d.blind_answer), "note": d.note,
            "diff": unified_diff(it.item, edit_in_target_order(it.item, d.shown, d.edited)) if d.edited else None,
        } for d in c.reviews]
        return view


class _Refused(Exception):
    def __init__(self, status: int, message: str) -> None:
        self.status = status
        self.message = message


def _progress(p: Progress) -> dict[str, int]:
    return {"done": p.done, "total": p.total}
