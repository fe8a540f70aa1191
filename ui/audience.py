"""Audience page helpers: cached computations (keyed by workspace + dataset version), charts,
and the segment filter other pages can reuse.

Other pages: ``segment_filter(version)`` draws a multiselect of the saved segments (session key
``K.SEGMENT_FILTER``) and returns the chosen user ids (or None when no filter is set);
``saved_segments(version)`` returns (memberships, personas) or (None, None).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import plotly.express as px
import plotly.graph_objects as go
import streamlit as st

from recsys_core.profiling import audience as A
from recsys_core.profiling import behaviour as B
from recsys_core.profiling import segments as S
from recsys_core.profiling.profiles import NUMERIC_PROFILE_COLUMNS, population_summary, profile_card
from recsys_core.store import default_path

from . import budget, sentences
from .catalogue import genre_label, value_label
from .charts import PALETTE
from .charts import style as _base_style
from .i18n import lang, t
from .markup import md_text
from .services import dataset, lab, workspace
from .state import K


def style(fig: go.Figure, height: int = 360) -> go.Figure:
    """The shared chart style, with room between the title and a legend above the plot."""
    _base_style(fig, height)
    if fig.layout.title.text:
        fig.update_layout(margin=dict(t=80), title=dict(y=0.98, yanchor="top"))
    return fig


def _ws_key() -> str:
    return str(default_path().resolve())


# ---------------------------------------------------------------------------- cached computations
@st.cache_resource(show_spinner=False, max_entries=4)
def _profiles(ws_key: str, version: str, opts) -> pd.DataFrame:
    tags, text_sentiment = _opts(opts)
    return lab().profiles(dataset(version), tags=tags, text_sentiment=text_sentiment)


def _opts(opts) -> tuple[bool, bool]:
    """Profile options: (review tags, film-domain text sentiment); a bare bool means tags only."""
    if isinstance(opts, (tuple, list)):
        return bool(opts[0]), bool(opts[1]) if len(opts) > 1 else False
    return bool(opts), False


BASIC_PROFILES = (False, False)  # the default view: no review tags, stars-based sentiment (cheap)


def profiles(version: str, opts) -> pd.DataFrame:
    """Profiles of every user (shared read-only across sessions); ``opts`` = (tags, text sentiment)."""
    return _profiles(_ws_key(), version, _opts(opts))


@st.cache_resource(show_spinner=False, max_entries=8)
def _segments(
    ws_key: str, version: str, opts, algorithm: str, k, include_demographics: bool, include_reviews: bool, seed: int = 0
) -> S.SegmentResult:
    prof = _profiles(ws_key, version, opts)
    return lab().segments(
        prof,
        dataset(version),
        k,
        algorithm,
        random_state=seed,
        include_demographics=include_demographics,
        include_reviews=include_reviews,
    )


def segments(version: str, opts, algorithm: str, k, include_demographics: bool, include_reviews: bool):
    return _segments(_ws_key(), version, _opts(opts), algorithm, k, bool(include_demographics), bool(include_reviews))


@st.cache_data(show_spinner=False, max_entries=16)
def _segment_map(
    ws_key: str, version: str, opts, algorithm: str, k, demo: bool, reviews: bool, method: str
) -> pd.DataFrame:
    res = _segments(ws_key, version, opts, algorithm, k, demo, reviews)
    return S.segment_map(res, method)


def segment_map(version, opts, algorithm, k, demo, reviews, method="pca") -> pd.DataFrame:
    return _segment_map(_ws_key(), version, _opts(opts), algorithm, k, bool(demo), bool(reviews), method)


@st.cache_data(show_spinner=False, max_entries=16)
def _behaviour(ws_key: str, version: str, task: str, genre: str | None, window: int) -> dict:
    ds = dataset(version)
    tk = B.make_task(ds, task, genre=genre, window_days=window)
    res = B.compare_models(tk)
    res["description"] = tk.description
    res["cutoff"] = None if tk.cutoff is None else f"{pd.Timestamp(tk.cutoff):%Y-%m-%d}"
    res["threshold"] = float(ds.relevance_threshold)
    res["users"] = int(len(tk.y))
    res["positive"] = int(tk.y.sum())
    return res


def behaviour(version: str, task: str, genre: str | None, window: int) -> dict:
    return _behaviour(_ws_key(), version, task, genre, int(window))


def default_scorer(ds) -> str:
    """The automatic audience scorer for this dataset: the best one whose cost envelope fits this
    session's memory and time budgets (see ``recsys_core.profiling.audience.default_model``)."""
    return A.default_model(*budget.shape_of(ds), budget=budget.budget_bytes(), time_budget=budget.budget_seconds())


@st.cache_resource(show_spinner=False, max_entries=4)
def _scorer(ws_key: str, version: str, model: str) -> A.AudienceScorer:
    from recsys_core.trainset import Trainset

    ds = dataset(version)
    return A.make_scorer(model).fit(Trainset.from_dataset(ds), ds.relevance_threshold)


@st.cache_data(show_spinner=False, max_entries=16)
def _audience(ws_key: str, version: str, model: str, item: str | None, genres: tuple, keywords: tuple) -> tuple:
    ds = dataset(version)
    scorer = _scorer(ws_key, version, model)
    res = lab().audience(ds, item_id=item, genres=genres, keywords=keywords, scorer=scorer)
    return res.table, res.pool_size, res.similar_items


def audience(version: str, model: str, item: str | None, genres=(), keywords=()) -> tuple:
    """(full ranked pool table, pool size, similar films or None) — cut it with :func:`cut`."""
    return _audience(_ws_key(), version, model, item, tuple(genres), tuple(keywords))


def cut(table: pd.DataFrame, mode: str, n: int | None = None, threshold: float | None = None) -> pd.DataFrame:
    if mode == "threshold" and threshold is not None:
        return table[table["score"] >= float(threshold)].reset_index(drop=True)
    return table.head(int(n or 100)).reset_index(drop=True)


def display_table(chosen: pd.DataFrame, memberships, personas) -> pd.DataFrame:
    """The audience as shown: rank, user, score, top share in %, and each user's segment name."""
    show = chosen[["rank", "user_id", "score", "percentile"]].copy()
    show["percentile"] = (100 * show["percentile"]).round(2)
    show["score"] = show["score"].round(4)
    if memberships is not None:
        names = persona_names(personas)
        seg_of = dict(zip(memberships["user_id"].astype(str), memberships["segment"].astype(int), strict=True))
        show[t("aud.tgt.segment")] = show["user_id"].map(lambda u: names.get(seg_of.get(u), "—"))
    return show.rename(
        columns={
            "user_id": t("aud.col.user_id"),
            "score": t("aud.col.score"),
            "rank": t("aud.col.rank"),
            "percentile": t("aud.col.top_share"),
        }
    )


@st.cache_data(show_spinner=False, max_entries=16)
def _validate(ws_key: str, version: str, item: str, models: tuple, seed: int) -> dict:
    ds = dataset(version)
    return A.validate_item(ds, item, list(models), seed=seed, points=20)


def validate(version: str, item: str, models, seed: int = 0) -> dict:
    return _validate(_ws_key(), version, item, tuple(models), seed)


@st.cache_data(show_spinner=False, max_entries=8)
def _evaluate_many(ws_key: str, version: str, model: str, n_items: int, seed: int, peer: str) -> dict:
    ds = dataset(version)
    return A.evaluate_lift(ds, n_items=n_items, model=model, seed=seed, extra_models=[peer])


def evaluate_many(version: str, model: str, n_items: int, seed: int = 0) -> dict:
    """The offline benchmark over several films (the ``audience --evaluate`` protocol)."""
    return _evaluate_many(_ws_key(), version, model, int(n_items), int(seed), rating_peer())


def evaluate_table(res: dict) -> pd.DataFrame:
    peer = rating_peer()
    rows = [
        {"model": model_label(res["model"]), "lift": res["lift_at_10pct"]},
        {"model": model_label("popularity"), "lift": res["popularity_lift_at_10pct"]},
        {"model": model_label(peer), "lift": res[f"{peer}_lift_at_10pct"]},
        {"model": model_label("random"), "lift": res["random_lift_at_10pct"]},
    ]
    df = pd.DataFrame(rows)
    df["lift"] = df["lift"].round(3)
    return df.rename(columns={"model": t("aud.tgt.model"), "lift": t("aud.tgt.lift10_col")})


def rating_peer() -> str:
    """The predicted-rating ranking shown beside the audience model (svd when available)."""
    from recsys_core.models import REGISTRY

    return "svd" if "svd" in REGISTRY else "bias"


# ---------------------------------------------------------------------------- segments for other pages
def genre_text(g) -> str:
    """A genre in the UI language (our own names; the user's own genres stay as written)."""
    return genre_label(g, lang())


def value_text(v) -> str:
    """A demographic value (gender, city tier, occupation) in the UI language."""
    return value_label(v, lang())


def saved_segments(version: str):
    """(memberships, personas) of the latest saved segmentation of ``version``, or (None, None)."""
    return workspace().segments(version)


def persona_names(personas) -> dict:
    """{segment id: persona name in the UI language}."""
    return sentences.persona_names(personas, lang())


def persona_name(p: dict) -> str:
    return sentences.persona_name(p, lang())


def segment_filter(version: str, key: str = K.SEGMENT_FILTER, label: str | None = None):
    """Multiselect of saved segments; returns the set of member user ids, or None (no filter)."""
    mem, personas = saved_segments(version)
    if mem is None or mem.empty:
        return None
    names = persona_names(personas)
    options = sorted(int(s) for s in mem["segment"].unique())
    current = [s for s in (st.session_state.get(key) or []) if s in options]
    if st.session_state.get(key) != current:
        st.session_state[key] = current
    chosen = st.multiselect(
        label or t("aud.seg.filter"),
        options,
        key=key,
        placeholder=t("aud.seg.filter_placeholder"),
        format_func=lambda s: f"{s} · {names.get(int(s), s)}",
    )
    if not chosen:
        return None
    return set(mem.loc[mem["segment"].isin(chosen), "user_id"].astype(str))


# ---------------------------------------------------------------------------- display helpers
METRIC_KEYS = NUMERIC_PROFILE_COLUMNS


# choice widgets whose labels follow the UI language (kept across a language switch, see keep_choices)
LANGUAGE_LABELLED = (
    K.AUD_SEG_ALGO,
    K.AUD_SEG_KMODE,
    K.AUD_DIST_METRIC,
    K.AUD_BEH_TASK,
    K.AUD_BEH_GENRE,
    K.AUD_TGT_MODE,
    K.AUD_TGT_MODEL,
    K.AUD_TGT_GENRES,
    K.AUD_TGT_CUT,
    K.SEGMENT_FILTER,
)


def metric_label(name: str) -> str:
    return t(f"aud.metric.{name}")


# counts, days and ages read best with one decimal; rates and ratings keep three
COARSE_METRICS = {"n_ratings", "n_reviews", "active_days", "recency_days", "age"}


def _round_rows(df: pd.DataFrame, columns: list[str]) -> pd.DataFrame:
    """Round each metric row: one decimal for counts/days/ages, three otherwise (``metric`` = raw name)."""
    out = df.copy()
    coarse = out["metric"].isin(COARSE_METRICS)
    for c in columns:
        v = pd.to_numeric(out[c], errors="coerce").astype(float)
        out[c] = v.round(3).where(~coarse, v.round(1))
    return out


def population_table(prof: pd.DataFrame) -> pd.DataFrame:
    pop = _round_rows(population_summary(prof), ["mean", "median", "p25", "p75"])
    pop["metric"] = pop["metric"].map(metric_label)
    return pop.rename(
        columns={
            "metric": t("aud.col.metric"),
            "mean": t("aud.col.mean"),
            "median": t("aud.col.median"),
            "p25": "P25",
            "p75": "P75",
        }
    )


def card(prof: pd.DataFrame, user_id: str) -> dict:
    """A user's profile card, with genre labels in the UI language."""
    c = profile_card(prof, user_id)
    if "top_genres" in c["lists"]:
        c["lists"]["top_genres_label"] = [genre_text(g) for g in c["lists"]["top_genres"]]
    if c["genre_affinity"] is not None:
        c["genre_affinity"] = c["genre_affinity"].assign(label=c["genre_affinity"]["genre"].map(genre_text))
    return c


def card_metrics_table(c: dict) -> pd.DataFrame:
    m = _round_rows(c["metrics"], ["user", "population_median"])
    m["metric"] = m["metric"].map(metric_label)
    m["percentile"] = (100 * m["percentile"]).round(0)
    m = m[["metric", "user", "population_median", "percentile"]]
    return m.rename(
        columns={
            "metric": t("aud.col.metric"),
            "user": t("aud.col.user"),
            "population_median": t("aud.col.pop_median"),
            "percentile": t("aud.col.percentile"),
        }
    )


def affinity_chart(c: dict, n: int = 12) -> go.Figure | None:
    g = c.get("genre_affinity")
    if g is None or g.empty:
        return None
    g = g.head(n)
    # horizontal bars: genre names read level, however many there are
    fig = px.bar(
        g, y="label", x="lift", orientation="h", title=t("aud.chart.affinity"), color_discrete_sequence=PALETTE
    )
    fig.add_vline(x=1.0, line_dash="dot", annotation_text=t("aud.chart.population"), annotation_position="top")
    fig.update_yaxes(autorange="reversed")
    fig.update_layout(yaxis_title="", xaxis_title=t("aud.chart.lift"))
    return style(fig, max(260, 26 * len(g) + 90))


def population_genre_chart(prof: pd.DataFrame) -> go.Figure | None:
    """Share of all ratings per genre (the population side of every affinity lift)."""
    ga = prof.attrs.get("affinity", {}).get("genres")
    share = (ga.attrs.get("population_share") if ga is not None else None) or {}
    if not share:
        return None
    d = pd.DataFrame({"genre": [genre_label(g, lang()) for g in share], "share": list(share.values())})
    d = d.sort_values("share", ascending=False)
    fig = px.bar(
        d, y="genre", x="share", orientation="h", title=t("aud.chart.pop_genres"), color_discrete_sequence=PALETTE
    )
    fig.update_yaxes(autorange="reversed")
    fig.update_layout(xaxis_title="", yaxis_title="", xaxis_tickformat=".0%")
    return style(fig, max(260, 22 * len(d) + 90))


def distribution_chart(prof: pd.DataFrame, column: str, user_value=None) -> go.Figure:
    v = pd.to_numeric(prof[column], errors="coerce").dropna()
    fig = px.histogram(
        v.to_frame(metric_label(column)), x=metric_label(column), nbins=30, color_discrete_sequence=PALETTE
    )
    if user_value is not None and not pd.isna(user_value):
        # the marker's label sits above the plot, never on a bar
        fig.add_vline(x=float(user_value), line_color="crimson", line_width=2)
        fig.add_annotation(
            x=float(user_value),
            y=1.0,
            yref="paper",
            yanchor="bottom",
            text=t("aud.chart.this_user"),
            showarrow=False,
            font=dict(color="crimson"),
        )
    fig.update_layout(bargap=0.05, yaxis_title=t("common.users"))
    return style(fig, 280)


def silhouette_chart(curve: pd.DataFrame, chosen: int) -> go.Figure:
    fig = px.line(curve, x="k", y="silhouette", markers=True, title=t("aud.seg.curve"), color_discrete_sequence=PALETTE)
    c = curve.dropna(subset=["silhouette"])
    if not c.empty:  # the automatic rule's band: every k above this line is "nearly as good" as the best
        rule = S.choose_k(c)
        fig.add_hline(
            y=rule["threshold"],
            line_dash="dash",
            line_color="gray",
            annotation_text=t("aud.seg.curve_band", tol=rule["tolerance"]),
            annotation_position="bottom left",
        )
    fig.add_vline(
        x=chosen,
        line_dash="dot",
        line_color="crimson",
        annotation_text=t("aud.seg.curve_shown", k=int(chosen)),
        annotation_position="top right",
    )
    fig.update_layout(xaxis_title=t("aud.seg.curve_x"), yaxis_title=t("aud.seg.silhouette"), xaxis_dtick=1)
    return style(fig, 300)


def curve_note(curve: pd.DataFrame | None) -> str | None:
    """One line beside the silhouette curve explaining the automatic k.

    Silhouette tends to favour two broad halves; marketers want finer groups, so the automatic k
    is the largest k whose silhouette is within a tolerance of the best (``choose_k``). The note
    says which k had the best score and why a larger one was chosen.
    """
    if curve is None or curve.empty:
        return None
    c = curve.dropna(subset=["silhouette"])
    if c.empty:
        return None
    rule = S.choose_k(c)
    s_k = float(c.set_index("k").loc[rule["k"], "silhouette"])
    if rule["k"] == rule["best_k"]:
        return t("aud.seg.curve_best", k=rule["k"], s=rule["best"], tol=rule["tolerance"])
    return t(
        "aud.seg.curve_rule",
        best_k=rule["best_k"],
        s=rule["best"],
        k=rule["k"],
        s2=s_k,
        tol=rule["tolerance"],
    )


def pick_k() -> None:
    """Callback of the "show k" picker under the silhouette curve: rerun segmentation with that k."""
    k = st.session_state.get(K.AUD_SEG_PICK)
    if k is None:
        return
    st.session_state[K.AUD_SEG_KMODE] = "fixed"
    st.session_state[K.AUD_SEG_K] = int(k)
    st.session_state[K.AUD_SEG_PENDING] = True


MAP_MAX_POINTS = 5_000  # the browser draws at most this many users; a seeded sample beyond


def map_chart(xy: pd.DataFrame, names: dict, max_points: int = MAP_MAX_POINTS) -> go.Figure:
    total = len(xy)
    d = xy.sample(max_points, random_state=0) if total > max_points else xy.copy()
    title = t("aud.seg.map_sampled", n=len(d), total=total) if total > max_points else t("aud.seg.map")
    d = d.sort_values("segment", kind="stable")
    d["segment_name"] = d["segment"].map(lambda s: f"{s} · {names.get(int(s), s)}")
    fig = px.scatter(
        d,
        x="x",
        y="y",
        color="segment_name",
        hover_data=["user_id"],
        title=title,
        color_discrete_sequence=PALETTE,
        opacity=0.75,
    )
    fig.update_traces(marker=dict(size=6))
    fig.update_layout(xaxis_title="PC1", yaxis_title="PC2", legend_title_text="")
    return style(fig, 460)


def comparison_charts(personas: list[dict]) -> list[go.Figure]:
    table = S.comparison_table(personas)
    table["name"] = table["segment"].map(persona_names(personas))
    figs = []
    for col, key in (
        ("size", "aud.seg.size"),
        ("median_ratings", "aud.seg.median_ratings"),
        ("mean_rating", "aud.metric.mean_rating"),
        ("sentiment", "aud.metric.sentiment"),
    ):
        if table[col].notna().any():
            fig = px.bar(table, x="name", y=col, title=t(key), color="name", color_discrete_sequence=PALETTE)
            fig.update_layout(
                showlegend=False, xaxis_title="", yaxis_title="", yaxis_tickformat=".0%" if col == "sentiment" else None
            )
            figs.append(style(fig, 280))
    return figs


def persona_cards(personas: list[dict]) -> None:
    """Persona cards, two per row, headed "id · name"."""
    names = persona_names(personas)
    st.subheader(t("aud.seg.personas"))
    cols = st.columns(2)
    for k, p in enumerate(personas):
        seg = int(p.get("segment", p.get("id", k)))
        with cols[k % 2].container(border=True):
            st.markdown(f"#### {md_text(p.get('id', seg))} · {md_text(names.get(seg, seg))}")
            for line in persona_lines(p):
                st.markdown(f"- {md_text(line)}")


def persona_comparison(personas: list[dict]) -> None:
    """Genre-lift heatmap and per-segment bars (size, activity, rating, sentiment)."""
    heat = genre_heatmap(personas)
    if heat is not None:
        st.plotly_chart(heat, key=K.AUD_HEAT_CHART)
    figs = comparison_charts(personas)
    cc = st.columns(2)
    for k, fig in enumerate(figs):
        with cc[k % 2]:
            st.plotly_chart(fig, key=f"{K.AUD_CMP_CHART}{k}")


def genre_heatmap(personas: list[dict]) -> go.Figure | None:
    lt = S.genre_lift_table(personas)
    if lt.empty:
        return None
    lt = lt.assign(name=lt["segment"].map(persona_names(personas)), genre=lt["genre"].map(genre_text))
    pv = lt.pivot_table(index="name", columns="genre", values="lift")
    fig = px.imshow(
        pv,
        color_continuous_scale="RdBu_r",
        color_continuous_midpoint=1.0,
        aspect="auto",
        title=t("aud.seg.heatmap"),
        text_auto=".1f",
        labels=dict(x="", y="", color=t("aud.chart.lift")),
    )
    style(fig, max(280, 150 + 44 * len(pv)))
    fig.update_layout(
        coloraxis_colorbar=dict(
            title=dict(text=t("aud.chart.lift"), side="top"), thickness=14, len=0.9, y=0.45, yanchor="middle"
        )
    )
    return fig


def sep() -> str:
    """List separator of the UI language."""
    return "、" if lang() == "zh" else ", "


def colon() -> str:
    return "：" if lang() == "zh" else ": "


def persona_lines(p: dict) -> list[str]:
    """Readable lines describing a persona in the UI language."""
    L = lang()
    out = [t("aud.persona.size", n=p["size"], share=100 * p["share"])]
    if p.get("top_genres"):
        out.append(
            t(
                "aud.persona.genres",
                genres=sep().join(f"{genre_label(g, L)} ×{p['genre_lifts'].get(g, 1):.1f}" for g in p["top_genres"]),
            )
        )
    d = p.get("demographics") or {}
    parts = [f"{value_label(v['value'], L)} ({100 * v['share']:.0f}%)" for k, v in d.items() if isinstance(v, dict)]
    if parts:
        out.append(t("aud.persona.demo", demo=("，" if L == "zh" else ", ").join(parts)))
    a = p.get("activity") or {}
    h = p.get("habits") or {}
    out.append(
        t(
            "aud.persona.activity",
            ratings=a.get("median_ratings") or 0,
            mean=h.get("mean_rating") or float("nan"),
            harsh=h.get("harshness") or 0.0,
        )
    )
    if p.get("sentiment") is not None:
        out.append(t("aud.persona.sentiment", s=100 * p["sentiment"]))
    if p.get("tags"):
        out.append(t("aud.persona.tags", tags=sep().join(p["tags"])))
    if p.get("films"):
        films = [f"《{f['title']}》" if L == "zh" else f"“{f['title']}”" for f in p["films"][:5]]
        out.append(t("aud.persona.films", films=sep().join(films)))
    return out


def behaviour_description(res: dict, task: str, genre: str | None, window: int) -> str:
    if task == "active_next":
        return t("aud.beh.desc.active_next", days=window, cutoff=res.get("cutoff") or "")
    key = "aud.beh.desc.genre_like" if res.get("cutoff") else "aud.beh.desc.genre_like_random"
    return t(
        key, genre=genre_label(genre or "", lang()), thr=f"{res.get('threshold', 4):g}", cutoff=res.get("cutoff") or ""
    )


def behaviour_table(metrics: pd.DataFrame) -> pd.DataFrame:
    m = metrics.copy()
    m["model"] = m["model"].map(lambda x: t(f"aud.beh.model.{x}"))
    m = m.round(3)
    return m.rename(columns={c: t(f"aud.beh.col.{c}") for c in m.columns})


def roc_chart(roc: pd.DataFrame) -> go.Figure:
    fig = px.line(
        roc,
        x="fpr",
        y="tpr",
        color="model",
        title=t("aud.beh.roc"),
        color_discrete_sequence=PALETTE,
        category_orders={"model": list(dict.fromkeys(roc["model"]))},
    )
    fig.add_shape(type="line", x0=0, y0=0, x1=1, y1=1, line=dict(dash="dot", color="grey"))
    fig.update_layout(xaxis_title=t("aud.beh.fpr"), yaxis_title=t("aud.beh.tpr"), legend_title_text="")
    return style(fig, 380)


def importance_chart(imp: pd.DataFrame, n: int = 12, order: list | None = None) -> go.Figure:
    """Top features per model; ``order`` = model order of the ROC chart so colours match."""
    top = imp.sort_values("importance", ascending=False).groupby("model", sort=False).head(n)
    top = top.assign(feature=top["feature"].map(feature_label))
    fig = px.bar(
        top,
        x="importance",
        y="feature",
        color="model",
        barmode="group",
        orientation="h",
        title=t("aud.beh.importance"),
        color_discrete_sequence=PALETTE,
        category_orders={"model": order or list(dict.fromkeys(imp["model"]))},
    )
    fig.update_yaxes(autorange="reversed")
    fig.update_layout(legend_title_text="", yaxis_title="", xaxis_title=t("aud.beh.importance_axis"))
    return style(fig, 120 + 22 * top["feature"].nunique() * 1.5)


def feature_label(f: str) -> str:
    if f.startswith("genre:"):
        return f"{t('aud.feature.genre')}:{genre_label(f[6:], lang())}"
    if f in METRIC_KEYS:
        return metric_label(f)
    col, _, value = f.partition(":")
    if value and col in DEMO_KEYS:
        return f"{t('aud.demo.' + col)}:{value_label(value, lang())}"
    return f


DEMO_KEYS = ("age_band", "gender", "city", "occupation")


def gain_chart(curves: pd.DataFrame, names: dict) -> tuple[go.Figure, go.Figure]:
    c = curves.copy()
    c["model"] = c["model"].map(lambda m: names.get(m, m))
    g = px.line(
        c, x="depth", y="gain", color="model", markers=True, title=t("aud.tgt.gain"), color_discrete_sequence=PALETTE
    )
    g.add_shape(type="line", x0=0, y0=0, x1=1, y1=1, line=dict(dash="dot", color="grey"))
    g.update_layout(
        xaxis_title=t("aud.tgt.depth"),
        yaxis_title=t("aud.tgt.gain_axis"),
        xaxis_tickformat=".0%",
        yaxis_tickformat=".0%",
        legend_title_text="",
    )
    lf = px.line(
        c[c["depth"] > 0],
        x="depth",
        y="lift",
        color="model",
        markers=True,
        title=t("aud.tgt.lift"),
        color_discrete_sequence=PALETTE,
    )
    lf.add_hline(y=1.0, line_dash="dot", line_color="grey")
    lf.update_layout(
        xaxis_title=t("aud.tgt.depth"), yaxis_title=t("aud.chart.lift"), xaxis_tickformat=".0%", legend_title_text=""
    )
    return style(g, 360), style(lf, 360)


def mix_chart(mix: pd.DataFrame) -> go.Figure:
    m = mix.melt(
        id_vars=["name"], value_vars=["audience_share", "population_share"], var_name="who", value_name="share"
    )
    m["who"] = m["who"].map({"audience_share": t("aud.tgt.audience"), "population_share": t("aud.chart.population")})
    fig = px.bar(
        m, x="name", y="share", color="who", barmode="group", title=t("aud.tgt.mix"), color_discrete_sequence=PALETTE
    )
    fig.update_layout(xaxis_title="", yaxis_title="", yaxis_tickformat=".0%", legend_title_text="")
    return style(fig, 340)


def model_label(name: str) -> str:
    key = f"aud.model.{name}"
    label = t(key)
    return name if label == key else label


@st.cache_data(show_spinner=False, max_entries=8)
def _film_options(ws_key: str, version: str) -> tuple[list[str], dict]:
    ds = dataset(version)
    r = ds.ratings
    counts = r[r["rating"] >= ds.relevance_threshold].groupby("item_id").size()
    rated = r["item_id"].unique().tolist()
    ids = sorted(rated, key=lambda i: (-int(counts.get(i, 0)), i))
    titles = ds.item_titles()
    return ids, {i: f"{titles.get(i, i)} ({i})" for i in ids}


def film_options(version: str) -> tuple[list[str], dict]:
    """Rated films, most liked first, with "title (id)" labels (cached per version)."""
    return _film_options(_ws_key(), version)


def parse_keywords(text: str) -> list[str]:
    """Keywords typed as "a, b，c、d" -> ["a", "b", "c", "d"]."""
    return [w.strip() for w in str(text or "").replace("，", ",").replace("、", ",").split(",") if w.strip()]


@st.cache_data(show_spinner=False, max_entries=8)
def _genre_options(ws_key: str, version: str) -> list[str]:
    ds = dataset(version)
    if ds.items is None:
        return []
    return ds.items["genres"].explode().dropna().value_counts().index.tolist()


def genre_options(version: str) -> list[str]:
    """Genres of the catalogue, most common first (cached per version)."""
    return _genre_options(_ws_key(), version)


def short_number(x: float) -> str:
    """2 decimals without trailing zeros: 13.0 -> "13", 3.54 -> "3.54", -37.0 -> "-37"."""
    s = f"{float(x):.2f}".rstrip("0").rstrip(".")
    return "0" if s in ("-0", "") else s


def np_finite(x) -> bool:
    return x is not None and bool(np.isfinite(x))
