"""Cached services shared by the pages: the workspace, the demo data, the active dataset."""

from __future__ import annotations

from pathlib import Path

import streamlit as st

from recsys_core.app import Lab
from recsys_core.data.dataset import Dataset
from recsys_core.errors import UserError
from recsys_core.store import Workspace, default_path, open_workspace
from recsys_core.trainset import Trainset

from .i18n import app_note, t
from .state import K

DEMO_DIR = Path(__file__).resolve().parent.parent / "data" / "demo"


@st.cache_resource(show_spinner=False)
def _workspace(path: str) -> Workspace:
    ws = open_workspace(path)
    if ws.list_versions().empty and DEMO_DIR.exists():
        from recsys_core.data.demo import load as load_demo

        ws.add_version(load_demo(DEMO_DIR), kind="demo", note=app_note("demo"))
    return ws


def workspace() -> Workspace:
    """The workspace of this server process (created, and seeded with the demo data, on first start)."""
    return _workspace(str(default_path().resolve()))


@st.cache_resource(show_spinner=False, max_entries=8)
def _dataset(path: str, version_id: str) -> Dataset:
    return _workspace(path).load_version(version_id)


@st.cache_data(show_spinner=False, max_entries=32)
def _version_caption(path: str, version_id: str) -> tuple[bool, dict]:
    ws = _workspace(path)
    return bool(ws.version_meta(version_id).get("synthetic")), ws.version_summary(version_id)


def version_caption(version_id: str) -> tuple[bool, dict]:
    """(synthetic?, summary numbers) of a stored version from DuckDB, without loading its rows (the sidebar shows
    them on every page; versions never change, so they are cached)."""
    return _version_caption(str(default_path().resolve()), version_id)


def dataset(version_id: str) -> Dataset:
    """A dataset version (versions are immutable, so it is cached and shared read-only)."""
    return _dataset(str(default_path().resolve()), version_id)


@st.cache_resource(show_spinner=False, max_entries=8)
def _trainset(path: str, version_id: str) -> Trainset:
    return Trainset.from_dataset(_dataset(path, version_id))


def trainset(version_id: str) -> Trainset:
    return _trainset(str(default_path().resolve()), version_id)


def lab() -> Lab:
    """The application facade over this server's workspace."""
    return Lab(workspace())


def active_version_id() -> str | None:
    """This session's dataset version: its own choice, or the workspace default for a new session."""
    v = lab().session_version(st.session_state.get(K.VERSION))
    st.session_state[K.VERSION] = v
    return v


def choose_version(version_id: str | None) -> None:
    """Switch this session (only) to a dataset version; other sessions and the default stay as they are."""
    st.session_state[K.VERSION] = version_id
    # pickers that show the session's version follow it on the next run
    for key in (K.DATA_VERSION_PICK, K.DATA_DELETE_CONFIRM):
        st.session_state.pop(key, None)


def require_dataset(need_ratings: bool = True) -> Dataset:
    """The active dataset, or a message with a link to the Data page and ``st.stop()``."""
    v = active_version_id()
    if v is None:
        st.info(t("common.need_data"))
        st.page_link("views/1_data.py", label=t("common.go_data"), icon=":material/folder_open:")
        st.stop()
    try:
        ds = dataset(v)
    except UserError as e:
        st.error(t("common.error", msg=e))
        st.stop()
    if need_ratings and ds.ratings.empty:
        st.warning(t("common.need_ratings"))
        st.page_link("views/1_data.py", label=t("common.go_data"), icon=":material/folder_open:")
        st.stop()
    return ds
