"""The app's error boundary: an exception that escapes a page becomes one short message in the UI language plus
an error id; the details (type, message, traceback) go to the workspace's errors.log under that id. No
traceback ever reaches the page."""

from __future__ import annotations

import streamlit as st

from recsys_core import failures
from recsys_core.store import default_path

from .i18n import t
from .markup import md_text


def show_failure(exc: BaseException, **context) -> str:
    """Record ``exc`` and show it; returns the error id."""
    error_id = failures.record(exc, default_path(), **context)
    code = failures.classify(exc)
    if code == "user":
        st.error(t("err.user", msg=md_text(str(exc).splitlines()[0] if str(exc) else type(exc).__name__)))
    elif code == "os":
        st.error(t("err.os", msg=md_text(getattr(exc, "strerror", None) or type(exc).__name__)))
    else:
        st.error(t(f"err.{code}"))
    st.caption(t("err.id", id=error_id))
    return error_id


def guarded(fn, **context) -> bool:
    """Run ``fn()``; an exception (not Streamlit's own rerun / stop) is shown by :func:`show_failure`.
    Returns True when ``fn`` finished."""
    try:
        fn()
        return True
    except Exception as exc:  # noqa: BLE001 - this is the boundary
        show_failure(exc, **context)
        return False
