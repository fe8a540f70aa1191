"""Big files reach the workspace's disk without passing through memory.

``st.file_uploader`` holds a file in the server's memory (briefly twice while it arrives), so a 1 GB file costs
over 2 GB before anything reads it. Files of :func:`min_bytes` or more take this path instead:

* the page issues a single-use **ticket** for a folder in the workspace's scratch area (only a session that may
  upload gets one; the ticket is 256 random bits and expires);
* a small component (:func:`picker`) lets the user choose a file and sends it with ``PUT`` to
  :data:`ROUTE`, with a progress bar;
* the route (:func:`routes`, mounted by ``app.py``'s ``st.App``) streams the request body to ``<name>.part`` in
  the ticket's folder, 64 KB at a time, refuses it once it passes the upload limit, and renames it when complete.

The page then reads the file from disk in parts (``recsys_core.data.ingest``), as it does any big upload.
The route module imports only the standard library and Starlette, so the server process pays nothing for it.
"""

from __future__ import annotations

import os
import secrets
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import unquote

ROUTE = "/cinelens/upload/{token}"
TTL_SECONDS = 6 * 3600  # a ticket not used within this time is forgotten (its folder is swept at the next start)


@dataclass
class Ticket:
    """One file's way in: where it goes, how big it may be, and how far it got."""

    token: str
    folder: Path
    max_bytes: int
    created: float
    state: str = "open"  # open -> receiving -> done | failed
    name: str = ""
    received: int = 0
    error: str = ""  # why it failed, a code: too_big, stopped, disk, gone
    args: dict = field(default_factory=dict)  # the numbers of that message (MB sent, MB allowed)

    @property
    def path(self) -> Path | None:
        return self.folder / self.name if self.state == "done" else None


_LOCK = threading.Lock()
_TICKETS: dict[str, Ticket] = {}
_MOUNTED = threading.Event()


def mounted() -> bool:
    """True in a server started from ``app.py`` (``streamlit run app.py``), where the route exists."""
    return _MOUNTED.is_set()


def issue(folder: Path, max_bytes: int) -> Ticket:
    """A fresh single-use ticket for one file into ``folder`` (created when the file arrives)."""
    now = time.time()
    tk = Ticket(secrets.token_urlsafe(32), Path(folder), int(max_bytes), now)
    with _LOCK:
        for old in [k for k, v in _TICKETS.items() if now - v.created > TTL_SECONDS]:
            del _TICKETS[old]
        _TICKETS[tk.token] = tk
    return tk


def get(token: str) -> Ticket | None:
    with _LOCK:
        return _TICKETS.get(str(token))


def forget(token: str) -> None:
    """Drop a ticket (its folder is the caller's to remove)."""
    with _LOCK:
        _TICKETS.pop(str(token), None)


def safe_name(name: str) -> str:
    """The file's own name, without any folder part, control characters or a leading dot."""
    base = Path(str(name).replace("\\", "/")).name
    base = "".join(ch for ch in base if ch.isprintable() and ch not in '/\0"<>|:*?').strip().lstrip(".")
    return base[:200] or "upload.csv"


def _mb(n: int) -> str:
    return f"{n / 1024**2:,.0f} MB"


async def _receive(request):
    """PUT handler: the body, streamed to disk under the ticket's limit."""
    from starlette.requests import ClientDisconnect
    from starlette.responses import JSONResponse

    token = request.path_params.get("token", "")
    with _LOCK:
        tk = _TICKETS.get(token)
        if tk is None or tk.state != "open":
            msg = "this upload link is unknown or already used - reload the page and choose the file again"
            return JSONResponse({"error": "gone", "message": msg}, 404)
        tk.state = "receiving"

    def fail(status: int, code: str, msg: str, part: Path | None = None, **args):
        if part is not None:
            part.unlink(missing_ok=True)
        tk.state, tk.error, tk.args = "failed", code, {"limit": tk.max_bytes // 1024**2, **args}
        return JSONResponse({"error": code, "message": msg}, status)

    name = tk.name = safe_name(unquote(request.headers.get("x-file-name", "")))
    limit = f"the upload limit of {_mb(tk.max_bytes)} (CINELENS_MAX_UPLOAD_BYTES)"
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > tk.max_bytes:
        size = int(declared) // 1024**2
        return fail(413, "too_big", f"{name}: {_mb(int(declared))} is over {limit} - split the file", size=size)
    part = tk.folder / (name + ".part")
    try:
        tk.folder.mkdir(parents=True, exist_ok=True)
        with open(part, "wb") as fh:
            async for chunk in request.stream():
                tk.received += len(chunk)
                if tk.received > tk.max_bytes:
                    raise OverflowError
                fh.write(chunk)
        os.replace(part, tk.folder / name)
    except OverflowError:
        size = tk.received // 1024**2
        return fail(413, "too_big", f"{name}: over {limit} - split the file", part, size=size)
    except ClientDisconnect:
        sent = tk.received // 1024**2
        return fail(400, "stopped", f"{name}: the browser stopped after {_mb(tk.received)}", part, sent=sent)
    except OSError as e:
        why = "the disk is full" if getattr(e, "errno", None) == 28 else (e.strerror or type(e).__name__)
        return fail(507, "disk", f"{name}: could not be written to the workspace ({why})", part, why=why)
    tk.state = "done"
    return JSONResponse({"ok": True, "name": name, "bytes": tk.received})


def routes() -> list:
    """The Starlette route(s) of big files."""
    from starlette.routing import Route

    return [Route(ROUTE, _receive, methods=["PUT"])]


def mount() -> list:
    """:func:`routes`, for the server ``app.py`` starts: from now on the Data page offers the big-file picker."""
    _MOUNTED.set()
    return routes()


# ------------------------------------------------------------------ the file picker (a Streamlit component)

_HTML = """<div class="cl-big">
<label class="cl-pick"><span class="cl-btn"></span><input type="file" class="cl-input"></label>
<span class="cl-file"></span>
<progress class="cl-bar" max="1" value="0"></progress>
<div class="cl-status" role="status"></div>
</div>"""

_CSS = """
.cl-big { font-family: var(--st-font, sans-serif); font-size: 0.9rem; display: flex; flex-wrap: wrap;
  align-items: center; gap: 0.6rem; padding: 0.8rem; border: 1px dashed var(--st-border-color, #ccc);
  border-radius: 0.5rem; }
.cl-pick input { display: none; }
.cl-btn { display: inline-block; padding: 0.35rem 0.9rem; border: 1px solid var(--st-border-color, #ccc);
  border-radius: 0.5rem; cursor: pointer; background: var(--st-secondary-background-color, #f0f2f6); }
.cl-btn:hover { border-color: var(--st-primary-color, #ff4b4b); color: var(--st-primary-color, #ff4b4b); }
.cl-bar { flex: 1 1 12rem; min-width: 8rem; visibility: hidden; }
.cl-status { flex-basis: 100%; color: var(--st-text-color, inherit); opacity: 0.85; }
.cl-status.cl-error { color: var(--st-red-color, #d33); opacity: 1; }
"""

# words come from Python's locale files and are set as text (textContent), never as markup
_JS = """
export default function (component) {
  const { data, setStateValue, parentElement } = component;
  const root = parentElement.querySelector('.cl-big');
  if (!root || !data) { return; }
  const input = root.querySelector('.cl-input');
  const bar = root.querySelector('.cl-bar');
  const status = root.querySelector('.cl-status');
  const fileLabel = root.querySelector('.cl-file');
  root.querySelector('.cl-btn').textContent = data.words.choose;
  input.accept = data.accept;
  const mb = (n) => (n / 1048576).toLocaleString(undefined, { maximumFractionDigits: 0 });
  const say = (text, error) => { status.textContent = text; status.classList.toggle('cl-error', !!error); };
  if (root.dataset.busy) {
    /* a file is on its way: leave the bar alone */
  } else if (data.done) {
    fileLabel.textContent = data.done; bar.value = 1; bar.style.visibility = 'visible'; say(data.words.received, false);
  } else {
    say(data.words.hint, false); fileLabel.textContent = ''; bar.style.visibility = 'hidden';
  }
  input.onchange = () => {
    const f = input.files && input.files[0];
    input.value = '';
    if (!f || root.dataset.busy) { return; }
    fileLabel.textContent = f.name;
    if (f.size > data.max_bytes) {
      say(data.words.too_big.replace('{size}', mb(f.size)), true);
      return;
    }
    root.dataset.busy = '1';
    bar.value = 0;
    bar.style.visibility = 'visible';
    const xhr = new XMLHttpRequest();
    xhr.open('PUT', data.url);
    xhr.setRequestHeader('X-File-Name', encodeURIComponent(f.name));
    xhr.upload.onprogress = (e) => {
      const total = e.lengthComputable ? e.total : f.size;
      bar.value = total ? e.loaded / total : 0;
      say(data.words.sending.replace('{done}', mb(e.loaded)).replace('{total}', mb(total)), false);
    };
    xhr.onload = () => {
      delete root.dataset.busy;
      if (xhr.status === 200) {
        bar.value = 1;
        say(data.words.received, false);
        setStateValue('uploaded', { token: data.token, name: f.name, size: f.size });
      } else {
        let code = 'failed';
        try { code = JSON.parse(xhr.responseText).error || code; } catch (e) { /* not JSON */ }
        say(data.words.failed, true);
        setStateValue('uploaded', { token: data.token, name: f.name, size: f.size, error: code });
      }
    };
    xhr.onerror = () => {
      delete root.dataset.busy;
      say(data.words.network, true);
    };
    say(data.words.sending.replace('{done}', '0').replace('{total}', mb(f.size)), false);
    xhr.send(f);
  };
}
"""

_COMPONENT = None


def _component():
    global _COMPONENT
    if _COMPONENT is None:
        import streamlit as st

        _COMPONENT = st.components.v2.component("cinelens.big_upload", html=_HTML, css=_CSS, js=_JS)
    return _COMPONENT


def url_for(token: str) -> str:
    """The route's URL for a ticket, under the server's base path."""
    from streamlit import config

    base = str(config.get_option("server.baseUrlPath") or "").strip("/")
    return ("/" + base if base else "") + ROUTE.replace("{token}", token)


def picker(ticket: Ticket, *, key: str, accept: list[str], words: dict) -> dict | None:
    """The file picker for one ticket. Returns what the browser reported once a file was sent
    ({token, name, size[, error]}), else None. Trust only the ticket's own state, not this report."""
    res = _component()(
        key=key,
        data={
            "token": ticket.token,
            "url": url_for(ticket.token),
            "max_bytes": ticket.max_bytes,
            "accept": ",".join(accept),
            "done": ticket.name if ticket.state == "done" else "",
            "words": words,
        },
        default={"uploaded": None},
        on_uploaded_change=lambda: None,
    )
    got = getattr(res, "uploaded", None)
    return got if isinstance(got, dict) and got.get("token") == ticket.token else None
