"""The big-file route (ui/bigupload.py) driven over ASGI, as the server drives it: a ticket takes one file, streamed
to disk under the upload limit, and anything else leaves nothing behind."""

from __future__ import annotations

import asyncio
import json
from urllib.parse import quote

from starlette.applications import Starlette

from ui import bigupload


def put(path: str, chunks: list[bytes], headers: dict | None = None, disconnect_after: int | None = None):
    """(status, JSON body) of a PUT to the route through Starlette's ASGI interface, the body sent in ``chunks``;
    with ``disconnect_after`` the client goes away after that many chunks."""
    app = Starlette(routes=bigupload.routes())
    hdrs = [(k.lower().encode(), str(v).encode()) for k, v in (headers or {}).items()]
    scope = {
        "type": "http",
        "method": "PUT",
        "path": path,
        "raw_path": path.encode(),
        "query_string": b"",
        "headers": hdrs,
        "http_version": "1.1",
        "scheme": "http",
        "server": ("127.0.0.1", 80),
        "client": ("127.0.0.1", 5000),
        "root_path": "",
        "app": app,
    }
    messages = [{"type": "http.request", "body": c, "more_body": i < len(chunks) - 1} for i, c in enumerate(chunks)]
    if disconnect_after is not None:
        messages = messages[:disconnect_after] + [{"type": "http.disconnect"}]
    sent: list[dict] = []

    async def receive():
        return messages.pop(0) if messages else {"type": "http.disconnect"}

    async def send(msg):
        sent.append(msg)

    asyncio.run(app(scope, receive, send))
    status = next(m["status"] for m in sent if m["type"] == "http.response.start")
    body = b"".join(m.get("body", b"") for m in sent if m["type"] == "http.response.body")
    return status, json.loads(body)


def url(tk) -> str:
    return bigupload.ROUTE.replace("{token}", tk.token)


def test_a_file_arrives_whole_on_disk_once(tmp_path):
    tk = bigupload.issue(tmp_path / "t", max_bytes=10_000)
    data = [b"user,item,rating\n", b"1,2,3\n" * 500, b"4,5,1\n"]
    status, body = put(url(tk), data, {"x-file-name": quote("../../评分 ratings.csv")})
    assert (status, body) == (200, {"ok": True, "name": "评分 ratings.csv", "bytes": 3023})
    assert tk.state == "done" and tk.path == tmp_path / "t" / "评分 ratings.csv"
    assert tk.path.read_bytes() == b"".join(data)
    assert sorted(p.name for p in (tmp_path / "t").iterdir()) == ["评分 ratings.csv"]
    # single use: the same link takes nothing more, and the file is untouched
    status, body = put(url(tk), [b"x"], {"x-file-name": "other.csv"})
    assert status == 404 and body["error"] == "gone"
    assert tk.path.read_bytes() == b"".join(data)


def test_unknown_link_is_refused():
    status, body = put(bigupload.ROUTE.replace("{token}", "not-a-ticket"), [b"a,b\n"])
    assert status == 404 and body["error"] == "gone" and "reload the page" in body["message"]


def test_over_the_limit_while_streaming_leaves_nothing(tmp_path):
    tk = bigupload.issue(tmp_path / "t", max_bytes=1000)
    status, body = put(url(tk), [b"x" * 600, b"y" * 600], {"x-file-name": "big.csv"})
    assert status == 413 and body["error"] == "too_big" and "CINELENS_MAX_UPLOAD_BYTES" in body["message"]
    assert (tk.state, tk.error, tk.args["limit"]) == ("failed", "too_big", 0)  # 1000 bytes: 0 MB whole
    assert list((tmp_path / "t").iterdir()) == []
    assert bigupload.get(tk.token) is tk and tk.path is None


def test_over_the_limit_by_declared_length_is_refused_before_reading(tmp_path):
    tk = bigupload.issue(tmp_path / "t", max_bytes=3 * 1024**2)
    status, body = put(url(tk), [b"x"], {"x-file-name": "big.csv", "content-length": 5 * 1024**2})
    assert status == 413 and body["error"] == "too_big"
    assert tk.args == {"limit": 3, "size": 5}
    assert not (tmp_path / "t").exists()  # nothing was created


def test_a_dropped_connection_leaves_no_part_file(tmp_path):
    tk = bigupload.issue(tmp_path / "t", max_bytes=10**6)
    status, body = put(url(tk), [b"a" * 100, b"b" * 100, b"c" * 100], {"x-file-name": "r.csv"}, disconnect_after=2)
    assert status == 400 and body["error"] == "stopped"
    assert tk.state == "failed" and list((tmp_path / "t").iterdir()) == []


def test_names_are_plain_file_names():
    assert bigupload.safe_name("../../etc/passwd") == "passwd"
    assert bigupload.safe_name("C:\\Users\\x\\r.csv") == "r.csv"
    assert bigupload.safe_name(".hidden\x00.csv") == "hidden.csv"
    assert bigupload.safe_name("") == "upload.csv"
    assert bigupload.safe_name("a<b>|c.csv") == "abc.csv"


def test_tickets_are_unguessable_and_distinct(tmp_path):
    a, b = bigupload.issue(tmp_path / "a", 10), bigupload.issue(tmp_path / "b", 10)
    assert a.token != b.token and len(a.token) >= 43  # 32 random bytes, URL-safe base64
    bigupload.forget(a.token)
    assert bigupload.get(a.token) is None and bigupload.get(b.token) is b
