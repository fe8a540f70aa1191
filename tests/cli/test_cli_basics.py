import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def run_cli(*args, cwd=ROOT):
    return subprocess.run(
        [sys.executable, "-m", "recsys_core", *args], cwd=cwd, capture_output=True, text=True, timeout=300
    )


@pytest.fixture
def ratings_csv(tmp_path):
    rows = ["userId,movieId,rating,timestamp"]
    for u in range(12):
        for i in range(10):
            if (u + i) % 3:
                rows.append(f"{u},{i},{1 + (u * i) % 5},{1600000000 + u * 100 + i}")
    p = tmp_path / "ratings.csv"
    p.write_text("\n".join(rows) + "\n", encoding="utf-8")
    return p


def test_info_counts(ratings_csv):
    r = run_cli("info", str(ratings_csv), "--json", "-")
    assert r.returncode == 0, r.stderr
    s = json.loads(r.stdout)
    assert (s["users"], s["items"], s["ratings"]) == (12, 10, 80)
    assert s["rating_scale"] == [1.0, 5.0]


@pytest.mark.parametrize(
    "args,needle",
    [
        (("info", "/no/such/file.csv"), "no such file"),
        (("evaluate", "{csv}", "--models", "nope"), "unknown model 'nope'"),
        (("evaluate", "{csv}", "--k", "0"), "--k must be at least 1"),
        (("frobnicate",), "invalid choice"),
    ],
)
def test_errors_are_one_line_exit_2(ratings_csv, args, needle):
    r = run_cli(*[a.format(csv=ratings_csv) for a in args])
    assert r.returncode == 2
    lines = r.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: ") and needle in lines[0]
    assert "Traceback" not in r.stderr


def test_empty_file_is_a_clear_error(tmp_path):
    p = tmp_path / "empty.csv"
    p.write_bytes(b"")
    r = run_cli("info", str(p))
    assert r.returncode == 2 and "empty" in r.stderr and "Traceback" not in r.stderr


def test_evaluate_json_contract(ratings_csv, tmp_path):
    out = tmp_path / "out.json"
    r = run_cli(
        "evaluate",
        str(ratings_csv),
        "--models",
        "baseline,bias",
        "--folds",
        "3",
        "--seed",
        "1",
        "--k",
        "5",
        "--json",
        str(out),
    )
    assert r.returncode == 0, r.stderr
    res = json.loads(out.read_text())
    assert res["dataset"]["ratings"] == 80 and res["dataset"]["rating_scale"] == [1.0, 5.0]
    assert res["protocol"]["kind"] == "kfold" and res["protocol"]["folds"] == 3 and res["protocol"]["seed"] == 1
    assert res["protocol"]["k"] == 5 and res["protocol"]["relevance_threshold"] == pytest.approx(4.0)
    names = [m["name"] for m in res["models"]]
    assert names == ["baseline", "bias"]
    for m in res["models"]:
        for key in ("rmse", "mae", "precision@5", "recall@5", "ndcg@5", "coverage", "fit_seconds", "test_seconds"):
            assert key in m
        assert len(m["folds"]) == 3
        assert m["rmse"] == pytest.approx(sum(f["rmse"] for f in m["folds"]) / 3)
    assert res["models"][1]["params"]["reg_u"] == 15.0


def test_evaluate_movielens_svd_close_to_surprise():
    ml = ROOT.parent / "shared" / "data" / "movielens-100k"
    if not ml.exists():
        pytest.skip("MovieLens 100K not available")
    from surprise import SVD, Dataset, Reader
    from surprise.model_selection import KFold, cross_validate

    from recsys_core.data.io import load_path
    from recsys_core.evaluation import KFold as OurKFold
    from recsys_core.evaluation import compare
    from recsys_core.models import SVD as OurSVD

    ds = load_path(ml)
    # 2 folds keeps the test quick; the 5-fold comparison is benchmarks/bench_svd_vs_surprise.py
    ours = compare({"svd": OurSVD(random_state=0)}, OurKFold(2, seed=0), ds)["rmse"].mean()
    data = Dataset.load_from_df(ds.ratings[["user_id", "item_id", "rating"]], Reader(rating_scale=(1, 5)))
    theirs = cross_validate(SVD(random_state=0), data, measures=["rmse"], cv=KFold(2, random_state=0))[
        "test_rmse"
    ].mean()
    assert ours == pytest.approx(theirs, abs=0.01)
