"""Messy sample files for the clean parity tests (written by the tests, seeded)."""

from __future__ import annotations

import random
from pathlib import Path


def messy_ratings(path: Path) -> Path:
    """A 1-5 CSV with every kind of problem the cleaning steps handle."""
    rng = random.Random(7)
    rows = ["user_id,item_id,rating,timestamp,text"]
    ratings = ["4", " 3 ", "5.0", "力荐", "★★★★", "推荐", "8/10", "还行", "abc", "", "7", "-1", "2"]
    times = [
        "2021-03-31 10:00:00",
        "1617184800",
        "1617184800000",
        "2021/3/31",
        "2021年3月31日 10点05分",
        "20210331",
        "garbage",
        "",
    ]
    texts = ["好看", "<b>很好</b>看", "a &amp; b", "  多余   空格 ", "", "x" * 2100]
    for _k in range(400):
        u = rng.choice(["1", " 1", "1.0", "2", "3", "", "u4", "u5 ", "NaN"])
        i = rng.choice(["10", "10.0", "11", "12", " 13", "", "m14"])
        rows.append(f'{u},{i},{rng.choice(ratings)},{rng.choice(times)},"{rng.choice(texts)}"')
    rows += rows[1:21]  # exact duplicates
    for k in range(120):  # a burst: 120 identical ratings within two minutes
        rows.append(f"bot,f{k},5,2022-01-01 00:00:{k % 60:02d},")
    path.write_text("\n".join(rows) + "\n", encoding="utf-8")
    return path


def messy_ten_point(path: Path) -> Path:
    """A tab-separated 1-10 file (scale detection, normalisation with --scale 1,5, out-of-range values)."""
    rng = random.Random(11)
    rows = ["userId\tmovieId\tscore\ttime"]
    for k in range(300):
        r = rng.choice(["1", "4", "6", "8", "10", "9.5", "3"])
        rows.append(f"u{k % 37}\tm{rng.randint(1, 40)}\t{r}\t{1600000000 + 3600 * k}")
    rows += ["u1\tm99\t11\t1600000000", "u2\tm98\t12\t1600000001"]  # out of range (under 1%: scale stays 1-10)
    path.write_text("\n".join(rows) + "\n", encoding="utf-8")
    return path


VALID_ID = "11010519491231002X"  # a resident ID number whose check character is right
CARD = "4111 1111 1111 1111"  # passes Luhn


def pii_ratings(path: Path) -> Path:
    """MovieLens-like rows (6-digit user ids, Unix-second times) with personal data planted in text and ids,
    plus numbers that look like data but are not (wrong checksums, 10-digit times, ticket prices)."""
    rng = random.Random(13)
    texts = [
        "打电话 13812345678 给我",
        "+86 139-0000-1111 找我",
        "邮箱 fan.club@example.com.cn 见",
        "邮箱fan@example.org",  # right after Chinese characters
        f"身份证{VALID_ID}。",
        "号码110105194912310021不对",  # wrong check character: not an ID number
        f"卡号 {CARD} 转账",
        "卡号 4111 1111 1111 1112 转账",  # fails Luhn
        "加QQ：123456789 聊",
        "微信号 film_fan88 私聊，电话13700001111",
        "vx: abc-12345",
        "1998年上映，评分8.5，票房 123456789 元，发布于 1700000000",
        "用户 123456 说好看",
        "",
    ]
    rows = ["user_id,item_id,rating,timestamp,text"]
    long_ids = [str(rng.randrange(10**17, 10**18)) for _ in range(40)]  # snowflake-style ids: not card numbers
    for k in range(300):
        u = rng.choice(["123456", "234567", "100001", "13812345678", "alice@example.com", f"{100000 + k % 50}"])
        u = long_ids[(k // 5) % 40] if k % 5 == 0 else u
        i = rng.choice(["1", "50", "1682", "4111111111111111", "990001"])
        rows.append(f'{u},{i},{rng.randint(1, 5)},{1700000000 + 37 * k},"{rng.choice(texts)}"')
    path.write_text("\n".join(rows) + "\n", encoding="utf-8")
    return path
