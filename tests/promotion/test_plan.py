"""Audience plan: hashing for customer match, persona rule, reach and cost, channels, export, scorer validation."""

from __future__ import annotations

import io

import numpy as np
import pandas as pd
import pytest

from recsys_core.errors import UserError
from recsys_core.promotion import plan as P


def test_email_and_phone_normalised_then_hashed():
    assert P.normalise_email("  Foo@Example.COM ") == "foo@example.com"
    assert P.normalise_email("not an email") is None
    assert P.sha256_hex(P.normalise_email("Foo@Example.com")) == (
        "321ba197033e81286fedb719d60d4ed5cecaed170733cb4a92013811afc0e3b6"
    )
    assert P.normalise_phone("138 0013 8000") == "+8613800138000"
    assert P.normalise_phone(13800138000.0) == "+8613800138000"
    assert P.normalise_phone("8613800138000") == "+8613800138000"
    assert P.normalise_phone("+1 (415) 555-2671") == "+14155552671"
    assert P.normalise_phone("0044 20 7946 0958") == "+442079460958"
    assert P.normalise_phone("12") is None and P.normalise_phone(None) is None
    assert P.sha256_hex(P.normalise_phone("138-0013-8000")) == (
        "ec61f3c620a98bdead8c1f1f0ae747abd1b62a0c2dba4fd4bc22cf0d1d8653e5"
    )


def test_hashed_contacts_never_keep_raw_values():
    users = pd.DataFrame({"user_id": [1, 2], "邮箱": ["A@b.com", None], "手机号": ["13800138000", "bad"]})
    h = P.hashed_contacts(users)
    assert list(h.columns) == ["user_id", "email_sha256", "phone_sha256"]
    assert h["user_id"].tolist() == ["1", "2"]
    assert h["email_sha256"].iloc[0] == P.sha256_hex("a@b.com") and pd.isna(h["email_sha256"].iloc[1])
    assert pd.isna(h["phone_sha256"].iloc[1])
    assert "A@b.com" not in h.to_csv() and "13800138000" not in h.to_csv()


def test_persona_only_from_traits_that_stand_out():
    pop = pd.DataFrame(
        {"gender": ["女"] * 40 + ["男"] * 60, "city": (["一线城市", "二线城市"] * 50)},
        index=[f"u{k}" for k in range(100)],
    )
    aud = [f"u{k}" for k in range(30)] + [f"u{k}" for k in range(40, 50)]  # 30 women, 10 men; cities even
    mix, persona = P.trait_mix(aud, pop, min_size=20)
    row = mix.set_index(["trait", "value"]).loc[("gender", "女")]
    assert row["audience_share"] == pytest.approx(0.75) and row["index"] == pytest.approx(1.875)
    assert [(p["trait"], p["value"]) for p in persona] == [("gender", "女")]
    # the same audience with a size floor above 30: nothing stands out
    assert P.trait_mix(aud, pop, min_size=31)[1] == []


def test_reach_table_by_hand():
    t = pd.DataFrame({"user_id": range(100), "response": np.r_[np.full(10, 0.3), np.full(90, 0.1)]})
    r = P.reach_table(t, cpm=40, frequency=3, conv_rate=0.02, cutoffs=(0.1,)).iloc[0]
    assert r["users"] == 10 and r["impressions"] == 30 and r["cost"] == pytest.approx(1.2)
    assert r["response_index"] == pytest.approx(0.3 / 0.12)
    assert r["expected_incremental"] == pytest.approx(10 * 0.02 * 2.5)
    assert r["cost_per_incremental"] == pytest.approx(1.2 / 0.5)


def test_channels_and_slots_by_hand():
    ts = pd.to_datetime(
        ["2025-01-06 20:30", "2025-01-06 20:10", "2025-01-11 10:00", "2025-01-07 08:00"]
    )  # Mon, Mon, Sat, Tue
    beh = pd.DataFrame(
        {"user_id": ["a", "a", "b", "c"], "timestamp": ts, "channel": ["短视频", "短视频", "社交", "社交"]}
    )
    ch, slots, heat = P.channels_and_slots(beh, ["a"])
    assert ch.iloc[0]["channel"] == "短视频" and ch.iloc[0]["index"] == pytest.approx(2.0)
    top = slots.iloc[0]
    assert (top["day"], top["slot"], top["audience_share"]) == ("weekday", "18-21", 1.0)
    assert heat.loc[0, 20] == 2 and int(heat.to_numpy().sum()) == 2


def test_plan_on_demo_and_export(demo_ds, demo_tables, tmp_path):
    from recsys_core.promotion.features import describe_users

    seg = pd.DataFrame({"user_id": demo_ds.users["user_id"], "segment": np.arange(len(demo_ds.users)) % 3})
    desc = describe_users(demo_ds, seg, {0: "甲群", 1: "乙群", 2: "丙群"})
    plan = P.build_plan(
        demo_ds, "M0339", describe=desc, behaviour=demo_tables["behaviour"].frame, budget=12.0, cpm=40, frequency=3
    )
    assert plan.audience_size == 100  # 12 / (3 x 40 / 1000)
    assert plan.scorer == "neighbour"
    assert {"trait", "value", "index"} <= set(plan.mix.columns)
    assert all(p["index"] > 1.2 and p["users"] >= plan.params["min_size"] for p in plan.persona)
    assert set(plan.channels["channel"]) == {"短视频", "社交", "搜索", "信息流", "开屏"}
    contacts = P.hashed_contacts(
        pd.DataFrame({"user_id": plan.audience["user_id"].head(3), "email": ["=cmd@x.com", "b@x.com", "c@x.com"]})
    )
    data = P.export_plan_csv(plan, b"secret", contacts)
    out = pd.read_csv(io.BytesIO(data), encoding="utf-8-sig", dtype=str)
    assert list(out.columns) == ["user_pseudonym", "rank", "score", "segment", "persona", "email_sha256"]
    assert len(out) == 100 and out["email_sha256"].notna().sum() == 3
    assert not set(out["user_pseudonym"]) & set(demo_ds.users["user_id"])
    assert b"@x.com" not in data and b"U0" not in data


def test_bad_plan_parameters(demo_ds):
    with pytest.raises(UserError, match="budget is -5; the budget cannot be negative"):
        P.build_plan(demo_ds, "M0339", budget=-5)
    with pytest.raises(UserError, match="cpm is -1"):
        P.build_plan(demo_ds, "M0339", cpm=-1)
    with pytest.raises(UserError, match="has no ratings"):
        P.build_plan(demo_ds, "NOPE")


def test_default_scorer_beats_popularity_on_the_demo(demo_ds):
    v = P.validate_scorers(demo_ds, ("neighbour", "popularity"), n_items=8, seed=0)
    assert v["default"] == "neighbour" and v["default_wins"]
    assert v["lifts"]["neighbour"] >= 1.2 * v["lifts"]["popularity"]


def test_contacts_upload_reads_under_the_upload_memory_limit(monkeypatch):
    import io

    import pyarrow as pa
    import pyarrow.parquet as pq

    from recsys_core.app.promotion import contacts_from_upload
    from recsys_core.errors import UserError
    from recsys_core.promotion.plan import sha256_hex

    csv = b"user_id,email,phone\n7,A@Example.com,13800138000\n8,,\n"
    got = contacts_from_upload("users.csv", csv)
    assert got["user_id"].tolist() == ["7", "8"]
    assert got["email_sha256"].iloc[0] == sha256_hex("a@example.com")
    buf = io.BytesIO()
    pq.write_table(pa.table({"user_id": list(range(200_000)), "email": ["x@y.cn"] * 200_000}), buf)
    monkeypatch.setenv("CINELENS_MAX_UPLOAD_MEMORY", "1000000")  # 1 MB: the Parquet's rows need more
    with pytest.raises(UserError, match="CINELENS_MAX_UPLOAD_MEMORY"):
        contacts_from_upload("users.parquet", buf.getvalue())
    monkeypatch.delenv("CINELENS_MAX_UPLOAD_MEMORY")
    assert len(contacts_from_upload("users.parquet", buf.getvalue())) == 200_000
