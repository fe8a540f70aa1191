"""Spark jobs on small data: ALS accuracy parity, round trip to the Recommend page, audiences, segments, bad input."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from recsys_core.__main__ import main
from recsys_core.data.demo import load as load_demo
from recsys_core.results import list_results
from recsys_core.spark_import import import_output, read_output
from recsys_core.store import open_workspace
from ui.state import K

from ..pages import open_tab, page_app

ROOT = Path(__file__).resolve().parents[2]
DEMO = ROOT / "data" / "demo"


def _table(at, column) -> pd.DataFrame:
    """The page's table that has ``column`` (or exactly these columns; AppTest does not look tables up by key)."""
    if isinstance(column, list):
        found = [d.value for d in at.dataframe if list(d.value.columns) == column]
    else:
        found = [d.value for d in at.dataframe if column in d.value.columns]
    assert len(found) == 1, [list(d.value.columns) for d in at.dataframe]
    return found[0]


def _run(*args) -> int:
    return main(["spark", *[str(a) for a in args], "--master", "local[2]"])


@pytest.fixture(scope="module")
def small_csv(tmp_path_factory):
    """The first 15,000 demo ratings (same columns), to keep CI quick."""
    path = tmp_path_factory.mktemp("small") / "ratings.csv"
    pd.read_csv(DEMO / "interactions.csv", dtype=str, nrows=15000).to_csv(path, index=False)
    return path


def test_als_rmse_matches_local_explicit_als(spark):
    """Same split, rank 10, regParam 0.1, 10 iterations: MLlib ALS vs the numpy ALS-WR reference."""
    from recsys_core.spark.jobs import fit_als, ratings_frame, split_frames
    from recsys_core.spark.reference import ExplicitALS
    from recsys_core.spark.run import load_interactions

    df, _, scale, _ = load_interactions(spark, str(DEMO))
    assert scale == (1.0, 5.0)
    r = ratings_frame(df)
    ((train, test),) = split_frames(r, "random", 0.2, seed=0)
    n_train, n_test = train.count(), test.count()
    assert n_test == round((n_train + n_test) * 0.2) and n_train + n_test == 60001
    model = fit_als(train, 10, 0.1, 10, seed=0)
    pred = model.transform(test).toPandas()
    spark_rmse = float(np.sqrt(np.mean((pred["prediction"].clip(1, 5) - pred["rating"]) ** 2)))
    tr, te = train.select("uid", "iid", "rating").toPandas(), test.select("uid", "iid", "rating").toPandas()
    local = ExplicitALS(10, 0.1, 10, seed=0).fit(tr["uid"], tr["iid"], tr["rating"])
    est = local.predict(te["uid"], te["iid"])
    ok = ~np.isnan(est)
    local_rmse = float(np.sqrt(np.mean((np.clip(est[ok], 1, 5) - te["rating"].to_numpy()[ok]) ** 2)))
    assert 0.5 < spark_rmse < 1.2
    assert spark_rmse == pytest.approx(local_rmse, abs=0.02)


def test_evaluate_writes_models_and_metrics(spark, small_csv, tmp_path):
    out = tmp_path / "ev"
    assert (
        _run("evaluate", small_csv, "--out", out, "--split", "user", "--json", tmp_path / "s.json", "--iters", 5) == 0
    )
    s = json.loads((tmp_path / "s.json").read_text(encoding="utf-8"))
    by = {r["model"]: r for r in s["results"]}
    assert list(by) == ["als", "als_implicit", "bias", "popularity"]
    assert 0.5 < by["als"]["rmse"] < 1.5 and 0.5 < by["bias"]["rmse"] < 1.5 and by["popularity"]["rmse"] is None
    for row in by.values():
        assert 0 <= row["precision@10"] <= 1 and 0 <= row["ndcg@10"] <= 1 and row["users"] > 0
    assert s["split"] == "user" and s["relevance_threshold"] == 4.0
    man = read_output(out).manifest
    assert man["tables"]["metrics"]["rows"] == 4 and man["parameters"]["iters"] == 5


def test_recommend_import_and_recommend_page_show_the_same_top10(spark, tmp_path, monkeypatch):
    out = tmp_path / "rec"
    assert _run("recommend", DEMO, "--out", out, "--n", 10, "--iters", 5) == 0
    parquet = pd.read_parquet(out / "recommendations")
    assert parquet.groupby("user_id").size().eq(10).all() and parquet["user_id"].nunique() == 800
    seen = pd.read_csv(DEMO / "interactions.csv", dtype=str)
    pairs = set(zip(seen["user_id"], seen["item_id"]))
    assert not any((u, i) in pairs for u, i in zip(parquet["user_id"], parquet["item_id"]))
    at, ws, _ = page_app("5_recommend.py", tmp_path, monkeypatch, load_demo(DEMO), run=False)
    res = import_output(ws, out)
    assert res["job"] == "recommend" and [k for _, k, _ in res["results"]] == ["recommendations"]
    assert list_results(ws)["origin"].iloc[0]["master"] == "local[2]"
    open_tab(at, K.REC_TABS, 4).run()  # Cluster results
    assert not at.exception, [e.value for e in at.exception]
    for user in ("U0001", "U0123"):
        at.text_input(key="spark_rec_user").set_value(user).run()
        shown = _table(at, "推荐理由")
        expected = parquet[parquet["user_id"] == user].sort_values("rank")
        assert shown["影片 ID"].tolist() == expected["item_id"].tolist()
        assert shown["名次"].tolist() == list(range(1, 11))
        assert shown["推荐理由"].str.len().gt(0).all()  # reasons from the active dataset
    assert any("local[2]" in c.value.replace("\\", "") and "recommend" in c.value for c in at.caption)  # shown escaped


def test_audience_and_profile_jobs_flow_to_the_audience_page(spark, small_csv, tmp_path, monkeypatch):
    aud, prof = tmp_path / "aud", tmp_path / "prof"
    rc = _run(
        "audience",
        small_csv,
        "--out",
        aud,
        "--films",
        "M0007,M0329",
        "--top",
        20,
        "--eval-items",
        2,
        "--min-likers",
        10,
        "--iters",
        5,
        "--json",
        tmp_path / "a.json",
    )
    assert rc == 0
    a = pd.read_parquet(aud / "audiences")
    assert sorted(a["item_id"].unique()) == ["M0007", "M0329"] and a.groupby("item_id").size().eq(20).all()
    ev = json.loads((tmp_path / "a.json").read_text(encoding="utf-8"))["evaluation"]
    assert ev["items"] == 2 and ev["lift_at_10pct"] >= 0 and ev["random_lift_at_10pct"] >= 0
    assert _run("segment", small_csv, "--out", prof, "--k", 3) == 0
    p = pd.read_parquet(prof / "profiles")
    seg = pd.read_parquet(prof / "segments")
    assert set(p["segment"]) == {0, 1, 2} and seg["users"].sum() == len(p) == p["user_id"].nunique()
    raw = pd.read_csv(small_csv, dtype=str)
    counts = raw[raw["rating"].notna()].groupby("user_id").size()
    assert p.set_index("user_id")["activity"].sort_index().tolist() == counts.sort_index().tolist()
    at, ws, _ = page_app("2_audience.py", tmp_path, monkeypatch, load_demo(DEMO), run=False)
    import_output(ws, aud)
    import_output(ws, prof)
    open_tab(at, K.AUD_TABS, 4).run()  # Cluster results
    assert not at.exception, [e.value for e in at.exception]
    assert _table(at, "相对影片均分")["用户数"].sum() == len(p)
    shown = _table(at, ["名次", "用户 ID", "得分"])
    first = at.selectbox(key="spark_aud_film").value
    assert shown["用户 ID"].tolist() == a[a["item_id"] == first].sort_values("rank")["user_id"].tolist()


def _err(capsys) -> str:
    err = capsys.readouterr().err.strip().splitlines()
    return err[-1] if err else ""


def test_bad_input_is_one_line_error_and_no_output(spark, small_csv, tmp_path, capsys):
    out = tmp_path / "o"
    assert _run("recommend", tmp_path / "nope.csv", "--out", out) == 2
    assert _err(capsys).startswith("error: ") and "nope.csv" in capsys.readouterr().err + "nope.csv"
    assert _run("clean", small_csv, "--out", out, "--map", "user=uid") == 2
    assert "'uid'" in _err(capsys)
    bad = tmp_path / "nouser.csv"
    bad.write_text("a,b\n1,2\n", encoding="utf-8")
    assert _run("clean", bad, "--out", out) == 2
    assert "no user_id or item_id column" in _err(capsys)
    assert main(["spark", "recommend", str(small_csv), "--out", str(out), "--master", "local[x]"]) == 2
    assert "is not a Spark master" in _err(capsys)
    # a job that fails half-way leaves nothing that looks complete
    assert _run("audience", small_csv, "--out", out, "--films", "NOPE", "--iters", 2) == 2
    assert "NOPE" in _err(capsys)
    assert not out.exists() and not list(tmp_path.glob("o._tmp-*"))


def test_import_refuses_foreign_folders_and_leaves_workspace_unchanged(tmp_path):
    ws = open_workspace(tmp_path / "ws")
    ws.add_version(load_demo(DEMO), kind="demo")
    before = (ws.list_versions()["version_id"].tolist(), len(list_results(ws)))
    plain = tmp_path / "plain"
    plain.mkdir()
    (plain / "x.csv").write_text("a\n", encoding="utf-8")
    forged = tmp_path / "forged"
    (forged / "recommendations").mkdir(parents=True)
    (forged / "_CINELENS.json").write_text(
        json.dumps(
            {
                "format": "cinelens-spark-output",
                "schema_version": 1,
                "job": "recommend",
                "tables": {"recommendations": {"path": "recommendations", "rows": 3}},
            }
        ),
        encoding="utf-8",
    )
    other = tmp_path / "other"
    other.mkdir()
    (other / "_CINELENS.json").write_text('{"format": "something-else"}', encoding="utf-8")
    for folder, why in ((plain, "no _CINELENS.json"), (forged, "no Parquet files"), (other, "format")):
        with pytest.raises(Exception) as e:
            import_output(ws, folder)
        assert "not a CineLens Spark output" in str(e.value) and why in str(e.value)
    assert (ws.list_versions()["version_id"].tolist(), len(list_results(ws))) == before
    env = {"CINELENS_WORKSPACE": str(tmp_path / "ws2"), "PATH": "/usr/bin:/bin"}
    p = subprocess.run(
        [sys.executable, "-m", "recsys_core", "import", str(plain)], cwd=ROOT, env=env, capture_output=True, text=True
    )
    assert p.returncode == 2 and p.stderr.strip().count("\n") == 0 and p.stderr.startswith("error: ")
    assert not (tmp_path / "ws2").exists()


def test_without_pyspark_the_cli_says_how_to_add_it(tmp_path):
    code = (
        "import sys; sys.modules['pyspark'] = None\n"
        "from recsys_core.__main__ import main\n"
        f"sys.exit(main(['spark', 'recommend', 'data/demo', '--out', {str(tmp_path / 'o')!r}]))"
    )
    p = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True)
    assert p.returncode == 2 and "requirements-spark.txt" in p.stderr and p.stderr.count("\n") == 1
    info = "import sys; sys.modules['pyspark'] = None\nfrom recsys_core.__main__ import main\nsys.exit(main(['info', 'data/demo']))"
    p = subprocess.run([sys.executable, "-c", info], cwd=ROOT, capture_output=True, text=True)
    assert p.returncode == 0
