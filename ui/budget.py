"""The memory and time budgets in the app: their settings, the scope work runs in, and refusals in
the UI language.

Models declare cost envelopes (``recsys_core.models.cost``: memory and fit time); pages check them
against the dataset before fitting, refuse the ones over either budget with a message naming what
fits, and run the rest.
"""

from __future__ import annotations

from contextlib import contextmanager

import streamlit as st

from recsys_core.models import make_model
from recsys_core.models.cost import (
    DEFAULT_TIME_BUDGET,
    ModelTooLarge,
    ModelTooSlow,
    budget_scope,
    check_model,
    dataset_shape,
    duration_parts,
    format_bytes,
    memory_budget,
    physical_memory,
    time_budget,
    time_budget_scope,
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


def default_time_budget() -> float:
    """The time budget of one fit without the app setting (``CINELENS_TIME_BUDGET`` or the default)."""
    try:
        with time_budget_scope(None):
            return time_budget()
    except ValueError:  # an unreadable environment variable: fall back to the default
        return float(DEFAULT_TIME_BUDGET)


def budget_bytes() -> int:
    """This session's budget: the Models page setting, else the default."""
    gb = st.session_state.get(K.MEMORY_BUDGET)
    return int(float(gb) * GB) if gb else default_budget()


def budget_seconds() -> float:
    """This session's time budget of one fit: the Models page setting (minutes), else the default."""
    minutes = st.session_state.get(K.TIME_BUDGET)
    return float(minutes) * 60 if minutes else default_time_budget()


@contextmanager
def scope():
    """Run a block of work under this session's budgets (fits inside it check against both)."""
    with budget_scope(budget_bytes()), time_budget_scope(budget_seconds()):
        yield


def duration(seconds: float) -> str:
    """Seconds in the UI language: 50 s, 11 min 40 s, 1 h 28 min (the units of ``format_seconds``)."""
    unit, fields = duration_parts(seconds)
    return t(f"budget.dur_{unit}", **fields)


def refusal_text(e: ModelTooLarge) -> str:
    """The refusal in the UI language: over the time budget (:class:`ModelTooSlow`) or over memory."""
    fits = ", ".join(sentences.model_name(n, lang()) for n in e.fits) or t("budget.none_fit")
    model = sentences.model_name(e.model, lang())
    if isinstance(e, ModelTooSlow):
        return t(
            "budget.too_slow",
            model=model,
            need=duration(e.need_seconds),
            budget=duration(e.budget_seconds),
            fits=fits,
        )
    return t(
        "budget.too_large", model=model, need=format_bytes(e.need_bytes), budget=format_bytes(e.budget_bytes), fits=fits
    )


def error_text(e: Exception) -> str:
    """A budget refusal in the UI language; any other error as it is."""
    return refusal_text(e) if isinstance(e, ModelTooLarge) else str(e)


def refusal(name: str, params: dict | None, shape: tuple[int, int, int]) -> str | None:
    """None when model ``name`` (with ``params``) fits this session's budgets on a dataset of
    ``shape`` (users, films, ratings); otherwise the refusal message to show."""
    try:
        check_model(make_model(name, **(params or {})), *shape, budget=budget_bytes(), time_budget=budget_seconds())
    except ModelTooLarge as e:  # ModelTooSlow included
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
    time_setting()


def time_setting() -> None:
    """The time budget input (minutes a fit may declare on 2 cores), beside the memory budget."""
    default = default_time_budget() / 60
    # minutes to a tenth; a CINELENS_TIME_BUDGET of a few seconds is kept as it is (and shown finer)
    default = round(default, 1) if default >= 0.1 else default
    if K.TIME_BUDGET not in st.session_state:
        st.session_state[K.TIME_BUDGET] = default
    st.session_state[K.TIME_BUDGET_MIN] = st.session_state[K.TIME_BUDGET]

    def remember():
        st.session_state[K.TIME_BUDGET] = st.session_state[K.TIME_BUDGET_MIN]

    st.number_input(
        t("budget.time_setting"),
        min_value=min(0.1, default),
        max_value=max(24 * 60.0, default),
        step=5.0,
        format="%.1f" if default >= 0.1 else "%.3f",
        key=K.TIME_BUDGET_MIN,
        on_change=remember,
        help=t("budget.time_help", default=duration(default_time_budget())),
    )
