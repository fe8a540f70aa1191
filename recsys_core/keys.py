"""Keys that must not live in the workspace: the signing key and the pseudonym key.

A workspace folder is data: it gets copied between colleagues, so anything in it can be replaced. The
keys that decide whether a stored object may be trusted (HMAC signatures) or that map raw ids to
pseudonyms live outside it:

* ``CINELENS_SECRET`` (any string; all keys are derived from it), or
* a key file ``secret.key`` in the user's config folder (``CINELENS_CONFIG_DIR``, else
  ``$XDG_CONFIG_HOME/cinelens``, else ``~/.config/cinelens``), created with mode 0600 at first use.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import secrets
import stat
from pathlib import Path

from .errors import UserError

_KEY_FILE = "secret.key"


def config_dir() -> Path:
    explicit = os.environ.get("CINELENS_CONFIG_DIR")
    if explicit:
        return Path(explicit)
    xdg = os.environ.get("XDG_CONFIG_HOME")
    base = Path(xdg) if xdg else Path.home() / ".config"
    return base / "cinelens"


def _read_or_create(path: Path) -> bytes:
    try:
        raw = path.read_text(encoding="ascii").strip()
    except FileNotFoundError:
        raw = ""
    except (OSError, UnicodeDecodeError) as e:
        raise UserError(
            f"cannot read the key file {path} ({e.__class__.__name__}); fix it or set CINELENS_SECRET"
        ) from None
    if raw:
        if path.stat().st_mode & (stat.S_IRWXG | stat.S_IRWXO):
            os.chmod(path, 0o600)
        return bytes.fromhex(raw) if _is_hex(raw) else raw.encode()
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    value = secrets.token_hex(32)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:  # another process created it just now
        return _read_or_create(path)
    except OSError as e:
        raise UserError(
            f"cannot create the key file {path} ({e.strerror}); set CINELENS_SECRET or CINELENS_CONFIG_DIR"
        ) from None
    with os.fdopen(fd, "w", encoding="ascii") as f:
        f.write(value + "\n")
    return bytes.fromhex(value)


def _is_hex(s: str) -> bool:
    return len(s) % 2 == 0 and all(c in "0123456789abcdefABCDEF" for c in s)


def master_key() -> bytes:
    env = os.environ.get("CINELENS_SECRET")
    if env:
        return env.encode("utf-8")
    return _read_or_create(config_dir() / _KEY_FILE)


def derived_key(purpose: str) -> bytes:
    """A 32-byte key for one purpose ("signing", "pseudonym", ...), derived from the master key."""
    return hmac.new(master_key(), b"cinelens:" + purpose.encode(), hashlib.sha256).digest()


def sign(data: bytes, purpose: str = "signing") -> str:
    return hmac.new(derived_key(purpose), data, hashlib.sha256).hexdigest()


def verify(data: bytes, signature: str, purpose: str = "signing") -> bool:
    return isinstance(signature, str) and hmac.compare_digest(sign(data, purpose), signature)


def pseudonym_key() -> bytes:
    """The key exports use to pseudonymise user ids (the same as ``Workspace.secret("pseudonym")``)."""
    return derived_key("workspace:pseudonym")
