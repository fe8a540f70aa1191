"""Helpers of the Recommend page: cached engines, model registry access, feedback callbacks,
genre-coloured cards and charts. The page script only draws widgets and calls these."""

from __future__ import annotations

import hashlib
import html

import pandas as pd
import plotly.express as px
import plotly.graph_objects as go
import streamlit as st

from recsys_core.app import ABState
from recsys_core.app.lab import NOTE_FITTED, NOTE_SAVED
from recsys_core.app.serving import HIDING_ACTIONS
from recsys_core.errors import UserError
from recsys_core.models import REGISTRY, make_model
from recsys_core.recommend import Engine, feedback_ratings
from recsys_core.recommend.abtest import offline_ab
from recsys_core.store import default_path

from . import charts, sentences
from .catalogue import genre_label
from .charts import style
from .i18n import lang, note_text, t
from .services import dataset, lab, workspace
from .state import K

GENRE_COLOURS = [
    "#e4572e",
    "#29335c",
    "#f3a712",
    "#669bbc",
    "#a8c686",
    "#8e6c8a",
    "#2a9d8f",
    "#e76f51",
    "#264653",
    "#b5838d",
    "#6d597a",
    "#457b9d",
    "#ff9f1c",
    "#2b9348",
    "#9d0208",
    "#5e548e",
]


# ---------------------------------------------------------------------------- models
def default_model_name() -> str:
    for name in ("itemcf", "svd"):
        if name in REGISTRY:
            return name
    return next(iter(REGISTRY))


def registered_models(version: str) -> pd.DataFrame:
    """Registered models of a dataset version, newest first, with their readable ``display`` names."""
    return lab().models(version)


def registry_note(note) -> str:
    """A registry note in the UI language (the app's own codes are translated, the user's kept)."""
    return note_text(note, "rec.note")


def model_label(row) -> str:
    """A registered model as people see it: its (generated or chosen) name, plus how it was made when
    that is more than a plain fit (e.g. retrained with feedback)."""
    note = row.get("note")
    if isinstance(note, str) and note and note not in (NOTE_FITTED, NOTE_SAVED):
        return f"{row['display']} · {registry_note(note)}"
    return str(row["display"])


@st.cache_resource(show_spinner=False, max_entries=6)
def _engine(ws_path: str, model_id: str) -> Engine:
    return lab().engine(model_id)


def engine(model_id: str) -> Engine:
    """The listing engine of a registered model (loaded once per server, shared read-only)."""
    return _engine(str(default_path().resolve()), model_id)


def fit_and_register(version: str, name: str) -> str:
    return lab().fit_and_register(dataset(version), name).model_id


def retrain_and_register(version: str, ds, model_id: str, mode: str) -> tuple[str, int]:
    reg, n = lab().retrain_with_feedback(ds, engine(model_id), model_id, mode)
    return reg.model_id, n


def registered_name(model_id: str) -> str:
    df = lab().models()
    row = df[df["model_id"] == model_id]
    return str(row["display"].iloc[0]) if len(row) else "model"


def rename_model(model_id: str, key: str) -> None:
    """Widget callback: store the name typed into ``key`` as the model's name."""
    try:
        lab().rename_model(model_id, st.session_state.get(key) or "")
        st.session_state[K.REC_FLASH] = ("renamed", model_id)
    except UserError as e:
        st.session_state[K.REC_FLASH] = ("error", str(e))


# ---------------------------------------------------------------------------- feedback
def record_feedback(
    user_id: str,
    item_id: str,
    action: str,
    model_id: str | None,
    version: str,
    arm: str | None = None,
    value_key: str | None = None,
    value: float | None = None,
) -> None:
    """Widget callback: store one feedback event in the workspace."""
    if value_key is not None:
        value = st.session_state.get(value_key)
        if value is None:
            return
    try:
        lab().record_feedback(
            user_id, item_id, action, value, model_id, arm, st.session_state.get(K.SESSION_ID), version
        )
        st.session_state[K.REC_FLASH] = (action, item_id)
    except Exception as e:  # noqa: BLE001 - shown to the user and logged, never a traceback
        workspace().log_event(
            "feedback_failed", {"message": str(e), "user_id": user_id, "item_id": item_id}, level="error"
        )
        st.session_state[K.REC_FLASH] = ("error", str(e))


def user_feedback(version: str, user_id: str) -> pd.DataFrame:
    return workspace().feedback(data_version=version, user_id=user_id)


def serve(eng: Engine, version: str, user: str, f=None, opts: dict | None = None):
    """The facade's list for a user (known user or cold-start visitor), feedback applied."""
    return lab().serve(eng, version, user, f, opts)


def route(version: str, model_id: str, user: str) -> tuple[str, str | None]:
    """(serving model, arm): the workspace's online A/B test decides while it runs."""
    return lab().route(version, model_id, user)


def list_change(before: list[str], after: list[str], action: str, item: str, eng: Engine) -> dict:
    """What one feedback click changed: {title of the film, hidden (it left the list), entered titles}."""
    titles = dict(zip(eng.cat.item_ids, eng.cat.titles, strict=False))
    hidden = action in HIDING_ACTIONS and item in before and item not in after
    entered = [titles.get(i, i) for i in after if i not in set(before)]
    return {"title": titles.get(item, item), "hidden": hidden, "entered": entered}


def create_visitor(ratings: dict, genres: list, model_id: str, version: str) -> str:
    return lab().create_visitor(st.session_state[K.SESSION_ID], ratings, genres, model_id, version)


# ---------------------------------------------------------------------------- the workspace's online A/B test
def sync_ab_widgets(version: str) -> ABState:
    """Show the workspace's A/B state (shared by every session) in this session's A/B widgets."""
    ab = lab().ab_state(version)
    st.session_state[K.REC_AB_ON] = ab.on
    for key, value in ((K.REC_AB_A, ab.a), (K.REC_AB_B, ab.b)):
        if value is not None:
            st.session_state[key] = value
    return ab


def save_ab_widgets(version: str) -> None:
    """Widget callback: the A/B switch and arms are written to the workspace (all sessions follow)."""
    state = ABState(
        bool(st.session_state.get(K.REC_AB_ON)), st.session_state.get(K.REC_AB_A), st.session_state.get(K.REC_AB_B)
    )
    try:
        lab().set_ab_state(version, state)
    except UserError as e:
        st.session_state[K.REC_FLASH] = ("error", str(e))


def log_served(model_id: str, user_id: str, n: int, source: str, arm: str | None, signature: tuple) -> None:
    """Log ``recommendations_served`` once per distinct list request (not on every rerun)."""
    key = f"{K.REC_LAST_SERVED}:{source}"
    if st.session_state.get(key) == signature:
        return
    st.session_state[key] = signature
    workspace().log_event(
        "recommendations_served",
        {
            "model_id": model_id,
            "user_id": user_id,
            "n": int(n),
            "source": source,
            "arm": arm,
            "session": st.session_state.get(K.SESSION_ID),
        },
    )


def log_error(kind: str, message: str, **payload) -> None:
    workspace().log_event(kind, {"message": message, **payload}, level="error")


def engine_or_error(model_id: str) -> Engine | None:
    """The engine of a registered model, or None after saying why it cannot be loaded (e.g. a model file that
    fails its checks: it is never loaded, and the Fit button above retrains)."""
    try:
        return engine(model_id)
    except UserError as e:
        log_error("model_load_failed", str(e), model_id=model_id)
        st.error(t("common.error", msg=e))
        return None


def visitor_history(eng: Engine, fb: pd.DataFrame, scale) -> pd.DataFrame:
    """A cold-start visitor's ratings (from feedback) as history rows for :func:`history_cards`."""
    r = feedback_ratings(fb, scale)
    rows = [
        {**eng.cat.item_row(int(j)), "rating": float(v), "timestamp": ts}
        for j, v, ts in zip(eng.cat.inner(r["item_id"]), r["rating"], r["timestamp"], strict=False)
        if j >= 0
    ]
    return pd.DataFrame(rows)


def feedback_view(fb: pd.DataFrame, eng: Engine, limit: int = 30) -> pd.DataFrame:
    """A user's latest feedback events with titles and translated actions."""
    titles = dict(zip(eng.cat.item_ids, eng.cat.titles, strict=False))
    view = fb.sort_values("event_id", ascending=False).head(limit)
    return pd.DataFrame(
        {
            t("rec.col.time"): pd.to_datetime(view["ts"]).dt.strftime("%m-%d %H:%M:%S"),
            t("rec.col.title"): view["item_id"].map(lambda i: titles.get(i, i)),
            t("rec.col.action"): view["action"].map(lambda a: t(f"rec.fb.{a}")),
            # only a star rating carries a value; likes and dislikes show a dash, not "None"
            t("rec.col.value"): view["value"].map(lambda v: "—" if pd.isna(v) else f"{float(v):g}"),
            t("rec.model"): view["model_id"].map(lambda m: "—" if pd.isna(m) else str(m)),
        }
    )


def feedback_columns() -> dict:
    """Widths that fit the longest action (不感兴趣 / Not interested) and a whole model id."""
    return {
        t("rec.col.time"): st.column_config.TextColumn(width="small"),
        t("rec.col.action"): st.column_config.TextColumn(width="small"),
        t("rec.col.value"): st.column_config.TextColumn(width=60),
        t("rec.model"): st.column_config.TextColumn(width="medium"),
    }


def change_counts(d: pd.DataFrame) -> dict:
    return {
        "entered": int((d["change"] == "entered").sum()),
        "left": int((d["change"] == "left").sum()),
        "moved": int(d["change"].isin(["up", "down"]).sum()),
    }


def _rank(v) -> str:
    return "—" if pd.isna(v) else str(int(v))


def changes_view(d: pd.DataFrame, eng: Engine) -> pd.DataFrame:
    titles = dict(zip(eng.cat.item_ids, eng.cat.titles, strict=False))
    return pd.DataFrame(
        {
            t("rec.col.title"): d["item_id"].map(lambda i: titles.get(i, i)),
            # a film that entered the list had no rank before (and one that left has none after): a dash
            t("rec.changes.before"): d["before"].map(_rank),
            t("rec.changes.after"): d["after"].map(_rank),
            t("rec.changes.change"): d["change"].map(lambda c: t(f"rec.changes.{c}")),
        }
    )


def offline_view(summary: pd.DataFrame, k: int) -> pd.DataFrame:
    return summary.assign(metric=summary["metric"].map(lambda m: t(f"rec.metric.{m}") + f"@{k}"))


# ---------------------------------------------------------------------------- offline A/B
@st.cache_data(show_spinner=False, max_entries=8)
def _offline(ws_path: str, version: str, a: str, b: str, k: int, test_size: float, seed: int):
    ds = dataset(version)
    res = offline_ab(
        ds.ratings,
        ds.rating_scale,
        make_model(a),
        make_model(b),
        names=(a, b),
        k=k,
        test_size=test_size,
        seed=seed,
        items_meta=ds.items,
    )
    return res.summary, res.diffs, res.split, res.per_user


def offline(version: str, a: str, b: str, k: int, test_size: float, seed: int = 0):
    return _offline(str(default_path().resolve()), version, a, b, int(k), float(test_size), int(seed))


# ---------------------------------------------------------------------------- cards
# fixed colours for common genres (Chinese and MovieLens English names), so they never collide
_KNOWN = [
    ("剧情", "Drama"),
    ("喜剧", "Comedy"),
    ("动作", "Action"),
    ("悬疑", "Mystery"),
    ("犯罪", "Crime"),
    ("爱情", "Romance"),
    ("惊悚", "Thriller"),
    ("家庭", "Children's"),
    ("奇幻", "Fantasy"),
    ("冒险", "Adventure"),
    ("科幻", "Sci-Fi"),
    ("战争", "War"),
    ("历史", "Film-Noir"),
    ("动画", "Animation"),
    ("恐怖", "Horror"),
    ("纪录片", "Documentary"),
]
_FIXED = {name: GENRE_COLOURS[k % len(GENRE_COLOURS)] for k, pair in enumerate(_KNOWN) for name in pair}


def genre_colour(genre: str) -> str:
    if genre in _FIXED:
        return _FIXED[genre]
    h = int(hashlib.sha256(genre.encode("utf-8")).hexdigest()[:8], 16)
    return GENRE_COLOURS[h % len(GENRE_COLOURS)]


def tile_html(title: str, genres: list[str], size: int = 64) -> str:
    """A genre-coloured square standing in for a poster: stripes of the film's genre colours."""
    cols = [genre_colour(g) for g in genres] or ["#9aa0a6"]
    if len(cols) == 1:
        bg = cols[0]
    else:
        step = 100 / len(cols)
        bg = (
            "linear-gradient(135deg, "
            + ", ".join(f"{c} {i * step:.0f}% {(i + 1) * step:.0f}%" for i, c in enumerate(cols))
            + ")"
        )
    initial = html.escape((title or "?").strip()[:1])
    return (
        f"<div style='width:{size}px;height:{size}px;border-radius:8px;background:{bg};display:flex;"
        f"align-items:center;justify-content:center;color:white;font-size:{size // 2.4:.0f}px;"
        f"font-weight:700;text-shadow:0 1px 2px rgba(0,0,0,.4)'>{initial}</div>"
    )


def genre_name(genre: str) -> str:
    """A genre in the UI language (the data keeps its own names)."""
    return genre_label(genre, lang())


def genre_chips(genres: list[str]) -> str:
    """Genre chips coloured by the genre itself and labelled in the UI language."""
    L = lang()
    return " ".join(
        f"<span style='background:{genre_colour(g)};color:white;border-radius:6px;padding:0 6px;"
        f"font-size:0.8em'>{html.escape(genre_label(g, L))}</span>"
        for g in genres
    )


def film_card_html(row: dict, extra: str = "", highlight: bool = False) -> str:
    year = f" ({int(row['year'])})" if row.get("year") is not None and pd.notna(row.get("year")) else ""
    border = "2px solid #2a9d8f" if highlight else "1px solid rgba(128,128,128,.25)"
    return (
        f"<div style='display:flex;gap:10px;align-items:center;border:{border};border-radius:10px;"
        f"padding:6px;margin-bottom:6px'>{tile_html(row.get('title', ''), list(row.get('genres') or []), 48)}"
        f"<div><b>{html.escape(str(row.get('title', '')))}</b>{year}<br>{genre_chips(list(row.get('genres') or []))}"
        f"{('<br>' + extra) if extra else ''}</div></div>"
    )


def history_cards(df: pd.DataFrame, scale) -> str:
    if df.empty:
        return ""
    out = []
    for r in df.to_dict("records"):
        stars = "★" * int(round((r["rating"] - scale[0]) / max(scale[1] - scale[0], 1e-9) * 4 + 1))
        when = pd.Timestamp(r["timestamp"]).strftime("%Y-%m-%d") if pd.notna(r.get("timestamp")) else ""
        out.append(
            film_card_html(
                r,
                f"<span style='color:#f3a712'>{stars}</span> {r['rating']:g} "
                f"<span style='color:gray;font-size:.8em'>{when}</span>",
            )
        )
    return "".join(out)


def reason_text(row) -> str:
    return sentences.reason_sentence(row.get("reason"), lang())


# ---------------------------------------------------------------------------- charts
def scores_chart(lst: pd.DataFrame) -> go.Figure:
    d = lst.assign(
        label=[f"{r}. {tt}" for r, tt in zip(lst["rank"], lst["title"], strict=False)],
        reason=[t(f"rec.reason.{k}") for k in lst["reason_kind"]],
    )
    fig = px.scatter(
        d,
        x="score",
        y="label",
        color="reason",
        title=t("rec.chart.scores"),
        labels={"score": t("rec.score"), "label": "", "reason": t("rec.reason")},
    )
    fig.update_yaxes(autorange="reversed")
    fig.update_traces(marker=dict(size=12))
    return _legend_below(style(fig, height=max(280, 28 * len(d) + 120)))


def like_rate_chart(lr: pd.DataFrame, labels: dict) -> go.Figure:
    fmt = "%Y-%m-%d %H:00" if (lr["period"].dt.hour != 0).any() else "%Y-%m-%d"
    d = lr.assign(model=lr["model_id"].map(lambda m: labels.get(m, m)), period=lr["period"].dt.strftime(fmt))
    fig = px.line(
        d,
        x="period",
        y="like_rate",
        color="model",
        markers=True,
        title=t("rec.mon.like_rate_chart"),
        labels={"period": t("rec.mon.period"), "like_rate": t("rec.like_rate"), "model": t("rec.model")},
        hover_data=["events", "likes"],
    )
    fig.update_yaxes(range=[0, 1.05], tickformat=".0%")
    fig.update_xaxes(type="category")
    return charts.legend_below(style(fig))


def offline_chart(summary: pd.DataFrame) -> go.Figure:
    d = summary.assign(
        err_plus=summary["ci_hi"] - summary["mean"],
        err_minus=summary["mean"] - summary["ci_lo"],
        arm_model=summary["arm"] + " · " + summary["model"],
    )
    fig = px.bar(
        d,
        x="metric",
        y="mean",
        color="arm_model",
        barmode="group",
        error_y="err_plus",
        error_y_minus="err_minus",
        title=t("rec.ab.offline_chart"),
        labels={"mean": t("rec.ab.mean"), "metric": "", "arm_model": t("rec.model")},
    )
    return _legend_below(style(fig))


def _legend_below(fig: go.Figure) -> go.Figure:
    """Legend under the plot, so it never overlaps the title."""
    fig.update_layout(legend=dict(orientation="h", yanchor="top", y=-0.18, x=0), margin=dict(b=60))
    return fig


def translated(df: pd.DataFrame) -> pd.DataFrame:
    """Monitoring tables with translated column names (unknown columns, e.g. metric names, stay as they are)."""
    keys = {
        "model_id": "rec.col.model_id",
        "lists": "rec.mon.lists",
        "users": "rec.mon.users",
        "last": "rec.mon.last",
        "like": "rec.fb.like",
        "dislike": "rec.fb.dislike",
        "rate": "rec.fb.rate",
        "not_interested": "rec.fb.not_interested",
        "total": "rec.mon.total",
        "name": "rec.col.algorithm",
        "label": "rec.col.model_name",
        "data_version": "rec.col.data_version",
        "created": "rec.col.created",
        "note": "rec.col.note",
        "params": "rec.col.params",
        "ts": "rec.col.time",
        "kind": "rec.col.kind",
        "message": "rec.col.message",
    }
    if "note" in df.columns:
        df = df.assign(note=[registry_note(n) if isinstance(n, str) else n for n in df["note"]])
    return df.rename(columns={c: t(keys[c]) for c in df.columns if c in keys})
