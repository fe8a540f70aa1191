"""Promotion use cases shared by the Promotion page and the ``boxoffice`` / ``campaign`` / ``plan``
commands: box-office forecast, campaign analysis, ad response, audience plan and its export, buzz
around release. Results are data (the core's result objects, frames, numbers, codes), never sentences."""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from ..errors import UserError
from ..promotion import boxoffice as B
from ..promotion import buzz as Z
from ..promotion import campaign as C
from ..promotion import plan as P
from ..promotion import response as R
from ..promotion import tables as T
from ..promotion.features import describe_users, user_features

MIN_FILMS = B.MIN_FILMS
FORECAST_TARGETS = ("gross", "opening_gross", "opening_3d")
# the page's offline check of audience scorers: the default first, then the peers it must beat
PLAN_SCORERS = ("neighbour", "ease", "popularity")
PLAN_VALIDATION_FILMS = 12

__all__ = [
    "BuzzRun",
    "CampaignRun",
    "ResponseRun",
    "analyse_campaign",
    "ad_response",
    "audience_plan",
    "auto_segments",
    "buzz",
    "buzz_films",
    "campaigns",
    "contacts_from_frame",
    "contacts_from_path",
    "contacts_from_upload",
    "describe_users",
    "export_plan",
    "forecast",
    "forecast_films",
    "forecast_targets",
    "plan_films",
    "read_table",
    "user_features",
    "validate_scorers",
    "what_if",
]


# ---------------------------------------------------------------------------- tables
def read_table(path, kind: str, mapping: dict | None = None) -> T.PromoTable:
    """A promotion table of ``kind`` from a file (FIELD=COLUMN ``mapping`` for unusual headers)."""
    return T.read_table(path, kind, mapping)


# ---------------------------------------------------------------------------- box office
def forecast_films(films: pd.DataFrame, daily: pd.DataFrame | None = None) -> pd.DataFrame:
    """The film table, with opening-weekend columns from the daily box office when there is one."""
    if daily is not None and "item_id" in films:
        return B.opening_from_daily(films, daily)
    return films


def forecast_targets(films: pd.DataFrame) -> list[str]:
    """The columns a forecast can aim at: those with a value for enough films."""
    return [c for c in FORECAST_TARGETS if c in films and films[c].notna().sum() >= MIN_FILMS]


def forecast(films: pd.DataFrame, target: str = "gross", **kw) -> B.ForecastResult:
    """Out-of-fold box-office forecast against the budget-only baseline; ``kw``: include_post_release,
    folds, seed, progress (see ``promotion.boxoffice``)."""
    return B.forecast(films, target=target, **kw)


def what_if(result: B.ForecastResult, film: dict) -> dict:
    """{"predicted", "lo", "hi"} for a described film."""
    return B.what_if(result, film)


# ---------------------------------------------------------------------------- campaigns
def campaigns(exposures: pd.DataFrame) -> pd.DataFrame:
    """campaign, analysis (randomised | no_control), users: one row per campaign of the log."""
    return C.campaigns(exposures)


@dataclass(frozen=True)
class CampaignRun:
    campaign: str | None
    kind: str  # "randomised" | "no_control"
    lift: C.LiftResult | None = None
    uplift: C.UpliftModelResult | None = None
    did: C.DidResult | None = None


def _kind(exposures: pd.DataFrame, campaign: str | None) -> str | None:
    if campaign is None:
        return None
    cs = C.campaigns(exposures)
    row = cs[cs["campaign"] == str(campaign)]
    return str(row["analysis"].iloc[0]) if len(row) else None


def analyse_campaign(
    exposures: pd.DataFrame,
    campaign: str | None = None,
    *,
    spend: float | None = None,
    behaviour: pd.DataFrame | None = None,
    features: pd.DataFrame | None = None,
    describe: pd.DataFrame | None = None,
    segments: pd.DataFrame | None = None,
    seed: int = 0,
) -> CampaignRun:
    """A randomised campaign: uplift with CI and tests (by segment with ``segments``; an uplift model
    with ``features``). A campaign without a control group: difference-in-differences against
    non-exposed users in ``behaviour`` (matched on ``features`` / ``describe`` when given)."""
    kind = _kind(exposures, campaign)
    if kind == "no_control" or (kind is None and campaign is not None and behaviour is not None):
        if behaviour is None:
            raise UserError(
                f"campaign {campaign} has no control group - pass --behaviour FILE (a behaviour log) for the "
                "difference-in-differences comparison"
            )
        strata = C.match_strata(features, describe) if features is not None else None
        did = C.diff_in_diff(exposures, behaviour, campaign=campaign, seed=seed, match_on=strata)
        return CampaignRun(did.campaign, "no_control", did=did)
    lift = C.campaign_lift(exposures, campaign=campaign, spend=spend, segments=segments, seed=seed)
    uplift = None
    if features is not None:
        uplift = C.uplift_model(exposures, features, lift.campaign, seed=seed, describe=describe)
    return CampaignRun(lift.campaign, "randomised", lift=lift, uplift=uplift)


# ---------------------------------------------------------------------------- ad response
@dataclass(frozen=True)
class ResponseRun:
    result: R.ResponseResult
    scores: pd.Series  # response probability per user_id, from the chosen model


def ad_response(
    exposures: pd.DataFrame, features: pd.DataFrame, target: str = "converted", seed: int = 0, progress=None
) -> ResponseRun:
    """Out-of-fold comparison of ad-response models, and every user's score from the chosen one."""
    res = R.ad_response(exposures, features, target=target, seed=seed, progress=progress)
    return ResponseRun(res, R.score_users(res, features))


# ---------------------------------------------------------------------------- audience plan
def auto_segments(ds):
    """(memberships, personas) of an automatic segmentation (k from the silhouette curve), for a
    dataset without a saved one."""
    from ..profiling.profiles import build_profiles
    from ..profiling.segments import fit_segments

    res = fit_segments(build_profiles(ds, tags=False), "auto", ds=ds)
    return res.memberships, res.personas


def validate_scorers(ds, progress=None) -> dict:
    """Lift@10 % of the plan's audience scorers with half of each sampled film's likers hidden."""
    return P.validate_scorers(ds, PLAN_SCORERS, n_items=PLAN_VALIDATION_FILMS, progress=progress)


def plan_films(ds, exposures: pd.DataFrame | None = None) -> tuple[list, str | None]:
    """(rated films, most rated first; the film to preselect: the first one the exposure log names)."""
    items = ds.ratings["item_id"].value_counts().index.tolist()
    default = items[0] if items else None
    if exposures is not None and "item_id" in exposures:
        named = exposures["item_id"].dropna().astype(str)
        named = named[named.str.len() > 0]
        if len(named) and named.iloc[0] in set(items):
            default = named.iloc[0]
    return items, default


def audience_plan(ds, memberships=None, names: dict | None = None, **kw) -> P.AudiencePlan:
    """An audience plan for a film (``item_id``) or a described new one (``genres``): ranked audience,
    persona, reach and cost, channels and slots (see ``promotion.plan.build_plan`` for ``kw``).
    The plan's segment values are ``names`` of the ``memberships`` segments (segment ids without)."""
    names = names if names is not None else {}
    return P.build_plan(ds, describe=describe_users(ds, memberships, names), **kw)


def contacts_from_frame(users: pd.DataFrame, country: str = "86") -> pd.DataFrame:
    """user_id with SHA-256 hashed email / phone (normalised first) from a users table as written."""
    return P.hashed_contacts(users, country)


def contacts_from_upload(name: str, data: bytes, country: str = "86") -> pd.DataFrame:
    """Hashed contacts from a users table uploaded to the server: read under the upload limits, the memory limit
    included (``CINELENS_MAX_UPLOAD_MEMORY``), like every upload on the Data page."""
    from ..data import limits
    from ..data.readers import read_upload

    with limits.bounded_memory():
        res = read_upload(name, data)
    if not res.tables:
        raise UserError(f"{name}: no table found - upload a CSV or Excel users table with e-mail / phone columns")
    return contacts_from_frame(res.tables[0].frame, country)


def contacts_from_path(path, country: str = "86") -> pd.DataFrame:
    from ..data.readers import read_path

    res = read_path(path)
    if not res.tables:
        raise UserError(f"{path}: no table found")
    return contacts_from_frame(res.tables[0].frame, country)


def export_plan(
    ws, plan: P.AudiencePlan, who: str, contacts=None, segment_names: dict | None = None, target: str = ""
) -> bytes:
    """The audience as CSV for an ad platform (pseudonymous ids under the workspace's secret, hashed
    contacts); the export is recorded in the workspace's audit log."""
    out = P.export_plan_csv(plan, ws.secret("pseudonym"), contacts, segment_names=segment_names)
    ws.log_export(who, f"audience plan of {plan.item_id}", plan.audience_size, True, "csv", target)
    return out


# ---------------------------------------------------------------------------- buzz
def buzz_films(ds, daily: pd.DataFrame | None = None, limit: int = 200) -> list:
    """Reviewed films, most reviewed first: those with daily box office when there is a daily table."""
    reviewed = ds.reviews["item_id"].value_counts()
    with_daily = set(daily["item_id"].dropna().unique().tolist()) if daily is not None else set()
    return [i for i in reviewed.index if i in with_daily] or reviewed.index.tolist()[:limit]


@dataclass(frozen=True)
class BuzzRun:
    frame: pd.DataFrame  # one row per day around release
    summary: dict
    has_sentiment: bool


def _release_date(films: pd.DataFrame | None, item_id):
    if films is None or "release_date" not in films:
        return None
    hit = films.loc[films["item_id"] == item_id, "release_date"]
    return hit.iloc[0] if len(hit) else None


def _saved_sentiment(ds, ws):
    from ..text.sentiment import best_method, cached_result

    try:
        res = cached_result(ds, best_method(ds), ws)
    except Exception:  # nothing scored for this version (or an older artifact)
        return None
    return res.frame if res is not None else None


def buzz(ds, item_id, films: pd.DataFrame | None = None, daily: pd.DataFrame | None = None, ws=None) -> BuzzRun:
    """Reviews, ratings, sentiment (when the workspace has scored this version) and daily gross
    day by day around a film's release."""
    sent = _saved_sentiment(ds, ws) if ws is not None else None
    frame = Z.release_buzz(ds, item_id, release_date=_release_date(films, item_id), daily=daily, sentiment=sent)
    return BuzzRun(frame, Z.buzz_summary(frame), sent is not None)
