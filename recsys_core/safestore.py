"""Saving fitted models and cached results without letting a file run code when it is loaded.

A saved object is one zip file (the ``.npz`` layout numpy uses):

* ``state.json`` - the object tree: numbers, strings, lists, dicts, and objects of an explicit allow-list
  of classes (every model class of the registry, :class:`~recsys_core.trainset.Trainset`, and the helper
  classes modules register with :func:`allow`). Objects are rebuilt with ``cls.__new__`` and their
  attribute dict; no constructor, no import of a name taken from the file.
* ``a<n>.npy`` - numpy arrays (read with ``allow_pickle=False``); scipy sparse matrices are stored as their
  component arrays, data frames as Parquet bytes.
* ``p<n>.npy`` - pickled bytes, only for objects outside the allow-list (e.g. scikit-learn estimators inside a
  sentiment model). Each carries an HMAC-SHA256 signature under a key kept outside the workspace
  (:mod:`recsys_core.keys`); a blob whose signature does not verify is never unpickled.
"""

from __future__ import annotations

import io
import json
import os
import pickle
import zipfile
from pathlib import Path

import numpy as np
import pandas as pd
import scipy.sparse as sp

from . import keys
from .errors import UserError

FORMAT = "cinelens-state/1"
_ALLOWED: dict[str, type] = {}
_SPARSE = {
    "csr_matrix": sp.csr_matrix,
    "csc_matrix": sp.csc_matrix,
    "coo_matrix": sp.coo_matrix,
    "csr_array": sp.csr_array,
    "csc_array": sp.csc_array,
    "coo_array": sp.coo_array,
}


class UntrustedState(UserError):
    """A stored object failed a check (signature, format, allow-list) and was not loaded."""


def allow(cls: type) -> type:
    """Add a class to the allow-list (usable as a decorator)."""
    _ALLOWED[_qualname(cls)] = cls
    return cls


def _qualname(cls: type) -> str:
    return f"{cls.__module__}:{cls.__qualname__}"


def _allowed() -> dict[str, type]:
    from .models import REGISTRY, knn
    from .trainset import Trainset

    out = {_qualname(c): c for c in REGISTRY.values()}
    for c in (Trainset, getattr(knn, "_Neighbourhood", None)):
        if c is not None:
            out[_qualname(c)] = c
    out.update(_ALLOWED)
    return out


# ----------------------------------------------------------------------------------------------- writing
class _Writer:
    def __init__(self):
        self.arrays: dict[str, np.ndarray] = {}
        self.objects: list[dict] = []
        self.memo: dict[int, dict] = {}
        self.keep: list = []  # keep encoded objects alive so their id() is not reused
        self.allowed = {c: n for n, c in _allowed().items()}

    def _array(self, a: np.ndarray, prefix: str = "a") -> str:
        key = f"{prefix}{len(self.arrays)}"
        self.arrays[key] = a
        return key

    def enc(self, v):
        if v is None or isinstance(v, (bool, int, str)) and type(v) in (bool, int, str):
            return v
        if isinstance(v, np.str_):
            return str(v)
        if type(v) is float:
            return v if np.isfinite(v) else {"t": "float", "v": repr(v)}
        ref = self.memo.get(id(v))
        if ref is not None:
            return ref
        node = self._enc_new(v)
        if isinstance(v, (np.ndarray, sp.spmatrix, sp.sparray, pd.DataFrame)) or node.get("t") in ("ref", "signed"):
            self.memo[id(v)] = node
            self.keep.append(v)
        return node

    def _enc_new(self, v) -> dict:
        if isinstance(v, (list, tuple)) and type(v) in (list, tuple):
            return {"t": type(v).__name__, "v": [self.enc(x) for x in v]}
        if type(v) is dict:
            if all(type(k) is str for k in v):
                return {"t": "dict", "v": {k: self.enc(x) for k, x in v.items()}}
            return {"t": "dictp", "v": [[self.enc(k), self.enc(x)] for k, x in v.items()]}
        if isinstance(v, np.generic) and v.dtype.kind in "biuf":
            return {"t": "np", "dtype": v.dtype.str, "v": self.enc(v.item())}
        if isinstance(v, np.ndarray):
            return self._enc_array(v)
        if isinstance(v, (sp.spmatrix, sp.sparray)):
            return self._enc_sparse(v)
        if type(v) is pd.DataFrame:
            node = self._enc_frame(v)
            if node is not None:
                return node
        cls = type(v)
        if cls in self.allowed and hasattr(v, "__dict__"):
            return self._enc_object(v, self.allowed[cls])
        return self._enc_signed(v)

    def _enc_array(self, a: np.ndarray) -> dict:
        if a.dtype.kind in "biufcmMUS" and not a.dtype.hasobject:
            return {"t": "nd", "k": self._array(a)}
        if a.dtype == object and a.ndim == 1 and all(type(x) is str for x in a):
            return {"t": "nd", "k": self._array(a.astype(str)), "object": True}
        return self._enc_signed(a)

    def _enc_sparse(self, m) -> dict:
        name = type(m).__name__
        fmt = m.format
        if name not in _SPARSE:
            name, fmt, m = "csr_matrix", "csr", sp.csr_matrix(m)
        if fmt == "coo":
            parts = {"row": m.row, "col": m.col, "data": m.data}
        else:
            parts = {"data": m.data, "indices": m.indices, "indptr": m.indptr}
        return {
            "t": "sparse",
            "cls": name,
            "shape": list(m.shape),
            "parts": {k: self._array(a) for k, a in parts.items()},
        }

    def _enc_frame(self, df: pd.DataFrame) -> dict | None:
        buf = io.BytesIO()
        try:
            df.to_parquet(buf, index=True)
        except (ValueError, TypeError, NotImplementedError, ImportError):
            return None
        lists = [str(c) for c in df.columns if df[c].dtype == object and df[c].map(lambda x: isinstance(x, list)).any()]
        return {"t": "frame", "k": self._array(np.frombuffer(buf.getvalue(), dtype=np.uint8)), "lists": lists}

    def _enc_object(self, v, name: str) -> dict:
        ref = {"t": "ref", "i": len(self.objects)}
        self.memo[id(v)] = ref
        self.keep.append(v)
        entry: dict = {"cls": name}
        self.objects.append(entry)
        skip = set(getattr(type(v), "_state_skip", ()))
        entry["state"] = {k: self.enc(x) for k, x in vars(v).items() if k not in skip}
        return ref

    def _enc_signed(self, v) -> dict:
        data = pickle.dumps(v, protocol=pickle.HIGHEST_PROTOCOL)
        key = self._array(np.frombuffer(data, dtype=np.uint8), prefix="p")
        return {"t": "signed", "k": key, "sig": keys.sign(data), "type": _qualname(type(v))}


def dumps(obj) -> bytes:
    """The bytes of the saved form of ``obj``."""
    w = _Writer()
    root = w.enc(obj)
    state = {"format": FORMAT, "root": root, "objects": w.objects}
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", compression=zipfile.ZIP_STORED, allowZip64=True) as z:
        z.writestr("state.json", json.dumps(state, ensure_ascii=False))
        for key, a in w.arrays.items():
            with z.open(f"{key}.npy", "w", force_zip64=True) as f:
                np.lib.format.write_array(f, np.ascontiguousarray(a), allow_pickle=False)
    return buf.getvalue()


def save(obj, path: str | os.PathLike) -> None:
    """Write the saved form of ``obj`` to ``path`` (via a temporary name, then renamed)."""
    path = Path(path)
    tmp = path.with_name(path.name + ".part")
    try:
        tmp.write_bytes(dumps(obj))
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)


# ----------------------------------------------------------------------------------------------- reading
class _Reader:
    def __init__(self, z: zipfile.ZipFile, state: dict, what: str):
        self.z = z
        self.what = what
        self.arrays: dict[str, object] = {}
        self.allowed = _allowed()
        self.objects: list = []
        for entry in state.get("objects", []):
            cls = self.allowed.get(entry.get("cls")) if isinstance(entry, dict) else None
            if cls is None:
                raise UntrustedState(f"{what} names a class CineLens does not load ({entry.get('cls')!r}); retrain it")
            self.objects.append(cls.__new__(cls))
        for inst, entry in zip(self.objects, state.get("objects", [])):
            inst.__dict__.update({k: self.dec(x) for k, x in entry["state"].items()})
            after = getattr(inst, "_after_state_load", None)
            if callable(after):
                after()

    def _read(self, key: str) -> np.ndarray:
        if key not in self.arrays:
            if not isinstance(key, str) or key[:1] not in ("a", "p") or not key[1:].isdigit():
                raise UntrustedState(f"{self.what} has a malformed entry; retrain it")
            try:
                with self.z.open(f"{key}.npy") as f:
                    self.arrays[key] = np.lib.format.read_array(f, allow_pickle=False)
            except (KeyError, ValueError, OSError) as e:
                raise UntrustedState(f"{self.what} is damaged ({e.__class__.__name__}); retrain it") from None
        return self.arrays[key]

    def dec(self, n):
        if not isinstance(n, dict):
            if isinstance(n, list):
                raise UntrustedState(f"{self.what} has a malformed entry; retrain it")
            return n
        t = n.get("t")
        handler = _DECODERS.get(t)
        if handler is None:
            raise UntrustedState(f"{self.what} has an entry of unknown kind {t!r}; retrain it")
        return handler(self, n)

    def _signed(self, n):
        data = self._read(n["k"]).tobytes()
        if not keys.verify(data, n.get("sig")):
            raise UntrustedState(
                f"{self.what} was not saved under this installation's signing key (changed outside CineLens, or "
                "saved on another machine), so it is not loaded; retrain it"
            )
        return pickle.loads(data)  # noqa: S301 - signature verified with a key outside the workspace


def _dec_nd(r: _Reader, n):
    a = r._read(n["k"])
    return a.astype(object) if n.get("object") else a


def _dec_sparse(r: _Reader, n):
    cls = _SPARSE.get(n.get("cls"))
    if cls is None:
        raise UntrustedState(f"{r.what} has an unknown sparse format; retrain it")
    p = {k: r._read(v) for k, v in n["parts"].items()}
    shape = tuple(int(x) for x in n["shape"])
    if cls.format == "coo":
        return cls((p["data"], (p["row"], p["col"])), shape=shape)
    return cls((p["data"], p["indices"], p["indptr"]), shape=shape)


def _dec_frame(r: _Reader, n):
    df = pd.read_parquet(io.BytesIO(r._read(n["k"]).tobytes()))
    for c in n.get("lists", []):
        if c in df.columns:
            df[c] = df[c].map(lambda x: x if x is None else list(x))
    return df


def _dec_dictp(r: _Reader, n):
    return {_hashable(r.dec(k)): r.dec(v) for k, v in n["v"]}


def _hashable(k):
    return tuple(k) if isinstance(k, list) else k


def _dec_ref(r: _Reader, n):
    i = n.get("i")
    if not isinstance(i, int) or not 0 <= i < len(r.objects):
        raise UntrustedState(f"{r.what} has a malformed entry; retrain it")
    return r.objects[i]


_DECODERS = {
    "list": lambda r, n: [r.dec(x) for x in n["v"]],
    "tuple": lambda r, n: tuple(r.dec(x) for x in n["v"]),
    "dict": lambda r, n: {k: r.dec(x) for k, x in n["v"].items()},
    "dictp": _dec_dictp,
    "float": lambda r, n: float(n["v"]),
    "np": lambda r, n: np.dtype(n["dtype"]).type(r.dec(n["v"])),
    "nd": _dec_nd,
    "sparse": _dec_sparse,
    "frame": _dec_frame,
    "ref": _dec_ref,
    "signed": lambda r, n: r._signed(n),
}


def load(path: str | os.PathLike, what: str = "saved object"):
    """Load an object saved by :func:`save`. Raises :class:`UntrustedState` when any check fails."""
    try:
        with zipfile.ZipFile(path) as z:
            try:
                state = json.loads(z.read("state.json"))
            except (KeyError, ValueError, RecursionError):
                raise UntrustedState(f"{what} is not in CineLens' saved-model format; retrain it") from None
            if not isinstance(state, dict) or state.get("format") != FORMAT:
                raise UntrustedState(f"{what} is not in CineLens' saved-model format; retrain it")
            r = _Reader(z, state, what)
            return r.dec(state.get("root"))
    except zipfile.BadZipFile:
        raise UntrustedState(f"{what} is not in CineLens' saved-model format (an old pickle?); retrain it") from None
    except (KeyError, TypeError, AttributeError, RecursionError) as e:
        raise UntrustedState(f"{what} is damaged ({e.__class__.__name__}); retrain it") from None
