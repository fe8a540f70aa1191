"""Reviews page helpers: cached sentiment runs and keyword indexes (keyed by workspace + data version + method),
display tables and charts. All computation lives in ``recsys_core.text``; this module only caches and draws."""

from __future__ import annotations

import numpy as np
import pandas as pd
import plotly.express as px
import plotly.graph_objects as go
import streamlit as st

from recsys_core.store import default_path
from recsys_core.text import keywords as KW
from recsys_core.text import sentiment as S
from recsys_core.text.aspects import aspect_summary

from . import charts
from .charts import PALETTE
from .charts import style as _base_style
from .i18n import lang, t
from .services import dataset, lab, workspace

MIN_POLAR_PER_CLASS = S.MIN_POLAR_PER_CLASS  # star-rated reviews per class the star labels need

LABEL_COLORS = {"positive": "#2ca02c", "neutral": "#bbbbbb", "negative": "#d62728"}


def style(fig: go.Figure, height: int = 360) -> go.Figure:
    """The shared chart style, with room between the title and a legend above the plot."""
    _base_style(fig, height)
    if fig.layout.title.text:
        fig.update_layout(margin=dict(t=80), title=dict(y=0.98, yanchor="top"))
    return fig


def page_link(page: str, label: str, icon: str) -> None:
    """``st.page_link``; when the page runs outside the app's navigation (a single-page test), a plain
    caption naming the page instead of an error."""
    from streamlit.errors import StreamlitAPIException

    try:
        st.page_link(page, label=label, icon=icon)
    except StreamlitAPIException:
        st.caption(f"{icon} {label}")


def sticky_radio(label: str, options: list, key: str, format_func, **kw):
    """A radio whose choice survives a switch of UI language.

    The labels are translated, and a language switch left the browser showing no choice at all; so the widget
    key carries the language (``<key>__zh`` / ``<key>__en``) and the chosen value is kept under ``key``.
    """
    current = st.session_state.get(key)
    if current not in options:
        current = options[0]
    value = st.radio(
        label, options, index=options.index(current), key=f"{key}__{lang()}", format_func=format_func, **kw
    )
    st.session_state[key] = value
    return value


def _ws_key() -> str:
    return str(default_path().resolve())


# ------------------------------------------------------------------------------------------- cached work
@st.cache_resource(show_spinner=False, max_entries=6)
def _sentiment(ws_key: str, version: str, method: str) -> S.SentimentResult:
    return lab().score_reviews(dataset(version), method)


def run_sentiment(version: str, method: str, progress=None) -> S.SentimentResult:
    """Score a version behind the page's button, with progress; the result is saved in the workspace, so the
    cached :func:`sentiment` afterwards only loads it."""
    return lab().score_reviews(dataset(version), method, progress=progress)


def has_result(version: str, method: str) -> bool:
    """True when this version was already scored with this method (in this workspace, by any session)."""
    return S.cached_result(dataset(version), method, workspace()) is not None


def sentiment(version: str, method: str) -> S.SentimentResult:
    """Scores of every review of a version (cached in this process and in the workspace); read-only."""
    return _sentiment(_ws_key(), version, method)


@st.cache_resource(show_spinner=False, max_entries=4)
def _index(ws_key: str, version: str) -> KW.ReviewIndex:
    return KW.dataset_index(dataset(version), workspace=workspace())


def review_index(version: str) -> KW.ReviewIndex:
    return _index(_ws_key(), version)


def available_methods(ds) -> list[str]:
    """Methods that can run on this dataset, best first (the film-domain model needs enough stars)."""
    best = S.best_method(ds)
    return ["stars", "snownlp", "general"] if best == "stars" else ["snownlp", "general"]


def titles(ds) -> dict:
    return ds.item_titles()


def film_label(ds, item_id) -> str:
    title = titles(ds).get(item_id)
    return f"{title} ({item_id})" if title and title != item_id else str(item_id)


def saved_segments(version: str):
    try:
        return workspace().segments(version)
    except Exception:  # an older workspace without segments
        return None, None


# ------------------------------------------------------------------------------------------- tables
def _label_text(v) -> str:
    return t(f"rev.label.{v}") if isinstance(v, str) else ""


def confusion_frame(metrics: dict) -> pd.DataFrame | None:
    cm = metrics.get("confusion3")
    if cm is None:
        return None
    names = [_label_text(x) for x in S.LABELS]
    return pd.DataFrame(cm, index=[f"{t('rev.stars')}: {n}" for n in names], columns=names)


def confusion_figure(metrics: dict) -> go.Figure | None:
    cm = metrics.get("confusion3")
    if cm is None:
        return None
    names = [_label_text(x) for x in S.LABELS]
    fig = px.imshow(
        np.asarray(cm),
        x=names,
        y=names,
        text_auto=True,
        color_continuous_scale="Blues",
        labels=dict(x=t("rev.predicted"), y=t("rev.stars"), color="n"),
        title=t("rev.confusion"),
    )
    return style(fig, height=340)


def disagreement_table(res: S.SentimentResult, ds, n: int = 20) -> pd.DataFrame:
    d = S.disagreements(res.frame, ds.rating_scale, n=n)
    tt = titles(ds)
    return pd.DataFrame(
        {
            t("rev.col.title"): d["item_id"].map(lambda i: tt.get(i, i)),
            t("rev.col.rating"): d["rating"],
            t("rev.col.score"): d["score"].round(3),
            t("rev.col.label"): d["label"].map(_label_text),
            t("rev.col.text"): d["text"],
            t("rev.col.user"): d["user_id"],
        }
    )


def per_film_table(res: S.SentimentResult, ds) -> pd.DataFrame:
    p = S.per_item(res.frame, titles=titles(ds) or None)
    out = pd.DataFrame({t("rev.col.film"): p["item_id"]})
    if "title" in p.columns:
        out[t("rev.col.title")] = p["title"]
    out[t("rev.col.n")] = p["n"]
    out[t("rev.col.mean")] = p["mean_score"].round(3)
    out[t("rev.col.pos")] = p["positive_share"].round(3)
    out[t("rev.col.neg")] = p["negative_share"].round(3)
    return out


def films_by_reviews(res: S.SentimentResult) -> list[str]:
    counts = res.frame["item_id"].value_counts(sort=False)
    return sorted(counts.index, key=lambda i: (-counts[i], str(i)))


def film_summary(res: S.SentimentResult, item_id) -> dict:
    row = S.compare_items(res.frame, item_id, item_id).iloc[0]
    return {"n": int(row["n"]), "mean_score": float(row["mean_score"]), "positive_share": float(row["positive_share"])}


def distribution_figure(res: S.SentimentResult, item_id, title: str) -> go.Figure:
    h = S.score_histogram(res.frame, item_id, bins=10)
    h["bin"] = [f"{lo:.1f}–{hi:.1f}" for lo, hi in zip(h["lo"], h["hi"])]
    color = [
        "negative" if hi <= S.NEUTRAL_BAND[0] else "positive" if lo >= S.NEUTRAL_BAND[1] else "neutral"
        for lo, hi in zip(h["lo"], h["hi"])
    ]
    fig = go.Figure(go.Bar(x=h["bin"], y=h["count"], marker_color=[LABEL_COLORS[c] for c in color]))
    fig.update_layout(
        title=t("rev.distribution", title=title), xaxis_title=t("rev.col.score"), yaxis_title=t("rev.col.n")
    )
    return style(fig, height=320)


def compare_table(res: S.SentimentResult, ds, a, b) -> pd.DataFrame:
    c = S.compare_items(res.frame, a, b)
    return pd.DataFrame(
        {
            t("rev.col.film"): [film_label(ds, i) for i in c["item_id"]],
            t("rev.col.n"): c["n"],
            t("rev.col.mean"): c["mean_score"].round(3),
            t("rev.col.pos"): c["positive_share"].round(3),
            t("rev.col.neu"): c["neutral_share"].round(3),
            t("rev.col.neg"): c["negative_share"].round(3),
        }
    )


def compare_figure(res: S.SentimentResult, ds, a, b) -> go.Figure:
    c = S.compare_items(res.frame, a, b)
    fig = go.Figure()
    for side, col in (("positive", "positive_share"), ("neutral", "neutral_share"), ("negative", "negative_share")):
        fig.add_bar(
            name=_label_text(side),
            x=[film_label(ds, i) for i in c["item_id"]],
            y=c[col],
            marker_color=LABEL_COLORS[side],
        )
    fig.update_layout(barmode="stack", title=t("rev.compare"), yaxis_tickformat=".0%")
    return style(fig, height=320)


def trend_figure(res: S.SentimentResult, ds, items=None) -> go.Figure | None:
    w = S.weekly_trend(res.frame, items or None)
    if w.empty:
        return None
    fig = go.Figure()
    if items:
        for k, item in enumerate(items):
            g = w[w["item_id"] == item]
            fig.add_scatter(
                x=g["week"],
                y=g["mean_score"],
                mode="lines+markers",
                name=film_label(ds, item),
                line=dict(color=PALETTE[k % len(PALETTE)]),
            )
    else:
        return charts.trend_with_counts(
            w["week"], w["mean_score"], w["n"], t("rev.col.mean"), t("rev.col.n"), t("rev.trend_title"), lang()
        )
    fig.update_layout(title=t("rev.trend_title"), yaxis=dict(title=t("rev.col.mean"), range=[0, 1]))
    charts.date_axis(fig, lang())
    return style(fig, height=360)


def segment_label(k, personas=None) -> str:
    """A segment's persona name in the UI language (its number when the run saved no persona)."""
    from .audience import persona_names

    return persona_names(personas).get(int(k)) or t("rev.segment_n", k=k)


def segment_table(res: S.SentimentResult, memberships, personas=None) -> pd.DataFrame:
    s = S.by_segment(res.frame, memberships)
    return pd.DataFrame(
        {
            t("rev.col.segment"): [segment_label(k, personas) for k in s["segment"]],
            t("rev.col.n"): s["n"].astype(int),
            t("rev.col.mean"): s["mean_score"].astype(float).round(3),
            t("rev.col.pos"): s["positive_share"].astype(float).round(3),
            t("rev.col.neg"): s["negative_share"].astype(float).round(3),
        }
    )


def segment_figure(table: pd.DataFrame) -> go.Figure:
    fig = px.bar(
        table,
        x=t("rev.col.segment"),
        y=t("rev.col.mean"),
        title=t("rev.segment_title"),
        color_discrete_sequence=PALETTE,
        range_y=[0, 1],
    )
    return style(fig, height=320)


# ------------------------------------------------------------------------------------------- keywords
def keyword_table(
    ri: KW.ReviewIndex, method: str, top: int, item=None, users=None, side=None, labels=None
) -> tuple[pd.DataFrame, int]:
    rows, contrast = KW.select_rows(ri.reviews, item=item, side=side, labels=labels, users=users)
    kw = KW.keywords(ri.index, rows, method=method, top=top, contrast_rows=contrast)
    return kw, int(rows.sum())


def keyword_display(kw: pd.DataFrame) -> pd.DataFrame:
    return pd.DataFrame(
        {
            t("rev.col.word"): kw["word"],
            t("rev.col.weight"): kw["score"].round(4),
            t("rev.col.in_reviews"): kw["reviews"],
        }
    )


def keyword_bar(kw: pd.DataFrame, title: str) -> go.Figure:
    fig = px.bar(
        kw,
        x="score",
        y="word",
        orientation="h",
        title=title,
        color_discrete_sequence=PALETTE,
        labels={"score": t("rev.col.weight"), "word": t("rev.col.word")},
    )
    fig.update_yaxes(autorange="reversed")
    return style(fig, height=max(300, 26 * len(kw) + 80))


def keyword_treemap(kw: pd.DataFrame, title: str) -> go.Figure:
    fig = px.treemap(kw, path=["word"], values="score", title=title, color="score", color_continuous_scale="Teal")
    return style(fig, height=420)


def word_cloud(kw: pd.DataFrame):
    """RGB array or None (no Simplified-Chinese font installed)."""
    return KW.word_cloud_image(dict(zip(kw["word"], kw["score"])), width=900, height=420)


def aspect_table(ri: KW.ReviewIndex, res: S.SentimentResult | None, item=None, users=None) -> pd.DataFrame:
    rows = None
    if item is not None or users is not None:
        rows, _ = KW.select_rows(ri.reviews, item=item, users=users)
    rev = ri.reviews if rows is None else ri.reviews[rows]
    scores = labels = None
    if res is not None and len(res.frame) == len(ri.reviews):
        f = res.frame if rows is None else res.frame[rows]
        scores, labels = f["score"].to_numpy(), f["label"].to_numpy()
    a = aspect_summary(rev["text"].astype(str).tolist(), scores=scores, labels=labels)
    return pd.DataFrame(
        {
            t("rev.col.aspect"): a["aspect"] if lang() == "zh" else a["aspect"] + " · " + a["aspect_en"],
            t("rev.col.mentions"): a["mentions"],
            t("rev.col.share"): a["share"].round(3),
            t("rev.col.mean"): a["mean_score"].round(3),
            t("rev.col.pos"): a["positive_share"].round(3),
            t("rev.col.neg"): a["negative_share"].round(3),
            t("rev.col.net"): a["net"].round(3),
        }
    )
