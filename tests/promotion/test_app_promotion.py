"""The promotion use cases of the application layer (shared by the Promotion page and the CLI)."""

from __future__ import annotations

import pandas as pd
import pytest

from recsys_core.app import Lab
from recsys_core.app import promotion as PL
from recsys_core.errors import UserError
from recsys_core.promotion.campaign import campaign_lift, diff_in_diff


def test_analyse_campaign_picks_the_analysis_by_campaign_kind(demo_tables, demo_ds):
    ex, beh = demo_tables["exposures"].frame, demo_tables["behaviour"].frame
    run = PL.analyse_campaign(ex, "C1")
    assert run.kind == "randomised" and run.campaign == "C1" and run.did is None and run.uplift is None
    direct = campaign_lift(ex, "C1")
    assert run.lift.stats["uplift"] == pytest.approx(direct.stats["uplift"])
    assert run.lift.n_test == 400 and run.lift.n_control == 400
    # no control group: difference-in-differences, matched on the features when they are given
    did = PL.analyse_campaign(ex, "C2", behaviour=beh)
    assert did.kind == "no_control" and did.lift is None
    assert did.did.did == pytest.approx(diff_in_diff(ex, beh, "C2").did)
    with pytest.raises(UserError, match="no control group"):
        PL.analyse_campaign(ex, "C2")


def test_analyse_campaign_with_features_adds_the_uplift_model(demo_tables, demo_ds):
    ex = demo_tables["exposures"].frame
    run = PL.analyse_campaign(ex, "C1", features=PL.user_features(demo_ds), describe=PL.describe_users(demo_ds))
    assert len(run.uplift.scores) == 800
    assert run.uplift.top_observed > run.uplift.rest_observed


def test_plan_films_preselects_the_film_the_exposure_log_names(demo_tables, demo_ds):
    items, default = PL.plan_films(demo_ds)
    counts = demo_ds.ratings["item_id"].value_counts()
    assert items == counts.index.tolist() and default == items[0]
    film = items[5]
    ex = pd.DataFrame({"item_id": ["", None, film, items[0]]})
    assert PL.plan_films(demo_ds, ex) == (items, film)
    assert PL.plan_films(demo_ds, pd.DataFrame({"item_id": ["not-a-film"]}))[1] == items[0]


def test_forecast_targets_need_enough_films():
    n = PL.MIN_FILMS
    films = pd.DataFrame({"gross": [1.0] * n, "opening_gross": [1.0] * (n - 1) + [None], "budget": [2.0] * n})
    assert PL.forecast_targets(films) == ["gross"]
    assert PL.forecast_films(films) is films  # no daily table: the film table as it is


def test_buzz_without_workspace_has_no_sentiment(demo_tables, demo_ds):
    daily = demo_tables["box_office_daily"].frame
    choices = PL.buzz_films(demo_ds, daily)
    assert choices and set(choices) <= set(daily["item_id"])
    run = Lab().buzz(demo_ds, choices[0], demo_tables["films"].frame, daily)
    assert not run.has_sentiment
    assert run.summary["reviews_after"] == int(run.frame.loc[run.frame["day"] >= 0, "reviews"].sum())
