"""Experiments: a protocol (split, folds, seed, K) and the cells of models x params x folds.

The loop itself is :func:`recsys_core.evaluation.evaluate` (the one loop); this module turns a
protocol into a splitter and folds, and runs comparisons and searches through that loop with the
caller's per-cell hook (the app caches cells and shows progress, the command line prints).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from ..evaluation import ALL_METRICS, Evaluation, evaluate
from ..evaluation.compare import DEFAULT_CURVE_KS, CellHook
from ..evaluation.splits import make_splitter
from ..evaluation.tuning import TuningResult, search
from ..models import make_model


def protocol_dict(
    split: str = "kfold", folds: int = 5, test_size: float = 0.2, leave_n: int = 1, seed: int = 0, k: int = 10
) -> dict:
    """Only the settings that matter for the chosen split (so equal protocols compare equal)."""
    p = {"split": split, "seed": int(seed), "k": int(k)}
    if split == "kfold":
        p["folds"] = int(folds)
    elif split in ("random", "temporal"):
        p["test_size"] = float(test_size)
    else:
        p["n"] = int(leave_n)
    return p


def splitter_for(protocol: dict):
    p = protocol
    return make_splitter(
        p["split"], folds=p.get("folds", 5), test_size=p.get("test_size", 0.2), seed=p.get("seed", 0), n=p.get("n", 1)
    )


def n_folds(protocol: dict) -> int:
    return int(protocol["folds"]) if protocol["split"] == "kfold" else 1


def make_folds(ds, protocol: dict) -> list:
    """The (train, test) pairs of a protocol on a dataset (a split that cannot be made raises ValueError)."""
    return list(splitter_for(protocol).split(ds.interactions))


@dataclass
class ExperimentResult:
    """``evaluation`` of the models that ran (None when none did); ``failures``: {model: one-line reason};
    ``refused``: {model: ModelTooLarge} for models left out before anything ran (over the memory budget, or
    over the time budget: :class:`~recsys_core.models.cost.ModelTooSlow`)."""

    evaluation: Evaluation | None
    failures: dict = field(default_factory=dict)
    configs: dict = field(default_factory=dict)
    refused: dict = field(default_factory=dict)

    @property
    def ok_configs(self) -> dict:
        return {n: c for n, c in self.configs.items() if n not in self.failures and n not in self.refused}


def run_experiment(
    ds,
    configs: dict[str, dict],
    protocol: dict,
    on_cell: CellHook | None = None,
    folds: list | None = None,
    metrics=ALL_METRICS,
    curve_ks=DEFAULT_CURVE_KS,
    skip_failures: bool = True,
) -> ExperimentResult:
    """Every configured model ({name: params}) on every fold. A model whose cost envelope exceeds the
    memory or time budget is left out before anything runs (``refused``, with need, budget and the models that
    fit); a failing model is skipped with its reason (or, without ``skip_failures``, its error propagates)."""
    folds = make_folds(ds, protocol) if folds is None else folds
    models = {name: make_model(name, **params) for name, params in configs.items()}
    failures: dict | None = {} if skip_failures else None
    refused: dict = {}
    ev = evaluate(
        models,
        splitter_for(protocol),
        ds,
        metrics=metrics,
        k=protocol["k"],
        curve_ks=curve_ks,
        folds=folds,
        on_cell=on_cell,
        failures=failures,
        refused=refused,
    )
    return ExperimentResult(ev if len(ev.folds) else None, failures or {}, dict(configs), refused)


def run_search(
    ds,
    name: str,
    base_params: dict,
    space: dict,
    method: str,
    n_iter: int,
    protocol: dict,
    metric: str,
    on_cell: CellHook | None = None,
    folds: list | None = None,
) -> TuningResult:
    """Grid / random search of one model's parameters on the protocol's folds, through the same loop."""
    folds = make_folds(ds, protocol) if folds is None else folds
    return search(
        make_model(name, **base_params),
        space,
        ds,
        splitter=splitter_for(protocol),
        metric=metric,
        k=protocol["k"],
        method=method,
        n_iter=n_iter,
        seed=protocol.get("seed", 0),
        folds=folds,
        on_cell=on_cell,
    )
