"""Audience: user profiles, segments with personas, behaviour prediction, a film's target audience."""

from __future__ import annotations

import streamlit as st

from recsys_core.app import lists as L
from ui import audience as U
from ui import auth, budget, spark_results
from ui.data_page import session_who
from ui.i18n import region_label, t
from ui.markup import md_text
from ui.services import lab, require_dataset, workspace
from ui.state import K, init_state, keep_choices, keep_widgets, lazy_tabs, opened

init_state()
keep_widgets("aud_")
keep_choices("audience", U.LANGUAGE_LABELLED)
st.title(f":material/groups: {t('nav.audience')}")
st.caption(t("aud.intro"))
ds = require_dataset()
version = ds.version
ws = workspace()

tab_prof, tab_seg, tab_beh, tab_tgt, tab_spark = lazy_tabs(
    [t("aud.tab.profiles"), t("aud.tab.segments"), t("aud.tab.behaviour"), t("aud.tab.target"), t("spark.tab")],
    K.AUD_TABS,
)


def _run_audience(req: dict) -> None:
    """Fit the scorer (under the session's memory and time budgets) and rank the audience; keep the request."""
    with st.status(t("aud.tgt.running"), expanded=False) as status:
        try:
            with budget.scope():
                U.audience(req["version"], req["model"], req["item"], req["genres"], req["keywords"])
            st.session_state[K.AUD_TGT_RUN] = req
            status.update(label=t("aud.tgt.done"), state="complete")
        except ValueError as e:
            st.session_state[K.AUD_TGT_RUN] = None
            status.update(label=t("common.error", msg=e), state="error")


def profile_options() -> tuple[bool, bool]:
    """(review keywords, text sentiment) as ticked on the Profiles tab."""
    return bool(st.session_state.get(K.AUD_TAGS)), bool(st.session_state.get(K.AUD_TEXT_SENT))


def ready_profiles():
    """Profiles of this version once computed in this session (behind the button), else None."""
    run = st.session_state.get(K.AUD_PROFILES_RUN)
    if run and run[0] == version:
        return U.profiles(version, run[1])
    return None


# ---------------------------------------------------------------------------- profiles
for _ in opened(tab_prof):
    c1, c2, c3 = st.columns([2, 2, 1])
    with c1:
        st.checkbox(t("aud.prof.tags_opt"), value=False, key=K.AUD_TAGS, help=t("aud.prof.tags_help"))
    with c2:
        st.checkbox(t("aud.prof.text_sent"), value=False, key=K.AUD_TEXT_SENT, help=t("aud.prof.text_sent_help"))
    with c3:
        go = st.button(t("aud.prof.go"), key=K.AUD_PROFILE_GO, type="primary")
    opts = profile_options()
    if go:
        with st.status(t("aud.prof.running"), expanded=False) as status:
            try:
                U.profiles(version, opts)
                st.session_state[K.AUD_PROFILES_RUN] = (version, opts)
                status.update(label=t("aud.prof.done"), state="complete")
            except ValueError as e:
                status.update(label=t("common.error", msg=e), state="error")
    run_p = st.session_state.get(K.AUD_PROFILES_RUN)
    if not run_p or run_p[0] != version:
        # the default view: basic profiles (no jieba, no text model) computed once per version and cached
        try:
            with st.spinner(t("aud.prof.running")):
                U.profiles(version, U.BASIC_PROFILES)
            st.session_state[K.AUD_PROFILES_RUN] = (version, U.BASIC_PROFILES)
        except ValueError as e:
            st.warning(t("common.error", msg=e))
    prof = ready_profiles()
    if prof is not None and st.session_state[K.AUD_PROFILES_RUN][1] == U.BASIC_PROFILES:
        st.caption(t("aud.prof.auto"))
    if prof is None:
        st.info(t("aud.prof.need"))
    else:
        st.subheader(t("aud.prof.population", n=len(prof)))
        pc1, pc2 = st.columns([1, 1])
        with pc1:
            st.dataframe(U.population_table(prof), hide_index=True, key=K.AUD_POP_TABLE)
        with pc2:
            fig = U.population_genre_chart(prof)
            if fig is not None:
                st.plotly_chart(fig, key=K.AUD_POP_GENRES)
        if prof.attrs.get("sentiment_source") == "stars":
            st.caption(t("aud.prof.sentiment_stars"))
        elif prof.attrs.get("sentiment_source") == "text-model":
            st.caption(t("aud.prof.sentiment_text"))
        st.subheader(t("aud.prof.lookup"))
        users = prof["user_id"].tolist()
        if not st.session_state.get(K.AUD_USER):
            st.session_state[K.AUD_USER] = users[0]
        uid = st.text_input(t("aud.prof.user"), key=K.AUD_USER, help=t("aud.prof.user_help")).strip()
        try:
            card = U.card(prof, uid)
        except ValueError as e:
            st.warning(str(e))
            card = None
        if card is not None:
            left, right = st.columns([1, 1])
            with left:
                m = card["metrics"].set_index("metric")
                cols = st.columns(3)
                for k, name in enumerate(["n_ratings", "mean_rating", "harshness"]):
                    if name in m.index:
                        diff = m.loc[name, "user"] - m.loc[name, "population_median"]
                        cols[k].metric(
                            U.metric_label(name),
                            U.short_number(m.loc[name, "user"]),
                            delta=f"{'+' if diff >= 0 else ''}{U.short_number(diff)} {t('aud.prof.vs_median')}",
                            delta_color="off",
                        )
                st.dataframe(U.card_metrics_table(card), hide_index=True, key=K.AUD_CARD_TABLE)
                lists = card["lists"]
                if lists.get("top_genres_label"):
                    st.markdown(f"**{t('aud.prof.top_genres')}**{U.colon()}" + U.sep().join(lists["top_genres_label"]))
                for key_ in ("top_regions", "top_decades", "tags"):
                    if lists.get(key_):
                        shown = map(region_label, lists[key_]) if key_ == "top_regions" else map(str, lists[key_])
                        st.markdown(f"**{t('aud.prof.' + key_)}**{U.colon()}" + U.sep().join(shown))
                if card["demographics"]:
                    st.markdown(
                        f"**{t('aud.prof.demographics')}**{U.colon()}"
                        + U.sep().join(
                            f"{t('aud.demo.' + k)} {U.value_text(v)}" for k, v in card["demographics"].items()
                        )
                    )
            with right:
                fig = U.affinity_chart(card)
                if fig is not None:
                    st.plotly_chart(fig, key=K.AUD_AFF_CHART)
                metrics = card["metrics"]["metric"].tolist()
                dist = st.selectbox(t("aud.prof.dist"), metrics, key=K.AUD_DIST_METRIC, format_func=U.metric_label)
                value = card["metrics"].set_index("metric").loc[dist, "user"]
                st.plotly_chart(U.distribution_chart(prof, dist, value), key=K.AUD_DIST_CHART)

# ---------------------------------------------------------------------------- segments
for _ in opened(tab_seg):
    c1, c2, c3 = st.columns(3)
    with c1:
        algo = st.selectbox(
            t("aud.seg.algo"), ["kmeans", "gmm"], key=K.AUD_SEG_ALGO, format_func=lambda a: t(f"aud.seg.algo.{a}")
        )
    with c2:
        kmode = st.radio(
            t("aud.seg.kmode"),
            ["auto", "fixed"],
            key=K.AUD_SEG_KMODE,
            horizontal=True,
            format_func=lambda m: t(f"aud.seg.kmode.{m}"),
        )
    with c3:
        kval = st.number_input(
            t("aud.seg.k"), min_value=2, max_value=20, value=6, step=1, key=K.AUD_SEG_K, disabled=kmode == "auto"
        )
    c4, c5, c6 = st.columns([1, 1, 1])
    with c4:
        demo_on = st.checkbox(t("aud.seg.demo"), value=True, key=K.AUD_SEG_DEMO)
    with c5:
        rev_on = st.checkbox(t("aud.seg.reviews"), value=False, key=K.AUD_SEG_REVIEWS)
    with c6:
        seg_go = st.button(t("aud.seg.go"), key=K.AUD_SEG_GO, type="primary")
    if st.session_state.pop(K.AUD_SEG_PENDING, False):
        seg_go = True
    if seg_go:
        k_arg = "auto" if kmode == "auto" else int(kval)
        prev = st.session_state.get(K.AUD_SEG_RUN) or {}
        opts = profile_options()
        tags = opts
        with st.status(t("aud.seg.running"), expanded=False) as status:
            try:
                status.write(t("aud.prof.running"))
                U.profiles(version, opts)
                st.session_state[K.AUD_PROFILES_RUN] = (version, opts)
                status.write(t("aud.seg.clustering"))
                res = U.segments(version, opts, algo, k_arg, demo_on, rev_on)
                run_id = lab().save_segments(version, res)
                same = all(
                    prev.get(f) == v
                    for f, v in (
                        ("version", version),
                        ("tags", tags),
                        ("algo", algo),
                        ("demo", demo_on),
                        ("reviews", rev_on),
                    )
                )
                curve = res.curve if res.curve is not None else (prev.get("curve") if same else None)
                st.session_state[K.AUD_SEG_RUN] = {
                    "version": version,
                    "tags": tags,
                    "algo": algo,
                    "k": k_arg,
                    "demo": demo_on,
                    "reviews": rev_on,
                    "run_id": run_id,
                    "curve": curve,
                }
                status.update(label=t("aud.seg.done", k=res.k, run_id=run_id), state="complete")
            except ValueError as e:
                status.update(label=t("common.error", msg=e), state="error")
    run = st.session_state.get(K.AUD_SEG_RUN)
    if not run or run["version"] != version:
        mem, personas = U.saved_segments(version)
        if mem is not None and personas:
            st.info(t("aud.seg.saved_view", k=len(personas)))
            U.persona_cards(personas)
            U.persona_comparison(personas)
        else:
            st.info(t("aud.seg.need"))
    else:
        res = U.segments(version, run["tags"], run["algo"], run["k"], run["demo"], run["reviews"])
        names = U.persona_names(res.personas)
        m1, m2, m3 = st.columns(3)
        m1.metric(t("aud.seg.k_found"), res.k)
        m2.metric(t("aud.seg.silhouette"), f"{res.silhouette:.3f}")
        m3.metric(t("aud.seg.users"), len(res.memberships))
        st.caption(t("aud.seg.saved", run_id=run["run_id"]))
        curve = run.get("curve")
        if curve is not None:
            st.plotly_chart(U.silhouette_chart(curve, res.k), key=K.AUD_SIL_CHART)
            note = U.curve_note(curve)
            if note:
                st.caption(note)
            ks = [int(x) for x in curve["k"]]
            sil = dict(zip(ks, curve["silhouette"], strict=True))
            if st.session_state.get(K.AUD_SEG_PICK) != res.k:
                st.session_state[K.AUD_SEG_PICK] = res.k if res.k in ks else None
            st.columns([1, 2])[0].selectbox(
                t("aud.seg.pick"),
                ks,
                key=K.AUD_SEG_PICK,
                on_change=U.pick_k,
                help=t("aud.seg.pick_help"),
                format_func=lambda x, s=sil: t("aud.seg.k_option", k=x, s=s[x]),
            )
        U.persona_cards(res.personas)
        method = st.radio(
            t("aud.seg.map_method"),
            ["pca", "tsne"],
            key=K.AUD_SEG_MAP,
            horizontal=True,
            format_func=lambda m: m.upper().replace("TSNE", "t-SNE"),
        )
        try:
            with st.spinner(t("aud.seg.mapping")):
                xy = U.segment_map(version, run["tags"], run["algo"], run["k"], run["demo"], run["reviews"], method)
            st.plotly_chart(U.map_chart(xy, names), key=K.AUD_MAP_CHART)
        except ValueError as e:
            st.warning(str(e))
        U.persona_comparison(res.personas)
        st.subheader(t("aud.seg.filter_title"))
        st.caption(t("aud.seg.filter_help"))
        chosen = U.segment_filter(version)
        if chosen is not None:
            st.success(t("aud.seg.filter_on", n=len(chosen)))

# ---------------------------------------------------------------------------- behaviour prediction
for _ in opened(tab_beh):
    genres = U.genre_options(version)
    tasks = [x for x in lab().behaviour_tasks() if x != "genre_like" or genres]
    c1, c2, c3 = st.columns([2, 1, 1])
    with c1:
        task = st.selectbox(t("aud.beh.task"), tasks, key=K.AUD_BEH_TASK, format_func=lambda x: t(f"aud.beh.task.{x}"))
    genre = None
    window = 30
    with c2:
        if task == "genre_like":
            genre = st.selectbox(t("aud.beh.genre"), genres, key=K.AUD_BEH_GENRE, format_func=U.genre_text)
        else:
            window = int(
                st.number_input(t("aud.beh.window"), min_value=7, max_value=365, value=30, step=1, key=K.AUD_BEH_WINDOW)
            )
    with c3:
        beh_go = st.button(t("aud.beh.go"), key=K.AUD_BEH_GO, type="primary")
    if beh_go:
        with st.status(t("aud.beh.running"), expanded=False) as status:
            try:
                U.behaviour(version, task, genre, window)
                st.session_state[K.AUD_BEH_RUN] = (version, task, genre, window)
                status.update(label=t("aud.beh.done"), state="complete")
            except ValueError as e:
                st.session_state[K.AUD_BEH_RUN] = None
                status.update(label=t("common.error", msg=e), state="error")
    brun = st.session_state.get(K.AUD_BEH_RUN)
    if not brun or brun[0] != version:
        st.info(t("aud.beh.need"))
    else:
        res = U.behaviour(*brun)
        desc = U.behaviour_description(res, brun[1], brun[2], brun[3])
        st.markdown(t("aud.beh.summary", desc=desc, users=res["users"], pos=res["positive"]))
        st.dataframe(U.behaviour_table(res["metrics"]), hide_index=True, key=K.AUD_BEH_TABLE)
        best = res["metrics"].sort_values("auc", ascending=False).iloc[0]
        st.success(t("aud.beh.best", model=t(f"aud.beh.model.{best['model']}"), auc=best["auc"], acc=best["accuracy"]))
        roc = res["roc"].assign(model=res["roc"]["model"].map(lambda m: t(f"aud.beh.model.{m}")))
        imp = res["importances"].assign(model=res["importances"]["model"].map(lambda m: t(f"aud.beh.model.{m}")))
        c1, c2 = st.columns(2)
        with c1:
            st.plotly_chart(U.roc_chart(roc), key=K.AUD_ROC_CHART)
        with c2:
            st.plotly_chart(U.importance_chart(imp, order=list(dict.fromkeys(roc["model"]))), key=K.AUD_IMP_CHART)

# ---------------------------------------------------------------------------- target audience
for _ in opened(tab_tgt):
    film_ids, film_labels = U.film_options(version)
    models = lab().audience_models()
    c1, c2 = st.columns([1, 2])
    with c1:
        mode = st.radio(
            t("aud.tgt.mode"),
            ["film", "new"],
            key=K.AUD_TGT_MODE,
            format_func=lambda m: t(f"aud.tgt.mode.{m}"),
            horizontal=True,
        )
        if K.AUD_TGT_MODEL not in st.session_state:
            st.session_state[K.AUD_TGT_MODEL] = U.default_scorer(ds)
        model = st.selectbox(
            t("aud.tgt.model"), models, key=K.AUD_TGT_MODEL, format_func=U.model_label, help=t("aud.tgt.model_help")
        )
    with c2:
        item, g_sel, kw = None, [], []
        if mode == "film":
            item = st.selectbox(t("aud.tgt.film"), film_ids, key=K.AUD_TGT_ITEM, format_func=film_labels.get)
        else:
            g_sel = st.multiselect(
                t("aud.tgt.genres"),
                U.genre_options(version),
                key=K.AUD_TGT_GENRES,
                format_func=U.genre_text,
                placeholder=t("common.choose"),
            )
            kw_text = st.text_input(t("aud.tgt.keywords"), key=K.AUD_TGT_KEYWORDS, help=t("aud.tgt.keywords_help"))
            kw = U.parse_keywords(kw_text)
    c3, c4, c5 = st.columns([1, 1, 1])
    with c3:
        cut_mode = st.radio(
            t("aud.tgt.cut"),
            ["top", "threshold"],
            key=K.AUD_TGT_CUT,
            horizontal=True,
            format_func=lambda m: t(f"aud.tgt.cut.{m}"),
        )
    with c4:
        if cut_mode == "top":
            top_n = int(
                st.number_input(t("aud.tgt.n"), min_value=1, max_value=100000, value=100, step=10, key=K.AUD_TGT_N)
            )
            thr = None
        else:
            thr = float(
                st.number_input(t("aud.tgt.threshold"), value=0.0, step=0.1, key=K.AUD_TGT_THRESHOLD, format="%.3f")
            )
            top_n = None
    with c5:
        tgt_go = st.button(t("aud.tgt.go"), key=K.AUD_TGT_GO, type="primary")
    if tgt_go:
        if mode == "new" and not g_sel and not kw:
            st.warning(t("aud.tgt.need_description"))
        else:
            req = {
                "version": version,
                "model": model,
                "item": item if mode == "film" else None,
                "genres": tuple(g_sel),
                "keywords": tuple(kw),
            }
            refused = budget.refusal(model, {}, budget.shape_of(ds)) if model in L.model_names() else None
            if refused:  # over the memory or time budget: nothing is fitted, the last audience stays
                st.error(refused)
            else:
                _run_audience(req)
    req = st.session_state.get(K.AUD_TGT_RUN)
    if not req or req["version"] != version:
        st.info(t("aud.tgt.need"))
    else:
        table, pool_size, similar = U.audience(version, req["model"], req["item"], req["genres"], req["keywords"])
        chosen = U.cut(table, cut_mode, top_n, thr)
        titles = ds.item_titles()
        what = titles.get(req["item"], req["item"]) if req["item"] else t("aud.tgt.new_film")
        st.subheader(t("aud.tgt.result", film=what, n=len(chosen)))
        st.caption(t("aud.tgt.result_sub", pool=pool_size, model=U.model_label(req["model"])))
        mem, personas = U.saved_segments(version)
        show = U.display_table(chosen, mem, personas)
        st.dataframe(
            show.head(500),
            hide_index=True,
            key=K.AUD_TGT_TABLE,
            column_config={t("aud.col.top_share"): st.column_config.NumberColumn(format="%.2f%%")},
        )
        if similar is not None:
            sim = similar.assign(title=similar["item_id"].map(lambda i, m=titles: m.get(i, i)))
            st.caption(
                t("aud.tgt.similar", films=U.sep().join(t("fmt.title", title=md_text(x)) for x in sim["title"].head(8)))
            )
        left, right = st.columns(2)
        with left:
            if mem is not None:
                mix = lab().audience_mix(chosen["user_id"], mem, U.persona_names(personas))
                st.plotly_chart(U.mix_chart(mix), key=K.AUD_MIX_CHART)
            else:
                st.caption(t("aud.tgt.no_segments"))
        with right:
            prof = ready_profiles()
            if prof is None:
                st.caption(t("aud.tgt.persona_need"))
            else:
                p = lab().group_persona(ds, prof, chosen["user_id"].tolist())
                if p is not None:
                    with st.container(border=True):
                        st.markdown(f"**{t('aud.tgt.persona')}**{U.colon()}{U.persona_name(p)}")
                        for line in U.persona_lines(p):
                            st.markdown(f"- {md_text(line)}")
        # export
        e1, e2 = st.columns([1, 1])
        with e1:
            pseudo = st.checkbox(t("aud.tgt.pseudo"), value=True, key=K.AUD_TGT_PSEUDO, help=t("aud.tgt.pseudo_help"))
        with e2:
            who, what = session_who(), f"audience of {req['item'] or 'a new film'} ({version})"

            def data(
                chosen=chosen, pseudo=pseudo, who=who, what=what
            ):  # built when clicked, and recorded in the export log
                return lab().export_audience(chosen, who, what, pseudo)

            st.download_button(
                t("common.download_csv"),
                data=data,
                mime="text/csv",
                disabled=not auth.allowed("export"),
                key=K.AUD_TGT_DOWNLOAD,
                file_name=f"audience_{req['item'] or 'new'}_{version}.csv",
            )
        # validation
        if req["item"]:
            st.subheader(t("aud.tgt.validate_title"))
            st.caption(t("aud.tgt.validate_help"))
            if st.button(t("aud.tgt.validate"), key=K.AUD_TGT_VALIDATE):
                peers = [req["model"]] + [m for m in ("popularity", U.rating_peer(), "random") if m != req["model"]]
                with st.status(t("aud.tgt.validating"), expanded=False) as status:
                    try:
                        with budget.scope():
                            U.validate(version, req["item"], peers)
                        st.session_state[K.AUD_TGT_VAL_RUN] = (version, req["item"], tuple(peers))
                        status.update(label=t("aud.tgt.done"), state="complete")
                    except ValueError as e:
                        st.session_state[K.AUD_TGT_VAL_RUN] = None
                        status.update(label=t("common.error", msg=budget.error_text(e)), state="error")
            vrun = st.session_state.get(K.AUD_TGT_VAL_RUN)
            if vrun and vrun[0] == version and vrun[1] == req["item"]:
                v = U.validate(*vrun)
                st.markdown(t("aud.tgt.validate_summary", hidden=v["hidden"], pool=v["pool"]))
                mc = st.columns(len(v["lift"]))
                for k, (m, val) in enumerate(v["lift"].items()):
                    mc[k].metric(t("aud.tgt.lift10", model=U.model_label(m)), f"{val:.2f}" if U.np_finite(val) else "—")
                names = {m: U.model_label(m) for m in v["lift"]}
                g, lf = U.gain_chart(v["curves"], names)
                gc1, gc2 = st.columns(2)
                with gc1:
                    st.plotly_chart(g, key=K.AUD_GAIN_CHART)
                with gc2:
                    st.plotly_chart(lf, key=K.AUD_LIFT_CHART)

    # the benchmark over many films (same protocol as `python -m recsys_core audience --evaluate`)
    st.subheader(t("aud.tgt.bench_title"))
    st.caption(t("aud.tgt.bench_help"))
    b1, b2 = st.columns([1, 1])
    with b1:
        n_films = int(
            st.number_input(
                t("aud.tgt.bench_items"), min_value=1, max_value=200, value=10, step=1, key=K.AUD_TGT_BENCH_N
            )
        )
    with b2:
        bench_go = st.button(t("aud.tgt.bench_go"), key=K.AUD_TGT_BENCH_GO)
    if bench_go:
        with st.status(t("aud.tgt.validating"), expanded=False) as status:
            try:
                with budget.scope():
                    U.evaluate_many(version, model, n_films)
                st.session_state[K.AUD_TGT_BENCH_RUN] = (version, model, n_films)
                status.update(label=t("aud.tgt.done"), state="complete")
            except ValueError as e:
                st.session_state[K.AUD_TGT_BENCH_RUN] = None
                status.update(label=t("common.error", msg=budget.error_text(e)), state="error")
    brun = st.session_state.get(K.AUD_TGT_BENCH_RUN)
    if brun and brun[0] == version:
        bres = U.evaluate_many(*brun)
        st.markdown(t("aud.tgt.bench_summary", n=bres["items"]))
        st.dataframe(U.evaluate_table(bres), hide_index=True, key=K.AUD_BENCH_TABLE)

for _ in opened(tab_spark):
    spark_results.audience_tab(ds)
