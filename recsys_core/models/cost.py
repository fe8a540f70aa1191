"""Cost envelopes: how much memory and time a model needs for a dataset of a given shape.

Every registered model declares ``cost(n_users, n_items, n_ratings, **params) -> Cost`` (a class
method; the default in :mod:`recsys_core.models.base` covers models whose state grows with the
ratings and the number of users and films). :func:`check_fits` compares that envelope with the
memory budget and its declared fit time with the time budget *before* anything is fitted and raises
:class:`ModelTooLarge` (memory) or its subclass :class:`ModelTooSlow` (time), whose message names the
model, what it would need, the budget and the models that fit both budgets.

The memory budget is ``CINELENS_MEMORY_BUDGET`` ("8G", "512M", "1.5GB", a byte count, or "50%" of the
physical memory); without it, :data:`DEFAULT_FRACTION` of the physical memory. The time budget is
``CINELENS_TIME_BUDGET`` ("30m", "2h", "900s" or a number of seconds) for one fit; without it,
:data:`DEFAULT_TIME_BUDGET` seconds. The app sets either for a session (:func:`budget_scope`,
:func:`time_budget_scope`).

The numbers are envelopes, not predictions: they were fitted to peak resident memory and fit time
measured on synthetic long-tail data at a few sizes (``benchmarks/bench_scale_sparse.py``;
``benchmarks/bench_cost_envelopes.py`` prints each model's declared fit time beside a measured fit)
and rounded up. The time budget is per fit: a 5-fold evaluation fits each model five times.
"""

from __future__ import annotations

import contextvars
import os
import re
from contextlib import contextmanager
from dataclasses import dataclass

DEFAULT_FRACTION = 0.5
ENV_VAR = "CINELENS_MEMORY_BUDGET"
TIME_ENV_VAR = "CINELENS_TIME_BUDGET"
#: seconds one fit may declare (on 2 cores) without a setting: 30 minutes
DEFAULT_TIME_BUDGET = 1800.0

#: bytes every fit pays per training rating: the rating frame, the trainset's id arrays, its CSR/CSC
#: copies and the binary matrix (measured peak about 180 B/rating for the bias baseline)
BYTES_PER_RATING = 200
#: per user and per film: raw-id maps, bias vectors, fallback offsets
BYTES_PER_ENTITY = 300
#: rows of the dense (users x films) score block that top-N works on at a time
SCORE_BLOCK_ELEMENTS = 1024 * 2000
#: users x films products the content model computes at a time
BLOCK_ELEMENTS_CONTENT = 2_000_000

_SCOPE: contextvars.ContextVar[int | None] = contextvars.ContextVar("cinelens_memory_budget", default=None)
_TIME_SCOPE: contextvars.ContextVar[float | None] = contextvars.ContextVar("cinelens_time_budget", default=None)

_UNITS = {"": 1, "B": 1, "K": 1024, "M": 1024**2, "G": 1024**3, "T": 1024**4}
_TIME_UNITS = {"": 1, "S": 1, "SEC": 1, "M": 60, "MIN": 60, "H": 3600, "HR": 3600}


@dataclass(frozen=True)
class Cost:
    """A model's envelope for one dataset shape: peak memory (bytes) and fit time (seconds, 2 cores)."""

    memory_bytes: int
    fit_seconds: float
    note: str = ""


def format_bytes(n: float) -> str:
    """1536 -> '1.5 KB', 3.2e9 -> '3.0 GB' (binary units)."""
    n = float(n)
    for unit in ("B", "KB", "MB", "GB", "TB"):
        if abs(n) < 1024 or unit == "TB":
            return f"{n:.0f} {unit}" if unit == "B" else f"{n:.1f} {unit}"
        n /= 1024
    return f"{n:.1f} TB"  # pragma: no cover


def duration_parts(s: float) -> tuple[str, dict]:
    """A duration as (unit, fields) in whole seconds / minutes: 50.2 -> ('s', {'s': '50'}),
    700 -> ('min_s', {'m': 11, 's': 40}), 5274 -> ('h_min', {'h': 1, 'm': 28}); also 'min' and 'h'."""
    s = max(float(s), 0.0)
    if s < 60:
        return "s", {"s": f"{s:.0f}" if s >= 1 else f"{s:.2g}"}
    total = int(round(s))
    if total < 3600:
        m, sec = divmod(total, 60)
        return ("min_s", {"m": m, "s": sec}) if sec else ("min", {"m": m})
    h, m = divmod(int(round(s / 60)), 60)
    return ("h_min", {"h": h, "m": m}) if m else ("h", {"h": h})


_DURATION = {"s": "{s} s", "min_s": "{m} min {s} s", "min": "{m} min", "h_min": "{h} h {m} min", "h": "{h} h"}


def format_seconds(s: float) -> str:
    """50.2 -> '50 s', 700 -> '11 min 40 s', 5274 -> '1 h 28 min' (whole seconds / minutes)."""
    unit, fields = duration_parts(s)
    return _DURATION[unit].format(**fields)


class ModelTooLarge(ValueError):
    """A model whose envelope exceeds the memory budget for this dataset; nothing was fitted.

    ``resource`` says which budget refused it ("memory" here, "time" for :class:`ModelTooSlow`)."""

    resource = "memory"

    def __init__(self, model: str, need_bytes: int, budget_bytes: int, fits: list[str], note: str = ""):
        why, fit_text = self._keep(model, need_bytes, budget_bytes, fits, note)
        super().__init__(
            f"model {model!r} would need about {format_bytes(need_bytes)} of memory{why}, over the budget of "
            f"{format_bytes(budget_bytes)}; models that fit this dataset: {fit_text}. "
            f"Raise the budget with {ENV_VAR} (e.g. 16G) or pick one of those."
        )

    def _keep(self, model: str, need_bytes: int, budget_bytes: int, fits: list[str], note: str) -> tuple[str, str]:
        """Set the fields every refusal carries; returns (the note in brackets, the models that fit as text)."""
        self.model, self.need_bytes, self.budget_bytes = model, int(need_bytes), int(budget_bytes)
        self.fits, self.note = list(fits), note
        return (f" ({note})" if note else ""), (", ".join(self.fits) if self.fits else "none")


class ModelTooSlow(ModelTooLarge):
    """A model whose declared fit time exceeds the time budget for this dataset; nothing was fitted.

    A :class:`ModelTooLarge` (so every caller that refuses over memory refuses over time the same way);
    ``need_bytes`` / ``budget_bytes`` are its memory need and the memory budget, which it fits."""

    resource = "time"

    def __init__(
        self,
        model: str,
        need_seconds: float,
        budget_seconds: float,
        fits: list[str],
        note: str = "",
        need_bytes: int = 0,
        budget_bytes: int = 0,
    ):
        self.need_seconds = float(need_seconds)
        self.budget_seconds = float(budget_seconds)
        why, fit_text = self._keep(model, need_bytes, budget_bytes, fits, note)
        ValueError.__init__(
            self,
            f"model {model!r} would take about {format_seconds(need_seconds)} to fit on 2 cores{why}, over the "
            f"time budget of {format_seconds(budget_seconds)}; models that fit this dataset: {fit_text}. "
            f"Raise the budget with {TIME_ENV_VAR} (e.g. 2h) or the app's time budget setting, or pick one of those.",
        )


def physical_memory() -> int:
    """Bytes of physical memory (a cgroup limit counts when it is lower)."""
    try:
        total = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    except (ValueError, OSError, AttributeError):  # pragma: no cover - non-POSIX
        total = 8 * 1024**3
    for path in ("/sys/fs/cgroup/memory.max", "/sys/fs/cgroup/memory/memory.limit_in_bytes"):
        try:
            with open(path, encoding="ascii") as fh:
                text = fh.read().strip()
        except OSError:
            continue
        if text.isdigit() and 0 < int(text) < total:
            total = int(text)
    return int(total)


def parse_budget(text: str | int | float) -> int:
    """'8G' / '512M' / '1.5GB' / '2000000000' / '50%' -> bytes. Raises ValueError on anything else."""
    if isinstance(text, (int, float)) and not isinstance(text, bool):
        if text <= 0:
            raise ValueError(f"memory budget must be positive (got {text})")
        return int(text)
    s = str(text).strip().upper().replace(" ", "")
    m = re.fullmatch(r"(\d+(?:\.\d+)?)%", s)
    if m:
        frac = float(m.group(1)) / 100
        if not 0 < frac <= 1:
            raise ValueError(f"memory budget percentage must be in (0, 100] (got {text!r})")
        return int(physical_memory() * frac)
    m = re.fullmatch(r"(\d+(?:\.\d+)?)([KMGT]?)(I?B)?", s)
    if not m or float(m.group(1)) <= 0:
        raise ValueError(f"cannot read memory budget {text!r}; write it like 8G, 512M, 2000000000 or 50%")
    return int(float(m.group(1)) * _UNITS[m.group(2)])


@contextmanager
def _scoped(var: contextvars.ContextVar, value):
    """Set a context variable for the block (the app's per-session budgets)."""
    token = var.set(value)
    try:
        yield
    finally:
        var.reset(token)


def _setting(scope: contextvars.ContextVar, env_var: str, parse, default):
    """A budget: the innermost scope, else the environment variable (parsed; an unreadable value is a ValueError
    naming the variable), else ``default()``."""
    scoped = scope.get()
    if scoped is not None:
        return scoped
    raw = os.environ.get(env_var, "").strip()
    if raw:
        try:
            return parse(raw)
        except ValueError as e:
            raise ValueError(f"{env_var}: {e}") from None
    return default()


def budget_scope(budget: int | str | None):
    """Within the block, :func:`memory_budget` is ``budget`` (bytes or "8G"; None = the default).

    The app uses it to apply a budget chosen in its settings to the work of one session.
    """
    return _scoped(_SCOPE, None if budget is None else parse_budget(budget))


def memory_budget() -> int:
    """The memory budget in bytes: the innermost :func:`budget_scope`, else ``CINELENS_MEMORY_BUDGET``,
    else a fraction of physical memory."""
    return int(_setting(_SCOPE, ENV_VAR, parse_budget, lambda: physical_memory() * DEFAULT_FRACTION))


def parse_time_budget(text: str | int | float) -> float:
    """'30m' / '2h' / '900s' / '900' / '1.5h' / 900 -> seconds. Raises ValueError on anything else."""
    if isinstance(text, (int, float)) and not isinstance(text, bool):
        if not text > 0 or text == float("inf"):
            raise ValueError(f"time budget must be a positive number of seconds (got {text})")
        return float(text)
    s = str(text).strip().upper().replace(" ", "")
    m = re.fullmatch(r"(\d+(?:\.\d+)?)([A-Z]*)", s)
    if not m or m.group(2) not in _TIME_UNITS or float(m.group(1)) <= 0:
        raise ValueError(f"cannot read time budget {text!r}; write it like 30m, 2h, 900s or 900 (seconds)")
    return float(m.group(1)) * _TIME_UNITS[m.group(2)]


def time_budget_scope(budget: float | str | None):
    """Within the block, :func:`time_budget` is ``budget`` (seconds or "30m"; None = the default)."""
    return _scoped(_TIME_SCOPE, None if budget is None else parse_time_budget(budget))


def time_budget() -> float:
    """The time budget of one fit in seconds: the innermost :func:`time_budget_scope`, else
    ``CINELENS_TIME_BUDGET``, else :data:`DEFAULT_TIME_BUDGET`."""
    return float(_setting(_TIME_SCOPE, TIME_ENV_VAR, parse_time_budget, lambda: DEFAULT_TIME_BUDGET))


#: cores the declared fit times assume (the envelopes are for a 2-core machine)
DECLARED_CORES = 2


#: threads that score (or compute similarity) blocks at once: each holds one block in memory
MAX_BLOCK_THREADS = 4


def usable_cores() -> int:
    """Cores this process may run on (its CPU affinity where the system reports one)."""
    if hasattr(os, "sched_getaffinity"):
        return max(1, len(os.sched_getaffinity(0)))
    return max(1, os.cpu_count() or 1)


def block_threads() -> int:
    """Blocks of top-N scores or similarities computed at once: a core each, at most
    :data:`MAX_BLOCK_THREADS` (every envelope holds that many blocks)."""
    return min(usable_cores(), MAX_BLOCK_THREADS)


def base_memory(n_users: int, n_items: int, n_ratings: int) -> int:
    """What every fit and top-N pass needs: the data structures plus a block of scores per thread."""
    block = min(int(n_items) * 1024, max(SCORE_BLOCK_ELEMENTS, int(n_items) * 64))
    return int(BYTES_PER_RATING * n_ratings + BYTES_PER_ENTITY * (n_users + n_items) + block_threads() * 3 * 8 * block)


def model_cost(name: str, n_users: int, n_items: int, n_ratings: int, **params) -> Cost:
    """The envelope of registered model ``name`` for a dataset shape."""
    from . import REGISTRY

    key = str(name).strip().lower()
    if key not in REGISTRY:
        raise ValueError(f"unknown model {name!r}; choose from: {', '.join(REGISTRY)}")
    return REGISTRY[key].cost(int(n_users), int(n_items), int(n_ratings), **params)


def _budgets(budget: int | None, seconds: float | str | None) -> tuple[int, float]:
    """(memory bytes, seconds): the given budgets ("2h" reads as 7200), else the current ones."""
    memory = memory_budget() if budget is None else int(budget)
    return memory, (time_budget() if seconds is None else parse_time_budget(seconds))


def models_that_fit(
    n_users: int, n_items: int, n_ratings: int, budget: int | None = None, time_budget: float | None = None
) -> list[str]:
    """Registered model names (default parameters) whose envelope fits the memory budget and whose
    declared fit time fits the time budget, in registry order."""
    from . import REGISTRY

    budget, seconds = _budgets(budget, time_budget)
    out = []
    for n in REGISTRY:
        c = model_cost(n, n_users, n_items, n_ratings)
        if c.memory_bytes <= budget and c.fit_seconds <= seconds:
            out.append(n)
    return out


def _refuse(name: str, cost: Cost, shape: tuple[int, int, int], budget: int, seconds: float) -> Cost:
    """``cost`` when it fits both budgets; else :class:`ModelTooLarge` (memory, checked first) or
    :class:`ModelTooSlow` (time)."""
    if cost.memory_bytes > budget:
        raise ModelTooLarge(name, cost.memory_bytes, budget, models_that_fit(*shape, budget, seconds), cost.note)
    if cost.fit_seconds > seconds:
        fits = models_that_fit(*shape, budget, seconds)
        raise ModelTooSlow(name, cost.fit_seconds, seconds, fits, cost.note, cost.memory_bytes, budget)
    return cost


def check_fits(
    name: str,
    n_users: int,
    n_items: int,
    n_ratings: int,
    budget: int | None = None,
    time_budget: float | None = None,
    **params,
) -> Cost:
    """The model's envelope if it fits both budgets; otherwise :class:`ModelTooLarge` over memory or
    :class:`ModelTooSlow` over time (nothing is fitted)."""
    budget, seconds = _budgets(budget, time_budget)
    cost = model_cost(name, n_users, n_items, n_ratings, **params)
    return _refuse(str(name).strip().lower(), cost, (n_users, n_items, n_ratings), budget, seconds)


def check_model(
    model, n_users: int, n_items: int, n_ratings: int, budget: int | None = None, time_budget: float | None = None
) -> Cost:
    """:func:`check_fits` for a model instance, with its own parameters (any Recommender subclass)."""
    budget, seconds = _budgets(budget, time_budget)
    cost = type(model).cost(int(n_users), int(n_items), int(n_ratings), **model.get_params())
    name = str(getattr(model, "name", type(model).__name__))
    return _refuse(name, cost, (int(n_users), int(n_items), int(n_ratings)), budget, seconds)


def dataset_shape(ratings) -> tuple[int, int, int]:
    """(users, films, ratings) of a frame of interactions (rows with a rating)."""
    r = ratings[ratings["rating"].notna()] if "rating" in ratings else ratings
    return int(r["user_id"].nunique()), int(r["item_id"].nunique()), int(len(r))


def check_trainset(model, trainset, budget: int | None = None, time_budget: float | None = None) -> Cost:
    """:func:`check_model` on a trainset's shape."""
    return check_model(model, trainset.n_users, trainset.n_items, trainset.n_ratings, budget, time_budget)


__all__ = [
    "Cost",
    "ModelTooLarge",
    "ModelTooSlow",
    "memory_budget",
    "time_budget",
    "parse_time_budget",
    "time_budget_scope",
    "format_seconds",
    "parse_budget",
    "physical_memory",
    "check_fits",
    "check_trainset",
    "check_model",
    "budget_scope",
    "dataset_shape",
    "models_that_fit",
    "model_cost",
    "base_memory",
    "format_bytes",
]
