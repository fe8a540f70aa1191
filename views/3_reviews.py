"""Reviews: sentiment (film-domain model vs the SnowNLP baseline), agreement with stars, views, keywords."""

from __future__ import annotations

import streamlit as st

from recsys_core.errors import UserError
from ui import reviews as U
from ui.i18n import t
from ui.services import require_dataset
from ui.state import K, init_state, keep_widgets, lazy_tabs, opened

init_state()
keep_widgets("rev_")
st.title(f":material/reviews: {t('nav.reviews')}")
st.caption(t("rev.intro"))
ds = require_dataset(need_ratings=False)
version = ds.version
if ds.reviews.empty:
    st.info(t("rev.no_reviews"))
    U.page_link("views/1_data.py", t("common.go_data"), ":material/folder_open:")
    st.stop()

# ---------------------------------------------------------------------------- method + run
methods = U.available_methods(ds)
c1, c2 = st.columns([4, 1])
with c1:
    method = U.sticky_radio(t("rev.method"), methods, K.REV_METHOD, lambda m: t(f"rev.method.{m}"))
    if "stars" not in methods:
        st.caption(t("rev.no_stars", n=U.MIN_POLAR_PER_CLASS))
with c2:
    st.write("")
    go = st.button(t("rev.run"), key=K.REV_RUN, type="primary")

if go:
    n = len(ds.reviews)
    with st.status(t("rev.running", n=n), expanded=True) as status:
        bar = st.progress(0.0)

        def progress(frac, msg=""):
            bar.progress(min(max(float(frac), 0.0), 1.0), text=msg)

        try:
            res = U.run_sentiment(version, method, progress=progress)
            st.session_state[K.REV_DONE] = (version, method)
            status.update(
                label=t("rev.done", n=res.n, sec=res.seconds, rate=res.reviews_per_second),
                state="complete",
                expanded=False,
            )
        except UserError as e:
            status.update(label=t("common.error", msg=e), state="error")
            st.stop()

done = st.session_state.get(K.REV_DONE)
if (not done or done[0] != version or done[1] != method) and U.has_result(version, method):
    done = st.session_state[K.REV_DONE] = (version, method)  # scored before (saved in the workspace)
if not done or done[0] != version or done[1] != method:
    st.info(t("rev.need_run"))
    st.stop()
res = U.sentiment(version, method)

if method == "snownlp":
    st.warning(t("rev.baseline_note"))
elif method == "general":
    st.warning(t("rev.general_note"))
else:
    st.caption(t("rev.oof_note", k=int(res.frame["fold"].max()) + 1))

films = U.films_by_reviews(res)
tab_agree, tab_films, tab_trend, tab_seg, tab_kw = lazy_tabs(
    [t("rev.tab.agreement"), t("rev.tab.films"), t("rev.tab.trend"), t("rev.tab.segments"), t("rev.tab.keywords")],
    K.REV_TABS,
)

# ---------------------------------------------------------------------------- agreement
for _ in opened(tab_agree):
    m = res.metrics
    if m["accuracy"] is None:
        st.info(t("rev.no_agreement"))
    else:
        a, b, c, d = st.columns(4)
        a.metric(t("rev.m.accuracy"), f"{m['accuracy']:.3f}")
        b.metric(t("rev.m.balanced"), f"{m['balanced_accuracy']:.3f}")
        c.metric(t("rev.m.n_eval"), f"{m['n_eval']:,}")
        d.metric(t("rev.m.pos_share"), f"{m['positive_share_stars']:.3f}")
    fig = U.confusion_figure(m)
    if fig is not None:
        st.plotly_chart(fig, key=K.REV_CONFUSION_CHART)
        st.dataframe(U.confusion_frame(m), key=K.REV_CONFUSION_TABLE)
        st.subheader(t("rev.disagree"))
        st.dataframe(U.disagreement_table(res, ds), hide_index=True, key=K.REV_DISAGREE_TABLE)

# ---------------------------------------------------------------------------- films
for _ in opened(tab_films):
    st.subheader(t("rev.per_film"))
    st.dataframe(U.per_film_table(res, ds), hide_index=True, key=K.REV_FILMS_TABLE)
    item = st.selectbox(t("rev.film"), films, key=K.REV_ITEM, format_func=lambda i: U.film_label(ds, i))
    one = U.film_summary(res, item)
    f1, f2, f3 = st.columns(3)
    f1.metric(t("rev.m.reviews"), f"{one['n']:,}")
    f2.metric(t("rev.m.mean"), f"{one['mean_score']:.3f}")
    f3.metric(t("rev.col.pos"), f"{one['positive_share']:.1%}")
    st.plotly_chart(U.distribution_figure(res, item, U.film_label(ds, item)), key=K.REV_DIST_CHART)
    st.subheader(t("rev.compare"))
    ca, cb = st.columns(2)
    with ca:
        a_item = st.selectbox(
            t("rev.compare_a"), films, index=0, key=K.REV_CMP_A, format_func=lambda i: U.film_label(ds, i)
        )
    with cb:
        b_item = st.selectbox(
            t("rev.compare_b"),
            films,
            index=min(1, len(films) - 1),
            key=K.REV_CMP_B,
            format_func=lambda i: U.film_label(ds, i),
        )
    st.dataframe(U.compare_table(res, ds, a_item, b_item), hide_index=True, key=K.REV_COMPARE_TABLE)
    st.plotly_chart(U.compare_figure(res, ds, a_item, b_item), key=K.REV_COMPARE_CHART)

# ---------------------------------------------------------------------------- trend
for _ in opened(tab_trend):
    chosen = st.multiselect(
        t("rev.trend_films"),
        films,
        key=K.REV_TREND_ITEMS,
        format_func=lambda i: U.film_label(ds, i),
        max_selections=5,
        placeholder=t("common.choose"),
    )
    fig = U.trend_figure(res, ds, chosen)
    if fig is None:
        st.info(t("rev.no_time"))
    else:
        st.plotly_chart(fig, key=K.REV_TREND_CHART)

# ---------------------------------------------------------------------------- segments
memberships, personas = U.saved_segments(version)
for _ in opened(tab_seg):
    if memberships is None or len(memberships) == 0:
        st.info(t("rev.no_segments"))
        U.page_link("views/2_audience.py", t("rev.go_audience"), ":material/groups:")
    else:
        seg = U.segment_table(res, memberships, personas)
        st.dataframe(seg, hide_index=True, key=K.REV_SEGMENT_TABLE)
        st.plotly_chart(U.segment_figure(seg), key=K.REV_SEGMENT_CHART)

# ---------------------------------------------------------------------------- keywords
for _ in opened(tab_kw):
    ri = U.review_index(version)
    k1, k2, k3, k4 = st.columns([1, 1, 1, 1])
    with k1:
        kw_method = st.radio(
            t("rev.kw.method"),
            ["tfidf", "textrank"],
            key=K.REV_KW_METHOD,
            format_func=lambda x: {"tfidf": "TF-IDF", "textrank": "TextRank"}[x],
        )
    with k2:
        scopes = ["all", "film", "segment"]
        scope = U.sticky_radio(t("rev.kw.scope"), scopes, K.REV_KW_SCOPE, lambda s: t(f"rev.kw.scope.{s}"))
    with k3:
        side = U.sticky_radio(
            t("rev.kw.side"), ["all", "positive", "negative"], K.REV_KW_SIDE, lambda s: t(f"rev.kw.side.{s}")
        )
    with k4:
        top = st.slider(t("rev.kw.top"), 5, 50, 20, key=K.REV_KW_TOP)
    item_sel = users = None
    if scope == "film":
        item_sel = st.selectbox(t("rev.film"), films, key=K.REV_KW_ITEM, format_func=lambda i: U.film_label(ds, i))
    elif scope == "segment":
        if memberships is None or len(memberships) == 0:
            st.info(t("rev.kw.no_segments"))
        else:
            segs = sorted(memberships["segment"].unique().tolist())
            seg_sel = st.selectbox(
                t("rev.col.segment"), segs, key=K.REV_KW_SEGMENT, format_func=lambda k: U.segment_label(k, personas)
            )
            users = memberships.loc[memberships["segment"] == seg_sel, "user_id"].tolist()
    kw, n_rows = U.keyword_table(
        ri,
        kw_method,
        top,
        item=item_sel,
        users=users,
        side=None if side == "all" else side,
        labels=res.frame["label"].to_numpy(),
    )
    if kw.empty:
        st.info(t("rev.kw.none"))
    else:
        title = t("rev.kw.title", n=n_rows)
        chart = U.sticky_radio(
            t("rev.kw.chart"),
            ["bar", "treemap", "cloud"],
            K.REV_KW_CHART,
            lambda c: t(f"rev.kw.chart.{c}"),
            horizontal=True,
        )
        kc1, kc2 = st.columns([1, 2])
        with kc1:
            st.dataframe(U.keyword_display(kw), hide_index=True, key=K.REV_KW_TABLE)
        with kc2:
            if chart == "cloud":
                img = U.word_cloud(kw)
                if img is None:
                    st.caption(t("rev.kw.no_font"))
                    st.plotly_chart(U.keyword_bar(kw, title), key=K.REV_KW_BAR)
                else:
                    st.image(img, caption=title)
            elif chart == "treemap":
                st.plotly_chart(U.keyword_treemap(kw, title), key=K.REV_KW_TREEMAP)
            else:
                st.plotly_chart(U.keyword_bar(kw, title), key=K.REV_KW_BAR)
    st.subheader(t("rev.aspects"))
    st.dataframe(U.aspect_table(ri, res, item=item_sel, users=users), hide_index=True, key=K.REV_ASPECT_TABLE)
