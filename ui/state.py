"""Every session-state key in one place, with its default. Defaults are created inside
``init_state()`` (called by app.py on every run), never at import time."""
from __future__ import annotations

import streamlit as st


class K:
    LANG = "lang"                      # "zh" | "en"
    VERSION = "dataset_version"        # active dataset version id for this session
    SEGMENT_FILTER = "segment_filter"  # list[int] of segment ids chosen on the Audience page, or []
    SESSION_ID = "session_id"          # random id of this browser session (feedback, A/B arms)


def _defaults() -> dict:
    import uuid

    return {
        K.LANG: "zh",
        K.VERSION: None,
        K.SEGMENT_FILTER: [],
        K.SESSION_ID: uuid.uuid4().hex[:12],
    }


def init_state() -> None:
    for key, value in _defaults().items():
        if key not in st.session_state:
            st.session_state[key] = value
