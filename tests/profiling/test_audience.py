import io

import numpy as np
import pandas as pd
import pytest

from recsys_core.data.dataset import Dataset
from recsys_core.profiling.audience import (
    audience_mix,
    evaluate_lift,
    export_audience_csv,
    gain_curve,
    hide_likers,
    hide_likers_many,
    lift_at,
    make_scorer,
    pseudonymise,
    similar_items_for_description,
    target_audience,
    validate_item,
)
from recsys_core.store import open_workspace


def test_lift_by_hand():
    # 20 users in the pool, 4 of them targets; top 10 % = 2 users, 1 of them a target
    scores = np.arange(20, 0, -1).astype(float)  # user 0 ranked first
    target = np.zeros(20, dtype=bool)
    target[[1, 5, 11, 19]] = True
    # share in top 2 = 1/2; base rate = 4/20 -> lift 2.5
    assert lift_at(scores, target, 0.1) == pytest.approx(2.5)
    # top 25 % = 5 users: targets at positions 1 -> 1/5 / 0.2 = 1.0
    assert lift_at(scores, target, 0.25) == pytest.approx(1.0)
    # perfect ranking puts the 4 targets first: top 2 all targets -> 1 / 0.2 = 5
    assert lift_at(target.astype(float), target, 0.1) == pytest.approx(5.0)
    assert np.isnan(lift_at(scores, np.zeros(20, bool)))


def test_gain_curve_by_hand():
    scores = np.array([4.0, 3.0, 2.0, 1.0])
    target = np.array([True, False, True, False])
    g = gain_curve(scores, target, points=4)
    assert g["depth"].tolist() == [0.0, 0.25, 0.5, 0.75, 1.0]
    assert g["gain"].tolist() == pytest.approx([0.0, 0.5, 0.5, 1.0, 1.0])
    assert g["lift"].iloc[1:].tolist() == pytest.approx([2.0, 1.0, 4 / 3, 1.0])


def test_pseudonyms_stable_and_secret_dependent(tmp_path):
    ws = open_workspace(tmp_path / "ws")
    secret = ws.secret("pseudonym")
    ids = ["1", "2", "U0001", "0123456789abcdef"]
    a = pseudonymise(ids, secret)
    assert a == pseudonymise(ids, ws.secret("pseudonym"))  # stable for the same secret
    assert all(p != raw for p, raw in zip(a, ids, strict=True))  # never the raw id
    assert len(set(a)) == len(ids) and all(len(p) == 16 for p in a)
    assert pseudonymise(ids, b"another secret") != a  # differs for another secret
    table = pd.DataFrame({"user_id": ids, "score": [4.0, 3.0, 2.0, 1.0], "rank": [1, 2, 3, 4]})
    csv = pd.read_csv(io.BytesIO(export_audience_csv(table, secret)), dtype=str, encoding="utf-8-sig")
    assert "user_id" not in csv.columns
    assert csv["user_pseudonym"].tolist() == a
    assert not set(csv["user_pseudonym"]) & set(ids)
    raw = pd.read_csv(
        io.BytesIO(export_audience_csv(table, None, pseudonymise_ids=False)), dtype=str, encoding="utf-8-sig"
    )
    assert raw["user_id"].tolist() == ids
    with pytest.raises(ValueError):
        export_audience_csv(table, None)


def test_target_audience_excludes_raters_and_finds_the_group(planted):
    ds, truth = planted
    res = target_audience(ds, item_id="F00", model="neighbour", top=30)
    raters = set(ds.ratings.loc[ds.ratings["item_id"] == "F00", "user_id"])
    assert res.pool_size == 120 - len(raters)
    assert not set(res.table["user_id"]) & raters
    assert res.table["rank"].tolist() == list(range(1, 31))
    assert res.table["score"].is_monotonic_decreasing
    # F00 is a sci-fi film of group 0: its best prospects are group-0 users who have not rated it
    n_group0_left = sum(1 for u, g in truth.items() if g == 0 and u not in raters)
    top = res.table.head(n_group0_left)
    assert np.mean([truth[u] == 0 for u in top["user_id"]]) >= 0.9
    mix = audience_mix(top["user_id"], pd.DataFrame({"user_id": list(truth), "segment": list(truth.values())}))
    assert mix.iloc[0]["segment"] == 0 and mix.iloc[0]["index"] > 250


def test_cold_start_by_description(planted):
    ds, truth = planted
    sim = similar_items_for_description(ds.items, genres=["喜剧"], keywords=[])
    assert set(sim["item_id"]) == {f"F{k:02d}" for k in range(40, 50)}
    res = target_audience(ds, genres=["喜剧", "动画"], model="neighbour", top=40)
    assert res.pool_size == 120
    assert np.mean([truth[u] == 2 for u in res.table["user_id"]]) >= 0.9
    with pytest.raises(ValueError, match="genre or keyword"):
        similar_items_for_description(ds.items, genres=["西部"], keywords=[])


def test_hide_likers_half_and_pool(planted_full):
    ds, _ = planted_full
    rng = np.random.default_rng(0)
    likers = ds.ratings[(ds.ratings["item_id"] == "F00") & (ds.ratings["rating"] >= 4)]
    split = hide_likers(ds, "F00", rng)
    assert len(split.hidden_users) == len(likers) // 2
    assert len(split.train) == len(ds.ratings) - len(likers) // 2
    v = validate_item(ds, "F00", ["neighbour", "popularity", "random"], seed=0, points=10)
    assert v["hidden"] == len(likers) // 2
    # the hidden likers are exactly the group-0 users in the pool: the top 10 % are all of them
    pool = v["pool"]
    assert v["lift"]["neighbour"] == pytest.approx(1.0 / (v["hidden"] / pool))
    assert v["lift"]["popularity"] < 2.0
    assert set(v["curves"]["model"]) == {"neighbour", "popularity", "random"}


def test_evaluate_lift_protocol(planted_full):
    ds, _ = planted_full
    res = evaluate_lift(ds, n_items=3, model="neighbour", seed=1, min_likers=5, extra_models=["bias"])
    assert res["items"] == 3 and len(res["per_item"]) == 3
    assert res["lift_at_10pct"] > 2.0
    assert res["lift_at_10pct"] > res["popularity_lift_at_10pct"]
    assert res["lift_at_10pct"] == pytest.approx(np.mean([r["lift_at_10pct"] for r in res["per_item"]]))
    assert "bias_lift_at_10pct" in res
    assert res == evaluate_lift(ds, n_items=3, model="neighbour", seed=1, min_likers=5, extra_models=["bias"])
    with pytest.raises(ValueError, match="likers"):
        evaluate_lift(ds, n_items=3, min_likers=1000)


def test_hide_likers_many_draws_like_one_at_a_time(planted_full):
    ds, _ = planted_full
    films = ["F00", "F03", "F25"]
    multi = hide_likers_many(ds, films, np.random.default_rng(5))
    rng = np.random.default_rng(5)
    hidden_rows = 0
    for film in films:
        one = hide_likers(ds, film, rng)  # same generator, same order: the same users are hidden
        assert sorted(multi.hidden_users[film]) == sorted(one.hidden_users)
        assert multi.likers[film] == one.likers
        hidden_rows += one.likers // 2
    assert len(multi.train) == len(ds.ratings) - hidden_rows
    for film in films:  # no hidden liker keeps a rating of that film in training
        kept = multi.train[multi.train["item_id"] == film]["user_id"]
        assert not set(kept) & set(multi.hidden_users[film])


def test_one_fit_protocol_fits_each_scorer_once(planted_full):
    ds, _ = planted_full
    one = evaluate_lift(ds, n_items=4, model="neighbour", seed=2, min_likers=5)
    per = evaluate_lift(ds, n_items=4, model="neighbour", seed=2, min_likers=5, protocol="per-film")
    assert one["protocol"] == "one-fit" and per["protocol"] == "per-film"
    assert [r["item_id"] for r in one["per_item"]] == [r["item_id"] for r in per["per_item"]]
    assert [r["hidden"] for r in one["per_item"]] == [r["hidden"] for r in per["per_item"]]
    assert one["random_lift_at_10pct"] == pytest.approx(per["random_lift_at_10pct"])
    # planted groups: the hidden likers are found either way
    assert one["lift_at_10pct"] > 2.0 and per["lift_at_10pct"] > 2.0
    steps = []
    evaluate_lift(ds, n_items=4, model="neighbour", seed=2, min_likers=5, progress=lambda k, n, s: steps.append(s))
    assert steps == ["neighbour", "popularity", "random", ""]  # one fit per scorer, not per film
    with pytest.raises(ValueError, match="protocol"):
        evaluate_lift(ds, n_items=4, protocol="twice")


def test_one_fit_matches_per_film_lift_on_demo_data():
    from pathlib import Path

    from recsys_core.data.io import load_path

    ds = load_path(Path(__file__).resolve().parents[2] / "data" / "demo")
    one = evaluate_lift(ds, n_items=20, model="neighbour", seed=0)
    per = evaluate_lift(ds, n_items=20, model="neighbour", seed=0, protocol="per-film")
    diff = np.array([a["lift_at_10pct"] - b["lift_at_10pct"] for a, b in zip(one["per_item"], per["per_item"])])
    spread = np.std([r["lift_at_10pct"] for r in per["per_item"]], ddof=1) / np.sqrt(len(diff))
    # same lift within noise: the mean paired difference is well inside one standard error of the mean
    assert abs(diff.mean()) < spread
    assert one["lift_at_10pct"] == pytest.approx(per["lift_at_10pct"], rel=0.05)
    assert one["popularity_lift_at_10pct"] == pytest.approx(per["popularity_lift_at_10pct"], rel=0.05)
    assert one["lift_at_10pct"] > 1.2 * one["popularity_lift_at_10pct"]


def test_unknown_inputs(planted):
    ds, _ = planted
    with pytest.raises(ValueError, match="no ratings"):
        target_audience(ds, item_id="nope")
    with pytest.raises(ValueError, match="unknown audience model"):
        make_scorer("nope")


def test_registry_model_scorer_ranks_by_prediction():
    inter = pd.DataFrame(
        {"user_id": ["a", "a", "b", "b", "c"], "item_id": ["x", "y", "x", "z", "z"], "rating": [5, 1, 2, 5, 4]}
    )
    ds = Dataset.from_frames(inter)
    res = target_audience(ds, item_id="y", model="bias")
    assert set(res.table["user_id"]) == {"b", "c"}


def test_default_model_and_choices():
    from recsys_core.profiling.audience import available_models, default_model

    names = available_models()
    assert names[:2] == ["ease", "neighbour"] and "popularity" in names and "svd" in names
    assert len(names) == len(set(names))
    assert default_model() == "ease"  # no shape: the best registered scorer


def test_default_scorer_is_chosen_by_the_cost_envelope():
    from recsys_core.models.cost import model_cost
    from recsys_core.profiling.audience import AUTO_MAX_FIT_SECONDS, default_model

    GB = 1024**3
    ml100k = (943, 1682, 100_000)
    ease = model_cost("ease", *ml100k)
    assert ease.fit_seconds <= AUTO_MAX_FIT_SECONDS
    assert default_model(*ml100k, budget=8 * GB) == "ease"
    # the same shape under a budget below EASE's films x films matrices: the sparse scorer
    assert default_model(*ml100k, budget=ease.memory_bytes - 1) == "neighbour"
    assert default_model(*ml100k, budget=ease.memory_bytes) == "ease"
    # a wide catalogue fits 12 GB of memory (3.4 GB), but the declared films^3 fit time is minutes
    wide = (610, 9_742, 100_836)
    assert model_cost("ease", *wide).memory_bytes < 12 * GB
    assert model_cost("ease", *wide).fit_seconds > AUTO_MAX_FIT_SECONDS
    assert default_model(*wide, budget=12 * GB) == "neighbour"
    assert default_model(138_000, 10**6, 20_000_000, budget=12 * GB) == "neighbour"
    # the decision follows the envelope, not a count of films: a catalogue just under the time limit keeps EASE
    n = 1
    while model_cost("ease", 5_000, n + 100, 200_000).fit_seconds <= AUTO_MAX_FIT_SECONDS:
        n += 100
    assert 5_000 < n < 9_742
    assert default_model(5_000, n, 200_000, budget=12 * GB) == "ease"
    assert default_model(5_000, n + 200, 200_000, budget=12 * GB) == "neighbour"


def test_default_scorer_respects_the_time_budget():
    """The automatic choice goes through the same budgets as every fit: a time budget below EASE's
    declared fit time picks the item neighbours, whatever the 60-second cap of the choice says."""
    from recsys_core.models.cost import model_cost, time_budget_scope
    from recsys_core.profiling.audience import AUTO_MAX_FIT_SECONDS, default_model

    GB = 1024**3
    ml100k = (943, 1682, 100_000)
    need = model_cost("ease", *ml100k).fit_seconds
    assert need == pytest.approx(1.5 * 1682**3 / 1e10 + 0.2) and need < AUTO_MAX_FIT_SECONDS
    assert default_model(*ml100k, budget=8 * GB, time_budget=need) == "ease"
    assert default_model(*ml100k, budget=8 * GB, time_budget=need * 0.99) == "neighbour"
    with time_budget_scope(need * 0.99):  # the session's / environment's budget when none is passed
        assert default_model(*ml100k, budget=8 * GB) == "neighbour"
    with time_budget_scope("2h"):  # a larger budget does not lift the choice's own cap
        assert default_model(610, 9_742, 100_836, budget=12 * GB) == "neighbour"


def test_auto_audience_uses_the_envelope_choice(monkeypatch):
    from recsys_core.models.cost import base_memory, dataset_shape

    ds = Dataset.from_frames(
        pd.DataFrame(
            {
                "user_id": [f"u{i % 7}" for i in range(40)],
                "item_id": [f"m{(i * 3) % 11}" for i in range(40)],
                "rating": [1 + (i * 7) % 5 for i in range(40)],
            }
        ).drop_duplicates(["user_id", "item_id"])
    )
    shape = dataset_shape(ds.ratings)
    monkeypatch.setenv("CINELENS_MEMORY_BUDGET", "8G")
    assert target_audience(ds, item_id="m0").model == "ease"
    monkeypatch.setenv("CINELENS_MEMORY_BUDGET", str(base_memory(*shape) + 1))  # EASE's matrices no longer fit
    assert target_audience(ds, item_id="m0").model == "neighbour"


def test_audience_mix_by_hand():
    mem = pd.DataFrame({"user_id": ["a", "b", "c", "d"], "segment": [0, 0, 1, 1]})
    mix = audience_mix(["a", "b", "c"], mem, {0: "科幻迷", 1: "爱情迷"}).set_index("segment")
    assert mix.loc[0, "audience"] == 2 and mix.loc[0, "audience_share"] == pytest.approx(2 / 3)
    assert mix.loc[0, "population_share"] == pytest.approx(0.5)
    assert mix.loc[0, "index"] == pytest.approx(100 * (2 / 3) / 0.5)
    assert mix.loc[1, "name"] == "爱情迷"
