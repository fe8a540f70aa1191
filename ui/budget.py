"""The memory budget in the app: its setting, the scope work runs in, and refusals in the UI language.

Models declare cost envelopes (``recsys_core.models.cost``); pages check them against the dataset
before fitting, refuse the ones over the budget with a message naming what fits, and run the rest.
"""

from __future__ import annotations

import streamlit as st

from recsys_core.models import make_model
from recsys_core.models.cost import (
    ModelTooLarge,
    budget_scope,
    check_model,
    dataset_shape,
    format_bytes,
    memory_budget,
    physical_memory,
)

from . import sentences
from .i18n import lang, t
from .state import K

GB = 1024**3


def default_budget() -> int:
    """The budget without the app setting (``CINELENS_MEMORY_BUDGET`` or half the memory)."""
    try:
        with budget_scope(None):
            return memory_budget()
    except ValueError:  # an unreadable environment variable: fall back to the default fraction
        return physical_memory() // 2


def budget_bytes() -> int:
    """This session's budget: the Models page setting, else the default."""
    gb = st.session_state.get(K.MEMORY_BUDGET)
    return int(float(gb) * GB) if gb else default_budget()


def scope():
    """Run a block of work under this session's budget (fits inside it check against it)."""
    return budget_scope(budget_bytes())


def refusal_text(e: ModelTooLarge) -> str:
    fits = ", ".join(sentences.model_name(n, lang()) for n in e.fits) or t("budget.none_fit")
    return t(
        "budget.too_large",
        model=sentences.model_name(e.model, lang()),
        need=format_bytes(e.need_bytes),
        budget=format_bytes(e.budget_bytes),
        fits=fits,
    )


def refusal(name: str, params: dict | None, shape: tuple[int, int, int]) -> str | None:
    """None when model ``name`` (with ``params``) fits this session's budget on a dataset of
    ``shape`` (users, films, ratings); otherwise the refusal message to show."""
    try:
        check_model(make_model(name, **(params or {})), *shape, budget=budget_bytes())
    except ModelTooLarge as e:
        return refusal_text(e)
    return None


def shape_of(ds) -> tuple[int, int, int]:
    """(users, films, ratings) of the rated rows; computed once per dataset (pages ask on every rerun)."""
    return ds.rating_shape() if hasattr(ds, "rating_shape") else dataset_shape(ds.interactions)


def setting() -> None:
    """The memory budget input (GB); empty means the default."""
    top = max(physical_memory() / GB, 0.5)
    default = default_budget() / GB
    if K.MEMORY_BUDGET not in st.session_state:
        st.session_state[K.MEMORY_BUDGET] = round(min(default, top), 1)
    # the input is drawn on one tab of one page; the session's value outlives it (other tabs, other pages)
    st.session_state[K.MEMORY_BUDGET_GB] = st.session_state[K.MEMORY_BUDGET]

    def remember():
        st.session_state[K.MEMORY_BUDGET] = st.session_state[K.MEMORY_BUDGET_GB]

    st.number_input(
        t("budget.setting"),
        min_value=0.1,
        max_value=round(top, 1),
        step=0.5,
        format="%.1f",
        key=K.MEMORY_BUDGET_GB,
        on_change=remember,
        help=t("budget.help", default=format_bytes(default_budget())),
    )
