"""Results computed by the Spark engine and imported into the workspace: browse lists, segments, audiences.

Needs no pyspark: imported results are workspace tables. Each result shows its origin.
"""

from __future__ import annotations

import pandas as pd
import streamlit as st

from recsys_core.errors import UserError
from recsys_core.precomputed import origin_fields, user_list
from recsys_core.recommend.catalogue import Catalogue
from recsys_core.results import distinct_values, list_results, load_result

from .i18n import lang, t
from .markup import md_text
from .sentences import reason_sentence
from .services import dataset, trainset, workspace
from .state import K

HOW_TO = (
    "pip install -r requirements-spark.txt\n"
    "python -m recsys_core spark recommend data/demo --out out/rec\n"
    "python -m recsys_core import out/rec"
)


@st.cache_resource(show_spinner=False, max_entries=4)
def _catalogue(version_id: str) -> Catalogue:
    ds = dataset(version_id)
    return Catalogue(trainset(version_id), ds.items)


def origin_caption(origin: dict) -> None:
    o = {k: md_text(v) for k, v in origin_fields(origin).items()}  # the manifest is data, never markup
    st.caption(
        t(
            "spark.origin",
            engine=o["engine"],
            job=o["job"],
            master=o["master"],
            finished=o["finished"],
            seconds=o["seconds"],
            params=o["parameters"] or "-",
        )
    )


def _pick_result(kind: str, key: str) -> dict | None:
    res = list_results(workspace(), kind)
    if res.empty:
        return None
    rows = {r["result_id"]: r for r in res.to_dict("records")}
    if st.session_state.get(key) not in rows:
        st.session_state[key] = res["result_id"].iloc[0]

    def label(rid):
        r = rows[rid]
        return t(
            "spark.result_label", id=rid, name=r["name"], rows=int(r["rows"]), finished=r["origin"].get("finished")
        )

    rid = st.selectbox(t("spark.result"), list(rows), format_func=label, key=key)
    return rows[rid]


def _none() -> None:
    st.info(t("spark.none"))
    st.code(HOW_TO, language="bash")


def _shown_result(kind: str, key: str) -> dict | None:
    """The picked result of this kind with its origin caption, or how to make one when there is none."""
    r = _pick_result(kind, key)
    if r is None:
        _none()
    else:
        origin_caption(r["origin"])
    return r


def precomputed_tab(ds) -> None:
    """Recommend page: a precomputed list for any user, with reasons where the active dataset knows them."""
    st.caption(t("spark.rec.intro"))
    r = _shown_result("recommendations", K.SPARK_REC_RESULT)
    if r is None:
        return
    users = distinct_values(workspace(), r["result_id"], "user_id", limit=20)
    if not st.session_state.get(K.SPARK_REC_USER) and users:
        st.session_state[K.SPARK_REC_USER] = users[0]
    user = st.text_input(t("spark.rec.user"), key=K.SPARK_REC_USER).strip()
    lst = user_list(workspace(), r["result_id"], user, ds, _catalogue(ds.version) if ds.version else None)
    if lst.empty:
        st.warning(t("spark.rec.unknown_user", user=md_text(user)))
        st.caption(t("spark.rec.users", examples=md_text(", ".join(users[:5]))))
        return
    reason = lst["reason"].map(lambda r: "" if r is None else reason_sentence(r, lang()))
    table = pd.DataFrame(
        {
            t("spark.col.rank"): lst["rank"],
            t("spark.col.title"): lst["title"],
            t("spark.col.item"): lst["item_id"],
            t("spark.col.score"): lst["score"].round(3),
            t("spark.col.reason"): reason,
        }
    )
    st.dataframe(table, hide_index=True, key=K.SPARK_REC_TABLE)


def _segments_block() -> None:
    st.subheader(t("spark.seg.title"))
    r = _shown_result("segments", K.SPARK_SEG_RESULT)
    if r is None:
        return
    seg = load_result(workspace(), r["result_id"], order="segment")
    names = {
        "segment": "spark.seg.col.segment",
        "users": "spark.seg.col.users",
        "activity": "spark.seg.col.activity",
        "mean_rating": "spark.seg.col.mean_rating",
        "offset_from_film_mean": "spark.seg.col.offset",
        "recency_days": "spark.seg.col.recency",
    }
    shown = seg[[c for c in names if c in seg.columns]].round(3).rename(columns={c: t(k) for c, k in names.items()})
    st.dataframe(shown, hide_index=True, key=K.SPARK_SEG_TABLE)


def _audiences_block(ds) -> None:
    st.subheader(t("spark.aud.title"))
    r = _shown_result("audiences", K.SPARK_AUD_RESULT)
    if r is None:
        return
    ev = (r["origin"].get("summary") or {}).get("evaluation")
    if isinstance(ev, dict) and ev.get("lift_at_10pct") is not None:
        st.caption(
            t(
                "spark.aud.lift",
                model=ev["lift_at_10pct"],
                pop=ev["popularity_lift_at_10pct"],
                rnd=ev["random_lift_at_10pct"],
                items=ev["items"],
            )
        )
    films = distinct_values(workspace(), r["result_id"], "item_id", limit=500)
    titles = ds.item_titles() if ds is not None else {}
    film = st.selectbox(
        t("spark.aud.film"), films, format_func=lambda i: f"{titles.get(i) or i} ({i})", key=K.SPARK_AUD_FILM
    )
    aud = load_result(workspace(), r["result_id"], {"item_id": film}, order="rank")
    shown = pd.DataFrame(
        {
            t("spark.col.rank"): aud["rank"].astype(int),
            t("spark.col.user"): aud["user_id"].astype(str),
            t("spark.col.score"): aud["score"].round(3),
        }
    )
    st.dataframe(shown, hide_index=True, key=K.SPARK_AUD_TABLE)


def audience_tab(ds) -> None:
    """Audience page: Spark segments and audiences."""
    _segments_block()
    _audiences_block(ds)


def import_block() -> None:
    """Data page: import a Spark output folder (cleaned data -> version; lists, audiences, segments -> results)."""
    from recsys_core.spark_import import import_output

    with st.expander(t("spark.import.title")):
        st.caption(t("spark.import.help"))
        folder = st.text_input(t("spark.import.folder"), key=K.SPARK_IMPORT_FOLDER)
        if st.button(t("spark.import.go"), key=K.SPARK_IMPORT_GO, disabled=not folder.strip()):
            try:
                res = import_output(workspace(), folder.strip())
            except UserError as e:
                st.error(t("common.error", msg=md_text(e)))
                return
            if res["version_id"]:
                st.success(t("spark.import.version", version=res["version_id"]))
            if res["results"]:
                st.success(
                    t("spark.import.results", n=len(res["results"]), ids=", ".join(x[0] for x in res["results"]))
                )
