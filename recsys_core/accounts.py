"""Sign-in for a shared CineLens server: accounts with argon2id password hashes and two roles.

* ``viewer``  browses every page
* ``analyst`` also uploads data, trains and saves models, and exports

The app asks for a password only when ``CINELENS_AUTH`` is set (``1``/``true``), or the workspace setting
``auth_required`` is on; without either, local use is as before. Accounts live in the workspace database
(``accounts`` table; only hashes). Add one with ``python -m recsys_core users add NAME --role analyst``.
Failed sign-ins are rate-limited per account name: after 5 failures within 5 minutes, 5 minutes' wait.
"""

from __future__ import annotations

import os
import threading
import time
from collections import defaultdict, deque
from dataclasses import dataclass

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

from .errors import UserError

ROLES = ("viewer", "analyst")
ANALYST_ACTIONS = frozenset({"upload", "train", "export"})
MAX_FAILURES = 5
WINDOW_SECONDS = 300.0
_hasher = PasswordHasher()  # argon2id, the library's current defaults


def auth_required(workspace=None) -> bool:
    env = os.environ.get("CINELENS_AUTH", "").strip().lower()
    if env in ("1", "true", "yes", "on"):
        return True
    if env in ("0", "false", "no", "off"):
        return False
    return workspace is not None and str(workspace.get_setting("auth_required", "")).lower() in ("1", "true")


def allowed(role: str | None, action: str) -> bool:
    """May a signed-in ``role`` do ``action``? Browsing is open to both roles; upload/train/export need analyst."""
    if action not in ANALYST_ACTIONS:
        return role in ROLES
    return role == "analyst"


def hash_password(password: str) -> str:
    if len(password) < 8:
        raise UserError("the password is too short - use at least 8 characters")
    return _hasher.hash(password)


def add_account(workspace, name: str, password: str, role: str) -> None:
    name = name.strip()
    if not name or len(name) > 64 or any(c.isspace() for c in name):
        raise UserError(f"account name {name!r} is not usable - 1-64 characters, no spaces")
    if role not in ROLES:
        raise UserError(f"unknown role {role!r} - choose viewer or analyst")
    workspace.save_account(name, hash_password(password), role)


@dataclass
class SignIn:
    ok: bool
    role: str | None = None
    wait_seconds: float = 0.0  # > 0: refused because of too many failures


class _Limiter:
    def __init__(self):
        self._fails: dict[str, deque] = defaultdict(deque)
        self._lock = threading.Lock()

    def wait(self, name: str, now: float) -> float:
        with self._lock:
            q = self._fails[name]
            while q and now - q[0] > WINDOW_SECONDS:
                q.popleft()
            return WINDOW_SECONDS - (now - q[0]) if len(q) >= MAX_FAILURES else 0.0

    def fail(self, name: str, now: float) -> None:
        with self._lock:
            self._fails[name].append(now)

    def clear(self, name: str) -> None:
        with self._lock:
            self._fails.pop(name, None)


LIMITER = _Limiter()


def sign_in(workspace, name: str, password: str, now: float | None = None) -> SignIn:
    """Check a password; every failure counts towards the account name's limit (known or not)."""
    now = time.monotonic() if now is None else now
    key = name.strip().lower()
    wait = LIMITER.wait(key, now)
    if wait > 0:
        return SignIn(False, wait_seconds=wait)
    row = workspace.account(name.strip())
    ok = False
    if row is not None:
        try:
            ok = _hasher.verify(row["hash"], password)
        except (VerifyMismatchError, VerificationError, InvalidHashError):
            ok = False
    else:
        _hasher.hash(password or "x")  # same cost whether or not the name exists
    if not ok:
        LIMITER.fail(key, now)
        workspace.log_event("sign_in_failed", {"name": name.strip()[:64]}, level="warning")
        return SignIn(False)
    LIMITER.clear(key)
    workspace.log_event("signed_in", {"name": row["name"], "role": row["role"]})
    return SignIn(True, role=row["role"])
