"""Lab.experiment / Lab.tune: one loop over models x params x folds, with a per-cell hook."""

import pytest

from recsys_core.app import Lab, protocol_dict
from recsys_core.evaluation import evaluate
from recsys_core.evaluation.splits import KFold
from recsys_core.evaluation.tuning import grid_search
from recsys_core.models import make_model
from tests.recommend.fixtures import tiny_dataset


@pytest.fixture(scope="module")
def ds():
    return tiny_dataset()


def test_every_cell_goes_through_the_hook_in_order(ds):
    seen = []

    def on_cell(cell, compute):
        seen.append((cell.label, cell.fold, cell.step, cell.total))
        return compute()

    protocol = protocol_dict("kfold", folds=3, seed=1, k=5)
    res = Lab().experiment(ds, {"baseline": {}, "bias": {"reg_u": 5.0}}, protocol, on_cell=on_cell)
    assert seen == [("baseline", f, f, 6) for f in range(3)] + [("bias", f, 3 + f, 6) for f in range(3)]
    ev = res.evaluation
    assert ev.models == ["baseline", "bias"] and res.failures == {}
    assert ev.params["bias"]["reg_u"] == 5.0
    # the same numbers as evaluate() on the same split
    ref = evaluate({"baseline": make_model("baseline"), "bias": make_model("bias", reg_u=5.0)}, KFold(3, 1), ds, k=5)
    assert ev.folds["rmse"].tolist() == pytest.approx(ref.folds["rmse"].tolist())
    assert ev.folds["ndcg@5"].tolist() == pytest.approx(ref.folds["ndcg@5"].tolist(), nan_ok=True)


def test_a_hook_can_serve_cached_cells(ds):
    cache, computed = {}, []

    def on_cell(cell, compute):
        key = (cell.model, cell.params, cell.fold)
        if key not in cache:
            computed.append(key)
            cache[key] = compute()
        return cache[key]

    protocol = protocol_dict("random", test_size=0.25, seed=3, k=5)
    first = Lab().experiment(ds, {"popularity": {}, "bias": {}}, protocol, on_cell=on_cell).evaluation
    second = Lab().experiment(ds, {"bias": {}}, protocol, on_cell=on_cell).evaluation
    assert len(computed) == 2  # the second run computed nothing
    assert second.folds["rmse"].iloc[0] == pytest.approx(first.folds.set_index("model").at["bias", "rmse"])


def test_a_failing_model_is_skipped_with_its_reason(ds):
    protocol = protocol_dict("kfold", folds=2, k=5)
    res = Lab().experiment(ds, {"bias": {"n_epochs": -1}, "baseline": {}}, protocol)
    assert list(res.failures) == ["bias"] and res.evaluation.models == ["baseline"]
    assert res.ok_configs == {"baseline": {}}
    with pytest.raises(ValueError):
        Lab().experiment(ds, {"bias": {"n_epochs": -1}}, protocol, skip_failures=False)


def test_tuning_runs_through_the_same_loop(ds):
    cells = []

    def on_cell(cell, compute):
        cells.append((cell.model, dict(cell.params)["reg_u"], cell.fold))
        return compute()

    protocol = protocol_dict("kfold", folds=2, seed=0, k=5)
    res = Lab().tune(ds, "bias", {}, {"reg_u": [1.0, 30.0]}, "grid", 0, protocol, "rmse", on_cell=on_cell)
    assert cells == [("bias", 1.0, 0), ("bias", 1.0, 1), ("bias", 30.0, 0), ("bias", 30.0, 1)]
    ref = grid_search("bias", {"reg_u": [1.0, 30.0]}, ds, splitter=KFold(2, 0), metric="rmse")
    assert res.results["mean_score"].tolist() == pytest.approx(ref.results["mean_score"].tolist())
    assert res.best_params == ref.best_params


def test_a_model_over_the_memory_budget_is_left_out_before_anything_runs(ds):
    from recsys_core.models.cost import ModelTooLarge, base_memory, budget_scope, dataset_shape, model_cost

    shape = dataset_shape(ds.interactions)
    budget = base_memory(*shape) + 1000  # baseline's envelope is the base; AutoRec's is far above it
    seen = []

    def on_cell(cell, compute):
        seen.append(cell.label)
        return compute()

    protocol = protocol_dict("kfold", folds=2, k=5)
    with budget_scope(budget):
        res = Lab().experiment(ds, {"autorec-i": {}, "baseline": {}}, protocol, on_cell=on_cell, skip_failures=False)
    assert seen == ["baseline", "baseline"]
    assert res.evaluation.models == ["baseline"] and res.failures == {}
    e = res.refused["autorec-i"]
    assert isinstance(e, ModelTooLarge) and e.budget_bytes == budget
    assert e.need_bytes == model_cost("autorec-i", *shape).memory_bytes and "baseline" in e.fits
    assert res.ok_configs == {"baseline": {}}
    # evaluate() without a place for refusals keeps refusing the whole run up front
    with budget_scope(budget), pytest.raises(ModelTooLarge, match="'autorec-i'"):
        evaluate({"baseline": make_model("baseline"), "autorec-i": make_model("autorec-i")}, KFold(2, 0), ds)
    with budget_scope(budget):
        none = Lab().experiment(ds, {"autorec-i": {}}, protocol)
    assert none.evaluation is None and list(none.refused) == ["autorec-i"]
