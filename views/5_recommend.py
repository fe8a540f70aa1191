"""Recommend: browse a user's list with reasons, cold start, feedback loop, A/B tests and monitoring."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from recsys_core.app import lists as L
from recsys_core.app.lists import Filters
from recsys_core.errors import UserError
from ui import auth, budget, sentences, spark_results
from ui import recommend_page as R
from ui.i18n import lang, region_label, t
from ui.markup import html_text, md_text
from ui.services import require_dataset, workspace
from ui.state import K, init_state, keep_choices, keep_widgets, lazy_tabs, opened

init_state()
keep_widgets("rec_")
keep_choices("recommend", (K.REC_GENRES, K.REC_COLD_GENRES, K.REC_REGIONS))  # labels follow the UI language
st.title(f":material/recommend: {t('nav.recommend')}")
st.caption(t("rec.intro"))
ds = require_dataset()
version = ds.version
ws = workspace()
scale = ds.rating_scale

flash = st.session_state.get(K.REC_FLASH)
if flash:
    st.session_state[K.REC_FLASH] = None
    if flash[0] == "error":
        st.error(t("common.error", msg=flash[1]))
    elif flash[0] == "renamed":
        st.toast(t("rec.renamed"))
    else:
        st.toast(t("rec.fb.saved", action=t(f"rec.fb.{flash[0]}")))


# ---------------------------------------------------------------------------- shared pieces
def model_picker() -> str | None:
    """Registered models of this version (newest first) + a button to fit a new one."""
    models = R.registered_models(version)
    pending = st.session_state.pop(K.REC_MODEL_PENDING, None)
    if pending is not None:
        st.session_state[K.REC_MODEL_CHOSEN] = pending
    ids = models["model_id"].tolist()
    labels = {r["model_id"]: R.model_label(r) for r in models.to_dict("records")}
    c1, c2, c3 = st.columns([5, 2, 1.3], vertical_alignment="bottom")
    names = L.model_names()
    default = R.default_model_name()
    with c2:
        name = st.selectbox(t("rec.new_model"), names, index=names.index(default), key=K.REC_NEW_MODEL)
    with c3:
        fit = st.button(
            t("rec.fit"),
            key=K.REC_FIT,
            type="primary" if not ids else "secondary",
            width="stretch",
            disabled=not auth.allowed("train"),
        )
    refused = budget.refusal(name, {}, budget.shape_of(ds)) if fit else None
    if refused:  # over the memory or time budget: say so and fit nothing; the registered models stay usable
        st.error(refused)
    elif fit:
        with st.status(t("rec.fitting", name=name), expanded=False) as s:
            try:
                with budget.scope():
                    new_id = R.fit_and_register(version, name)
            except (UserError, ValueError) as e:
                R.log_error("model_fit_failed", str(e), name=name)
                s.update(label=t("common.error", msg=e), state="error")
                return None
            s.update(label=t("rec.fitted", name=name), state="complete")
        st.session_state[K.REC_MODEL_PENDING] = new_id
        st.rerun()
    if not ids:
        with c1:
            st.info(t("rec.no_model"))
        return None
    # this session's model: kept outside the widget, so leaving the page and coming back (which drops
    # widget state) never switches it to a model someone else has just fitted
    chosen = st.session_state.get(K.REC_MODEL_CHOSEN)
    if chosen not in ids:
        chosen = ids[0]
    st.session_state[K.REC_MODEL_CHOSEN] = st.session_state[K.REC_MODEL] = chosen
    with c1:
        st.selectbox(
            t("rec.model"),
            ids,
            format_func=labels.get,
            key=K.REC_MODEL,
            on_change=lambda: st.session_state.update({K.REC_MODEL_CHOSEN: st.session_state[K.REC_MODEL]}),
        )
    with st.expander(t("rec.rename")):
        r1, r2 = st.columns([4, 1], vertical_alignment="bottom")
        key = f"{K.REC_RENAME}{chosen}"
        st.session_state.setdefault(key, labels[chosen])
        r1.text_input(t("rec.rename_to"), key=key, max_chars=120)
        r2.button(t("rec.rename_btn"), key=K.REC_RENAME_BTN, on_click=R.rename_model, args=(chosen, key))
    return chosen


def pick_user(eng) -> str | None:
    mem, personas = ws.segments(version)
    if mem is None or mem.empty:
        st.caption(t("rec.no_segments"))
        mode = "id"
    else:
        mode = st.radio(
            t("rec.find"),
            ["id", "segment"],
            key=K.REC_FIND,
            horizontal=True,
            format_func={m: t(f"rec.find.{m}") for m in ("id", "segment")}.get,
        )
    if mode == "segment":
        segs = sorted(mem["segment"].unique().tolist())
        names = sentences.persona_names([p for p in personas or [] if isinstance(p, dict)], lang())
        chosen = [s for s in (st.session_state.get(K.SEGMENT_FILTER) or []) if s in segs]
        if chosen and st.session_state.get(K.REC_SEGMENT) not in segs:
            st.session_state[K.REC_SEGMENT] = chosen[0]  # start from the segment picked on the Audience page
        c1, c2 = st.columns(2)
        with c1:
            seg = st.selectbox(
                t("rec.segment"),
                segs,
                key=K.REC_SEGMENT,
                format_func={s: f"{s} · {names.get(int(s)) or t('rec.segment_n', k=s)}" for s in segs}.get,
            )
        members = sorted(mem.loc[mem["segment"] == seg, "user_id"].astype(str).tolist())[:500]
        if st.session_state.get(K.REC_SEG_USER) not in members:
            st.session_state.pop(K.REC_SEG_USER, None)
        with c2:
            user = st.selectbox(t("rec.segment_user", n=len(members)), members, key=K.REC_SEG_USER)
        return user
    if K.REC_USER not in st.session_state:
        st.session_state[K.REC_USER] = str(eng.ts.users_raw[0]) if eng.ts.n_users else ""
    user = st.text_input(t("rec.user_id"), key=K.REC_USER, help=t("rec.user_id_help")).strip()
    return user or None


def filters_ui(eng) -> tuple[Filters, dict]:
    cat = eng.cat
    with st.expander(t("rec.filters"), expanded=True):
        c1, c2, c3 = st.columns(3)
        with c1:
            genres = st.multiselect(
                t("rec.f.genres"),
                cat.genre_names,
                key=K.REC_GENRES,
                placeholder=t("common.choose"),
                format_func=R.genre_name,
            )
        yr = cat.year_range()
        with c2:
            years = (
                st.slider(t("rec.f.years"), yr[0], yr[1], (yr[0], yr[1]), key=K.REC_YEARS)
                if yr and yr[0] < yr[1]
                else None
            )
        with c3:
            regions = st.multiselect(
                t("rec.f.regions"),
                cat.region_names,
                key=K.REC_REGIONS,
                placeholder=t("common.choose"),
                format_func=region_label,
            )
        c1, c2, c3, c4, c5 = st.columns([1, 1, 1.2, 1.2, 1.2])
        with c1:
            n = st.number_input(t("rec.f.n"), 1, 50, 10, key=K.REC_N)
        with c2:
            exclude_seen = st.checkbox(t("rec.f.exclude_seen"), value=True, key=K.REC_EXCLUDE_SEEN)
        with c3:
            diversity = st.slider(
                t("rec.f.diversity"), 0.0, 1.0, 0.0, 0.1, key=K.REC_DIVERSITY, help=t("rec.f.diversity_help")
            )
        with c4:
            kinds = ["auto", "genres", "latent", "ratings"]
            features = st.selectbox(
                t("rec.f.features"),
                kinds,
                key=K.REC_DIV_FEATURES,
                format_func={k: t(f"rec.f.features.{k}") for k in kinds}.get,
                help=t("rec.f.features_help"),
            )
        with c5:
            novelty = st.slider(t("rec.f.novelty"), 0.0, 1.0, 0.0, 0.1, key=K.REC_NOVELTY, help=t("rec.f.novelty_help"))
    year_filtered = years is not None and yr is not None and tuple(years) != tuple(yr)
    f = Filters(
        genres=tuple(genres),
        regions=tuple(regions),
        year_min=int(years[0]) if year_filtered else None,
        year_max=int(years[1]) if year_filtered else None,
    )
    return f, {
        "n": int(n),
        "exclude_seen": bool(exclude_seen),
        "diversity": float(diversity),
        "novelty": float(novelty),
        "features": features,
    }


def make_list(eng, user: str, f: Filters, opts: dict):
    """(list frame or None for a user with no ratings at all, visitor state or None, ms) from the facade."""
    served = R.serve(eng, version, user, f, opts)
    return served.frame, served.visitor, served.ms


def rating_options() -> list[float]:
    lo, hi = scale
    if float(lo).is_integer() and float(hi).is_integer() and hi - lo <= 10:
        return [float(x) for x in range(int(lo), int(hi) + 1)]
    return [round(lo + k * (hi - lo) / 4, 2) for k in range(5)]


def rec_cards(lst: pd.DataFrame, user: str, model_id: str, arm: str | None, prefix: str, highlight=()) -> None:
    """One bordered card per recommendation with its reason and feedback buttons."""
    for row in lst.to_dict("records"):
        item = row["item_id"]
        with st.container(border=True):
            c0, c1 = st.columns([1, 8], vertical_alignment="top")
            with c0:
                st.markdown(R.tile_html(row["title"], row["genres"], 56), unsafe_allow_html=True)
            with c1:
                year = f" ({md_text(row['year'])})" if row["year"] is not None and pd.notna(row["year"]) else ""
                star = " :material/star:" if item in highlight else ""
                if row.get("feedback") == "like":
                    star += f" :green-badge[:material/thumb_up: {t('rec.fb.liked_badge')}]"
                st.markdown(
                    f"**{row['rank']}. {md_text(row['title'])}**{year}{star} &nbsp; {R.genre_chips(row['genres'])}",
                    unsafe_allow_html=True,
                )
                moved = ""
                if row["base_rank"] != row["rank"]:
                    moved = " · " + t("rec.moved", base=row["base_rank"])
                st.caption(
                    f"{t('rec.score')} **{row['score']:.2f}**{moved} · :material/lightbulb: {md_text(R.reason_text(row))}"
                )
                b1, b2, b3, b4, _ = st.columns([1, 1, 1, 2.2, 1.5], vertical_alignment="center")
                common = dict(user_id=user, item_id=item, model_id=model_id, version=version, arm=arm)
                for col, icon, action, short in (
                    (b1, ":material/thumb_up:", "like", "like"),
                    (b2, ":material/thumb_down:", "dislike", "dislike"),
                    (b3, ":material/block:", "not_interested", "ni"),
                ):
                    col.button(
                        icon,
                        help=t(f"rec.fb.{action}"),
                        key=f"{prefix}{short}_{item}",
                        on_click=R.record_feedback,
                        kwargs={**common, "action": action},
                    )
                rkey = f"{prefix}rate_{item}"
                b4.selectbox(
                    t("rec.fb.rate"),
                    rating_options(),
                    index=None,
                    key=rkey,
                    placeholder=t("rec.fb.rate"),
                    label_visibility="collapsed",
                    on_change=R.record_feedback,
                    kwargs={**common, "action": "rate", "value_key": rkey},
                )


# ---------------------------------------------------------------------------- tabs
def browse_tab() -> None:
    model_id = model_picker()
    if model_id is None:
        return
    eng = R.engine_or_error(model_id)
    if eng is None:
        return
    user = pick_user(eng)
    if not user:
        st.info(t("rec.enter_user"))
        return
    st.session_state[K.REC_CURRENT_USER] = user
    served_id, arm = R.route(version, model_id, user)
    if arm is not None:
        st.info(t("rec.ab.serving", arm=arm, model=served_id[-6:]))
        eng = R.engine(served_id)
    f, opts = filters_ui(eng)
    lst, visitor, ms = make_list(eng, user, f, opts)
    if lst is None:
        st.warning(t("rec.unknown_user", user=md_text(user)))
        return
    R.log_served(
        served_id,
        user,
        len(lst),
        "browse",
        arm,
        (served_id, user, f, tuple(sorted(opts.items())), tuple(lst["item_id"])),
    )

    left, right = st.columns([2, 3])
    with left:
        st.subheader(t("rec.history"))
        if visitor is not None:
            st.caption(t("rec.visitor", user=user, n=len(visitor.rated)))
            hist = R.visitor_history(eng, R.user_feedback(version, user), scale)
            st.markdown(R.history_cards(hist, scale), unsafe_allow_html=True)
        else:
            recent, top = L.history(ds, eng, user, n=6)
            h1, h2 = st.tabs([t("rec.recent"), t("rec.top_rated")])
            with h1:
                st.markdown(R.history_cards(recent, scale), unsafe_allow_html=True)
            with h2:
                st.markdown(R.history_cards(top, scale), unsafe_allow_html=True)
        fb = R.user_feedback(version, user)
        st.subheader(t("rec.your_feedback", n=len(fb)))
        if fb.empty:
            st.caption(t("rec.no_feedback"))
        else:
            st.dataframe(
                R.feedback_view(fb, eng), hide_index=True, column_config=R.feedback_columns(), key=K.REC_FB_TABLE
            )
    with right:
        st.subheader(t("rec.top_n", n=len(lst)))
        st.caption(t("rec.timing", ms=ms, model=R.registered_name(served_id)))
        feedback_note(eng, (served_id, user), lst)
        if lst.empty:
            st.warning(t("rec.empty_list"))
        else:
            rec_cards(lst, user, served_id, arm, K.REC_FB)
            st.plotly_chart(R.scores_chart(lst), key=K.REC_SCORES_CHART)
        retrain_block(eng, served_id, user, f, opts, lst)
    changes_block(user)


def feedback_note(eng, key: tuple, lst: pd.DataFrame) -> None:
    """Right after a feedback click: what it did to the list (a film left, a like marked, films that came in)."""
    prev = st.session_state.get(K.REC_PREV_LIST)
    items = lst["item_id"].tolist()
    st.session_state[K.REC_PREV_LIST] = {"key": key, "items": items}
    if not flash or flash[0] not in ("like", "dislike", "not_interested", "rate") or not prev or prev["key"] != key:
        return
    note = R.list_change(prev["items"], items, flash[0], flash[1], eng)
    if note["hidden"]:
        st.info(t("rec.fb.hidden", title=md_text(note["title"])))
    elif flash[0] == "like":
        st.info(t("rec.fb.liked_note", title=md_text(note["title"])))
    if note["entered"]:
        st.caption(
            t("rec.fb.entered", titles=("、" if lang() == "zh" else ", ").join(md_text(x) for x in note["entered"]))
        )


def retrain_block(eng, model_id: str, user: str, f: Filters, opts: dict, lst: pd.DataFrame) -> None:
    st.subheader(t("rec.retrain.title"))
    n_fb = len(ws.feedback(data_version=version))
    st.caption(t("rec.retrain.help", n=n_fb))
    modes = L.retrain_modes(eng.model)
    c1, c2 = st.columns([2, 2], vertical_alignment="bottom")
    with c1:
        mode = st.radio(
            t("rec.retrain.mode"),
            modes,
            key=K.REC_RETRAIN_MODE,
            horizontal=True,
            format_func={m: t(f"rec.retrain.{m}") for m in modes}.get,
        )
    with c2:
        go = st.button(
            t("rec.retrain.button"), key=K.REC_RETRAIN, disabled=n_fb == 0 or not auth.allowed("train"), width="stretch"
        )
    if not go:
        return
    with st.status(t("rec.retrain.running"), expanded=False) as s:
        try:
            new_id, n = R.retrain_and_register(version, ds, model_id, mode)
            new_eng = R.engine(new_id)
            after, _, _ = make_list(new_eng, user, f, opts)
        except (UserError, ValueError) as e:
            R.log_error("retrain_failed", str(e), model_id=model_id)
            s.update(label=t("common.error", msg=e), state="error")
            return
        s.update(label=t("rec.retrain.done", n=n), state="complete")
    st.session_state[K.REC_CHANGES] = {
        "user": user,
        "from": model_id,
        "to": new_id,
        "n": n,
        "before": lst["item_id"].tolist(),
        "after": [] if after is None else after["item_id"].tolist(),
    }
    st.session_state[K.REC_MODEL_PENDING] = new_id
    st.rerun()


def changes_block(user: str) -> None:
    ch = st.session_state.get(K.REC_CHANGES)
    if not ch or ch["user"] != user:
        return
    st.subheader(t("rec.changes.title", n=ch["n"]))
    st.caption(t("rec.changes.models", a=ch["from"], b=ch["to"]))
    d = L.changes(ch["before"], ch["after"])
    counts = R.change_counts(d)
    c1, c2, c3 = st.columns(3)
    c1.metric(t("rec.changes.entered"), counts["entered"])
    c2.metric(t("rec.changes.left"), counts["left"])
    c3.metric(t("rec.changes.moved"), counts["moved"])
    st.dataframe(R.changes_view(d, R.engine(ch["to"])), hide_index=True, key=K.REC_CHANGES_TABLE)


def cold_tab() -> None:
    models = R.registered_models(version)
    if models.empty:
        st.info(t("rec.no_model"))
        return
    model_id = st.session_state.get(K.REC_MODEL_CHOSEN) or models["model_id"].iloc[0]
    if model_id not in models["model_id"].tolist():
        model_id = models["model_id"].iloc[0]
    eng = R.engine_or_error(model_id)
    if eng is None:
        return
    st.caption(t("rec.cold.intro", model=md_text(R.registered_name(model_id))))
    genres = st.multiselect(
        t("rec.cold.genres"),
        eng.cat.genre_names,
        key=K.REC_COLD_GENRES,
        placeholder=t("common.choose"),
        format_func=R.genre_name,
    )
    picks = L.onboarding(eng, genres, n=10)
    st.markdown(f"**{t('rec.cold.rate_these')}**")
    opts = rating_options()
    cols = st.columns(2)
    for k, item in enumerate(picks):
        info = eng.cat.item_row(int(eng.cat.inner([item])[0]))
        with cols[k % 2], st.container(border=True):
            a, b = st.columns([3, 2], vertical_alignment="center")
            a.markdown(R.film_card_html(info), unsafe_allow_html=True)
            b.selectbox(
                t("rec.fb.rate"),
                opts,
                index=None,
                key=f"{K.REC_COLD_RATE}{item}",
                placeholder=t("rec.cold.unseen"),
                label_visibility="collapsed",
            )
    if st.button(t("rec.cold.go"), key=K.REC_COLD_GO, type="secondary"):
        ratings = {i: st.session_state.get(f"{K.REC_COLD_RATE}{i}") for i in picks}
        ratings = {i: float(v) for i, v in ratings.items() if v is not None}
        if len(ratings) < 3:
            st.warning(t("rec.cold.need_more", n=len(ratings)))
        else:
            uid = R.create_visitor(ratings, genres, model_id, version)
            st.session_state[K.REC_COLD_USER] = {
                "user": uid,
                "ratings": ratings,
                "genres": genres,
                "model_id": model_id,
            }
    cold = st.session_state.get(K.REC_COLD_USER)
    if not cold:
        return
    eng = R.engine(cold["model_id"])
    served = R.serve(eng, version, cold["user"], Filters(), {"n": 10})
    if served.frame is None:
        return
    lst, cs = served.frame, served.visitor
    R.log_served(cold["model_id"], cold["user"], len(lst), "cold-start", None, (cold["user"], tuple(lst["item_id"])))
    st.success(t("rec.cold.saved", user=md_text(cold["user"]), n=len(cold["ratings"])))
    st.caption(t(f"rec.cold.method.{cs.method}"))
    rec_cards(lst, cold["user"], cold["model_id"], None, K.REC_COLD_FB)


def ab_tab() -> None:
    models = R.registered_models(version)
    labels = {r["model_id"]: R.model_label(r) for r in models.to_dict("records")}
    ids = models["model_id"].tolist()
    user = st.session_state.get(K.REC_CURRENT_USER)

    st.subheader(t("rec.ab.sbs"))
    if len(ids) < 2:
        st.info(t("rec.ab.need_two"))
    elif not user:
        st.info(t("rec.enter_user"))
    else:
        c1, c2 = st.columns(2)
        a = c1.selectbox(t("rec.ab.model_a"), ids, index=min(1, len(ids) - 1), format_func=labels.get, key=K.REC_SBS_A)
        b = c2.selectbox(t("rec.ab.model_b"), ids, index=0, format_func=labels.get, key=K.REC_SBS_B)
        n = int(st.session_state.get(K.REC_N) or 10)
        ea, eb = R.engine_or_error(a), R.engine_or_error(b)
        opts = {"n": n, "exclude_seen": True, "diversity": 0.0, "novelty": 0.0}
        la, _, _ = make_list(ea, user, Filters(), opts) if ea is not None else (None, None, None)
        lb, _, _ = make_list(eb, user, Filters(), opts) if eb is not None else (None, None, None)
        if ea is None or eb is None:
            pass
        elif la is None or lb is None:
            st.warning(t("rec.unknown_user", user=md_text(user)))
        else:
            o = L.list_overlap(la["item_id"], lb["item_id"])
            st.metric(
                t("rec.ab.jaccard", user=md_text(user)),
                f"{o['jaccard']:.2f}",
                help=t("rec.ab.jaccard_help", shared=len(o["shared"])),
            )
            shared = set(o["shared"])
            with c1:
                st.markdown(
                    "".join(
                        R.film_card_html(r, html_text(R.reason_text(r)), r["item_id"] in shared)
                        for r in la.to_dict("records")
                    ),
                    unsafe_allow_html=True,
                )
            with c2:
                st.markdown(
                    "".join(
                        R.film_card_html(r, html_text(R.reason_text(r)), r["item_id"] in shared)
                        for r in lb.to_dict("records")
                    ),
                    unsafe_allow_html=True,
                )

    st.subheader(t("rec.ab.offline"))
    st.caption(t("rec.ab.offline_help"))
    names = L.model_names()
    c1, c2, c3, c4 = st.columns(4)
    oa = c1.selectbox(
        t("rec.ab.model_a"), names, index=names.index("popularity") if "popularity" in names else 0, key=K.REC_OFF_A
    )
    ob = c2.selectbox(t("rec.ab.model_b"), names, index=names.index(R.default_model_name()), key=K.REC_OFF_B)
    k = c3.number_input("K", 1, 50, 10, key=K.REC_OFF_K)
    test = c4.slider(t("rec.ab.test_share"), 0.1, 0.5, 0.2, 0.05, key=K.REC_OFF_TEST)
    if st.button(t("rec.ab.run"), key=K.REC_OFF_RUN):
        with st.status(t("rec.ab.running", a=oa, b=ob), expanded=False) as s:
            try:
                R.offline(version, oa, ob, k, test)
            except (UserError, ValueError) as e:
                R.log_error("offline_ab_failed", str(e), a=oa, b=ob)
                s.update(label=t("common.error", msg=e), state="error")
            else:
                st.session_state[K.REC_OFFLINE] = (oa, ob, int(k), float(test))
                s.update(label=t("rec.ab.done"), state="complete")
    args = st.session_state.get(K.REC_OFFLINE)
    if args:
        summary, diffs, split, _ = R.offline(version, *args)
        st.caption(t("rec.ab.split", users=split["users"], test=split["test_size"], seed=split["seed"]))
        show = R.offline_view(summary, args[2])
        st.dataframe(
            show.rename(
                columns={
                    "arm": t("rec.ab.arm"),
                    "model": t("rec.model"),
                    "metric": t("rec.ab.metric"),
                    "mean": t("rec.ab.mean"),
                    "ci_lo": t("rec.ab.ci_lo"),
                    "ci_hi": t("rec.ab.ci_hi"),
                }
            ),
            hide_index=True,
            key=K.REC_OFF_TABLE,
        )
        st.plotly_chart(R.offline_chart(show), key=K.REC_OFF_CHART)
        for r in diffs.to_dict("records"):
            (st.success if r["significant"] else st.info)(
                sentences.offline_diff_sentence(
                    r, sentences.model_name(args[0], lang()), sentences.model_name(args[1], lang()), args[2], lang()
                )
            )

    st.subheader(t("rec.ab.online"))
    st.caption(t("rec.ab.online_help"))
    if len(ids) < 2:
        st.info(t("rec.ab.need_two"))
    else:
        R.sync_ab_widgets(version)
        for key, default in ((K.REC_AB_A, ids[min(1, len(ids) - 1)]), (K.REC_AB_B, ids[0])):
            if st.session_state.get(key) not in ids:
                st.session_state[key] = default
        c1, c2, c3 = st.columns([1, 2, 2])
        save = {"on_change": R.save_ab_widgets, "args": (version,)}
        c1.toggle(t("rec.ab.on"), key=K.REC_AB_ON, **save)
        c2.selectbox(t("rec.ab.arm_a"), ids, format_func=labels.get, key=K.REC_AB_A, **save)
        c3.selectbox(t("rec.ab.arm_b"), ids, format_func=labels.get, key=K.REC_AB_B, **save)
        st.caption(t("rec.ab.shared"))
        if user:
            st.caption(t("rec.ab.user_arm", user=user, arm=L.arm_of(user)))
    lift = st.session_state.get(K.REC_AB_LIFT, 0.1)  # the slider below
    summ, v = L.online_test(ws.feedback(data_version=version), scale, lift)
    shown = summ.assign(like_rate=[f"{x:.1%}" if x == x else "—" for x in summ["like_rate"]])  # NaN: no events yet
    st.dataframe(
        shown.rename(
            columns={
                "arm": t("rec.ab.arm"),
                "events": t("rec.ab.events"),
                "likes": t("rec.ab.likes"),
                "like_rate": t("rec.like_rate"),
                "visitors": t("rec.ab.visitors"),
                "models": t("rec.model"),
            }
        ),
        hide_index=True,
        key=K.REC_AB_TABLE,
    )
    st.slider(t("rec.ab.lift"), 0.05, 0.5, 0.1, 0.05, key=K.REC_AB_LIFT, format="%.2f")
    st.info(sentences.online_verdict_sentence(v, lang()))
    with st.expander(t("rec.ab.calculator")):
        c1, c2 = st.columns(2)
        base = c1.number_input(t("rec.ab.baseline"), 0.01, 0.99, 0.3, 0.01, key=K.REC_AB_BASE)
        lift2 = c2.number_input(t("rec.ab.lift"), 0.01, 2.0, 0.1, 0.01, key=K.REC_AB_LIFT2)
        try:
            need = L.sample_size(base, lift2)
            st.metric(t("rec.ab.need"), f"{need:,}")
        except ValueError as e:
            st.warning(t("common.error", msg=e))


def monitoring_tab() -> None:
    models = R.registered_models(None)
    labels = {r["model_id"]: R.model_label(r) for r in models.to_dict("records")}
    mon = L.monitoring(ws, models, scale, freq=st.session_state.get(K.REC_MON_FREQ) or "D")
    c1, c2, c3, c4 = st.columns(4)
    c1.metric(t("rec.mon.served"), len(mon.served))
    c2.metric(t("rec.mon.feedback"), mon.feedback_events)
    c3.metric(t("rec.mon.likes"), mon.likes)
    c4.metric(t("rec.mon.models"), len(models))
    st.subheader(t("rec.mon.served_by_model"))
    st.dataframe(R.translated(mon.served_per_model), hide_index=True, key=K.REC_MON_SERVED)
    st.subheader(t("rec.mon.feedback_by_model"))
    st.dataframe(R.translated(mon.feedback_counts), hide_index=True, key=K.REC_MON_FB)
    lr = mon.like_rate
    st.radio(
        t("rec.mon.freq"),
        ["h", "D", "W"],
        index=1,
        key=K.REC_MON_FREQ,
        horizontal=True,
        format_func={f: t(f"rec.mon.freq.{f}") for f in ("h", "D", "W")}.get,
    )
    if lr.empty:
        st.caption(t("rec.no_feedback"))
    else:
        st.plotly_chart(R.like_rate_chart(lr, labels), key=K.REC_MON_CHART)
    st.subheader(t("rec.mon.registry"))
    st.dataframe(R.translated(mon.registry), hide_index=True, key=K.REC_MON_REGISTRY)
    st.subheader(t("rec.mon.errors"))
    err = mon.errors
    if err.empty:
        st.caption(t("rec.mon.no_errors"))
    else:
        st.dataframe(R.translated(err), hide_index=True, key=K.REC_MON_ERRORS)


tab_browse, tab_cold, tab_ab, tab_mon, tab_spark = lazy_tabs(
    [t("rec.tab.browse"), t("rec.tab.cold"), t("rec.tab.ab"), t("rec.tab.monitor"), t("spark.tab")], K.REC_TABS
)
for _ in opened(tab_browse):
    browse_tab()
for _ in opened(tab_cold):
    cold_tab()
for _ in opened(tab_ab):
    ab_tab()
for _ in opened(tab_mon):
    monitoring_tab()
for _ in opened(tab_spark):
    spark_results.precomputed_tab(ds)
