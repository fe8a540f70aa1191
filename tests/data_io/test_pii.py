"""Personal data in review text and ids is found at cleaning time, masked by default and counted in the report."""

from __future__ import annotations

from collections import Counter

import pandas as pd
import pytest

from recsys_core.data.cleaning import CleaningOptions, clean
from recsys_core.data.pii import id_card_valid, luhn_valid, mask_text

VALID_ID = "11010519491231002X"  # check character X is right for these 17 digits
BAD_ID = "110105194912310021"
CARD = "4111 1111 1111 1111"  # passes Luhn
NOT_CARD = "4111 1111 1111 1112"


def test_checksums():
    assert id_card_valid(VALID_ID) and not id_card_valid(BAD_ID)
    assert luhn_valid("4111111111111111") and not luhn_valid("4111111111111112")


@pytest.mark.parametrize(
    "text, masked, kinds",
    [
        ("打电话 13812345678 给我", "打电话 [手机号] 给我", {"phone": 1}),
        ("+86 139-0000-1111 找我", "[手机号] 找我", {"phone": 1}),
        ("邮箱 fan.club@example.com.cn 见", "邮箱 [邮箱] 见", {"email": 1}),
        (f"身份证{VALID_ID}。", "身份证[身份证号]。", {"id_card": 1}),
        (f"号码{BAD_ID}不对", f"号码{BAD_ID}不对", {}),
        (f"卡号 {CARD} 转账", "卡号 [银行卡号] 转账", {"bank_card": 1}),
        (f"卡号 {NOT_CARD} 转账", f"卡号 {NOT_CARD} 转账", {}),
        ("加QQ：123456789 聊", "加QQ：[QQ号] 聊", {"qq": 1}),
        ("微信号 film_fan88 私聊", "微信号 [微信号] 私聊", {"wechat": 1}),
        ("vx: abc-12345", "vx: [微信号]", {"wechat": 1}),
        (
            "1998年上映，评分8.5，片长 142 分钟，票房 123456789 元",
            "1998年上映，评分8.5，片长 142 分钟，票房 123456789 元",
            {},
        ),
    ],
)
def test_mask_text(text, masked, kinds):
    c = Counter()
    assert mask_text(text, c) == masked
    assert dict(c) == kinds


def test_cleaning_masks_by_default_and_counts_by_kind():
    df = pd.DataFrame(
        {
            "user_id": ["13812345678", "13812345678", "u2", "alice@example.com"],
            "item_id": ["f1", "f2", "f1", "f3"],
            "rating": [4, 5, 3, 2],
            "text": ["好看，加微信 film_fan88", "一般", f"身份证 {VALID_ID} 丢了", "退款打 13900001111"],
        }
    )
    before = df.copy()
    ds, rep = clean(df)
    step = rep.step("pii")
    assert step.counts == {"phone": 3, "email": 1, "id_card": 1, "bank_card": 0, "qq": 0, "wechat": 1}
    assert step.rows_affected == 4
    assert step.by_column == {"text": 3, "user_id": 3}
    assert step.detail == "personal data masked: phone 3, email 1, id_card 1, wechat 1 in 4 rows (text 3, user_id 3)"
    assert rep.to_dict()["steps"][9]["by_column"] == {"text": 3, "user_id": 3}
    inter = ds.interactions
    flat = " ".join(map(str, inter[["user_id", "text"]].to_numpy().ravel()))
    assert "13812345678" not in flat and "alice@example.com" not in flat and VALID_ID not in flat
    assert "film_fan88" not in flat and "13900001111" not in flat
    users = sorted(inter["user_id"].unique())
    assert len(users) == 3  # the same phone id is still one user, different people stay different
    assert sum(u.startswith("[手机号]#") for u in users) == 1 and sum(u.startswith("[邮箱]#") for u in users) == 1
    assert "13812345678" not in str(rep.to_dict())  # examples show masked values only
    pd.testing.assert_frame_equal(df, before)  # the input is untouched


def test_masking_can_be_switched_off():
    df = pd.DataFrame({"user_id": ["u1"], "item_id": ["f1"], "rating": [4], "text": ["电话 13812345678"]})
    ds, rep = clean(df, CleaningOptions(mask_pii=False))
    assert ds.interactions["text"].iloc[0] == "电话 13812345678"
    assert not rep.step("pii").enabled


def test_email_right_after_chinese_characters_is_found():
    c = Counter()
    assert mask_text("邮箱fan@example.org谢谢", c) == "邮箱[邮箱]谢谢" and dict(c) == {"email": 1}


def test_movielens_like_numbers_are_not_personal_data():
    """6-digit user ids, film ids, 10-digit Unix times and a 13-digit millisecond time are left alone."""
    df = pd.DataFrame(
        {
            "user_id": [123456, 234567, 1, 999999],
            "item_id": [1682, 50, 1, 242],
            "rating": [4, 5, 3, 2],
            "timestamp": [881250949, 1700000000, 1699999999, 1700000000123],
            "text": ["1700000000", "用户 123456 给了 5 星", "片长 142 分钟，票房 123456789 元", None],
        }
    )
    ds, rep = clean(df)
    step = rep.step("pii")
    assert step.rows_affected == 0 and step.detail == "no personal data found"
    assert set(step.counts.values()) == {0}
    inter = ds.interactions
    assert sorted(inter["user_id"]) == ["1", "123456", "234567", "999999"]
    assert sorted(inter["item_id"]) == ["1", "1682", "242", "50"]
    assert inter["text"].tolist()[:3] == ["1700000000", "用户 123456 给了 5 星", "片长 142 分钟，票房 123456789 元"]
    assert inter["timestamp"].iloc[1] == pd.Timestamp(1700000000, unit="s")


def test_upload_bytes_and_raw_version_keep_what_was_uploaded(tmp_path, monkeypatch):
    """Masking belongs to the cleaned version: the stored upload and the raw version keep the original."""
    from recsys_core.app import Lab
    from recsys_core.data.readers import read_upload
    from recsys_core.store import open_workspace

    monkeypatch.setenv("CINELENS_SECRET", "test key")
    data = "user_id,item_id,rating,text\n13812345678,1,4,电话 13900001111\n123456,2,5,好看\n".encode()
    ws = open_workspace(tmp_path / "ws")
    try:
        lab = Lab(ws)
        raw, ds, report = lab.clean_upload(read_upload("r.csv", data), {}, CleaningOptions())
        saved = lab.save_upload([("r.csv", data)], raw, ds, report)
        import hashlib

        assert ws.upload_bytes(hashlib.sha256(data).hexdigest()) == ("r.csv", data)  # stored as received
        raw_rows = ws.load_version(saved.raw).interactions
        assert raw_rows["user_id"].tolist() == ["13812345678", "123456"]
        assert raw_rows["text"].tolist() == ["电话 13900001111", "好看"]
        clean_rows = ws.load_version(saved.cleaned).interactions
        assert clean_rows["text"].tolist() == ["电话 [手机号]", "好看"]
        assert clean_rows["user_id"].iloc[0].startswith("[手机号]#") and clean_rows["user_id"].iloc[1] == "123456"
        assert report.step("pii").counts["phone"] == 2 and report.step("pii").rows_affected == 1
    finally:
        ws.close()


def test_data_page_sentence_names_kinds_and_columns():
    from ui.data_page import step_detail
    from ui.i18n import catalogue

    df = pd.DataFrame(
        {"user_id": ["u1", "u2"], "item_id": ["f1", "f1"], "rating": [4, 5], "text": ["电话 13812345678", "ok"]}
    )
    _, rep = clean(df)
    for lang, want in (
        ("zh", "1 行里的个人信息已遮盖：手机号 1（按列：评论 1）"),
        ("en", "Personal data masked in 1 rows: phone 1 (rows by column: review 1)"),
    ):
        cat = catalogue(lang)
        assert step_detail(rep, rep.step("pii"), lambda key, _c=cat, **kw: _c[key].format(**kw)) == want


def test_long_numeric_ids_are_not_taken_for_card_numbers():
    """One random 18-digit id in ten passes Luhn; a column of such ids is ids, a column of card numbers is cards."""
    import random

    rng = random.Random(5)
    ids = [str(rng.randrange(10**17, 10**18)) for _ in range(200)]
    passing = [i for i in ids if luhn_valid(i)]
    assert 10 <= len(passing) <= 35  # about one in ten
    df = pd.DataFrame({"user_id": ids, "item_id": ["f1"] * 200, "rating": [4] * 200})
    ds, rep = clean(df)
    assert sorted(ds.interactions["user_id"]) == sorted(ids)  # none masked, the Luhn-passing ones included
    assert rep.step("pii").counts["bank_card"] == 0
    cards = ["4111111111111111", "5500000000000004", "6011000000000004"]  # all pass Luhn
    df = pd.DataFrame({"user_id": cards + ["u1"], "item_id": ["f1"] * 4, "rating": [4] * 4})
    ds, rep = clean(df)
    users = ds.interactions["user_id"].tolist()
    assert sum(u.startswith("[银行卡号]#") for u in users) == 3 and "u1" in users
    assert rep.step("pii").counts["bank_card"] == 3 and rep.step("pii").by_column == {"user_id": 3}


def test_cli_clean_masks_by_default_and_keep_pii_turns_it_off(tmp_path, capsys):
    import json

    from tests.profiling.test_cli import run_main

    src = tmp_path / "r.csv"
    src.write_text("user_id,item_id,rating,text\nu1,f1,4,电话 13812345678\nu2,f2,5,好看\n", encoding="utf-8")
    for extra, text, enabled in (([], "电话 [手机号]", True), (["--keep-pii"], "电话 13812345678", False)):
        out, rep = tmp_path / "o.csv", tmp_path / "rep.json"
        code, _, err = run_main(
            capsys, "clean", src, "--out", out, "--report", rep, "--quiet", "--workspace", tmp_path / "ws", *extra
        )
        assert code == 0, err
        got = pd.read_csv(out, encoding="utf-8-sig", dtype=str)
        assert got["text"].tolist() == [text, "好看"]
        step = next(s for s in json.loads(rep.read_text(encoding="utf-8"))["steps"] if s["name"] == "pii")
        assert step["enabled"] is enabled and step["rows_affected"] == (1 if enabled else 0)
