"""The synthetic data generator: exact sizes, seeded, long tails, taste structure, streamed Parquet."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from recsys_core.__main__ import main
from recsys_core.data import synth
from recsys_core.data.io import load_path


@pytest.fixture(scope="module")
def small():
    spec = synth.SynthSpec.for_ratings(40_000, n_users=400, n_items=1_500, seed=3)
    ratings, movies = synth.generate(spec)
    return spec, ratings, movies


def test_parse_count():
    assert synth.parse_count("10M") == 10_000_000
    assert synth.parse_count("250k") == 250_000
    assert synth.parse_count("1e6") == 1_000_000
    assert synth.parse_count("1,500") == 1_500
    with pytest.raises(ValueError, match="not a count"):
        synth.parse_count("lots")


def test_spec_follows_movielens_proportions():
    spec = synth.SynthSpec.for_ratings(25_000_095)
    assert spec.n_users == 162_541
    assert spec.n_items == 59_047
    with pytest.raises(ValueError, match="half density"):
        synth.SynthSpec.for_ratings(1_000, n_users=10, n_items=20)


def test_exact_size_unique_pairs_and_valid_values(small):
    spec, r, movies = small
    assert len(r) == 40_000
    assert not r.duplicated(["user_id", "item_id"]).any()
    assert r["user_id"].nunique() == 400
    assert r["item_id"].between(1, 1_500).all()
    assert set(np.unique(r["rating"])) <= set(np.arange(1, 11) / 2)
    assert r["timestamp"].between(synth.T_START, synth.T_END).all()
    assert len(movies) == 1_500 and movies["movieId"].is_unique


def test_same_seed_same_data_other_seed_other_data(small):
    spec, r, _ = small
    again, _ = synth.generate(spec)
    pd.testing.assert_frame_equal(r, again)
    other, _ = synth.generate(synth.SynthSpec.for_ratings(40_000, n_users=400, n_items=1_500, seed=4))
    assert not r["item_id"].equals(other["item_id"])


def test_long_tail_films_and_heavy_tailed_users(small):
    _, r, _ = small
    per_item = r["item_id"].value_counts().to_numpy()
    top_decile = per_item[: len(per_item) // 10].sum() / per_item.sum()
    assert top_decile > 0.3  # a tenth of the films hold three times their share (uniform: 0.1)
    assert per_item.max() > 10 * np.median(per_item)
    per_user = r["user_id"].value_counts()
    assert per_user.min() >= 20
    assert per_user.max() > 5 * per_user.median()


def test_taste_structure_users_rate_their_groups_higher(small):
    spec, r, _ = small
    world = synth._World(spec)
    u = r["user_id"].to_numpy() - 1
    inv = np.empty(spec.n_items + 1, dtype=np.int64)
    inv[world.item_ids] = np.arange(spec.n_items)
    g = world.item_taste[inv[r["item_id"].to_numpy()]]
    like = world.user_mix[u, g]
    fav = like > 0.3
    # a taste-blind picker would land in a liked group about as often as liked groups' share of films
    blind = np.mean([(world.user_mix[k, world.item_taste] > 0.3).mean() for k in range(spec.n_users)])
    assert fav.mean() > 3 * blind
    assert r["rating"][fav].mean() > r["rating"][~fav].mean() + 0.3


def test_cli_streams_parquet_in_chunks_and_loads(tmp_path, capsys):
    out = tmp_path / "synth"
    code = main(["synth", "--ratings", "5k", "--users", "100", "--items", "300", "--chunk", "1k", "--out", str(out)])
    assert code == 0
    assert "5,000 ratings" in capsys.readouterr().out
    import pyarrow.parquet as pq

    meta = pq.ParquetFile(out / "ratings.parquet").metadata
    assert meta.num_rows == 5_000
    assert meta.num_row_groups >= 4  # written chunk by chunk
    info = json.loads((out / "synth.json").read_text())
    assert info["ratings"] == 5_000 and info["users"] == 100
    ds = load_path(out)
    assert len(ds.ratings) == 5_000
    assert ds.ratings["user_id"].nunique() == 100


def test_cli_bad_count_is_one_line_error(tmp_path, capsys):
    assert main(["synth", "--ratings", "many", "--out", str(tmp_path)]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: ") and "not a count" in err
