"""Promotion page glue: the promotion tables (demo or uploaded), cached heavy work, plotly charts."""

from __future__ import annotations

import hashlib

import numpy as np
import pandas as pd
import plotly.express as px
import plotly.graph_objects as go
import streamlit as st
from plotly.subplots import make_subplots

from recsys_core.app import promotion as PL
from recsys_core.data import demo
from recsys_core.errors import UserError
from recsys_core.promotion import tables as T
from ui.catalogue import genre_label, value_label
from ui.charts import PALETTE, style
from ui.i18n import lang, t
from ui.sentences import persona_names
from ui.services import dataset, workspace
from ui.state import K

DEMO_PROMO = demo.DEFAULT_FOLDER / demo.PROMOTION_FOLDER
KIND_KEYS = {
    "films": "promo.kind.films",
    "box_office_daily": "promo.kind.box_office_daily",
    "exposures": "promo.kind.exposures",
    "behaviour": "promo.kind.behaviour",
}
UPLOAD_KEYS = {
    "films": K.PROMO_UP_FILMS,
    "box_office_daily": K.PROMO_UP_DAILY,
    "exposures": K.PROMO_UP_EXPOSURES,
    "behaviour": K.PROMO_UP_BEHAVIOUR,
}


# ------------------------------------------------------------------------------------------- tables
@st.cache_data(show_spinner=False, max_entries=16)
def _frame(name: str, data: bytes) -> pd.DataFrame:
    """An upload read once; the column pickers and every mapping's cleaning start from it."""
    return T.read_frame(data, name)


@st.cache_data(show_spinner=False, max_entries=16)
def _read(name: str, data: bytes, kind: str, mapping: tuple) -> T.PromoTable:
    return T.clean_table(_frame(name, data), kind, dict(mapping) or None)  # leaves the read frame untouched


@st.cache_data(show_spinner=False)
def _demo_tables() -> dict:
    if not (DEMO_PROMO / "films.csv").exists():
        return {}
    return T.read_folder(DEMO_PROMO)


NO_COLUMN = "—"


def _columns(name: str, data: bytes) -> list[str]:
    return [str(c) for c in _frame(name, data).columns]


def _upload_sig(up: dict) -> str:
    return hashlib.sha256(f"{up['name']}:{len(up['data'])}".encode()).hexdigest()[:8]


def uploads() -> dict:
    """{kind: {"name", "data"}} of the uploads in use (they outlive the uploader while its tab is closed)."""
    return st.session_state.setdefault(K.PROMO_FILES, {})


def remember_upload(kind: str) -> None:
    """The uploader's on_change: keep the new file, or drop it when the user cleared the uploader."""
    up = st.session_state.get(UPLOAD_KEYS[kind])
    if up is None:
        uploads().pop(kind, None)
    else:
        uploads()[kind] = {"name": up.name, "data": up.getvalue()}


def forget_upload(kind: str) -> None:
    uploads().pop(kind, None)


def map_key(kind: str, up, field: str) -> str:
    return f"{K.PROMO_MAP_PREFIX}{kind}__{_upload_sig(up)}__{field}"


def field_label(kind: str, field: str) -> str:
    name = feature_name(field)
    label = field if name == field else f"{field} · {name}"
    return f"{label} *" if field in T.REQUIRED[kind] else label


def mapping_widgets(kind: str) -> None:
    """One picker per field of this table kind, preset from the header aliases (as on the Data page)."""
    up = uploads().get(kind)
    if up is None:
        return
    try:
        cols = _columns(up["name"], up["data"])
    except UserError:
        return  # the read error is reported in the status table
    auto = T.suggest_mapping(cols, kind)
    options = [NO_COLUMN, *cols]
    c1, c2 = st.columns([3, 1], vertical_alignment="center")
    c1.caption(t("promo.data.in_use", name=up["name"]))
    c2.button(t("promo.data.forget"), key=f"{K.PROMO_FORGET}{kind}", on_click=forget_upload, args=(kind,))
    with st.expander(t("promo.data.map_title", table=t(KIND_KEYS[kind]), name=up["name"])):
        st.caption(t("promo.data.map_help"))
        grid = st.columns(3)
        for j, field in enumerate(T.ALIASES[kind]):
            default = auto.get(field)
            grid[j % 3].selectbox(
                field_label(kind, field),
                options,
                index=options.index(default) if default in options else 0,
                key=map_key(kind, up, field),
            )


def chosen_mapping(kind: str, up) -> tuple:
    """(field, column or None) for every picker drawn for this upload; None unmaps a suggested field."""
    out = []
    for field in T.ALIASES[kind]:
        key = map_key(kind, up, field)
        if key in st.session_state:
            v = st.session_state[key]
            out.append((field, None if v == NO_COLUMN else v))
    return tuple(out)


def tables(ds) -> tuple[dict, dict, dict]:
    """(tables by kind, source by kind: demo | upload, errors by kind). Uploads win over the demo;
    the demo tables are offered only with the synthetic demo dataset (their ids are its ids)."""
    out, source, errors = {}, {}, {}
    demo_ok = bool(ds is not None and ds.meta.get("synthetic"))
    demo_tabs = _demo_tables() if demo_ok else {}
    for kind in T.KINDS:
        up = uploads().get(kind)
        if up is not None:
            try:
                out[kind] = _read(up["name"], up["data"], kind, chosen_mapping(kind, up))
                source[kind] = "upload"
            except UserError as e:
                errors[kind] = str(e)
            continue
        if kind in demo_tabs:
            out[kind], source[kind] = demo_tabs[kind], "demo"
    return out, source, errors


def signature(table: T.PromoTable | None) -> str:
    if table is None:
        return "-"
    f = table.frame
    h = hashlib.sha256(pd.util.hash_pandas_object(f.astype(str), index=False).to_numpy().tobytes()).hexdigest()
    return h[:16]


def status_frame(tabs: dict, source: dict, errors: dict) -> pd.DataFrame:
    rows = []
    for kind in T.KINDS:
        tab = tabs.get(kind)
        if kind in errors:
            state = t("promo.src.error")
        elif tab is None:
            state = t("promo.src.missing")
        else:
            state = t("promo.src.demo") if source.get(kind) == "demo" else t("promo.src.upload")
        rows.append(
            {
                t("promo.col.table"): t(KIND_KEYS[kind]),
                t("promo.col.source"): state,
                t("promo.col.rows"): len(tab.frame) if tab is not None else 0,
                t("promo.col.columns"): ", ".join(tab.mapping) if tab is not None else "—",
            }
        )
    return pd.DataFrame(rows)


# ------------------------------------------------------------------------------------------- segments
def segments(version: str):
    """(memberships, names by id) of the latest saved segmentation, computed and saved when none."""
    try:
        mem, personas = workspace().segments(version)
    except Exception:  # an older workspace without segments
        mem, personas = None, None
    if mem is None or not personas:
        return None, {}
    return mem, persona_names(personas, lang())


@st.cache_resource(show_spinner=False, max_entries=4)
def _auto_segments(version: str):
    return PL.auto_segments(dataset(version))


def ensure_segments(version: str):
    mem, names = segments(version)
    if mem is not None:
        return mem, names
    mem, personas = _auto_segments(version)
    return mem, persona_names(personas, lang())


@st.cache_resource(show_spinner=False, max_entries=4)
def _user_features(version: str, seg_sig: str, _seg):
    return PL.user_features(dataset(version), _seg)


def user_features(version: str, mem):
    """Profile features per user (cached per version and segmentation size)."""
    return _user_features(version, str(len(mem) if mem is not None else 0), mem)


# ------------------------------------------------------------------------------------------- labels
CHANNELS_EN = {
    "短视频": "short video",
    "社交": "social",
    "搜索": "search",
    "信息流": "news feed",
    "开屏": "splash screen",
}


def trait_value(trait: str, value) -> str:
    if trait == "segment":
        return (st.session_state.get(K.PROMO_SEG_NAMES) or {}).get(str(value), f"#{value}")
    return value_label(value, lang())


def sticky_select(container, label: str, options: list, key: str, format_func, **kw):
    """A selectbox whose choice survives a switch of UI language (its labels are translated): the widget
    key carries the language (``<key>__zh`` / ``<key>__en``) and the chosen value is kept under ``key``."""
    current = st.session_state.get(key)
    index = options.index(current) if current in options else 0
    value = container.selectbox(label, options, index=index, key=f"{key}__{lang()}", format_func=format_func, **kw)
    st.session_state[key] = value
    return value


def channel_label(v) -> str:
    """Display name of a channel: the demo's channel names read in English too; the user's own stay as they are."""
    return CHANNELS_EN.get(str(v), str(v)) if lang() == "en" else str(v)


def money(v) -> str:
    if v is None or (isinstance(v, float) and not np.isfinite(v)):
        return "—"
    v = float(v)
    if lang() == "zh":
        if abs(v) >= 1e8:
            return f"{v / 1e8:.2f} 亿"
        if abs(v) >= 1e4:
            return f"{v / 1e4:,.0f} 万"
        return f"{v:,.2f}"
    if abs(v) >= 1e9:
        return f"{v / 1e9:.2f} bn"
    if abs(v) >= 1e6:
        return f"{v / 1e6:,.1f} m"
    return f"{v:,.2f}"


def feature_name(c: str) -> str:
    key = f"promo.feat.{c}"
    from ui.i18n import has

    return t(key) if has(key) else c


# ------------------------------------------------------------------------------------------- charts
def forecast_scatter(pred: pd.DataFrame) -> go.Figure:
    fig = go.Figure()
    fig.add_trace(
        go.Scatter(
            x=pred["actual"],
            y=pred["predicted"],
            mode="markers",
            marker=dict(color=PALETTE[0], size=6, opacity=0.7),
            error_y=dict(
                type="data",
                symmetric=False,
                array=pred["hi"] - pred["predicted"],
                arrayminus=pred["predicted"] - pred["lo"],
                thickness=0.6,
                width=0,
                color="rgba(100,100,100,0.25)",
            ),
            name=t("promo.bo.predicted"),
            text=pred.get("title"),
        )
    )
    lo, hi = float(pred["actual"].min()), float(pred["actual"].max())
    fig.add_trace(go.Scatter(x=[lo, hi], y=[lo, hi], mode="lines", line=dict(dash="dot", color="gray"), name="y = x"))
    fig.update_xaxes(type="log", title=t("promo.bo.actual"))
    fig.update_yaxes(type="log", title=t("promo.bo.predicted"))
    fig.update_layout(title=t("promo.bo.scatter_title"))
    fig = style(fig, 440)
    fig.update_layout(legend=dict(orientation="h", yanchor="top", y=-0.15, x=0))
    return fig


def importance_chart(imp: pd.DataFrame) -> go.Figure:
    d = imp.assign(label=imp["feature"].map(feature_name)).iloc[::-1]
    fig = go.Figure(
        go.Bar(x=d["importance"], y=d["label"], orientation="h", error_x=dict(array=d["sd"]), marker_color=PALETTE[1])
    )
    fig.update_layout(title=t("promo.bo.importance"), xaxis_title=t("promo.bo.importance_x"))
    return style(fig, 360)


def pdp_chart(pdp: dict, log_columns=()) -> go.Figure | None:
    if not pdp:
        return None
    names = list(pdp)[:4]
    rows = (len(names) + 1) // 2
    fig = make_subplots(rows=rows, cols=2, subplot_titles=[feature_name(n) for n in names], vertical_spacing=0.25)
    for k, n in enumerate(names):
        d = pdp[n]
        x = np.expm1(d["value"]) if n in log_columns else d["value"]  # back to the column's own units
        line = go.Scatter(x=x, y=d["predicted"], mode="lines", line=dict(color=PALETTE[2]), showlegend=False)
        fig.add_trace(line, k // 2 + 1, k % 2 + 1)
        if n in log_columns:
            fig.update_xaxes(type="log", row=k // 2 + 1, col=k % 2 + 1)
    fig.update_layout(title=t("promo.bo.pdp"))
    fig = style(fig, 220 * rows + 80)
    fig.update_layout(margin=dict(t=80))
    return fig


def channel_chart(by_channel: pd.DataFrame) -> go.Figure:
    d = by_channel
    fig = go.Figure(
        go.Bar(
            x=d["channel"],
            y=d["uplift"] * 100,
            error_y=dict(
                type="data",
                symmetric=False,
                array=(d["ci_high"] - d["uplift"]) * 100,
                arrayminus=(d["uplift"] - d["ci_low"]) * 100,
            ),
            marker_color=PALETTE[0],
        )
    )
    fig.add_hline(y=0, line_color="gray")
    fig.update_layout(
        title=t("promo.camp.by_channel"), yaxis_title=t("promo.camp.uplift_pp"), xaxis_title=t("promo.col.channel")
    )
    return style(fig, 320)


def did_chart(d) -> go.Figure:
    fig = go.Figure()
    x = [t("promo.camp.before"), t("promo.camp.after")]
    fig.add_trace(
        go.Scatter(x=x, y=[d.exposed_before, d.exposed_after], mode="lines+markers", name=t("promo.camp.exposed"))
    )
    fig.add_trace(
        go.Scatter(x=x, y=[d.matched_before, d.matched_after], mode="lines+markers", name=t("promo.camp.matched"))
    )
    fig.update_layout(title=t("promo.camp.did_chart"), yaxis_title=t("promo.camp.per_week"))
    return style(fig, 300)


def calibration_chart(cal: dict) -> go.Figure:
    fig = go.Figure()
    top = 0.0
    for k, (name, d) in enumerate(cal.items()):
        fig.add_trace(
            go.Scatter(
                x=d["predicted"],
                y=d["observed"],
                mode="lines+markers",
                name=t(f"promo.model.{name}"),
                line=dict(color=PALETTE[k % len(PALETTE)]),
            )
        )
        top = max(top, float(d["predicted"].max()), float(d["observed"].max()))
    fig.add_trace(
        go.Scatter(
            x=[0, top], y=[0, top], mode="lines", line=dict(dash="dot", color="gray"), name=t("promo.resp.perfect")
        )
    )
    fig.update_layout(
        title=t("promo.resp.calibration"), xaxis_title=t("promo.resp.pred_rate"), yaxis_title=t("promo.resp.obs_rate")
    )
    fig = style(fig, 380)
    fig.update_layout(legend=dict(orientation="h", yanchor="top", y=-0.2, x=0))
    return fig


def mix_chart(mix: pd.DataFrame) -> go.Figure:
    traits = [tr for tr in ("age_band", "gender", "city", "segment") if tr in set(mix["trait"])]
    rows = (len(traits) + 1) // 2
    fig = make_subplots(
        rows=rows,
        cols=2,
        subplot_titles=[t(f"promo.trait.{tr}") for tr in traits],
        horizontal_spacing=0.08,
        vertical_spacing=0.2,
    )
    for k, tr in enumerate(traits):
        r, c = k // 2 + 1, k % 2 + 1
        d = mix[mix["trait"] == tr]
        labels = [trait_value(tr, v) for v in d["value"]]
        aud = go.Bar(
            x=labels, y=d["audience_share"], name=t("promo.plan.audience"), marker_color=PALETTE[0], showlegend=k == 0
        )
        pop = go.Bar(
            x=labels,
            y=d["population_share"],
            name=t("promo.plan.population"),
            marker_color=PALETTE[7],
            showlegend=k == 0,
        )
        fig.add_trace(aud, r, c)
        fig.add_trace(pop, r, c)
        if tr == "segment":  # persona names are long
            fig.update_xaxes(tickangle=-20, row=r, col=c)
    fig.update_yaxes(tickformat=".0%")
    fig.update_xaxes(automargin=True)
    fig.update_layout(barmode="group", title=t("promo.plan.mix_title"))
    fig = style(fig, 300 * rows + 80)
    fig.update_layout(legend=dict(orientation="h", yanchor="top", y=-0.08, x=0), margin=dict(t=70))
    return fig


def heatmap_chart(heat: pd.DataFrame) -> go.Figure:
    days = [t(f"promo.day.{d}") for d in range(7)]
    fig = px.imshow(heat.to_numpy(), x=list(range(24)), y=days, color_continuous_scale="Blues", aspect="auto")
    fig.update_layout(
        title=t("promo.plan.heatmap"), xaxis_title=t("promo.plan.hour"), coloraxis_colorbar_title=t("promo.plan.events")
    )
    return style(fig, 300)


def buzz_chart(frame: pd.DataFrame) -> go.Figure:
    fig = make_subplots(rows=2, cols=1, shared_xaxes=True, vertical_spacing=0.08, specs=[[{}], [{"secondary_y": True}]])
    fig.add_trace(go.Bar(x=frame["day"], y=frame["gross"], name=t("promo.buzz.gross"), marker_color=PALETTE[1]), 1, 1)
    fig.add_trace(
        go.Bar(x=frame["day"], y=frame["reviews"], name=t("promo.buzz.reviews"), marker_color=PALETTE[7], opacity=0.6),
        2,
        1,
    )
    fig.add_trace(
        go.Scatter(
            x=frame["day"],
            y=frame["mean_rating"],
            name=t("promo.buzz.rating"),
            mode="lines+markers",
            line=dict(color=PALETTE[0]),
        ),
        2,
        1,
        secondary_y=True,
    )
    if frame["mean_sentiment"].notna().any():
        fig.add_trace(
            go.Scatter(
                x=frame["day"],
                y=frame["mean_sentiment"] * 5,
                name=t("promo.buzz.sentiment"),
                mode="lines",
                line=dict(color=PALETTE[2], dash="dash"),
            ),
            2,
            1,
            secondary_y=True,
        )
    fig.add_vline(x=0, line_dash="dot", line_color="crimson")
    fig.update_yaxes(title_text=t("promo.buzz.gross"), row=1, col=1)
    fig.update_yaxes(title_text=t("promo.buzz.reviews"), row=2, col=1)
    fig.update_yaxes(title_text=t("promo.buzz.rating_axis"), range=[0, 5.2], dtick=1, row=2, col=1, secondary_y=True)
    fig.update_xaxes(title_text=t("promo.buzz.day"), row=2, col=1)
    fig.update_layout(title=t("promo.buzz.title"), hovermode="x unified")
    fig = style(fig, 540)
    fig.update_layout(legend=dict(orientation="h", yanchor="top", y=-0.14, x=0))
    return fig


def genre_options(ds) -> list[str]:
    if ds.items is None:
        return []
    return sorted({g for gl in ds.items["genres"] for g in gl})


def genre_text(g: str) -> str:
    return genre_label(g, lang())
