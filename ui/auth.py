"""The sign-in gate (only when ``CINELENS_AUTH`` or the workspace setting ``auth_required`` is on): no page renders
before a password is accepted; viewers browse, analysts also upload, train and export."""

from __future__ import annotations

import streamlit as st

from recsys_core import accounts

from .i18n import t
from .markup import md_text
from .services import workspace
from .state import K


def enabled() -> bool:
    return accounts.auth_required(workspace())


def allowed(action: str) -> bool:
    """May this session do ``action`` ("upload", "train", "export", or browsing)? Always, without sign-in."""
    if not enabled():
        return True
    return accounts.allowed(st.session_state.get(K.AUTH_ROLE), action)


def gate() -> bool:
    """True when the pages may render: sign-in is off, or this session is signed in (else the form is shown)."""
    if not enabled():
        return True
    if st.session_state.get(K.AUTH_USER):
        with st.sidebar:
            role = t(f"auth.role.{st.session_state.get(K.AUTH_ROLE)}")
            st.caption(t("auth.signed_in_as", name=md_text(st.session_state[K.AUTH_USER]), role=role))
            if st.button(t("auth.sign_out"), key=K.AUTH_SIGN_OUT):
                for k in (K.AUTH_USER, K.AUTH_ROLE):
                    st.session_state.pop(k, None)
                st.rerun()
        return True
    st.title(t("auth.title"))
    st.caption(t("auth.intro"))
    with st.form(K.AUTH_FORM):
        name = st.text_input(t("auth.name"), key=K.AUTH_NAME)
        password = st.text_input(t("auth.password"), type="password", key=K.AUTH_PASSWORD)
        submitted = st.form_submit_button(t("auth.sign_in"), type="primary")
    if submitted:
        res = accounts.sign_in(workspace(), name or "", password or "")
        if res.ok:
            st.session_state[K.AUTH_USER] = name.strip()
            st.session_state[K.AUTH_ROLE] = res.role
            st.rerun()
        elif res.wait_seconds > 0:
            st.error(t("auth.too_many", minutes=max(1, round(res.wait_seconds / 60))))
        else:
            st.error(t("auth.failed"))
    return False


def need(action: str) -> bool:
    """For a section that needs the analyst role: True when allowed, else says why (and returns False)."""
    if allowed(action):
        return True
    st.info(t("auth.need_analyst"))
    return False
