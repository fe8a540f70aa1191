"""Page aggregates computed by DuckDB over a stored version equal the pandas computations."""

from __future__ import annotations

import pandas as pd
import pytest

from recsys_core.data import synth
from recsys_core.data.dataset import Dataset
from recsys_core.data.schema import conform_interactions, conform_items
from recsys_core.store import open_workspace


@pytest.fixture(scope="module")
def stored(tmp_path_factory):
    r, movies = synth.generate(synth.SynthSpec.for_ratings(3_000, n_users=60, n_items=200, seed=1))
    inter = pd.DataFrame(
        {
            "user_id": r["user_id"].astype(str),
            "item_id": r["item_id"].astype(str),
            "rating": r["rating"].astype(float),
            "timestamp": pd.to_datetime(r["timestamp"], unit="s").astype("datetime64[ns]"),
            "text": None,
        }
    )
    inter.loc[:9, "rating"] = None  # interactions without a rating count as interactions, not ratings
    inter.loc[:4, "text"] = "好看"
    items = pd.DataFrame({"item_id": movies["movieId"].astype(str), "title": movies["title"]})
    ds = Dataset(conform_interactions(inter), conform_items(items), None, (0.5, 5.0), name="synth")
    ws = open_workspace(tmp_path_factory.mktemp("ws"))
    return ws, ws.add_version(ds), ws.load_version(ws.list_versions()["version_id"].iloc[-1])


def test_summary_in_sql_equals_the_dataset_summary(stored):
    ws, vid, ds = stored
    sql = ws.version_summary(vid)
    assert sql == ds.summary()
    assert sql["interactions"] == 3_000 and sql["ratings"] == 2_990 and sql["reviews"] == 5


def test_rating_counts_and_top_items_in_sql(stored):
    ws, vid, ds = stored
    counts = ws.rating_counts(vid)
    expected = ds.ratings["rating"].value_counts().sort_index()
    assert counts["rating"].tolist() == expected.index.tolist()
    assert counts["n"].tolist() == expected.tolist()
    top = ws.top_items(vid, 5)
    g = ds.interactions.groupby("item_id").agg(n=("user_id", "size"), mean_rating=("rating", "mean"))
    g = g.sort_values(["n", "mean_rating"], ascending=[False, False]).head(5)
    assert top["item_id"].tolist() == g.index.tolist()
    assert top["n"].tolist() == g["n"].tolist()
    assert top["mean_rating"].tolist() == pytest.approx(g["mean_rating"].tolist())
    titles = ds.item_titles()
    assert top["title"].tolist() == [titles[i] for i in top["item_id"]]


def test_activity_stats_and_seeded_sample(stored):
    ws, vid, ds = stored
    per_user = ws.activity_stats(vid, "user_id").set_index("user_id")
    exp = ds.ratings.groupby("user_id")["rating"].agg(["size", "mean"])
    assert per_user["n"].to_dict() == exp["size"].to_dict()
    assert per_user["mean_rating"].to_numpy() == pytest.approx(exp["mean"].reindex(per_user.index).to_numpy())
    a = ws.sample_interactions(vid, 100, seed=3)
    assert len(a) == 100 and a.equals(ws.sample_interactions(vid, 100, seed=3))
    with pytest.raises(ValueError):
        ws.activity_stats(vid, "title")


def _ds(rows, name="t"):
    inter = pd.DataFrame(rows, columns=["user_id", "item_id", "rating"])
    inter["timestamp"] = pd.NaT
    inter["text"] = None
    return Dataset(conform_interactions(inter), None, None, (1.0, 5.0), name=name)


def test_compare_versions_in_sql_hand_computed(tmp_path):
    """a: (u1,f1) 4 then again 2, (u1,f2) 3, (u2,f1) no rating, (u3,f3) 5; b: (u1,f1) 2, (u1,f2) 3, (u2,f1) no
    rating, (u4,f4) 1, (u4,f4) 1. Only in a: u3-f3 (1 row); only in b: u4-f4 (2 rows); changed: u1-f1, whose first
    row in a says 4 and in b 2 (a missing rating on both sides is no change)."""
    ws = open_workspace(tmp_path / "ws")
    a = ws.add_version(_ds([("u1", "f1", 4.0), ("u1", "f1", 2.0), ("u1", "f2", 3.0), ("u2", "f1", None),
                            ("u3", "f3", 5.0)]))  # fmt: skip
    b = ws.add_version(_ds([("u1", "f1", 2.0), ("u1", "f2", 3.0), ("u2", "f1", None), ("u4", "f4", 1.0),
                            ("u4", "f4", 1.0)]))  # fmt: skip
    got = ws.compare_versions(a, b).set_index("measure")
    assert got.loc["interactions", ["a", "b", "difference"]].tolist() == [5, 5, 0]
    assert got.loc["ratings", ["a", "b"]].tolist() == [4, 4]
    assert got.loc["users", ["a", "b"]].tolist() == [3, 3] and got.loc["items", ["a", "b"]].tolist() == [3, 3]
    assert got.loc["mean_rating", "a"] == pytest.approx(14 / 4) and got.loc["mean_rating", "b"] == pytest.approx(7 / 4)
    assert got.loc["pairs_only_in_a", "a"] == 1 and got.loc["pairs_only_in_b", "b"] == 2
    assert got.loc["pairs_with_changed_rating", "a"] == 1
    assert got.loc["rating_scale", "a"] == "[1.0, 5.0]"


def test_compare_versions_in_sql_equals_compare_datasets(stored):
    from dataclasses import replace

    from recsys_core.data.io import compare_datasets

    ws, vid, ds = stored
    inter = ds.interactions.copy()
    inter = pd.concat([inter.iloc[7:], inter.iloc[:3]], ignore_index=True)  # pairs dropped and repeated
    inter.loc[20:40, "rating"] = 1.0
    inter.loc[50:52, "rating"] = None
    other = ws.add_version(replace(ds, interactions=inter, version=None), kind="cleaned", parent=vid)
    want = compare_datasets(ds, ws.load_version(other))
    got = ws.compare_versions(vid, other)
    assert got["measure"].tolist() == want["measure"].tolist()
    for (_, g), (_, w) in zip(got.iterrows(), want.iterrows(), strict=True):
        for col in ("a", "b", "difference"):
            if isinstance(w[col], float) and not pd.isna(w[col]):
                assert g[col] == pytest.approx(w[col]), g["measure"]
            else:
                assert (pd.isna(g[col]) and pd.isna(w[col])) or g[col] == w[col], g["measure"]
    assert got.set_index("measure").loc["pairs_with_changed_rating", "a"] > 0
