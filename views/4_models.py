"""模型对比 / Models: choose models, parameters and protocol; train; compare; tune; save and reload."""

from __future__ import annotations

import json

import streamlit as st

from recsys_core.app import Lab
from recsys_core.errors import UserError
from ui import auth, budget
from ui import models_page as mp
from ui.i18n import t
from ui.services import active_version_id, require_dataset, workspace
from ui.state import K, init_state, keep_choices, keep_widgets, lazy_tabs, opened

FAILURES = (ValueError, TypeError, RuntimeError, UserError, MemoryError)

init_state()
keep_widgets("models_")
keep_choices("models", mp.LANGUAGE_LABELLED)
st.title(f":material/science: {t('models.title')}")
ds = require_dataset(need_ratings=True)
version = active_version_id()
st.caption(t("models.intro"))


def one_line(e: Exception) -> str:
    return (str(e).splitlines() or [type(e).__name__])[0]


def progress_into(bar):
    def cb(label, step, total):
        bar.progress(min(step / total, 1.0) if total else 1.0, text=label)

    return cb


tab_cmp, tab_tune, tab_reg = lazy_tabs(
    [t("models.tab_compare"), t("models.tab_tune"), t("models.tab_registry")], K.MODELS_TABS
)

# ============================================================================ compare
for _ in opened(tab_cmp):
    st.session_state.setdefault(K.MODELS_SELECT, [m for m in mp.DEFAULT_MODELS if m in mp.available_models()])
    chosen = st.multiselect(
        t("models.choose"),
        mp.available_models(),
        format_func=mp.model_label,
        key=K.MODELS_SELECT,
        placeholder=t("models.pick_placeholder"),
    )
    configs = {}
    for name in chosen:
        with st.expander(t("models.params_of", model=mp.model_label(name))):
            configs[name] = mp.param_form(name)

    st.markdown(f"**{t('models.protocol')}**")
    c1, c2, c3, c4 = st.columns(4)
    with c1:
        split = st.selectbox(
            t("models.split"), mp.SPLITS, format_func=lambda s: t(f"models.split_{s}"), key=K.MODELS_SPLIT
        )
    with c2:
        folds = st.slider(t("models.folds"), 2, 10, 5, key=K.MODELS_FOLDS, disabled=split != "kfold")
        test_size = st.slider(
            t("models.test_size"),
            0.05,
            0.5,
            0.2,
            0.05,
            key=K.MODELS_TEST_SIZE,
            disabled=split not in ("random", "temporal"),
        )
    with c3:
        leave_n = st.number_input(t("models.leave_n"), 1, 20, 1, key=K.MODELS_LEAVE_N, disabled=split != "user")
        k = st.number_input(t("models.k"), 1, 50, 10, key=K.MODELS_K)
    with c4:
        seed = st.number_input(t("models.seed"), 0, 10_000, 0, key=K.MODELS_SEED)
        budget.setting()
    protocol = mp.protocol_dict(split, folds, test_size, leave_n, seed, k)

    if st.button(
        t("models.train"), key=K.MODELS_TRAIN, type="primary", disabled=not chosen or not auth.allowed("train")
    ):
        with st.status(t("models.training"), expanded=True) as status:
            bar = st.progress(0.0)
            failed: dict = {}
            refused: dict = {}
            try:
                res = mp.run_comparison(ds, version, configs, protocol, progress_into(bar), refused=refused)
            except FAILURES as e:
                status.update(label=t("models.failed"), state="error")
                if not refused:  # every model refused: the refusals below say why
                    st.error(t("common.error", msg=one_line(e)))
            else:
                failed = res.failures
                st.session_state[K.MODELS_EVAL] = res.evaluation
                st.session_state[K.MODELS_RUN] = {
                    "version": version,
                    "configs": res.ok_configs,
                    "requested": configs,
                    "protocol": protocol,
                    "refused": dict(refused),
                }
                status.update(label=t("models.trained"), state="complete", expanded=bool(failed))
            for msg in refused.values():
                st.error(msg)
            for name, msg in failed.items():
                st.warning(t("models.model_failed", model=mp.model_label(name), msg=msg))
    elif not chosen:
        st.info(t("models.need_models"))
    elif not (st.session_state.get(K.MODELS_RUN) or {}).get("version") == version:
        st.info(t("models.need_train"))

    ev = st.session_state.get(K.MODELS_EVAL)
    run = st.session_state.get(K.MODELS_RUN)
    if ev is not None and run and run["version"] == version:
        st.subheader(t("models.results"))
        if json.dumps(
            [run.get("requested", run["configs"]), run["protocol"]], sort_keys=True, default=str
        ) != json.dumps([configs, protocol], sort_keys=True, default=str):
            st.info(t("models.stale"))
        for part in ("accuracy", "beyond"):  # two halves, so every column fits across the page with many models
            st.dataframe(mp.display_table(ev, part), placeholder="N/A", column_config=mp.table_columns(ev, part))
        st.caption(t("models.results_hint"))

        st.markdown(f"**{t('models.summary')}**")
        st.markdown("\n".join(f"- {line}" for line in mp.plain_summary(ev) + mp.skipped_lines(run.get("refused"))))

        st.markdown(f"**{t('models.charts')}**")
        cols = mp.metric_columns(ev)
        g1, g2 = st.columns(2)
        with g1:
            bar_metric = st.selectbox(
                t("models.bar_metric"),
                cols + ["fit_seconds", "test_seconds"],
                format_func=mp.metric_name,
                key=K.MODELS_BAR_METRIC,
            )
            st.plotly_chart(mp.bar_chart(ev, bar_metric), key=K.MODELS_CHART_BAR)
        with g2:
            st.session_state.setdefault(K.MODELS_CURVE_METRIC, "ndcg")
            curve_metric = st.selectbox(
                t("models.curve_metric"),
                ["precision", "recall", "ndcg", "map", "hit_rate"],
                format_func=mp.metric_name,
                key=K.MODELS_CURVE_METRIC,
            )
            st.plotly_chart(mp.curves_chart(ev, curve_metric), key=K.MODELS_CHART_CURVES)
        g3, g4 = st.columns(2)
        with g3:
            acc = [c for c in cols if c.split("@")[0] in ("rmse", "mae", "ndcg", "precision", "recall", "map")]
            trade_metric = st.selectbox(
                t("models.trade_metric"), acc, format_func=mp.metric_name, key=K.MODELS_TRADE_METRIC
            )
            st.plotly_chart(mp.tradeoff_chart(ev, trade_metric), key=K.MODELS_CHART_TRADE)
        with g4:
            fig = mp.learning_chart(ev)
            if fig is None:
                st.caption(t("models.learning_none"))
            else:
                st.plotly_chart(fig, key=K.MODELS_CHART_LEARNING)

        st.markdown(f"**{t('models.sig_title')}**")
        models_run = ev.models
        s1, s2, s3, s4 = st.columns(4)
        with s1:
            a = st.selectbox(t("models.sig_a"), models_run, format_func=mp.model_label, key=K.MODELS_SIG_A)
        with s2:
            if st.session_state.get(K.MODELS_SIG_B) not in models_run:
                st.session_state[K.MODELS_SIG_B] = models_run[min(1, len(models_run) - 1)]
            b = st.selectbox(t("models.sig_b"), models_run, format_func=mp.model_label, key=K.MODELS_SIG_B)
        with s3:
            sig_metric = st.selectbox(t("models.sig_metric"), cols, format_func=mp.metric_name, key=K.MODELS_SIG_METRIC)
        with s4:
            by = st.radio(
                t("models.sig_by"),
                ["fold", "user"],
                format_func=lambda v: t(f"models.by_{v}"),
                key=K.MODELS_SIG_BY,
                horizontal=True,
            )
        if a == b:
            st.caption(t("models.sig_same"))
        else:
            text, p = mp.significance_text(ev, a, b, sig_metric, by)
            (st.success if p == p and p < 0.05 else st.info)(text)

        with st.expander(t("models.per_fold")):
            per_fold = mp.per_fold_frame(ev)
            st.dataframe(per_fold, hide_index=True)
            st.download_button(
                t("common.download_csv"),
                Lab.table_csv(per_fold),
                file_name=f"cinelens_models_{version}.csv",
                mime="text/csv",
                key=K.MODELS_DOWNLOAD,
            )

        st.markdown(f"**{t('models.save_title')}**")
        to_save = st.multiselect(
            t("models.save_pick"),
            models_run,
            format_func=mp.model_label,
            key=K.MODELS_SAVE_PICK,
            placeholder=t("models.pick_placeholder"),
        )
        if st.button(t("models.save"), key=K.MODELS_SAVE, disabled=not to_save or not auth.allowed("train")):
            with st.status(t("models.saving"), expanded=True) as status:
                bar = st.progress(0.0)
                try:
                    saved = mp.save_models(ds, ev, to_save, run["configs"], progress_into(bar))
                except FAILURES as e:
                    status.update(label=t("models.failed"), state="error")
                    st.error(t("common.error", msg=one_line(e)))
                else:
                    status.update(label=t("models.saved_all"), state="complete")
                    for r in saved:
                        st.success(t("models.saved", model=r.label, model_id=r.model_id, seconds=r.seconds))

# ============================================================================ tuning
for _ in opened(tab_tune):
    tunable = [m for m in mp.available_models() if mp.tunable_params(m)]
    u1, u2, u3 = st.columns(3)
    with u1:
        tname = st.selectbox(t("models.tune_model"), tunable, format_func=mp.model_label, key=K.MODELS_TUNE_MODEL)
    metric_options = (["rmse", "mae"] if mp.predicts_ratings(tname) else []) + [
        "ndcg",
        "precision",
        "recall",
        "map",
        "hit_rate",
    ]
    with u2:
        tmetric = st.selectbox(
            t("models.tune_metric"), metric_options, format_func=mp.metric_name, key=K.MODELS_TUNE_METRIC
        )
        tfolds = st.slider(t("models.tune_folds"), 2, 5, 3, key=K.MODELS_TUNE_FOLDS)
    with u3:
        method = st.radio(
            t("models.tune_method"),
            ["grid", "random"],
            format_func=lambda v: t(f"models.search.{v}"),
            key=K.MODELS_TUNE_METHOD,
            horizontal=True,
        )
        n_iter = st.number_input(t("models.tune_iter"), 2, 50, 8, key=K.MODELS_TUNE_ITER, disabled=method != "random")

    space, bad = {}, None
    for j, (p, d) in enumerate(mp.tunable_params(tname).items()):
        on_key, val_key = mp.tune_key(tname, p, "on"), mp.tune_key(tname, p, "values")
        st.session_state.setdefault(on_key, j < 2)
        st.session_state.setdefault(val_key, mp.default_space_text(d, mp.param_choices(tname).get(p)))
        pc1, pc2 = st.columns([1, 3])
        with pc1:
            use = st.checkbox(t("models.tune_on", param=p), key=on_key)
        with pc2:
            text = st.text_input(
                t("models.tune_values", param=p), key=val_key, disabled=not use, help=t("models.tune_values_help")
            )
        if use:
            try:
                space[p] = mp.parse_space_text(text, d)
            except (ValueError, TypeError) as e:
                bad = f"{p}: {one_line(e)}"
    if bad:
        st.error(t("common.error", msg=bad))
    too_large = None
    tune_clicked = st.button(
        t("models.tune_run"),
        key=K.MODELS_TUNE_RUN,
        type="primary",
        disabled=bool(bad) or not space or not auth.allowed("train"),
    )
    if tune_clicked:
        base = mp.params_from_state(tname)
        seed, k = st.session_state.get(K.MODELS_SEED, 0), st.session_state.get(K.MODELS_K, 10)
        tprotocol = {"split": "kfold", "folds": int(tfolds), "seed": int(seed), "k": int(k)}
        too_large = mp.tuning_refusal(ds, tname, base, space, method, int(n_iter), int(seed))
    if too_large:  # checked before the search starts: nothing is fitted
        st.error(too_large)
    elif tune_clicked:
        with st.status(t("models.tuning"), expanded=True) as status:
            bar = st.progress(0.0)
            try:
                res = mp.run_tuning(
                    ds, version, tname, base, space, method, int(n_iter), tprotocol, tmetric, progress_into(bar)
                )
            except FAILURES as e:
                status.update(label=t("models.failed"), state="error")
                st.error(t("common.error", msg=one_line(e)))
            else:
                st.session_state[K.MODELS_TUNING] = {"version": version, "result": res}
                status.update(label=t("models.tuned"), state="complete", expanded=False)
    elif not space:
        st.caption(t("models.tune_pick_one"))

    tuned = st.session_state.get(K.MODELS_TUNING)
    if tuned and tuned["version"] == version:
        res = tuned["result"]
        st.success(
            t(
                "models.tune_best",
                params=mp.params_text(res.best_params),
                metric=mp.metric_name(res.metric),
                score=res.best_score,
            )
        )
        st.button(
            t("models.tune_apply"),
            key=K.MODELS_TUNE_APPLY,
            on_click=mp.set_params_in_form,
            args=(res.model, res.best_params),
        )
        st.dataframe(mp.tuning_frame(res), hide_index=True)
        if res.param_names:
            pchart = st.selectbox(t("models.tune_chart_param"), res.param_names, key=K.MODELS_TUNE_PARAM_CHART)
            st.plotly_chart(mp.tuning_chart(res, pchart), key=K.MODELS_CHART_TUNING)

# ============================================================================ registry
for _ in opened(tab_reg):
    st.markdown(f"**{t('models.registry_title')}**")
    ws = workspace()
    reg = mp.registry_frame(version)
    if reg.empty:
        st.info(t("models.registry_empty"))
    else:
        st.dataframe(reg.rename(columns={"model_id": t("models.model_id")}), hide_index=True, placeholder="N/A")
        names = dict(zip(reg["model_id"], reg[t("rec.col.model_name")], strict=True))
        pick = st.selectbox(
            t("models.registry_pick"),
            reg["model_id"].tolist(),
            key=K.MODELS_REG_PICK,
            format_func=lambda m, n=names: f"{m} · {n.get(m, '')}",
        )
        if st.button(t("models.registry_load"), key=K.MODELS_REG_LOAD):
            try:
                model, secs = mp.load_registered(ws, pick)
            except FAILURES as e:
                st.error(t("common.error", msg=one_line(e)))
            else:
                st.session_state[K.MODELS_LOADED] = {
                    "model_id": pick,
                    "name": model.name,
                    "seconds": secs,
                    "sample": mp.sample_recommendations(model, ds),
                }
        loaded = st.session_state.get(K.MODELS_LOADED)
        if loaded and loaded["model_id"] in set(reg["model_id"]):
            st.success(
                t(
                    "models.loaded",
                    model=f"{mp.model_label(loaded['name'])} ({loaded['model_id']})",
                    seconds=loaded["seconds"],
                )
            )
            user, table = loaded["sample"]
            if user is not None:
                st.markdown(t("models.sample_recs", user=user))
                st.dataframe(table, hide_index=True)
