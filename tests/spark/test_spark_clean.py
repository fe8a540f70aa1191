"""spark clean gives the same report counts as the local clean (demo data and messy files made here)."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd

from recsys_core.__main__ import main
from recsys_core.data.cleaning import CleaningOptions
from recsys_core.data.io import load_path_with_report
from recsys_core.data.pii import luhn_valid

from .messy import CARD, VALID_ID, messy_ratings, messy_ten_point, pii_ratings

ROOT = Path(__file__).resolve().parents[2]


def _counts(rep: dict):
    steps = [(s["name"], s["rows_in"], s["rows_out"], s["rows_affected"], s["enabled"]) for s in rep["steps"]]
    keys = ("user_id", "ratings", "rating", "burst", "rule", "window")  # the same record in both engines
    sus = sorted(tuple(s.get(k) for k in keys) for s in rep["suspicious_users"])
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


def test_personal_data_masked_like_local(spark, tmp_path, monkeypatch):
    monkeypatch.setenv("CINELENS_SECRET", "parity test key")
    path = pii_ratings(tmp_path / "pii.csv")
    rep = _spark_clean(spark, path, tmp_path)
    ds, local, _ = load_path_with_report(str(path))
    assert _counts(rep) == _counts(local.to_dict())
    spark_step = next(s for s in rep["steps"] if s["name"] == "pii")
    local_step = local.to_dict()["steps"][9]
    assert local_step["name"] == "pii"
    assert spark_step == local_step  # the same counts, detail and (masked) examples
    # every row of the cleaned table is the same in both engines
    out = spark.read.parquet(str(tmp_path / "out" / "interactions"))
    got = sorted((r["user_id"], r["item_id"], r["text"] or "") for r in out.collect())
    inter = ds.interactions
    want = sorted(zip(inter["user_id"], inter["item_id"], inter["text"].fillna("")))
    assert got == want
    # counts worked out from the planted values of the file itself
    raw = [line.split(",", 4) for line in path.read_text(encoding="utf-8").splitlines()[1:]]
    users = [r[0] for r in raw]
    items = [r[1] for r in raw]
    texts = [r[4].strip('"') for r in raw]

    def n_text(s):
        return sum(t == s for t in texts)

    assert local_step["counts"] == {
        "phone": n_text("打电话 13812345678 给我")
        + n_text("+86 139-0000-1111 找我")
        + n_text("微信号 film_fan88 私聊，电话13700001111")
        + users.count("13812345678"),
        "email": n_text("邮箱 fan.club@example.com.cn 见")
        + n_text("邮箱fan@example.org")
        + users.count("alice@example.com"),
        "id_card": n_text(f"身份证{VALID_ID}。"),
        "bank_card": n_text(f"卡号 {CARD} 转账") + items.count("4111111111111111"),
        "qq": n_text("加QQ：123456789 聊"),
        "wechat": n_text("vx: abc-12345") + n_text("微信号 film_fan88 私聊，电话13700001111"),
    }
    assert local_step["counts"]["phone"] > 50 and local_step["counts"]["bank_card"] > 30
    # ordinary numbers stay: 6-digit user ids, film ids, a 10-digit Unix time, wrong checksums, box office
    kept_text = {t for _, _, t in got}
    assert "用户 123456 说好看" in kept_text and "号码110105194912310021不对" in kept_text
    assert "卡号 4111 1111 1111 1112 转账" in kept_text
    assert "1998年上映，评分8.5，票房 123456789 元，发布于 1700000000" in kept_text
    assert {"123456", "234567", "100001"} <= {u for u, _, _ in got}
    assert {"1", "50", "1682", "990001"} <= {i for _, i, _ in got}
    assert sum(u.startswith("[手机号]#") for u in {u for u, _, _ in got}) == 1
    assert not any("13812345678" in str(v) or "alice@" in str(v) for row in got for v in row)
    ts = ds.interactions["timestamp"]
    assert ts.notna().all() and ts.min() >= pd.Timestamp(1700000000, unit="s")  # times read, not masked
    assert ts.max() <= pd.Timestamp(1700000000 + 37 * 299, unit="s")
    # 18-digit snowflake-style user ids stay, also the few that happen to pass Luhn (the column's long numbers
    # mostly fail it, so they are ids, not cards); the one film id that is a card number is masked
    long_ids = {u for u in users if len(u) == 18}
    assert len(long_ids) == 40 and long_ids <= {u for u, _, _ in got}
    assert sum(map(luhn_valid, long_ids)) >= 1
    assert not any(u.startswith("[银行卡号]") for u, _, _ in got)
    assert any(i.startswith("[银行卡号]#") for _, i, _ in got)


def test_pseudonym_key_stays_out_of_the_query_plan(spark):
    """Ids holding personal data get the local step's tags; nothing derived from the key is in the plan."""
    import hashlib
    import hmac

    from recsys_core.spark.pii import mask_frame

    key = bytes(range(32))
    df = spark.createDataFrame(
        [("13812345678", "f1", "电话 13900001111"), ("u2", "f2", None), ("13812345678", "f3", "ok")],
        "user_id string, item_id string, text string",
    )
    out, counts, cols = mask_frame(df, lambda: key)
    tag = hmac.new(key, b"13812345678", hashlib.sha256).hexdigest()[:10]
    rows = sorted((r["user_id"], r["item_id"], r["text"]) for r in out.collect())
    assert [r[:3] for r in rows] == [
        (f"[手机号]#{tag}", "f1", "电话 [手机号]"),
        (f"[手机号]#{tag}", "f3", "ok"),
        ("u2", "f2", None),
    ]
    assert counts == {"phone": 3, "email": 0, "id_card": 0, "bank_card": 0, "qq": 0, "wechat": 0}
    plan = out._jdf.queryExecution().toString().lower()
    padded = key.ljust(64, b"\0")
    for secret in (key, bytes(b ^ 0x36 for b in padded), bytes(b ^ 0x5C for b in padded)):
        assert secret.hex() not in plan and secret.hex()[:16] not in plan


def test_keep_pii_leaves_personal_data_like_local(spark, tmp_path):
    path = pii_ratings(tmp_path / "pii.csv")
    rep = _spark_clean(spark, path, tmp_path, "--keep-pii")
    ds, local, _ = load_path_with_report(str(path), options=CleaningOptions(mask_pii=False))
    assert _counts(rep) == _counts(local.to_dict())
    step = next(s for s in rep["steps"] if s["name"] == "pii")
    assert step["enabled"] is False and step["rows_affected"] == 0
    users = {r["user_id"] for r in spark.read.parquet(str(tmp_path / "out" / "interactions")).collect()}
    assert "13812345678" in users and "alice@example.com" in users


def test_a_folder_is_read_as_its_ratings_file_not_as_every_file_in_it(spark, tmp_path):
    """A folder holding ratings.parquet beside movies.csv (the layout `synth` writes) reads the ratings only; a
    folder of Parquet parts is one table; a folder of several unnamed tables is refused with their names."""
    import pytest

    from recsys_core.errors import UserError
    from recsys_core.spark.io import read_input

    ratings = pd.DataFrame({"user_id": [1, 2, 2], "item_id": [10, 10, 11], "rating": [4.0, 3.0, 5.0]})
    mixed = tmp_path / "mixed"
    mixed.mkdir()
    ratings.to_parquet(mixed / "ratings.parquet")
    (mixed / "movies.csv").write_text("item_id,title\n10,A\n11,B\n", encoding="utf-8")
    got = read_input(spark, str(mixed)).interactions.orderBy("_row").collect()
    assert [(r["user_id"], r["item_id"], r["rating"]) for r in got] == [
        ("1", "10", "4.0"),
        ("2", "10", "3.0"),
        ("2", "11", "5.0"),
    ]

    parts = tmp_path / "parts"
    parts.mkdir()
    ratings.iloc[:2].to_parquet(parts / "part-0.parquet")
    ratings.iloc[2:].to_parquet(parts / "part-1.parquet")
    (parts / "_SUCCESS").write_text("")
    assert read_input(spark, str(parts)).interactions.count() == 3

    two = tmp_path / "two"
    two.mkdir()
    (two / "a.csv").write_text("user_id,item_id\n1,2\n", encoding="utf-8")
    (two / "b.csv").write_text("item_id,title\n2,B\n", encoding="utf-8")
    with pytest.raises(UserError, match=r"several tables \(a.csv, b.csv\)"):
        read_input(spark, str(two))


def test_local_masters_get_shuffle_partitions_sized_to_their_cores():
    from recsys_core.spark.session import local_cores, local_defaults

    assert local_cores("local") == 1 and local_cores("local[2]") == 2 and local_cores("local[3,2]") == 3
    assert local_defaults("local[2]") == {"spark.sql.shuffle.partitions": "8"}
    assert local_defaults("local") == {"spark.sql.shuffle.partitions": "4"}
    assert local_defaults("yarn") == {} and local_defaults("spark://h:7077") == {}
