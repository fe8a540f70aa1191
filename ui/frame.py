"""The frame every page is drawn in: page config, sign-in, sidebar (dataset, language) and navigation.

``app.py`` runs :func:`main` as the Streamlit script of every session."""

from __future__ import annotations

from pathlib import Path

import streamlit as st

from . import auth
from .failure import guarded
from .i18n import t
from .services import active_version_id, choose_version, version_caption, workspace
from .state import K, init_state, keep_choices

# the tab icon ships with the app (a material-icon name would be fetched from fonts.gstatic.com)
ICON = Path(__file__).resolve().parent / "assets" / "icon.png"

# (script, title key, icon, url path)
PAGES = [
    ("views/1_data.py", "nav.data", ":material/database:", "data"),
    ("views/2_audience.py", "nav.audience", ":material/groups:", "audience"),
    ("views/3_reviews.py", "nav.reviews", ":material/reviews:", "reviews"),
    ("views/4_models.py", "nav.models", ":material/science:", "models"),
    ("views/5_recommend.py", "nav.recommend", ":material/recommend:", "recommend"),
    ("views/6_promotion.py", "nav.promotion", ":material/campaign:", "promotion"),
]


def sidebar() -> None:
    with st.sidebar:
        st.markdown(f"### :material/movie: {t('app.title')}")
        st.caption(t("app.tagline"))
        st.radio(
            t("app.language"),
            options=["zh", "en"],
            key=K.LANG,
            horizontal=True,
            format_func=lambda v: "中文" if v == "zh" else "English",
        )
        ws = workspace()
        versions = ws.list_versions()
        if versions.empty:
            st.info(t("app.no_dataset"))
            return
        ids = versions["version_id"].tolist()
        current = active_version_id()
        if current not in ids:  # no default yet: the newest version
            current = ids[-1]
            choose_version(current)
        labels = {
            r.version_id: t("app.version_label", version=r.version_id, name=r.name, rows=int(r.rows))
            for r in versions.itertuples()
        }
        keep_choices("sidebar", (K.SIDEBAR_VERSION,))  # its labels follow the UI language: redraw them on a switch
        # the picker shows this session's version, whatever changed it (a save, a switch on the Data page)
        if st.session_state.get(K.SIDEBAR_VERSION) != current:
            st.session_state[K.SIDEBAR_VERSION] = current
        choice = st.selectbox(
            t("app.dataset"),
            ids,
            format_func=labels.get,
            key=K.SIDEBAR_VERSION,
            on_change=lambda: choose_version(st.session_state[K.SIDEBAR_VERSION]),
        )
        synthetic, s = version_caption(choice)  # from DuckDB: a 40M-row version is not read to show four numbers
        if synthetic:
            st.caption(f":material/science: {t('app.synthetic')}")
        st.caption(
            f"{t('common.users')} {s['users']:,} · {t('common.items')} {s['items']:,} · "
            f"{t('common.ratings')} {s['ratings']:,} · {t('common.reviews')} {s['reviews']:,}"
        )


def main() -> None:
    """One run of the script: the frame, then the chosen page.

    The error boundary: whatever escapes the sign-in, the sidebar or a page is one message + an id in the
    workspace's errors.log; with sign-in on (CINELENS_AUTH), no page (not even the navigation) renders before a
    password is accepted."""
    st.set_page_config(page_title="CineLens 影镜", page_icon=str(ICON), layout="wide")
    init_state()
    signed_in = []
    if guarded(lambda: signed_in.append(auth.gate()), where="sign-in") and signed_in == [True]:
        nav = st.navigation(
            [
                st.Page(path, title=t(key), icon=icon, url_path=url, default=(url == "data"))
                for path, key, icon, url in PAGES
            ]
        )
        if guarded(sidebar, where="sidebar"):
            guarded(nav.run, page=nav.url_path or "data")
