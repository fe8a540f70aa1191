"""spark clean gives the same report counts as the local clean (demo data and messy files made here)."""

from __future__ import annotations

import json
from pathlib import Path

from recsys_core.__main__ import main
from recsys_core.data.cleaning import CleaningOptions
from recsys_core.data.io import load_path_with_report

from .messy import messy_ratings, messy_ten_point

ROOT = Path(__file__).resolve().parents[2]


def _counts(rep: dict):
    steps = [(s["name"], s["rows_in"], s["rows_out"], s["rows_affected"], s["enabled"]) for s in rep["steps"]]
    sus = sorted(s["user_id"] for s in rep["suspicious_users"])
    return rep["rows_in"], rep["rows_out"], steps, rep["rating_scale"], sus, rep["joins"]


def _spark_clean(spark, path, tmp_path, *extra) -> dict:
    out = tmp_path / "out"
    rc = main(
        [
            "spark",
            "clean",
            str(path),
            "--out",
            str(out),
            "--master",
            "local[2]",
            "--json",
            str(tmp_path / "r.json"),
            *extra,
        ]
    )
    assert rc == 0
    man = json.loads((out / "_CINELENS.json").read_text(encoding="utf-8"))
    assert man["job"] == "clean" and man["engine"] == "spark" and man["master"] == "local[2]"
    rep = json.loads((tmp_path / "r.json").read_text(encoding="utf-8"))
    assert rep == json.loads((out / "summary.json").read_text(encoding="utf-8"))
    assert man["tables"]["interactions"]["rows"] == rep["rows_out"]
    return rep


def test_demo_counts_match_local(spark, tmp_path):
    rep = _spark_clean(spark, ROOT / "data" / "demo", tmp_path)
    _, local, _ = load_path_with_report(str(ROOT / "data" / "demo"))
    assert _counts(rep) == _counts(local.to_dict())
    assert rep["rows_out"] == 60061 and rep["steps"][4]["rows_affected"] == 60  # 60 view-only rows kept


def test_messy_file_counts_match_local(spark, tmp_path):
    path = messy_ratings(tmp_path / "messy.csv")
    rep = _spark_clean(spark, path, tmp_path)
    _, local, _ = load_path_with_report(str(path))
    assert _counts(rep) == _counts(local.to_dict())
    by = {s["name"]: s for s in rep["steps"]}
    assert by["exact_duplicates"]["rows_affected"] >= 20
    assert by["parse_ratings"]["rows_affected"] > 0 and by["timestamps"]["rows_affected"] > 0
    assert [s["user_id"] for s in rep["suspicious_users"]] == ["bot"]
    assert by["review_text"]["rows_affected"] > 0 and by["duplicate_pairs"]["rows_affected"] > 0


def test_ten_point_scale_normalised_like_local(spark, tmp_path):
    path = messy_ten_point(tmp_path / "ten.tsv")
    rep = _spark_clean(spark, path, tmp_path, "--scale", "1,5", "--pairs", "mean")
    _, local, _ = load_path_with_report(
        str(path), options=CleaningOptions(target_scale=(1.0, 5.0), duplicate_pairs="mean")
    )
    assert _counts(rep) == _counts(local.to_dict())
    assert rep["rating_scale"] == {"detected": [1.0, 10.0], "normalised_to": [1.0, 5.0]}
    assert {s["name"]: s["rows_affected"] for s in rep["steps"]}["out_of_range"] > 0
