import numpy as np
import pandas as pd
import pytest

from recsys_core.data.dataset import Dataset
from recsys_core.profiling.behaviour import compare_models, make_task


def test_genre_task_uses_past_features_and_future_labels(planted):
    ds, truth = planted
    task = make_task(ds, "genre_like", genre="科幻")
    cutoff = task.cutoff
    r = ds.ratings
    future = r[r["timestamp"] > cutoff]
    sci = {f"F{k:02d}" for k in range(10)}
    pos = set(future[future["item_id"].isin(sci) & (future["rating"] >= 4)]["user_id"])
    # labels: exactly the users with a future sci-fi rating >= 4, among users active in the future
    assert set(task.y.index) == set(future["user_id"])
    assert set(task.y[task.y == 1].index) == pos
    # features come from the past only: rating counts before the cutoff
    past_counts = r[r["timestamp"] <= cutoff].groupby("user_id").size()
    assert task.X["n_ratings"].to_numpy() == pytest.approx(past_counts.reindex(task.X.index).to_numpy(float))
    res = compare_models(task, seed=0)
    m = res["metrics"].set_index("model")
    assert list(m.index) == ["logistic", "tree", "forest"]
    # sci-fi fans are group 0, fully visible in past genre lifts: the task is easy
    assert m.loc["forest", "auc"] > 0.9 and m.loc["logistic", "auc"] > 0.9
    assert m["test_users"].iloc[0] == int(np.ceil(0.25 * len(task.y)))
    imp = res["importances"]
    assert imp.groupby("model")["importance"].sum().to_numpy() == pytest.approx([1.0, 1.0, 1.0])
    top = imp[imp["model"] == "forest"].iloc[0]["feature"]
    assert top.startswith("genre:")
    roc = res["roc"]
    assert roc.groupby("model")["fpr"].min().max() == 0.0 and roc.groupby("model")["tpr"].max().min() == 1.0


def test_active_next_month_labels():
    t0 = pd.Timestamp("2024-01-01")
    rows = []
    for u in range(40):
        for d in range(0, 100, 10):
            rows.append((f"u{u}", f"i{d}", 4.0, t0 + pd.Timedelta(days=d + (u % 3))))
        if u % 2 == 0:  # even users come back in the last month
            rows.append((f"u{u}", "late", 5.0, t0 + pd.Timedelta(days=130)))
    ds = Dataset.from_frames(pd.DataFrame(rows, columns=["user_id", "item_id", "rating", "timestamp"]))
    task = make_task(ds, "active_next", window_days=30)
    assert task.cutoff == pd.Timestamp("2024-04-10")  # last event 2024-05-10 minus 30 days
    assert task.y.sum() == 20 and len(task.y) == 40
    assert task.y["u0"] == 1 and task.y["u1"] == 0


def test_bad_tasks(planted):
    ds, _ = planted
    with pytest.raises(ValueError, match="unknown task"):
        make_task(ds, "nope")
    with pytest.raises(ValueError, match="no film has genre"):
        make_task(ds, "genre_like", genre="西部")
    no_time = Dataset.from_frames(ds.ratings.drop(columns=["timestamp"]), ds.items)
    with pytest.raises(ValueError, match="needs timestamps"):
        make_task(no_time, "active_next")
