"""Fits shared within one experiment run.

A comparison often fits the same model with the same parameters on the same training data more than
once in a fold: a hybrid blends ``svd``, ``itemcf``, ``bias`` and ``autorec-i``, which are usually
compared in the same run, and two hybrids (a tuning search over the blend's ridge) carve the same
validation split and fit the same members on it. The experiment loop plans every fit it will ask for
(:meth:`SharedFits.plan`), and each request for a (model, parameters, training data) it has fitted
before gets that fitted model back instead of a new fit. A fitted model is kept only while a planned
request for it is still to come, so nothing outlives its last use.

Models fit deterministically from their parameters (``random_state`` is a parameter), so a shared
fit is the fit the request would have made: results are the same with and without sharing.
Shared fitted models are read-only for whoever receives them.

Outside a run (no active :class:`SharedFits`), :func:`fit_shared` is a plain ``clone().fit(ts)``.
"""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar

_ACTIVE: ContextVar[SharedFits | None] = ContextVar("cinelens_shared_fits", default=None)

#: ``on_fit(model_name, params, data_key)``: called before every fit that actually runs
FitHook = Callable[[str, dict, tuple], None]


def fit_key(model) -> tuple:
    """What makes two unfitted models fit the same: their class and their parameters."""
    params = model.get_params()
    return (type(model).__module__, type(model).__qualname__, repr(sorted(params.items())))


def fit_requests(model) -> list[tuple]:
    """The fits a model asks for when fitted on a training set: ``[(model, data tag), ...]``, where the
    tag ``()`` is that training set itself and a longer tag names data derived from it. A model that
    declares none (``shared_fit_requests``) asks for one fit of itself."""
    requests = getattr(model, "shared_fit_requests", None)
    if requests is None:
        return [(model, ())]
    try:
        return [(model, ())] + list(requests())
    except (ValueError, TypeError, KeyError):  # a bad configuration fails later, in its own cell
        return [(model, ())]


class SharedFits:
    """The fits of one experiment run, shared between the requests for the same one.

    ``share=False`` fits every request (the comparison point); ``on_fit`` sees every fit that runs.
    ``fits`` counts the fits that ran per (model name, data key).
    """

    def __init__(self, share: bool = True, on_fit: FitHook | None = None):
        self.share = bool(share)
        self.on_fit = on_fit
        self.fits: Counter = Counter()
        self._left: Counter = Counter()  # (fit key, data key) -> requests still to come
        self._kept: dict = {}  # (fit key, data key) -> (fitted model, fit seconds)
        self._data: dict = {}  # id(trainset) -> data key, for the training sets of the running cell

    def plan(self, model, data_key: tuple) -> None:
        """Announce that ``model`` will be fitted on the data named ``data_key`` (with what it asks for)."""
        for m, tag in fit_requests(model):
            self._left[(fit_key(m), tuple(data_key) + tuple(tag))] += 1

    def unplan(self, model, data_key: tuple) -> None:
        """Withdraw a :meth:`plan` whose fit will not be asked for (its cell is skipped): a kept fit that
        only it was waiting for is let go."""
        for m, tag in fit_requests(model):
            key = (fit_key(m), tuple(data_key) + tuple(tag))
            if key in self._left:
                self._used(key)

    @contextmanager
    def training(self, ts, data_key: tuple) -> Iterator[None]:
        """While the block runs, requests on ``ts`` (or data derived from it) are named by ``data_key``."""
        token = _ACTIVE.set(self)
        self._data[id(ts)] = tuple(data_key)
        try:
            yield
        finally:
            self._data.pop(id(ts), None)
            _ACTIVE.reset(token)

    def data_key(self, ts) -> tuple | None:
        return self._data.get(id(ts))

    def fit(self, model, ts, data_key: tuple | None) -> tuple:
        """(fitted model, fit seconds) for ``model`` on ``ts``: a kept fit when there is one, else a new
        fit of a clone (kept when a planned request for it is still to come). ``data_key`` None: no sharing."""
        key = None if data_key is None else (fit_key(model), tuple(data_key))
        if key is not None and key in self._kept:
            fitted, seconds = self._kept[key]
            self._used(key)
            return fitted, seconds
        if self.on_fit is not None:
            self.on_fit(model.name, model.get_params(), data_key if data_key is not None else ())
        self.fits[(model.name, data_key)] += 1
        algo = model.clone()
        t0 = time.perf_counter()
        algo.fit(ts)
        seconds = time.perf_counter() - t0
        if key is not None:
            if self.share and self._left.get(key, 0) > 1:
                self._kept[key] = (algo, seconds)
            self._used(key)
        return algo, seconds

    def _used(self, key) -> None:
        self._left[key] -= 1
        if self._left[key] <= 0:
            self._left.pop(key, None)
            self._kept.pop(key, None)


def fit_shared(model, ts, parent=None, tag: tuple | None = ()):
    """``model`` fitted on ``ts`` (a fresh clone, or the run's earlier identical fit; read-only).

    ``ts`` is the training set of the running cell, or (with ``parent`` that training set and a ``tag``
    naming how it was derived, e.g. a seeded validation split) data derived from it; ``tag`` None: the
    derived data is not reproducible, so this fit is not shared."""
    cache = _ACTIVE.get()
    if cache is None:
        return model.clone().fit(ts)
    base = cache.data_key(ts if parent is None else parent)
    key = None if base is None or tag is None else base + tuple(tag)
    return cache.fit(model, ts, key)[0]
