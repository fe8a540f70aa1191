"""boxoffice / campaign / plan commands: JSON results, CSV export, one-line errors with exit 2."""

from __future__ import annotations

import json

import pandas as pd
import pytest

from recsys_core.__main__ import main
from recsys_core.data import demo
from recsys_core.data.demo_promotion import generate_campaign, shaped_film_table

PROMO = demo.DEFAULT_FOLDER / demo.PROMOTION_FOLDER


def _err(capsys) -> str:
    err = capsys.readouterr().err.strip()
    assert err.startswith("error: ") and "\n" not in err and "Traceback" not in err
    return err


def test_boxoffice_json(tmp_path, capsys):
    f = tmp_path / "films.csv"
    shaped_film_table(300, seed=3).to_csv(f, index=False)
    out = tmp_path / "bo.json"
    assert main(["boxoffice", str(f), "--target", "gross", "--json", str(out), "--folds", "3"]) == 0
    r = json.loads(out.read_text(encoding="utf-8"))
    assert {"r2", "mae", "within_50pct", "baseline_r2", "features_used", "features_excluded_as_post_release"} <= set(r)
    assert r["features_excluded_as_post_release"] == ["rating", "votes"]
    assert r["r2"] > r["baseline_r2"]


def test_boxoffice_without_gross(tmp_path, capsys):
    f = tmp_path / "films.csv"
    pd.DataFrame({"title": ["a", "b"], "budget": [1, 2]}).to_csv(f, index=False)
    assert main(["boxoffice", str(f)]) == 2
    err = _err(capsys)
    assert "no gross column" in err and "add total box office as a column named gross" in err


def test_campaign_json(tmp_path, capsys):
    f = tmp_path / "ex.csv"
    generate_campaign(0, n_users=1000).to_csv(f, index=False)
    out = tmp_path / "c.json"
    assert main(["campaign", str(f), "--spend", "100", "--json", str(out)]) == 0
    r = json.loads(out.read_text(encoding="utf-8"))
    assert {"uplift", "ci_low", "ci_high", "p_value", "incremental"} <= set(r)
    assert r["ci_low"] < r["uplift"] < r["ci_high"]
    assert r["incremental"] == pytest.approx(r["uplift"] * r["n_test"])
    assert r["cost_per_incremental"] == pytest.approx(100 / r["incremental"])


def test_campaign_errors(tmp_path, capsys):
    f = tmp_path / "ex.csv"
    pd.DataFrame({"user_id": [1, 2], "arm": ["test", "test"], "converted": [1, 0]}).to_csv(f, index=False)
    assert main(["campaign", str(f)]) == 2
    assert "column 'arm' has only test" in _err(capsys)
    assert main(["campaign", str(f), "--spend", "-5"]) == 2
    assert "spend cannot be negative" in _err(capsys)
    bad = tmp_path / "dates.csv"
    pd.DataFrame({"user_id": [1, 2], "arm": ["test", "control"], "converted": [1, 0], "exposed_at": ["x", "y"]}).to_csv(
        bad, index=False
    )
    assert main(["campaign", str(bad)]) == 2
    assert "column 'exposed_at' is not dates" in _err(capsys)


@pytest.mark.skipif(not (PROMO / "exposures.csv").exists(), reason="data/demo/promotion has not been generated")
def test_campaign_without_control_uses_diff_in_diff(tmp_path, capsys):
    out = tmp_path / "did.json"
    args = ["campaign", str(PROMO / "exposures.csv"), "--campaign", "C2", "--behaviour", str(PROMO / "behaviour.csv")]
    assert main([*args, "--json", str(out)]) == 0
    r = json.loads(out.read_text(encoding="utf-8"))
    assert r["evidence"] == "weaker" and abs(r["did"] - 0.8) < 0.15
    assert main(args[:4]) == 2
    assert "pass --behaviour FILE" in _err(capsys)


@pytest.mark.skipif(not (PROMO / "exposures.csv").exists(), reason="data/demo/promotion has not been generated")
def test_plan_export(tmp_path, capsys, monkeypatch):
    monkeypatch.setenv("CINELENS_WORKSPACE", str(tmp_path / "ws"))
    users = tmp_path / "contacts.csv"
    pd.DataFrame({"user_id": ["U0001", "U0002"], "email": ["A@x.com", "b@x.com"], "phone": ["13800138000", ""]}).to_csv(
        users, index=False
    )
    out = tmp_path / "plan.csv"
    js = tmp_path / "plan.json"
    code = main(
        [
            "plan",
            str(demo.DEFAULT_FOLDER),
            "--item",
            "M0339",
            "--budget",
            "12",
            "--cpm",
            "40",
            "--users",
            str(users),
            "--out",
            str(out),
            "--json",
            str(js),
            "--no-segments",
        ]
    )
    assert code == 0
    df = pd.read_csv(out, encoding="utf-8-sig", dtype=str)
    assert list(df.columns[:5]) == ["user_pseudonym", "rank", "score", "segment", "persona"]
    assert len(df) == 100
    text = out.read_text(encoding="utf-8-sig")
    assert "x.com" not in text and "13800138000" not in text
    r = json.loads(js.read_text(encoding="utf-8"))
    assert r["audience"] == 100 and r["scorer"] == "neighbour"
    assert main(["plan", str(demo.DEFAULT_FOLDER), "--item", "M0339", "--cpm", "-1"]) == 2
    assert "--cpm is -1; it cannot be negative" in _err(capsys)
