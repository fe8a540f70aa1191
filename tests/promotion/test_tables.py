"""Promotion tables: header mapping as on the Data page, cleaning, and clear messages for bad input."""

from __future__ import annotations

import pandas as pd
import pytest

from recsys_core.errors import UserError
from recsys_core.promotion.tables import clean_table, guess_kind, per_user, read_table


def _csv(df: pd.DataFrame) -> bytes:
    return df.to_csv(index=False).encode("utf-8")


def test_chinese_headers_map_and_values_are_cleaned():
    raw = pd.DataFrame(
        {
            "片名": ["甲", "乙"],
            "预算": ["1,000,000", "¥2500000"],
            "上映日期": ["2024年2月10日", "2024/7/1"],
            "票房": ["30000000", "12,500,000"],
            "评分": ["7.5", "6.1"],
        }
    )
    t = read_table(_csv(raw), "films", filename="films.csv")
    assert t.mapping == {
        "title": "片名",
        "budget": "预算",
        "release_date": "上映日期",
        "gross": "票房",
        "rating": "评分",
    }
    f = t.frame
    assert f["budget"].tolist() == [1_000_000.0, 2_500_000.0]
    assert f["gross"].tolist() == [30_000_000.0, 12_500_000.0]
    assert f["release_date"].dt.strftime("%Y-%m-%d").tolist() == ["2024-02-10", "2024-07-01"]
    assert f["item_id"].tolist() == ["甲", "乙"]  # no id column: the title names the film
    assert raw["预算"].tolist() == ["1,000,000", "¥2500000"]  # the input is untouched


def test_guess_kind_from_headers():
    assert guess_kind(["user_id", "campaign", "arm", "channel", "converted"]) == "exposures"
    assert guess_kind(["user_id", "timestamp", "action", "item_id"]) == "behaviour"
    assert guess_kind(["film", "budget", "genre", "worldwide_gross"]) == "films"
    assert guess_kind(["item_id", "date", "gross"]) == "box_office_daily"
    assert guess_kind(["a", "b"]) is None


def test_film_table_without_gross_names_the_column_and_the_fix():
    raw = pd.DataFrame({"title": ["甲"], "budget": [1.0]})
    with pytest.raises(UserError) as e:
        clean_table(raw, "films")
    msg = str(e.value)
    assert "no gross column" in msg and "add total box office as a column named gross" in msg
    assert "--map gross=YOUR_COLUMN on the command line" in msg and "column pickers under the upload" in msg
    assert "\n" not in msg


def test_negative_spend_is_refused_with_the_row():
    raw = pd.DataFrame(
        {"user_id": [1, 2, 3], "arm": ["test", "control", "test"], "converted": [1, 0, 0], "cost": [1.5, 2, -3]}
    )
    with pytest.raises(
        UserError, match=r"column 'cost' has 1 negative values \(row 4: -3.0\) - spend cannot be negative"
    ):
        clean_table(raw, "exposures")


def test_dates_that_are_not_dates_name_the_column():
    raw = pd.DataFrame(
        {"user_id": [1, 2], "arm": ["test", "control"], "converted": [1, 0], "exposed_at": ["soon", "later"]}
    )
    with pytest.raises(UserError, match=r"column 'exposed_at' is not dates \(2 of 2 values unreadable, e.g. 'soon'\)"):
        clean_table(raw, "exposures")


def test_flags_accept_yes_no_and_refuse_other_words():
    raw = pd.DataFrame({"user_id": [1, 2, 3], "分组": ["实验组", "对照组", "实验组"], "购票": ["是", "否", "1"]})
    t = clean_table(raw, "exposures")
    assert t.frame["converted"].tolist() == [1, 0, 1]
    u = per_user(t.frame)
    assert u["arm"].tolist() == ["test", "control", "test"]
    bad = raw.assign(购票=["maybe", "0", "1"])
    with pytest.raises(UserError, match="column '购票' should hold 0/1"):
        clean_table(bad, "exposures")


def test_mapping_override_and_unknown_column():
    raw = pd.DataFrame({"uid": [1, 2], "grp": ["test", "control"], "bought": [1, 0]})
    t = clean_table(raw, "exposures", {"user_id": "uid", "arm": "grp", "converted": "bought"})
    assert list(t.frame.columns) == ["user_id", "arm", "converted"]
    with pytest.raises(UserError, match="mapping arm='nope' names no column"):
        clean_table(raw, "exposures", {"arm": "nope"})


def test_the_users_mapping_overrides_and_unmaps_the_header_suggestions():
    frame = pd.DataFrame({"title": ["A", "B"], "budget": ["100", "200"], "takings": ["1000", "3000"]})
    with pytest.raises(UserError, match="no gross column"):
        clean_table(frame, "films")
    t = clean_table(frame, "films", {"gross": "takings", "budget": None})
    assert t.mapping == {"title": "title", "gross": "takings"}  # budget left out on request
    assert t.frame["gross"].tolist() == [1000.0, 3000.0] and "budget" not in t.frame.columns
    with pytest.raises(UserError, match="mapping gross='nope' names no column"):
        clean_table(frame, "films", {"gross": "nope"})
