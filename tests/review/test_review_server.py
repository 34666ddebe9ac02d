"""The review server over real HTTP on 127.0.0.1: token, cookie, CSRF and host checks,
server-side blindness, and clear refusals (never a 500) for bad decisions and edits."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from akb.bench.items import Item
from akb.bench.loader import load_items
from akb.review.server import ReviewConfig, ReviewServer
from akb.review.store import ReviewStore

pytest.importorskip("starlette")
pytest.importorskip("uvicorn")


@pytest.fixture(scope="module")
def items() -> list[Item]:
    return load_items()[:4]


@pytest.fixture
def server(tmp_path: Path, items: list[Item]):
    store = ReviewStore(tmp_path / "review.sqlite")
    store.set_items(items, source="test")
    with ReviewServer(store, ReviewConfig(reviewer="alice")) as srv:
        yield srv


def client(srv: ReviewServer, **kw) -> httpx.Client:
    return httpx.Client(base_url=srv.url, trust_env=False, follow_redirects=False, timeout=10, **kw)


def logged_in(srv: ReviewServer) -> httpx.Client:
    c = client(srv)
    r = c.get("/", params={"token": srv.token})
    assert r.status_code == 303 and r.headers["location"] == "/"
    return c


def post(c: httpx.Client, srv: ReviewServer, path: str, body: dict, **headers: str) -> httpx.Response:
    return c.post(path, json=body, headers={"X-AKB-CSRF": srv.csrf, **headers})


def test_binds_loopback_only_with_a_fresh_token(server: ReviewServer, tmp_path: Path) -> None:
    assert server.sock.getsockname()[0] == "127.0.0.1" and server.port > 0
    assert len(server.token) >= 40 and server.token in server.login_url
    other = ReviewServer(ReviewStore(tmp_path / "other.sqlite"), ReviewConfig())
    try:
        assert other.token != server.token and other.port != server.port
    finally:
        other.sock.close()


def test_requests_without_the_token_are_refused(server: ReviewServer) -> None:
    with client(server) as c:
        for path in ("/", "/api/next", "/?token=wrong", "/api/next?token=" + server.token[:-1] + "x"):
            r = c.get(path)
            assert r.status_code == 403 and "token" in r.text, path
        assert c.post("/api/decision", json={}, headers={"X-AKB-CSRF": server.csrf}).status_code == 403
        assert "set-cookie" not in c.get("/").headers


def test_token_once_then_httponly_cookie(server: ReviewServer) -> None:
    with client(server) as c:
        r = c.get("/", params={"token": server.token})
        cookie = r.headers["set-cookie"]
        assert r.status_code == 303 and r.headers["location"] == "/"  # the token leaves the address bar
        assert f"akb_review_{server.port}=" in cookie and "HttpOnly" in cookie and "SameSite=strict" in cookie
        page = c.get("/")
        assert page.status_code == 200 and server.csrf in page.text and "__AKB_CONFIG__" not in page.text
        assert "http://" not in re.sub(r"http://www\.w3\.org[^\"]*", "", page.text)  # no CDN, no remote fetch
        assert page.headers["x-frame-options"] == "DENY" and "frame-ancestors 'none'" in page.headers["content-security-policy"]
        assert c.get("/api/next").json()["reviewer"] == "alice"


def test_post_needs_csrf_json_same_origin_and_loopback_host(server: ReviewServer, items: list[Item]) -> None:
    c = logged_in(server)
    view = c.get("/api/next").json()["item"]
    body = {"item_id": view["id"], "content_key": view["content_key"], "blind_answer": "A"}
    assert c.post("/api/reveal", json=body).status_code == 403  # no CSRF header
    assert post(c, server, "/api/reveal", body, **{"X-AKB-CSRF": "nope"}).status_code == 403
    assert post(c, server, "/api/reveal", body, Origin="http://evil.example").status_code == 403
    form = c.post("/api/reveal", content="item_id=x", headers={"X-AKB-CSRF": server.csrf,
                                                              "Content-Type": "application/x-www-form-urlencoded"})
    assert form.status_code == 403
    assert c.get("/api/next", headers={"Host": f"rebound.example:{server.port}"}).status_code == 403
    ok = post(c, server, "/api/reveal", body, Origin=f"http://127.0.0.1:{server.port}")
    assert ok.status_code == 200 and ok.json()["answer"] == items[0].answer


def test_blindness_is_enforced_by_the_server(server: ReviewServer, items: list[Item]) -> None:
    c = logged_in(server)
    view = c.get("/api/next").json()["item"]
    assert view["revealed"] is None and "answer" not in view and "rationale" not in view
    assert items[0].rationale not in c.get("/api/next").text
    ref = {"item_id": view["id"], "content_key": view["content_key"]}
    r = post(c, server, "/api/decision", {**ref, "verdict": "accept"})
    assert r.status_code == 409 and "blind" in r.json()["error"]
    assert post(c, server, "/api/reveal", {**ref, "blind_answer": "E"}).status_code == 422
    first = post(c, server, "/api/reveal", {**ref, "blind_answer": "B"}).json()
    again = post(c, server, "/api/reveal", {**ref, "blind_answer": "C"}).json()
    assert first["blind_answer"] == again["blind_answer"] == "B"  # locked once the key was seen
    assert c.get("/api/next").json()["item"]["revealed"]["blind_answer"] == "B"
    assert post(c, server, "/api/decision", {**ref, "verdict": "accept"}).json()["ok"] is True
    (d,) = server.store.decisions()
    assert (d.reviewer, d.blind_answer, d.verdict, d.item_id) == ("alice", "B", "accept", items[0].id)
    nxt = c.get("/api/next").json()
    assert nxt["item"]["id"] == items[1].id and nxt["progress"] == {"done": 1, "total": 4}


def test_bad_decisions_get_clear_messages_not_500(server: ReviewServer, items: list[Item]) -> None:
    c = logged_in(server)
    it = items[0]
    ref = {"item_id": it.id, "content_key": c.get("/api/next").json()["item"]["content_key"]}
    post(c, server, "/api/reveal", {**ref, "blind_answer": None})
    cases = [
        ({**ref, "verdict": "maybe"}, 422, "verdict must be"),
        ({**ref, "verdict": "reject", "note": "  "}, 422, "reason is required"),
        ({**ref, "verdict": "edit", "edit": {"question": it.question, "choices": [it.choices[0]] * 4,
                                             "answer": "A", "rationale": ""}}, 422, "same text"),
        ({**ref, "verdict": "edit", "edit": {"question": it.question, "choices": it.choices[:3],
                                             "answer": "A", "rationale": ""}}, 422, "exactly 4 choices"),
        ({**ref, "verdict": "edit", "edit": {"question": "", "choices": list(it.choices), "answer": "A"}}, 422, "question"),
        ({**ref, "verdict": "edit", "edit": {"question": it.question, "choices": list(it.choices),
                                             "answer": it.answer, "rationale": it.rationale}}, 422, "changes nothing"),
        ({**ref, "verdict": "edit", "edit": "not an object"}, 422, "edit"),
        ({"item_id": it.id, "content_key": "stale", "verdict": "accept"}, 409, "changed since"),
        ({"item_id": "no.such.item", "content_key": "x", "verdict": "accept"}, 404, "no item"),
    ]
    for body, status, message in cases:
        r = post(c, server, "/api/decision", body)
        assert r.status_code == status and message in r.json()["error"], (body, r.status_code, r.text)
    r = c.post("/api/decision", content=b"{not json", headers={"X-AKB-CSRF": server.csrf, "Content-Type": "application/json"})
    assert r.status_code == 400 and "not JSON" in r.json()["error"]
    assert server.store.decisions() == []
    choices = list(it.choices)
    j = next(k for k in range(4) if k != it.answer_index)
    choices[j] = "An entirely new distractor"
    r = post(c, server, "/api/decision", {**ref, "verdict": "edit", "note": "closer distractor",
                                           "edit": {"question": it.question, "choices": choices,
                                                    "answer": it.answer, "rationale": it.rationale}})
    assert r.status_code == 200 and "+" + "ABCD"[j] + ". An entirely new distractor" in r.json()["diff"]


def test_reviewer_is_asked_once_and_kept_in_a_cookie(tmp_path: Path, items: list[Item]) -> None:
    store = ReviewStore(tmp_path / "r.sqlite")
    store.set_items(items, source="test")
    with ReviewServer(store, ReviewConfig()) as srv:
        c = logged_in(srv)
        assert c.get("/api/next").json() == {"reviewer": None, "mode": "review"}
        assert post(c, srv, "/api/reviewer", {"reviewer": "<script>"}).status_code == 422
        r = post(c, srv, "/api/reviewer", {"reviewer": "bob"})
        assert r.status_code == 200 and "HttpOnly" in r.headers["set-cookie"]
        assert c.get("/api/next").json()["reviewer"] == "bob"


def test_cli_serve_prints_a_token_url_on_a_free_port(tmp_path: Path, items: list[Item]) -> None:
    """`akb review serve` end to end: a real process, its printed URL, the token check."""
    from akb.review.merge import write_items

    src = tmp_path / "items.jsonl"
    write_items(items, src)
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).parents[2] / "src"), "COLUMNS": "300"}
    proc = subprocess.Popen([sys.executable, "-m", "akb", "review", "serve", str(src), "--db", str(tmp_path / "r.sqlite"),
                             "--reviewer", "alice", "--port", "0"], stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                            text=True, env=env)
    try:
        url = None
        deadline = time.monotonic() + 60
        lines = []
        while url is None and time.monotonic() < deadline:
            line = proc.stdout.readline()  # type: ignore[union-attr]
            if not line:
                break
            lines.append(line)
            m = re.search(r"(http://127\.0\.0\.1:\d+/\?token=[\w-]+)", line)
            url = m.group(1) if m else None
        assert url, "".join(lines)
        with httpx.Client(trust_env=False, timeout=10, follow_redirects=True) as c:
            base = url.split("?")[0]
            for _ in range(100):  # the URL is printed just before uvicorn starts accepting
                try:
                    c.get(base)
                    break
                except httpx.ConnectError:
                    time.sleep(0.05)
            assert c.get(base).status_code == 403
            assert c.get(url).status_code == 200  # follows the redirect with the cookie
            nxt = c.get(base + "api/next").json()
            assert nxt["reviewer"] == "alice" and nxt["item"]["id"] == items[0].id
    finally:
        proc.terminate()
        proc.wait(timeout=20)
