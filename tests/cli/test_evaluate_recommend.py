"""The extended evaluate command and the recommend command, run as a user would (subprocess)."""

import json
import math
import subprocess
import sys
from pathlib import Path

import pytest

from recsys_core.__main__ import main

ROOT = Path(__file__).resolve().parents[2]
TINY = ROOT / "tests" / "data" / "tiny_ratings.csv"  # 6 users x 6 films, 24 ratings, mean 82/24


def run_cli(*args):
    return subprocess.run(
        [sys.executable, "-m", "recsys_core", *map(str, args)], cwd=ROOT, capture_output=True, text=True, timeout=300
    )


def test_evaluate_json_has_extended_metrics_and_nulls(tmp_path):
    out = tmp_path / "out.json"
    r = run_cli("evaluate", TINY, "--models", "baseline,popularity", "--folds", "3", "--k", "3", "--json", out)
    assert r.returncode == 0, r.stderr
    text = out.read_text()
    assert "NaN" not in text and "Infinity" not in text
    res = json.loads(text)
    assert res["protocol"]["kind"] == "kfold" and res["protocol"]["diversity_basis"] == "ratings"
    base, pop = res["models"]
    for m in res["models"]:
        for key in ("map@3", "hit_rate@3", "diversity", "novelty", "personalization", "precision@3", "coverage"):
            assert key in m and m[key] is not None
            assert len(m["folds"]) == 3
    assert pop["rmse"] is None and pop["mae"] is None
    assert all(f["rmse"] is None for f in pop["folds"])
    assert base["rmse"] == pytest.approx(sum(f["rmse"] for f in base["folds"]) / 3)
    assert 0 <= base["personalization"] <= 1 and base["novelty"] > 0


def test_evaluate_params_are_typed_and_splits_selectable(tmp_path):
    out = tmp_path / "out.json"
    r = run_cli(
        "evaluate",
        TINY,
        "--models",
        "bias",
        "--param",
        "bias.reg_u=5",
        "--param",
        "bias.n_epochs=3.0",
        "--split",
        "user",
        "--leave-n",
        "1",
        "--json",
        out,
    )
    assert r.returncode == 0, r.stderr
    res = json.loads(out.read_text())
    params = res["models"][0]["params"]
    assert params["reg_u"] == 5.0 and isinstance(params["reg_u"], float)  # float default: 5 -> 5.0
    assert params["n_epochs"] == 3 and isinstance(params["n_epochs"], int)
    assert res["protocol"]["kind"] == "user" and res["protocol"]["n"] == 1
    r = run_cli("evaluate", TINY, "--models", "bias", "--split", "temporal", "--test-size", "0.25", "--json", out)
    assert r.returncode == 0, r.stderr
    res = json.loads(out.read_text())
    assert res["protocol"]["kind"] == "temporal" and res["protocol"]["test_size"] == 0.25


@pytest.mark.parametrize(
    "args,needle",
    [
        (("--models", "bias", "--param", "bias.nope=1"), "has no parameter 'nope'"),
        (("--models", "bias", "--param", "svd.n_factors=2"), "not in --models"),
        (("--models", "bias", "--param", "reg_u"), "MODEL.NAME=VALUE"),
        (("--models", "bias", "--split", "user", "--folds", "3"), "--folds only applies"),
        (("--models", "bias", "--split", "weird"), "invalid choice"),
    ],
)
def test_evaluate_errors_are_one_line(args, needle, capsys):
    # in-process through the same entry point as ``python -m recsys_core`` (fast; no subprocess)
    try:
        code = main(["evaluate", str(TINY), *args])
    except SystemExit as e:  # argparse errors
        code = e.code
    assert code == 2
    lines = capsys.readouterr().err.strip().splitlines()
    assert len(lines) == 1 and needle in lines[0]


def test_recommend_json_shape_and_values(tmp_path):
    out = tmp_path / "rec.json"
    r = run_cli("recommend", TINY, "--model", "baseline", "--all-users", "--n", "2", "--json", out)
    assert r.returncode == 0, r.stderr
    res = json.loads(out.read_text())
    assert set(res) >= {"model", "fit_seconds", "recommend_seconds", "users", "n", "recommendations"}
    assert res["model"] == "baseline" and res["users"] == 6 and res["n"] == 2
    assert res["recommend_seconds"] >= 0 and res["fit_seconds"] >= 0
    recs = res["recommendations"]
    assert sorted(recs) == ["u1", "u2", "u3", "u4", "u5", "u6"]
    # u1 rated i1..i4, so only i5 and i6 remain; the global mean predicts 82/24 for everything
    assert sorted(item for item, _ in recs["u1"]) == ["i5", "i6"]
    for _item, score in recs["u1"]:
        assert score == pytest.approx(82 / 24, abs=1e-4)
    assert all(len(v) == 2 for v in recs.values())


def test_recommend_one_user_to_stdout_and_unknown_user():
    r = run_cli("recommend", TINY, "--model", "bias", "--user", "u3", "--n", "1", "--json", "-")
    assert r.returncode == 0, r.stderr
    res = json.loads(r.stdout)
    assert list(res["recommendations"]) == ["u3"] and len(res["recommendations"]["u3"]) == 1
    assert math.isfinite(res["recommendations"]["u3"][0][1])
    r = run_cli("recommend", TINY, "--model", "bias", "--user", "nobody")
    assert r.returncode == 2 and "user 'nobody'" in r.stderr and "Traceback" not in r.stderr


def test_a_model_that_cannot_run_on_the_data_is_reported_and_the_others_run(tmp_path, capsys):
    out = tmp_path / "out.json"
    # tiny_ratings.csv has no film metadata: content cannot run, baseline can
    code = main(["evaluate", str(TINY), "--models", "baseline,content", "--folds", "2", "--json", str(out)])
    assert code == 0
    res = json.loads(out.read_text())
    assert [m["name"] for m in res["models"]] == ["baseline"]
    assert res["failed"] == [{"name": "content", "reason": "content model needs item metadata (genres/synopsis)"}]
    captured = capsys.readouterr()
    assert "failed content: content model needs item metadata" in captured.err
    assert "# content: could not run on this data" in captured.out
    # asked for alone, its failure is the command's one-line error
    assert main(["evaluate", str(TINY), "--models", "content", "--folds", "2"]) == 2
    assert (
        capsys.readouterr().err.strip().splitlines()[-1] == "error: content model needs item metadata (genres/synopsis)"
    )
