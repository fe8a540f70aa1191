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
    assert step.detail == "personal data masked: phone 3, email 1, id_card 1, wechat 1"
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
