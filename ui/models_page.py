"""Helpers for the Models page: model labels, parameter forms, cached evaluation cells, charts,
the plain-language summary, tuning and the model registry.

Caching: one evaluation *cell* is (data version, model, params, protocol, fold). Cells are cached
with ``st.cache_data`` so changing one model's parameters recomputes only that model, and the
progress bar can advance per model and fold (progress lives outside the cached function).
"""

from __future__ import annotations

import json
import math
import time

import numpy as np
import pandas as pd
import plotly.express as px
import plotly.graph_objects as go
import streamlit as st

from recsys_core.app import experiment as X
from recsys_core.cli.params import coerce_like, parse_value
from recsys_core.evaluation import Evaluation, paired_test
from recsys_core.evaluation.compare import ALL_METRICS, base_metric, lower_is_better, metric_column
from recsys_core.evaluation.tuning import Range, candidates
from recsys_core.models import REGISTRY, make_model

from . import budget, sentences
from .charts import PALETTE, palette, style
from .i18n import lang, t
from .services import lab
from .state import K

# ---------------------------------------------------------------------------- names and keys
DEFAULT_MODELS = ["baseline", "bias", "popularity", "svd"]
SPLITS = ["kfold", "random", "temporal", "user"]
CURVE_KS = (1, 2, 3, 5, 10, 15, 20)
HEADLINE = ALL_METRICS  # every metric the experiment loop computes, in its order


LANGUAGE_LABELLED = (
    K.MODELS_SELECT,
    K.MODELS_SPLIT,
    K.MODELS_BAR_METRIC,
    K.MODELS_CURVE_METRIC,
    K.MODELS_TRADE_METRIC,
    K.MODELS_SIG_A,
    K.MODELS_SIG_B,
    K.MODELS_SIG_METRIC,
    K.MODELS_SIG_BY,
    K.MODELS_SAVE_PICK,
    K.MODELS_TUNE_MODEL,
    K.MODELS_TUNE_METRIC,
    K.MODELS_TUNE_METHOD,
)


def param_key(model: str, param: str) -> str:
    return f"{K.MODELS_PARAM}{model}__{param}"


def tune_key(model: str, param: str, what: str = "values") -> str:
    return f"{K.MODELS_TUNE}{model}__{param}__{what}"


def model_label(name: str) -> str:
    return sentences.model_name(name, lang())


def available_models() -> list[str]:
    return list(REGISTRY)


def default_params(name: str) -> dict:
    return make_model(name).get_params()


def predicts_ratings(name: str) -> bool:
    return bool(getattr(REGISTRY[name], "predicts_ratings", True))


def metric_name(column: str) -> str:
    """Metric label in the UI language ("命中率@10", "Hit rate@10", "Coverage")."""
    return sentences.metric_name(column, lang())


# ---------------------------------------------------------------------------- parameter forms
def params_from_state(name: str) -> dict:
    """A model's parameters as last set in its form on the Compare tab (defaults where never set)."""
    out = {}
    for p, d in default_params(name).items():
        v = st.session_state.get(param_key(name, p), d)
        if isinstance(v, str) and not isinstance(d, str):
            v = coerce_like(parse_value(v), d) if d is not None else parse_value(v)
        out[p] = v
    return out


def param_form(name: str) -> dict:
    """Widgets for a model's parameters, types inferred from ``get_params()`` defaults. Returns the values."""
    defaults = default_params(name)
    if not defaults:
        st.caption(t("models.no_params"))
        return {}
    out = {}
    choices = param_choices(name)
    cols = st.columns(min(3, len(defaults)))
    for j, (p, d) in enumerate(defaults.items()):
        key = param_key(name, p)
        with cols[j % len(cols)]:
            if p in choices and d in choices[p]:
                st.session_state.setdefault(key, d)
                out[p] = st.selectbox(p, choices[p], key=key)
            elif isinstance(d, bool):
                st.session_state.setdefault(key, d)
                out[p] = bool(st.checkbox(p, key=key))
            elif isinstance(d, int):
                st.session_state.setdefault(key, d)
                out[p] = int(st.number_input(p, step=1, key=key))
            elif isinstance(d, float):
                st.session_state.setdefault(key, d)
                step = 10 ** math.floor(math.log10(abs(d))) / 10 if d else 0.01
                out[p] = float(st.number_input(p, step=float(step), format="%.6g", key=key))
            else:
                st.session_state.setdefault(key, _param_text(d))
                text = st.text_input(p, key=key, help=t("models.param_text_help"))
                out[p] = coerce_like(parse_value(text), d) if d is not None else parse_value(text)
    return out


def _param_text(v) -> str:
    if v is None:
        return "none"
    if isinstance(v, (list, tuple, dict)):
        return json.dumps(list(v) if isinstance(v, tuple) else v, ensure_ascii=False)
    return str(v)


def param_choices(name: str) -> dict[str, list]:
    """Allowed values of categorical parameters, when the model class declares ``param_choices``."""
    return dict(getattr(REGISTRY[name], "param_choices", {}) or {})


def set_params_in_form(name: str, params: dict) -> None:
    """Write values into the parameter widgets' session state (call from a button callback)."""
    defaults = default_params(name)
    for p, v in params.items():
        if p not in defaults:
            continue
        d = defaults[p]
        if p in param_choices(name):
            pass
        elif isinstance(d, bool):
            v = bool(v)
        elif isinstance(d, int):
            v = int(round(float(v)))
        elif isinstance(d, float):
            v = float(v)
        else:
            v = _param_text(v)
        st.session_state[param_key(name, p)] = v
    chosen = list(st.session_state.get(K.MODELS_SELECT) or [])
    if name not in chosen:
        st.session_state[K.MODELS_SELECT] = chosen + [name]
    st.toast(t("models.tune_applied", model=model_label(name), params=params_text(params)))


# ---------------------------------------------------------------------------- protocol and cached cells
protocol_dict = X.protocol_dict


def _dumps(obj) -> str:
    return json.dumps(obj, sort_keys=True, default=str)


@st.cache_resource(show_spinner=False, max_entries=4)
def _splits(_ds, version: str, protocol_json: str) -> list:
    """The (train, test) pairs of a protocol on a dataset version; shared read-only."""
    return X.make_folds(_ds, json.loads(protocol_json))


@st.cache_data(show_spinner=False, max_entries=1024)
def _cell(
    version: str, name: str, params_json: str, protocol_json: str, fold: int, metrics: tuple, curve_ks, _compute
) -> Evaluation:
    """One (model, params, fold) cell of an experiment, computed by the facade's loop on a cache miss."""
    return _compute()


def _hook(version: str, protocol: dict, metrics: tuple, curve_ks, progress, numbered: bool = False):
    """The per-cell hook the Models page gives the experiment loop: progress, then the cached cell."""
    pj = _dumps(protocol)

    def on_cell(cell, compute):
        if progress:
            fold = f"{t('models.fold')} {cell.fold + 1}/{cell.n_folds}"
            which = (
                f"{cell.step // cell.n_folds + 1}/{cell.total // cell.n_folds}" if numbered else model_label(cell.model)
            )
            progress(f"{which} · {fold}", cell.step, cell.total)
        return _cell(version, cell.model, _dumps(cell.params_dict), pj, cell.fold, metrics, curve_ks, compute)

    return on_cell


def run_comparison(
    ds, version: str, configs: dict[str, dict], protocol: dict, progress=None, refused: dict | None = None
):
    """The facade's experiment with cached cells. ``progress(label, step, total)``.

    A model whose cost envelope exceeds the session's memory or time budget is refused before anything
    is fitted (``refused[name]`` = the message naming the models that fit); the others run under those
    budgets. Returns an ExperimentResult (models that failed are in ``failures``); the split itself
    failing, or every model being refused or failing, raises ValueError.
    """
    refused = {} if refused is None else refused
    shape = budget.shape_of(ds)
    for name in list(configs):
        msg = budget.refusal(name, configs[name], shape)
        if msg:
            refused[name] = msg
    configs = {n: c for n, c in configs.items() if n not in refused}
    if not configs:
        raise ValueError(" ".join(refused.values()))
    folds = _splits(ds, version, _dumps(protocol))  # a split that cannot be made fails here, once
    hook = _hook(version, protocol, tuple(ALL_METRICS), CURVE_KS, progress)
    with budget.scope():
        res = lab().experiment(ds, configs, protocol, on_cell=hook, folds=folds, curve_ks=CURVE_KS)
    for name, e in res.refused.items():  # the loop's own check (same budget): worded like the ones above
        refused[name] = budget.refusal_text(e)
    if progress:
        progress(t("models.done"), 1, 1)
    if res.evaluation is None:
        raise ValueError("; ".join(f"{model_label(n)}: {msg}" for n, msg in res.failures.items()) or "no model to run")
    return res


# ---------------------------------------------------------------------------- tables
def metric_columns(ev: Evaluation) -> list[str]:
    return [metric_column(m, ev.k) for m in HEADLINE if metric_column(m, ev.k) in ev.folds.columns]


def summary_frame(ev: Evaluation) -> pd.DataFrame:
    """Mean over folds: rows = models (raw names, in run order), columns = metrics and seconds
    (``total_seconds`` = fit + test, the column the summary's "fastest" refers to)."""
    cols = metric_columns(ev) + ["fit_seconds", "test_seconds"]
    out = ev.folds.groupby("model", sort=False)[cols].mean().reindex(ev.models)
    out["total_seconds"] = out["fit_seconds"] + out["test_seconds"]
    return out


def best_per_column(df: pd.DataFrame) -> dict[str, str | None]:
    out = {}
    for c in df.columns:
        s = df[c].astype(float)
        if not s.notna().any():
            out[c] = None
            continue
        out[c] = s.idxmin() if lower_is_better(c) else s.idxmax()
    return out


ACCURACY = ("rmse", "mae", "precision", "recall", "ndcg", "map", "hit_rate")


def table_part(ev: Evaluation, part: str | None) -> list[str]:
    """Columns of one half of the results: ``accuracy`` (rating error and ranking) or ``beyond`` (coverage,
    diversity, novelty, personalization and seconds); None: all. Two halves fit across the page with many models."""
    cols = list(summary_frame(ev).columns)
    if part is None:
        return cols
    acc = [c for c in cols if base_metric(c) in ACCURACY]
    return acc if part == "accuracy" else [c for c in cols if c not in acc]


def display_table(ev: Evaluation, part: str | None = None):
    """The comparison table with translated headers, N/A for missing values and the best cell per metric highlighted."""
    df = summary_frame(ev)[table_part(ev, part)]
    best = best_per_column(df)
    shown = df.copy()
    shown.index = [model_label(m) for m in df.index]
    shown.index.name = t("models.model")
    rename = {c: metric_name(c) for c in df.columns}
    shown = shown.rename(columns=rename)

    def highlight(col):
        raw = next(c for c, r in rename.items() if r == col.name)
        winner = best.get(raw)
        return [
            "background-color: #d9f2e3; font-weight: 600" if (winner is not None and m == winner) else ""
            for m in df.index
        ]

    return shown.style.apply(highlight, axis=0).format(precision=4, na_rep="N/A")


def table_columns(ev: Evaluation, part: str | None = None) -> dict:
    """Compact numeric columns so the metrics of many models fit across the page (headers show in full on hover)."""
    cols = {metric_name(c): st.column_config.NumberColumn(width="small") for c in table_part(ev, part)}
    return {"_index": st.column_config.TextColumn(width="medium"), **cols}


def per_fold_frame(ev: Evaluation) -> pd.DataFrame:
    df = ev.folds.copy()
    df["fold"] = df["fold"] + 1
    df["model"] = df["model"].map(model_label)
    return df.rename(
        columns={
            "model": t("models.model"),
            "fold": t("models.fold"),
            **{c: metric_name(c) for c in df.columns if c not in ("model", "fold")},
        }
    )


# ---------------------------------------------------------------------------- charts
def bar_chart(ev: Evaluation, column: str) -> go.Figure:
    g = ev.folds.groupby("model", sort=False)[column]
    df = pd.DataFrame(
        {
            "model": [model_label(m) for m in g.mean().index],
            "mean": g.mean().values,
            "std": g.std(ddof=1).fillna(0.0).values,
        }
    )
    df = df[np.isfinite(df["mean"])]
    fig = px.bar(
        df,
        x="model",
        y="mean",
        error_y="std" if n_fold_rows(ev) > 1 else None,
        color="model",
        color_discrete_sequence=palette(len(df)),
        title=t("models.bar_title", metric=metric_name(column)),
        labels={"model": t("models.model"), "mean": metric_name(column)},
    )
    fig.update_layout(showlegend=False)
    return style(fig)


def n_fold_rows(ev: Evaluation) -> int:
    return int(ev.folds["fold"].nunique()) if len(ev.folds) else 0


def curves_chart(ev: Evaluation, metric: str) -> go.Figure:
    c = ev.curves_mean()
    c = c.assign(model=c["model"].map(model_label))
    fig = px.line(
        c,
        x="k",
        y=metric,
        color="model",
        markers=True,
        color_discrete_sequence=palette(c["model"].nunique()),
        title=t("models.curve_title", metric=metric_name(metric)),
        labels={"k": "K", metric: metric_name(metric), "model": t("models.model")},
    )
    return _legend_below(style(fig))


def tradeoff_chart(ev: Evaluation, column: str) -> go.Figure:
    s = summary_frame(ev)
    df = pd.DataFrame(
        {
            "model": [model_label(m) for m in s.index],
            "seconds": s["total_seconds"],
            "value": s[column],
        }
    )
    df = df[np.isfinite(df["value"])]
    fig = px.scatter(
        df,
        x="seconds",
        y="value",
        color="model",
        log_x=True,
        color_discrete_sequence=palette(len(df)),
        title=t("models.trade_title", metric=metric_name(column)),
        labels={"seconds": t("models.seconds_axis"), "value": metric_name(column), "model": t("models.model")},
        hover_name="model",
    )
    # names in the legend and on hover, not as text beside the points: with many models they overlapped
    fig.update_traces(marker=dict(size=13, line=dict(width=1, color="white")), cliponaxis=False)
    fig.update_layout(legend=dict(orientation="v", yanchor="top", y=1, x=1.02, title_text=""))
    if len(df):
        lo, hi = np.log10(max(df["seconds"].min(), 1e-6)), np.log10(max(df["seconds"].max(), 1e-6))
        fig.update_xaxes(range=[lo - 0.4, hi + 0.4], **log_ticks(lo - 0.4, hi + 0.4))
        span = float(df["value"].max() - df["value"].min()) or abs(float(df["value"].max())) * 0.1 or 0.1
        fig.update_yaxes(range=[df["value"].min() - 0.15 * span, df["value"].max() + 0.25 * span])
    fig = style(fig, height=420)
    fig.update_layout(legend=dict(orientation="v", yanchor="top", y=1, x=1.02, title_text=""))
    return fig


def log_ticks(lo: float, hi: float) -> dict:
    """Ticks 1-2-5 per decade between 10**lo and 10**hi, written in full ("0.05", "0.1", "2")."""
    vals = [m * 10.0**e for e in range(math.floor(lo), math.ceil(hi) + 1) for m in (1, 2, 5)]
    vals = [v for v in vals if 10**lo <= v <= 10**hi]
    return dict(tickvals=vals, ticktext=[f"{v:g}" for v in vals])


def _legend_below(fig: go.Figure) -> go.Figure:
    fig.update_layout(
        legend=dict(orientation="h", yanchor="top", y=-0.22, x=0, title_text=""), margin=dict(b=80), height=420
    )
    return fig


def learning_chart(ev: Evaluation) -> go.Figure | None:
    lc = ev.learning
    if lc is None or lc.empty:
        return None
    df = lc.groupby(["model", "series", "epoch"], sort=False)["value"].mean().reset_index()
    df["model"] = df["model"].map(model_label)
    fig = px.line(
        df,
        x="epoch",
        y="value",
        color="model",
        line_dash="series",
        color_discrete_sequence=PALETTE,
        title=t("models.learning_title"),
        labels={"epoch": t("models.epoch"), "value": t("models.loss"), "series": ""},
    )
    return _legend_below(style(fig))


# ---------------------------------------------------------------------------- plain-language summary
def plain_summary(ev: Evaluation, language: str | None = None) -> list[str]:
    """A few sentences generated from the numbers: winners, margins, trade-offs, caveats."""
    language = language or lang()
    s = summary_frame(ev)
    rank_col = metric_column("ndcg", ev.k)
    has_rmse = "rmse" in s.columns and s["rmse"].notna().any()
    acc_col = "rmse" if has_rmse else rank_col
    paired = None
    if n_fold_rows(ev) > 1 and acc_col in s.columns:
        vals = s[acc_col].dropna().sort_values(ascending=lower_is_better(acc_col))
        if len(vals) > 1:
            paired = paired_test(ev, vals.index[0], vals.index[1], acc_col, by="fold")
    out = sentences.models_summary(s, rank_col, language, paired)
    if ev.diversity_basis and out:
        out.append(t("models.diversity_basis_" + ev.diversity_basis))
    return out


def skipped_lines(refused: dict | None) -> list[str]:
    """One summary line per model left out of the run because it would not fit the memory or time budget."""
    return [t("models.skipped_budget", model=model_label(name), msg=msg) for name, msg in (refused or {}).items()]


def significance_text(ev: Evaluation, a: str, b: str, column: str, by: str) -> tuple[str, float]:
    res = paired_test(ev, a, b, column, by=by)
    return sentences.paired_sentence(res, lang()), res.p_value


# ---------------------------------------------------------------------------- tuning
def default_space_text(d, choices: list | None = None) -> str:
    """A sensible starting list of candidates around a default value (all choices for categorical ones)."""
    if choices:
        return ", ".join(str(c) for c in choices)
    if isinstance(d, bool):
        return "true, false"
    if isinstance(d, int):
        vals = sorted({max(1, d // 2), d, d * 2}) if d > 0 else [0, 1, 2]
        return ", ".join(str(v) for v in vals)
    if isinstance(d, float):
        if d == 0:
            return "0, 0.01, 0.1"
        return ", ".join(f"{v:.4g}" for v in (d / 3, d, d * 3))
    return "none" if d is None else str(d)


def parse_space_text(text: str, default):
    """``"1, 5, 10"`` -> [1, 5, 10]; ``"0.001..0.1"`` -> Range (log-spaced when it spans ≥ 10×)."""
    s = (text or "").strip()
    if ".." in s:
        lo_s, hi_s = s.split("..", 1)
        lo, hi = float(parse_value(lo_s)), float(parse_value(hi_s))
        integer = isinstance(default, int) and not isinstance(default, bool)
        return Range(lo, hi, log=(lo > 0 and hi / lo >= 10), integer=integer)
    vals = [coerce_like(parse_value(x), default) for x in s.split(",") if x.strip()]
    if not vals:
        raise ValueError("empty candidate list")
    return vals


def tunable_params(name: str) -> dict:
    """Numeric and boolean parameters, plus categorical ones the model lists in ``param_choices``."""
    choices = param_choices(name)
    return {p: d for p, d in default_params(name).items() if isinstance(d, (int, float)) or p in choices}


def tuning_refusal(ds, name: str, base_params: dict, space: dict, method: str, n_iter: int, seed: int) -> str | None:
    """None when every candidate of the search fits this session's memory and time budgets; otherwise the
    refusal for the first one that does not (its parameters, need, budget and the models that fit),
    so the search is refused before any candidate is fitted."""
    shape = budget.shape_of(ds)
    for cand in candidates(space, method, n_iter, seed):
        msg = budget.refusal(name, {**(base_params or {}), **cand}, shape)
        if msg:
            return t("models.tune_refused", params=params_text(cand), msg=msg)
    return None


def run_tuning(
    ds,
    version: str,
    name: str,
    base_params: dict,
    space: dict,
    method: str,
    n_iter: int,
    protocol: dict,
    metric: str,
    progress=None,
):
    """Grid / random search through the facade's loop, with the same cached cells as the comparison."""
    folds = _splits(ds, version, _dumps(protocol))
    hook = _hook(version, protocol, (base_metric(metric),), None, progress, numbered=True)
    with budget.scope():
        res = lab().tune(ds, name, base_params, space, method, n_iter, protocol, metric, on_cell=hook, folds=folds)
    if progress:
        progress(t("models.done"), 1, 1)
    return res


def tuning_frame(result) -> pd.DataFrame:
    """The search results sorted by rank, with translated headers (parameter names stay as they are)."""
    df = result.results.sort_values("rank")
    name = metric_name(result.metric)
    rename = {
        "candidate": t("models.candidate"),
        "mean_score": t("models.mean_of", metric=name),
        "std_score": t("models.std_of", metric=name),
        "mean_fit_seconds": t("models.fit_seconds"),
        "rank": t("models.rank"),
    }
    rename.update({c: f"{t('models.fold')} {int(c.split('_')[1]) + 1}" for c in df.columns if c.startswith("fold_")})
    return df.rename(columns=rename)


def tuning_chart(result, param: str) -> go.Figure:
    df = result.results
    log_x = bool(
        df[param].dtype.kind in "if" and (df[param] > 0).all() and df[param].max() / max(df[param].min(), 1e-12) >= 20
    )
    fig = px.scatter(
        df,
        x=param,
        y="mean_score",
        error_y="std_score" if df["std_score"].notna().any() else None,
        color="rank",
        color_continuous_scale="Viridis_r",
        log_x=log_x,
        title=t("models.tune_chart_title", metric=metric_name(result.metric), param=param),
        labels={"mean_score": metric_name(result.metric), "rank": t("models.rank")},
    )
    fig.update_traces(marker=dict(size=11))
    return style(fig)


# ---------------------------------------------------------------------------- registry
def save_models(ds, ev: Evaluation, names: list[str], configs: dict[str, dict], progress=None) -> list:
    """Refit and register the chosen models through the facade; returns its ``Registered`` records."""

    def on_model(name, j, total):
        if progress:
            progress(model_label(name), j, total)

    with budget.scope():
        out = lab().save_models(ds, ev, names, configs, on_model)
    if progress:
        progress(t("models.done"), 1, 1)
    return out


def params_text(params: dict | None) -> str:
    """Parameters as "name = value" pairs ("reg_u = 5, lr_all = 0.005"), or "—" when there are none."""
    if not params:
        return "—"

    def fmt(v):
        if isinstance(v, bool) or not isinstance(v, (int, float)):
            return str(v)
        return f"{v:g}"

    return ", ".join(f"{k} = {fmt(v)}" for k, v in params.items())


def _num(x) -> float:
    """A stored metric as a float; NaN (shown as N/A) when missing."""
    try:
        return float(x) if x is not None else np.nan
    except (TypeError, ValueError):
        return np.nan


def registry_frame(version: str, k: int = 10) -> pd.DataFrame:
    """The version's registered models, oldest first, under their readable names."""
    df = lab().models(version).iloc[::-1]
    if df.empty:
        return df
    rank_col = metric_column("ndcg", k)
    rows = []
    for r in df.itertuples():
        m = r.metrics or {}
        ndcg_key = rank_col if rank_col in m else next((c for c in m if c.startswith("ndcg@")), None)
        rows.append(
            {
                "model_id": r.model_id,
                t("rec.col.model_name"): r.display,
                t("models.model"): model_label(r.name),
                "RMSE": _num(m.get("rmse")),
                metric_name(ndcg_key or rank_col): _num(m.get(ndcg_key)) if ndcg_key else np.nan,
                t("models.created"): pd.Timestamp(r.created).strftime("%Y-%m-%d %H:%M"),
                t("models.params"): params_text(r.params),
            }
        )
    return pd.DataFrame(rows)


def load_registered(ws, model_id: str):
    """Load a registered model (no retraining); returns (model, seconds)."""
    t0 = time.perf_counter()
    model = ws.load_model(model_id)
    return model, time.perf_counter() - t0


def sample_recommendations(model, ds, n: int = 5):
    """(user, DataFrame[item_id, title, score]) for the most active user, from an already fitted model."""
    users = ds.ratings["user_id"].value_counts()
    if users.empty:
        return None, pd.DataFrame()
    user = str(users.index[0])
    recs = model.recommend(user, n=n)
    titles = ds.item_titles()
    return user, pd.DataFrame(
        {
            t("models.model"): [model_label(model.name)] * len(recs),
            t("models.film_id"): [i for i, _ in recs],
            t("models.film_title"): [titles.get(i, i) for i, _ in recs],
            t("models.score"): [round(s, 4) for _, s in recs],
        }
    )
