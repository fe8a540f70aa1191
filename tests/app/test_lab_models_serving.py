"""Lab: fit / register with readable names, rename, retrain with feedback, serve lists with the
workspace-wide A/B test, feedback that hides or marks films, cold-start visitors."""

from datetime import datetime

import pytest

from recsys_core.app import ABState, Lab, generated_name, key_params
from recsys_core.errors import UserError
from recsys_core.recommend import assign_arm
from recsys_core.store import open_workspace


@pytest.fixture
def ds(lab):
    return lab.ws.load_version("v1")


def test_generated_names_are_readable():
    when = datetime(2026, 11, 29, 16, 5)
    svd = {"n_factors": 100, "n_epochs": 20, "random_state": 0}
    assert generated_name("svd", svd, svd, "v3", when) == "svd · n_factors=100 · v3 · 2026-11-29 16:05"
    changed = {**svd, "n_factors": 50, "random_state": 7}
    assert generated_name("svd", changed, svd, "v3", when) == "svd · n_factors=50 · v3 · 2026-11-29 16:05"
    assert generated_name("baseline", {}, {}, "v1", when) == "baseline · v1 · 2026-11-29 16:05"
    assert key_params({"a": 1, "b": 2, "c": 3, "d": 4}, {"a": 0, "b": 0, "c": 0, "d": 0}) == {"a": 1, "b": 2, "c": 3}


def test_fit_register_rename(lab, ds):
    reg = lab.fit_and_register(ds, "bias", {"reg_u": 5.0})
    models = lab.models("v1")
    row = models.iloc[0]
    assert row["model_id"] == reg.model_id and row["name"] == "bias"
    assert row["display"] == reg.label and reg.label.startswith("bias · reg_u=5 · v1 · ")
    assert "{" not in reg.label
    lab.rename_model(reg.model_id, "  春节档  基线 ")
    assert lab.models("v1").iloc[0]["display"] == "春节档 基线"
    with pytest.raises(UserError, match="empty"):
        lab.rename_model(reg.model_id, "   ")
    with pytest.raises(UserError, match="not in this workspace"):
        lab.rename_model("m-nope", "x")


def test_models_registered_before_names_get_a_generated_display(lab, ds):
    from recsys_core.models import make_model
    from recsys_core.trainset import Trainset

    mid = lab.ws.register_model(make_model("popularity").fit(Trainset.from_dataset(ds)), "popularity", {}, "v1")
    row = lab.models("v1").set_index("model_id").loc[mid]
    assert row["display"].startswith("popularity · v1 · ")


def test_dislike_and_not_interested_leave_the_list_at_once_and_a_like_is_marked(lab, ds):
    reg = lab.fit_and_register(ds, "bias")
    eng = lab.engine(reg.model_id)
    before = lab.serve(eng, "v1", "u01", opts={"n": 5})
    first, second, third = before.items[:3]
    lab.record_feedback("u01", second, "dislike", model_id=reg.model_id, version="v1")
    lab.record_feedback("u01", third, "not_interested", model_id=reg.model_id, version="v1")
    lab.record_feedback("u01", first, "like", model_id=reg.model_id, version="v1")
    after = lab.serve(eng, "v1", "u01", opts={"n": 5})
    assert after.items[0] == first and second not in after.items and third not in after.items
    assert after.hidden == {second, third} and after.liked == {first}
    assert after.frame["feedback"].tolist()[0] == "like"
    assert after.items[1:3] == before.items[3:5]  # the rest move up
    assert len(after.items) == 5
    # a later like of a disliked film brings it back (the latest action counts)
    lab.record_feedback("u01", second, "like", version="v1")
    assert second in lab.serve(eng, "v1", "u01", opts={"n": 5}).items


def test_online_ab_state_lives_in_the_workspace(lab, ds, tmp_path):
    a = lab.fit_and_register(ds, "bias").model_id
    b = lab.fit_and_register(ds, "popularity").model_id
    assert lab.route("v1", a, "u01") == (a, None)  # no test running
    with pytest.raises(UserError, match="arm"):
        lab.set_ab_state("v1", ABState(True, a, None))
    lab.set_ab_state("v1", ABState(True, a, b))
    other = Lab(open_workspace(tmp_path / "ws"))  # another session of the same server sees the same test
    assert other.ab_state("v1") == ABState(True, a, b)
    for user in ("u01", "u02", "u03", "u04"):
        arm = assign_arm(user)
        assert other.route("v1", a, user) == ((a if arm == "A" else b), arm)
    assert other.ab_state("v2") == ABState()  # per dataset version
    lab.set_ab_state("v1", ABState(False, a, b))
    assert other.route("v1", b, "u01") == (b, None)


def test_retrain_with_feedback_registers_a_named_child(lab, ds):
    reg = lab.fit_and_register(ds, "bias")
    eng = lab.engine(reg.model_id)
    with pytest.raises(UserError, match="no feedback"):
        lab.retrain_with_feedback(ds, eng, reg.model_id, "refit")
    lab.record_feedback("u01", "m02", "like", version="v1")
    lab.record_feedback("u01", "m03", "rate", value=1.0, version="v1")
    new, n = lab.retrain_with_feedback(ds, eng, reg.model_id, "refit")
    assert n == 2 and new.name == "bias" and new.model_id != reg.model_id
    row = lab.models("v1").set_index("model_id").loc[new.model_id]
    assert row["note"] == "retrained:2" and row["display"].startswith("bias · ")
    ev = lab.ws.events(kind="model_retrained")["payload"].iloc[0]
    assert ev["parent"] == reg.model_id and ev["feedback_events"] == 2


def test_cold_start_visitor_gets_a_list_without_the_films_they_rated(lab, ds):
    reg = lab.fit_and_register(ds, "bias")
    eng = lab.engine(reg.model_id)
    ratings = {"m01": 5.0, "m02": 4.0, "m03": 1.0}
    uid = lab.create_visitor("sess1", ratings, ["剧情"], reg.model_id, "v1")
    assert uid.startswith("new-") and lab.visitor_genres(uid) == ["剧情"]
    fb = lab.ws.feedback(data_version="v1", user_id=uid)
    assert sorted(fb["value"].tolist()) == [1.0, 4.0, 5.0]
    served = lab.serve(eng, "v1", uid, opts={"n": 5})
    assert served.visitor is not None and len(served.items) == 5
    assert not set(served.items) & set(ratings)
    assert lab.serve(eng, "v1", "stranger").frame is None  # no ratings, no feedback: no list
