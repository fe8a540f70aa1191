"""Promotion: box-office forecast, campaign lift, ad response, an audience plan, buzz around release."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from recsys_core.app import promotion as PL
from recsys_core.errors import UserError
from ui import auth
from ui import promotion as U
from ui.data_page import session_who
from ui.i18n import lang, t
from ui.reviews import page_link, sticky_radio
from ui.services import lab, require_dataset
from ui.state import K, init_state, keep_widgets, lazy_tabs, opened

init_state()
keep_widgets("promo_")
st.title(f":material/campaign: {t('nav.promotion')}")
st.caption(t("promo.intro"))
ds = require_dataset()
version = ds.version
tabs, source, errors = U.tables(ds)


def need(*kinds) -> bool:
    """Say which tables a section needs and which are missing; True when all are there."""
    missing = [k for k in kinds if k not in tabs]
    if missing:
        st.info(
            t(
                "promo.need",
                tables="、".join(t(U.KIND_KEYS[k]) for k in missing)
                if lang() == "zh"
                else ", ".join(t(U.KIND_KEYS[k]) for k in missing),
            )
        )
        return False
    return True


def progress_bar(label: str):
    bar = st.progress(0.0, text=label)

    def cb(k, n, what=""):
        bar.progress(min(1.0, (k + 1) / max(n, 1)), text=f"{label} {what}")

    return cb


t_data, t_bo, t_camp, t_resp, t_plan, t_buzz = lazy_tabs(
    [
        t("promo.tab.data"),
        t("promo.tab.forecast"),
        t("promo.tab.campaign"),
        t("promo.tab.response"),
        t("promo.tab.plan"),
        t("promo.tab.buzz"),
    ],
    K.PROMO_TABS,
)

# ---------------------------------------------------------------------------- tables
for _ in opened(t_data):
    st.markdown(t("promo.data.help"))
    st.dataframe(
        U.status_frame(tabs, source, errors),
        hide_index=True,
        width="stretch",
        column_config={t("promo.col.source"): st.column_config.TextColumn(width="medium")},  # "could not be read"
    )
    for kind, msg in errors.items():
        st.error(t("promo.data.bad", table=t(U.KIND_KEYS[kind]), msg=msg))
    cols = st.columns(2)
    for k, kind in enumerate(U.UPLOAD_KEYS):
        with cols[k % 2]:
            st.file_uploader(
                t(U.KIND_KEYS[kind]),
                type=["csv", "tsv", "txt", "xlsx", "json", "parquet"],
                key=U.UPLOAD_KEYS[kind],
                on_change=U.remember_upload,
                args=(kind,),
            )
            U.mapping_widgets(kind)
    st.caption(t("promo.data.uploader_zh"))
    page_link("views/1_data.py", t("common.go_data"), ":material/folder_open:")

# ---------------------------------------------------------------------------- box office
for _ in opened(t_bo):
    st.caption(t("promo.bo.help"))
    if need("films"):
        films = PL.forecast_films(
            tabs["films"].frame, tabs["box_office_daily"].frame if "box_office_daily" in tabs else None
        )
        targets = PL.forecast_targets(films)
        c1, c2, c3 = st.columns([2, 2, 1])
        target = U.sticky_select(c1, t("promo.bo.target"), targets, K.PROMO_BO_TARGET, U.feature_name)
        post = c2.checkbox(t("promo.bo.include_post"), key=K.PROMO_BO_POST, help=t("promo.bo.include_post_help"))
        c3.write("")
        if c3.button(t("promo.bo.run"), key=K.PROMO_BO_GO, type="primary"):
            with st.status(t("promo.bo.running"), expanded=True) as status:
                try:
                    res = PL.forecast(
                        films, target=target, include_post_release=post, progress=progress_bar(t("promo.bo.running"))
                    )
                    st.session_state[K.PROMO_BO] = {"sig": U.signature(tabs["films"]), "res": res}
                    status.update(label=t("promo.bo.done", n=res.n_films), state="complete", expanded=False)
                except UserError as e:
                    status.update(label=t("common.error", msg=e), state="error")
        run = st.session_state.get(K.PROMO_BO)
        if run and run["sig"] == U.signature(tabs["films"]):
            res = run["res"]
            m, b = res.metrics, res.baseline
            a1, a2, a3, a4 = st.columns(4)
            a1.metric(
                t("promo.bo.r2"), f"{m['r2']:.3f}", f"{m['r2'] - b['r2']:+.3f} {t('promo.bo.vs_budget')}" if b else None
            )
            a2.metric(
                t("promo.bo.mae"), U.money(m["mae"]), U.money(m["mae"] - b["mae"]) if b else None, delta_color="inverse"
            )
            a3.metric(
                t("promo.bo.within"),
                f"{m['within_50pct']:.0%}",
                f"{m['within_50pct'] - b['within_50pct']:+.0%}" if b else None,
            )
            a4.metric(t("promo.bo.coverage"), f"{m['interval_coverage']:.0%}", help=t("promo.bo.coverage_help"))
            if b:
                st.caption(t("promo.bo.baseline", r2=b["r2"], mae=U.money(b["mae"]), within=b["within_50pct"]))
            else:
                st.caption(t("promo.bo.no_budget"))
            ex = res.features_excluded_as_post_release
            if ex:
                why = ", ".join(
                    f"{c}（{t('promo.bo.by_' + r)}）" if lang() == "zh" else f"{c} ({t('promo.bo.by_' + r)})"
                    for c, r in ex.items()
                )
                st.warning(t("promo.bo.excluded", cols=why))
            elif res.include_post_release:
                st.warning(t("promo.bo.included"))
            if res.other_way:
                o = res.other_way
                st.info(
                    t(
                        "promo.bo.other_way_in" if o["include_post_release"] else "promo.bo.other_way_out",
                        r2=o["r2"],
                        now=m["r2"],
                    )
                )
            st.plotly_chart(U.forecast_scatter(res.predictions), key=K.PROMO_BO_SCATTER)
            g1, g2 = st.columns(2)
            g1.plotly_chart(U.importance_chart(res.importance), key=K.PROMO_BO_IMP)
            pdp = U.pdp_chart(res.partial_dependence, res.spec.log_columns)
            if pdp is not None:
                g2.plotly_chart(pdp, key=K.PROMO_BO_PDP)
            st.subheader(t("promo.bo.whatif"))
            with st.form(K.PROMO_WHATIF):
                used = res.spec.used
                vals = {}
                f1, f2, f3 = st.columns(3)
                if "budget" in used:
                    vals["budget"] = f1.number_input(
                        t("promo.feat.budget"),
                        min_value=0.0,
                        value=float(films["budget"].median()),
                        step=1e6,
                        format="%.0f",
                    )
                if "release_date" in used:
                    vals["release_date"] = str(
                        f2.date_input(t("promo.feat.release_date"), value=pd.Timestamp("2026-02-10"))
                    )
                if "runtime" in used:
                    vals["runtime"] = f3.number_input(t("promo.feat.runtime"), min_value=40, max_value=240, value=115)
                if "genres" in used:
                    vals["genres"] = "|".join(
                        f1.multiselect(
                            t("promo.feat.genres"),
                            res.spec.genre_values,
                            default=res.spec.genre_values[:1],
                            format_func=U.genre_text,
                        )
                    )
                for c, col in (("certificate", f2), ("distributor", f3)):
                    if c in res.spec.categories:
                        vals[c] = col.selectbox(U.feature_name(c), res.spec.categories[c])
                for c, col in (("want_to_see", f1), ("trailer_views", f2), ("social_mentions", f3)):
                    if c in used:
                        vals[c] = col.number_input(
                            U.feature_name(c), min_value=0.0, value=float(films[c].median()), format="%.0f"
                        )
                submitted = st.form_submit_button(t("promo.bo.predict"))
            if submitted:
                p = PL.what_if(res, vals)
                st.success(
                    t("promo.bo.whatif_result", p=U.money(p["predicted"]), lo=U.money(p["lo"]), hi=U.money(p["hi"]))
                )
        else:
            st.info(t("promo.bo.need_run"))

# ---------------------------------------------------------------------------- campaign
for _ in opened(t_camp):
    st.caption(t("promo.camp.help"))
    if need("exposures"):
        ex = tabs["exposures"].frame
        cs = PL.campaigns(ex)
        labels = {r.campaign: t(f"promo.camp.kind.{r.analysis}", c=r.campaign, n=r.users) for r in cs.itertuples()}
        c1, c2, c3 = st.columns([2, 2, 1])
        camp = U.sticky_select(c1, t("promo.camp.pick"), cs["campaign"].tolist(), K.PROMO_CAMP, labels.get)
        kind = cs.set_index("campaign").loc[camp, "analysis"]
        spend = c2.number_input(
            t("promo.camp.spend"), value=None, min_value=0.0, key=K.PROMO_SPEND, help=t("promo.camp.spend_help")
        )
        c3.write("")
        if c3.button(t("promo.camp.run"), key=K.PROMO_CAMP_GO, type="primary"):
            with st.status(t("promo.camp.running"), expanded=True) as status:
                try:
                    if kind != "randomised" and "behaviour" not in tabs:
                        raise UserError(t("promo.camp.need_behaviour"))
                    mem, names = U.ensure_segments(version)
                    res = PL.analyse_campaign(
                        ex,
                        camp,
                        spend=spend,
                        behaviour=tabs["behaviour"].frame if "behaviour" in tabs else None,
                        features=U.user_features(version, mem),
                        describe=PL.describe_users(ds, mem, names),
                        segments=mem.assign(segment=mem["segment"].map(names)) if mem is not None else None,
                    )
                    out = {"sig": U.signature(tabs["exposures"]), "campaign": camp, "kind": kind}
                    out.update(
                        {
                            k: v
                            for k, v in (("lift", res.lift), ("uplift", res.uplift), ("did", res.did))
                            if v is not None
                        }
                    )
                    st.session_state[K.PROMO_CAMP_RES] = out
                    status.update(label=t("promo.camp.done"), state="complete", expanded=False)
                except UserError as e:
                    status.update(label=t("common.error", msg=e), state="error")
        run = st.session_state.get(K.PROMO_CAMP_RES)
        if run and run["sig"] == U.signature(tabs["exposures"]) and run["campaign"] == camp:
            if "lift" in run:
                s = run["lift"].summary()
                a1, a2, a3, a4 = st.columns(4)
                a1.metric(
                    t("promo.camp.uplift"),
                    f"{s['uplift']:+.2%}",
                    t("promo.camp.ci_short", lo=s["ci_low"], hi=s["ci_high"]),
                    delta_color="off",
                )
                a2.metric(t("promo.camp.rates_label"), f"{s['rate_test']:.1%} / {s['rate_control']:.1%}")
                a3.metric(t("promo.camp.incremental"), f"{s['incremental']:.1f}")
                a4.metric(t("promo.camp.cpi"), U.money(s["cost_per_incremental"]) if s["cost_per_incremental"] else "—")
                st.caption(
                    t(
                        "promo.camp.tests",
                        p=s["p_value"],
                        bl=s["boot_ci_low"],
                        bh=s["boot_ci_high"],
                        bp=s["boot_p_value"],
                        nt=s["n_test"],
                        nc=s["n_control"],
                        spend=U.money(s["spend"]),
                    )
                )
                lift = run["lift"]
                if lift.by_channel is not None and len(lift.by_channel):
                    st.plotly_chart(
                        U.channel_chart(
                            lift.by_channel.assign(channel=lift.by_channel["channel"].map(U.channel_label))
                        ),
                        key=K.PROMO_CAMP_CH,
                    )
                if lift.by_segment is not None and len(lift.by_segment):
                    st.markdown(f"**{t('promo.camp.by_segment')}**")
                    seg = lift.by_segment.rename(
                        columns={
                            "segment": t("promo.trait.segment"),
                            "uplift": t("promo.camp.uplift"),
                            "ci_low": t("promo.col.ci_low"),
                            "ci_high": t("promo.col.ci_high"),
                            "n_test": t("promo.col.n_test"),
                            "n_control": t("promo.col.n_control"),
                        }
                    )
                    st.dataframe(
                        seg.drop(columns=["rate_test", "rate_control", "p_value"]).style.format(precision=3),
                        hide_index=True,
                        width="stretch",
                    )
                up = run["uplift"]
                st.markdown(f"**{t('promo.camp.model')}**")
                st.caption(t("promo.camp.model_help", top=up.top_observed, rest=up.rest_observed))
                if len(up.by_group):
                    g = up.by_group.head(8).copy()
                    g["feature"] = g["feature"].map(lambda f: t(f"promo.trait.{f}"))
                    g["value"] = [
                        U.trait_value(f, v) for f, v in zip(up.by_group.head(8)["feature"], g["value"], strict=True)
                    ]
                    g = g.rename(
                        columns={
                            "feature": t("promo.col.trait"),
                            "value": t("promo.col.value"),
                            "users": t("promo.col.users"),
                            "predicted_uplift": t("promo.col.pred_uplift"),
                            "observed_uplift": t("promo.col.obs_uplift"),
                        }
                    )
                    st.dataframe(g.style.format(precision=3), hide_index=True, width="stretch")
            else:
                d = run["did"]
                st.warning(t("promo.camp.weaker"))
                a1, a2 = st.columns(2)
                a1.metric(
                    t("promo.camp.did"),
                    f"{d.did:+.3f}",
                    t("promo.camp.ci_num", lo=d.ci_low, hi=d.ci_high),
                    delta_color="off",
                )
                a2.metric(t("promo.camp.naive"), f"{d.naive_after_gap:+.3f}")
                st.caption(t("promo.camp.did_help", n=d.n_exposed, m=d.n_matched, days=d.window_days))
                st.plotly_chart(U.did_chart(d), key=K.PROMO_CAMP_DID)
        else:
            st.info(t("promo.camp.need_run"))

# ---------------------------------------------------------------------------- ad response
for _ in opened(t_resp):
    st.caption(t("promo.resp.help"))
    if need("exposures"):
        c1, c2 = st.columns([3, 1])
        with c1:
            target = sticky_radio(
                t("promo.resp.target"),
                ["converted", "click"],
                K.PROMO_RESP_TARGET,
                lambda v: t(f"promo.resp.t.{v}"),
                horizontal=True,
            )
        c2.write("")
        if c2.button(t("promo.resp.run"), key=K.PROMO_RESP_GO, type="primary"):
            with st.status(t("promo.resp.running"), expanded=True) as status:
                try:
                    mem, _ = U.ensure_segments(version)
                    resp = PL.ad_response(
                        tabs["exposures"].frame,
                        U.user_features(version, mem),
                        target=target,
                        progress=progress_bar(t("promo.resp.running")),
                    )
                    st.session_state[K.PROMO_RESP] = {
                        "sig": U.signature(tabs["exposures"]),
                        "res": resp.result,
                        "scores": resp.scores,
                    }
                    status.update(label=t("promo.resp.done"), state="complete", expanded=False)
                except UserError as e:
                    status.update(label=t("common.error", msg=e), state="error")
        run = st.session_state.get(K.PROMO_RESP)
        if run and run["sig"] == U.signature(tabs["exposures"]):
            res = run["res"]
            tab = res.table.assign(model=res.table["model"].map(lambda m: t(f"promo.model.{m}")))
            tab = tab.rename(
                columns={
                    "model": t("promo.col.model"),
                    "auc": "AUC",
                    "lift_at_10pct": t("promo.col.lift10"),
                    "brier": "Brier",
                }
            )
            st.dataframe(tab.style.format(precision=3), hide_index=True, width="stretch")
            st.caption(t("promo.resp.chosen", model=t(f"promo.model.{res.default}")))
            st.plotly_chart(U.calibration_chart(res.calibration), key=K.PROMO_RESP_CAL)
        else:
            st.info(t("promo.resp.need_run"))

# ---------------------------------------------------------------------------- audience plan
for _ in opened(t_plan):
    st.caption(t("promo.plan.help"))
    titles = ds.item_titles()
    items, default_item = PL.plan_films(ds, tabs["exposures"].frame if "exposures" in tabs else None)
    if st.session_state.get(K.PROMO_PLAN_ITEM) not in items:
        st.session_state[K.PROMO_PLAN_ITEM] = default_item
    c1, c2 = st.columns([3, 2])
    item = c1.selectbox(
        t("promo.plan.film"),
        items,
        key=K.PROMO_PLAN_ITEM,
        format_func=lambda i, titles=titles: f"{titles.get(i, i)} ({i})",
    )
    share = c2.slider(t("promo.plan.share"), 0.01, 0.5, 0.1, 0.01, key=K.PROMO_PLAN_SHARE, format="%.2f")
    d1, d2, d3, d4 = st.columns(4)
    budget = d1.number_input(
        t("promo.plan.budget"), min_value=0.0, value=None, key=K.PROMO_PLAN_BUDGET, help=t("promo.plan.budget_help")
    )
    cpm = d2.number_input(t("promo.plan.cpm"), min_value=0.0, value=40.0, key=K.PROMO_PLAN_CPM)
    freq = d3.number_input(t("promo.plan.freq"), min_value=0.0, value=3.0, key=K.PROMO_PLAN_FREQ)
    conv = d4.number_input(
        t("promo.plan.conv"),
        min_value=0.0,
        max_value=1.0,
        value=0.02,
        step=0.005,
        format="%.3f",
        key=K.PROMO_PLAN_CONV,
        help=t("promo.plan.conv_help"),
    )
    resp_run = st.session_state.get(K.PROMO_RESP)
    use_resp = st.checkbox(
        t("promo.plan.use_resp"),
        value=resp_run is not None,
        key=K.PROMO_PLAN_RESP,
        disabled=resp_run is None,
        help=t("promo.plan.use_resp_help"),
    )
    b1, b2 = st.columns(2)
    if b1.button(t("promo.plan.validate"), key=K.PROMO_PLAN_VALIDATE):
        with st.status(t("promo.plan.validating"), expanded=True) as status:
            try:
                v = PL.validate_scorers(ds, progress=progress_bar(t("promo.plan.validating")))
                st.session_state[K.PROMO_PLAN_VAL] = {"version": version, **v}
                status.update(label=t("promo.plan.validated"), state="complete", expanded=False)
            except UserError as e:
                status.update(label=t("common.error", msg=e), state="error")
    val = st.session_state.get(K.PROMO_PLAN_VAL)
    scorer = "neighbour"
    if val and val["version"] == version:
        lifts = val["lifts"]
        scorer = val["best"] if val["best"] != "popularity" else "popularity"
        msg = ", ".join(f"{t('promo.scorer.' + k)} {v:.2f}" for k, v in lifts.items())
        if val["best"] == "popularity":
            st.warning(t("promo.plan.val_pop", lifts=msg))
        else:
            st.success(
                t(
                    "promo.plan.val_ok",
                    lifts=msg,
                    best=t("promo.scorer." + val["best"]),
                    ratio=lifts[val["best"]] / lifts["popularity"],
                )
            )
    else:
        st.caption(t("promo.plan.val_need"))
    if b2.button(t("promo.plan.run"), key=K.PROMO_PLAN_GO, type="primary"):
        with st.status(t("promo.plan.running"), expanded=True) as status:
            try:
                mem, names = U.ensure_segments(version)
                by_ch = None
                camp = st.session_state.get(K.PROMO_CAMP_RES)
                if camp and "lift" in camp:
                    by_ch = camp["lift"].by_channel
                plan = PL.audience_plan(
                    ds,
                    mem,
                    {k: str(k) for k in names},  # ids; named at display
                    item_id=item,
                    scorer=scorer,
                    response=resp_run["scores"] if (use_resp and resp_run) else None,
                    behaviour=tabs["behaviour"].frame if "behaviour" in tabs else None,
                    by_channel=by_ch,
                    audience_share=share,
                    budget=budget if budget else None,
                    cpm=cpm,
                    frequency=freq,
                    conv_rate=conv,
                )
                st.session_state[K.PROMO_PLAN] = {"version": version, "plan": plan}
                status.update(label=t("promo.plan.done", n=plan.audience_size), state="complete", expanded=False)
            except UserError as e:
                status.update(label=t("common.error", msg=e), state="error")
    run = st.session_state.get(K.PROMO_PLAN)
    if run and run["version"] == version:
        plan = run["plan"]
        st.markdown(
            f"#### {t('promo.plan.result', title=titles.get(plan.item_id, plan.item_id), n=plan.audience_size, pool=len(plan.table))}"
        )
        st.caption(
            t(
                "promo.plan.scorer_used",
                scorer=t("promo.scorer." + plan.scorer),
                resp=t("promo.plan.with_resp") if plan.uses_response else "",
            )
        )
        seg_names = {str(k): v for k, v in U.ensure_segments(version)[1].items()}  # in the UI language
        st.session_state[K.PROMO_SEG_NAMES] = seg_names
        if plan.persona:
            parts = [
                f"**{U.trait_value(p['trait'], p['value'])}** ×{p['index']:.2f}（{p['users']}）"
                if lang() == "zh"
                else f"**{U.trait_value(p['trait'], p['value'])}** ×{p['index']:.2f} ({p['users']})"
                for p in plan.persona
            ]
            st.markdown(t("promo.plan.persona", traits=" · ".join(parts), min=plan.params["min_size"]))
        else:
            st.info(t("promo.plan.no_persona", min=plan.params["min_size"]))
        if len(plan.mix):
            st.plotly_chart(U.mix_chart(plan.mix), key=K.PROMO_PLAN_MIX)
        reach = plan.reach.copy()
        reach["cutoff"] = reach["cutoff"].map(lambda c: f"{c:.0%}")
        reach["cost"] = reach["cost"].map(U.money)
        reach["cost_per_incremental"] = reach["cost_per_incremental"].map(U.money)
        reach = reach.rename(
            columns={
                "cutoff": t("promo.col.cutoff"),
                "users": t("promo.col.users"),
                "impressions": t("promo.col.impressions"),
                "cost": t("promo.col.cost"),
                "response_index": t("promo.col.resp_index"),
                "expected_incremental": t("promo.col.exp_inc"),
                "cost_per_incremental": t("promo.col.cpi"),
            }
        )
        st.markdown(f"**{t('promo.plan.reach')}**")
        st.dataframe(reach.style.format(precision=2), hide_index=True, width="stretch")
        if plan.channels is not None:
            ch = plan.channels.head(3)
            slots = plan.slots.head(3)
            st.success(
                t(
                    "promo.plan.best",
                    channels=("、" if lang() == "zh" else ", ").join(ch["channel"].map(U.channel_label)),
                    slots="、".join(f"{t('promo.slot.' + r.day)} {r.slot}" for r in slots.itertuples())
                    if lang() == "zh"
                    else ", ".join(f"{t('promo.slot.' + r.day)} {r.slot}" for r in slots.itertuples()),
                )
            )
            g1, g2 = st.columns(2)
            chan = plan.channels.assign(channel=plan.channels["channel"].map(U.channel_label))
            chan = chan.rename(
                columns={
                    "channel": t("promo.col.channel"),
                    "audience_share": t("promo.col.aud_share"),
                    "population_share": t("promo.col.pop_share"),
                    "index": t("promo.col.index"),
                    "uplift": t("promo.camp.uplift"),
                }
            )
            pct = {
                t("promo.col.aud_share"): "{:.1%}",
                t("promo.col.pop_share"): "{:.1%}",
                t("promo.col.index"): "{:.2f}",
            }
            if "uplift" in plan.channels:
                pct[t("promo.camp.uplift")] = "{:+.1%}"
            g1.dataframe(chan.style.format(pct, na_rep="—"), hide_index=True, width="stretch")
            g2.plotly_chart(U.heatmap_chart(plan.heatmap), key=K.PROMO_PLAN_HEAT)
        st.markdown(f"**{t('promo.plan.export')}**")
        st.file_uploader(
            t("promo.plan.contacts"),
            type=["csv", "xlsx", "txt"],
            key=K.PROMO_CONTACTS,
            help=t("promo.plan.contacts_help"),
        )
        contacts = None
        up = st.session_state.get(K.PROMO_CONTACTS)
        if up is not None:
            try:
                contacts = PL.contacts_from_upload(up.name, up.getvalue())
                st.caption(t("promo.plan.contacts_ok", cols=", ".join(c for c in contacts.columns if c != "user_id")))
            except UserError as e:
                st.error(t("common.error", msg=e))
        who = session_who()

        def data(plan=plan, contacts=contacts, seg_names=seg_names, who=who):  # built when clicked, recorded in the log
            return lab().export_plan(plan, who, contacts, segment_names=seg_names)

        st.download_button(
            t("promo.plan.download"),
            data,
            file_name=f"audience_plan_{plan.item_id}.csv",
            mime="text/csv",
            key=K.PROMO_PLAN_DL,
            on_click="ignore",
            disabled=not auth.allowed("export"),
        )
        st.caption(t("promo.plan.export_help"))
    else:
        st.info(t("promo.plan.need_run"))

# ---------------------------------------------------------------------------- buzz
for _ in opened(t_buzz):
    st.caption(t("promo.buzz.help"))
    daily = tabs["box_office_daily"].frame if "box_office_daily" in tabs else None
    titles = ds.item_titles()
    choices = PL.buzz_films(ds, daily)
    if not choices:
        st.info(t("promo.buzz.none"))
    else:
        item = st.selectbox(
            t("promo.plan.film"),
            choices,
            key=K.PROMO_BUZZ_ITEM,
            format_func=lambda i, titles=titles: f"{titles.get(i, i)} ({i})",
        )
        run = lab().buzz(ds, item, tabs["films"].frame if "films" in tabs else None, daily)
        s = run.summary
        a1, a2, a3, a4 = st.columns(4)
        a1.metric(t("promo.buzz.reviews_after"), s["reviews_after"])
        a2.metric(
            t("promo.buzz.rating_after"), "—" if pd.isna(s["mean_rating_after"]) else f"{s['mean_rating_after']:.2f}"
        )
        a3.metric(t("promo.buzz.gross_total"), U.money(s["gross_total"]))
        a4.metric(t("promo.buzz.corr"), "—" if pd.isna(s["reviews_gross_corr"]) else f"{s['reviews_gross_corr']:.2f}")
        st.plotly_chart(U.buzz_chart(run.frame), key=K.PROMO_BUZZ_CHART)
        if not run.has_sentiment:
            st.caption(t("promo.buzz.no_sentiment"))
            page_link("views/3_reviews.py", t("nav.reviews"), ":material/reviews:")
        if daily is None:
            st.caption(t("promo.buzz.no_daily"))
