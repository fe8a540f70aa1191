"""Adding a model is one file plus one registration line (CONTRIBUTING.md, "Adding a model").

``ItemAverage`` below stands for that file: a damped item mean that knows nothing of the rest of the
product. Registering it (one line) is enough for the whole contract to run on it, for ``make_model``,
the command line, the evaluation loop and the audience scorers to use it.
"""

import json
from pathlib import Path

import numpy as np
import pytest

from recsys_core.__main__ import main
from recsys_core.evaluation import Holdout, compare, summarise
from recsys_core.models import REGISTRY, Recommender, make_model
from recsys_core.models.capabilities import capabilities
from recsys_core.profiling.audience import available_models, make_scorer
from recsys_core.trainset import Trainset

from .contract import contract_classes, planted_frame

TINY = Path(__file__).resolve().parents[1] / "data" / "tiny_ratings.csv"


# ---------------------------------------------------------------------------- "the one file"
class ItemAverage(Recommender):
    """r_ui = (sum of the item's ratings + damping * mu) / (n_i + damping)."""

    name = "item-average"

    def __init__(self, damping: float = 5.0):
        self.damping = damping

    def _fit(self, ts):
        if float(self.damping) < 0:
            raise ValueError("damping must be >= 0")
        n = np.bincount(ts.i, minlength=ts.n_items)
        total = np.bincount(ts.i, weights=ts.r, minlength=ts.n_items)
        self.mu_ = ts.global_mean
        self.item_mean_ = (total + float(self.damping) * self.mu_) / (n + float(self.damping))

    def _estimate_pairs(self, u, i):
        return self.item_mean_[np.asarray(i)]

    def _score_users(self, u):
        return np.tile(self.item_mean_, (len(u), 1))

    @classmethod
    def cost(cls, n_users: int, n_items: int, n_ratings: int, **params):
        """HasCostEnvelope: one float per film to keep, one pass over the ratings to fit."""
        from recsys_core.models.cost import Cost

        return Cost(memory_bytes=8 * n_items + 16 * n_ratings, fit_seconds=1e-8 * n_ratings)


# ---------------------------------------------------------------------------- "the registration line"
@pytest.fixture
def registered(monkeypatch):
    monkeypatch.setitem(REGISTRY, "item-average", ItemAverage)
    return "item-average"


# the whole model contract, exactly as every registered model gets it
globals().update(contract_classes({"item-average": ItemAverage}))


def test_the_throwaway_model_got_the_contract():
    assert "TestContract_item_average" in globals()
    # the cost envelope comes with the base class (its default covers per-user / per-film state)
    assert capabilities(ItemAverage) == ("rating_prediction", "cost_envelope")


def test_registered_model_is_made_by_name_and_fits(registered):
    ts = Trainset.from_frame(planted_frame(), (1, 5))
    m = make_model(registered, damping=0.0).fit(ts)
    j = ts.inner_item("i0")
    ratings = ts.r[ts.i == j]
    assert m.predict("u0", "i0").estimate == pytest.approx(float(ratings.mean()))


def test_registered_model_runs_in_the_evaluation_loop(registered):
    res = summarise(
        compare({registered: make_model(registered)}, Holdout(0.2, seed=0), planted_frame(), rating_scale=(1, 5))
    )
    row = res.set_index("model").loc[registered]
    assert 0 < row["rmse"] < 2.0 and 0 <= row["ndcg@10"] <= 1


def test_registered_model_runs_from_the_command_line(registered, tmp_path):
    out = tmp_path / "recs.json"
    assert main(["recommend", str(TINY), "--model", registered, "--all-users", "--n", "2", "--json", str(out)]) == 0
    res = json.loads(out.read_text())
    assert res["model"] == registered and res["params"] == {"damping": 5.0}
    assert res["users"] == len(res["recommendations"]) and all(len(v) <= 2 for v in res["recommendations"].values())


def test_registered_model_scores_audiences(registered):
    assert registered in available_models()
    ts = Trainset.from_frame(planted_frame(), (1, 5))
    scorer = make_scorer(registered).fit(ts, threshold=4.0)
    assert scorer.scores_for_item(ts.inner_item("i3")).shape == (ts.n_users,)
