import numpy as np
import pandas as pd
import pytest
from sklearn.metrics import adjusted_rand_score

from recsys_core.profiling.profiles import build_profiles
from recsys_core.profiling.segments import (
    comparison_table,
    fit_segments,
    name_personas,
    personas_summary,
    segment_features,
    segment_map,
)
from ui.sentences import persona_name


@pytest.fixture(scope="module")
def profiles(planted):
    ds, _ = planted
    return build_profiles(ds, tags=False)


@pytest.mark.parametrize("algorithm", ["kmeans", "gmm"])
def test_planted_segments_recovered_with_auto_k(planted, profiles, algorithm):
    ds, truth = planted
    res = fit_segments(profiles, "auto", algorithm, k_max=6, ds=ds)
    assert res.k == 3
    assert res.curve["k"].tolist() == [2, 3, 4, 5, 6]
    assert res.curve.set_index("k")["silhouette"].idxmax() == 3
    ari = adjusted_rand_score([truth[u] for u in res.memberships["user_id"]], res.memberships["segment"])
    assert ari >= 0.8


def test_personas_describe_the_planted_tastes(planted, profiles):
    ds, truth = planted
    res = fit_segments(profiles, 3, "kmeans", ds=ds)
    assert sorted(p["size"] for p in res.personas) == [40, 40, 40]
    tops = {frozenset(p["top_genres"][:2]) for p in res.personas}
    assert tops == {frozenset({"动作", "科幻"}), frozenset({"剧情", "爱情"}), frozenset({"动画", "喜剧"})}
    names = [persona_name(p, "zh") for p in res.personas]
    assert len(set(names)) == 3 and all(n.endswith("迷") for n in names)
    assert all(p["films"] for p in res.personas)
    summary = personas_summary(res.personas)
    assert {"id", "size", "name_parts", "top_genres"} <= set(summary[0])
    table = comparison_table(res.personas)
    assert table["size"].sum() == 120
    xy = segment_map(res)
    assert len(xy) == 120 and np.isfinite(xy[["x", "y"]].to_numpy()).all()


def test_features_are_scaled_and_one_hot(profiles):
    fm = segment_features(profiles)
    assert fm.X.shape[0] == 120
    assert any(c.startswith("gender:") for c in fm.columns)
    assert any(c.startswith("genre:") for c in fm.columns)
    # one numeric column standardised: mean 0, std 1
    k = fm.columns.index("mean_rating")
    assert fm.X[:, k].mean() == pytest.approx(0.0, abs=1e-9)
    assert fm.X[:, k].std() == pytest.approx(1.0)


def test_names_are_unique_and_built_from_traits():
    base = {"activity": {"relative_activity": 2.0}, "habits": {"harshness": 0.0}, "demographics": {}}
    ps = [
        dict(base, id=0, top_genres=["科幻", "动作"]),
        dict(base, id=1, top_genres=["科幻", "爱情"]),
        dict(base, id=2, top_genres=["Comedy"], activity={"relative_activity": 0.5}),
    ]
    name_personas(ps)
    # the core gives codes; the locale catalogue words them
    assert ps[0]["name_parts"] == {
        "activity": "heavy",
        "habit": "neutral",
        "genres": ["科幻", "动作"],
        "extra": None,
        "number": None,
    }
    assert persona_name(ps[0], "zh") == "高频科幻·动作迷"
    assert persona_name(ps[0], "en") == "heavy sci-fi & action fans"
    assert persona_name(ps[1], "zh") == "高频科幻·爱情迷"
    assert persona_name(ps[2], "zh") == "轻度喜剧迷" and persona_name(ps[2], "en") == "light comedy fans"
    same = [dict(base, id=k, top_genres=["科幻"]) for k in range(3)]
    name_personas(same)
    assert [persona_name(p, "zh") for p in same] == ["高频科幻迷", "高频科幻迷2", "高频科幻迷3"]
    assert [persona_name(p, "en") for p in same] == ["heavy sci-fi fans", "heavy sci-fi fans 2", "heavy sci-fi fans 3"]


def test_clashing_names_take_a_demographic_trait_then_a_number():
    harsh = {"activity": {"relative_activity": 1.0}, "habits": {"harshness": -2.0}}
    ps = [
        dict(harsh, id=0, top_genres=["Drama"], demographics={"gender": {"value": "女", "share": 0.7}}),
        dict(harsh, id=1, top_genres=["Drama"], demographics={"age_band": {"value": "25-34", "share": 0.5}}),
        dict(harsh, id=2, top_genres=["Drama"], demographics={}),
    ]
    prof = pd.DataFrame({"harshness": [-2.0, 0.0, 2.0]})
    name_personas(ps, prof)
    assert [persona_name(p, "zh") for p in ps] == ["女性挑剔剧情迷", "25-34挑剔剧情迷", "挑剔剧情迷"]
    assert [persona_name(p, "en") for p in ps] == [
        "female critical drama fans",
        "25-34 critical drama fans",
        "critical drama fans",
    ]
    # a persona saved before names were codes keeps its saved name
    assert persona_name({"id": 3, "name_zh": "旧名", "name_en": "old name"}, "en") == "old name"
    assert persona_name({"id": 4}, "zh") == "#4"


def test_bad_k(profiles):
    with pytest.raises(ValueError, match="k must be"):
        fit_segments(profiles, 1)
    with pytest.raises(ValueError, match="k must be"):
        fit_segments(profiles, "many")


def test_choose_k_takes_the_largest_k_nearly_as_good_as_the_best():
    import pandas as pd

    from recsys_core.profiling.segments import choose_k

    # the demo's shape: best at 2, nearly flat to 6, then a drop
    curve = pd.DataFrame({"k": [2, 3, 4, 5, 6, 7], "silhouette": [0.205, 0.174, 0.174, 0.156, 0.154, 0.125]})
    rule = choose_k(curve)
    assert rule["k"] == 6 and rule["best_k"] == 2
    assert rule["threshold"] == pytest.approx(0.145)
    # a clear peak stays where it is
    peak = pd.DataFrame({"k": [2, 3, 4, 5], "silhouette": [0.31, 0.43, 0.31, 0.24]})
    assert choose_k(peak)["k"] == 3
    assert choose_k(peak, tolerance=0.15)["k"] == 4
    with pytest.raises(ValueError, match="fixed k"):
        choose_k(pd.DataFrame({"k": [2], "silhouette": [float("nan")]}))


def test_auto_k_on_the_demo_finds_more_than_two_segments():
    from recsys_core.data import demo

    ds = demo.load()
    prof = build_profiles(ds, tags=False)
    res = fit_segments(prof, "auto", "kmeans", k_max=8)
    assert res.k == 6  # six planted taste groups
    assert res.curve.set_index("k")["silhouette"].idxmax() == 2  # plain argmax would have collapsed to 2
