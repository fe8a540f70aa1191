"""Readable generated names for registered models: algorithm, key parameters, dataset version, date."""

from __future__ import annotations

from datetime import datetime

# parameters that say most about a model, in order of preference, when none differs from its default
_KEY_PARAMS = ("n_factors", "factors", "k", "hidden", "n_cltr_u", "reg", "reg_u", "members")
_MAX_SHOWN = 3


def _value(v) -> str:
    if isinstance(v, bool) or not isinstance(v, (int, float)):
        if isinstance(v, (list, tuple)):
            return "+".join(map(str, v))
        return str(v)
    return f"{v:g}"


def key_params(params: dict, defaults: dict) -> dict:
    """The parameters worth showing in a name: those set away from the default (at most three),
    else the model's most telling one (``n_factors``, ``k`` …); {} for models without parameters."""
    changed = {p: v for p, v in params.items() if p in defaults and defaults[p] != v and p != "random_state"}
    if changed:
        return dict(list(changed.items())[:_MAX_SHOWN])
    for p in _KEY_PARAMS:
        if p in params:
            return {p: params[p]}
    return {}


def generated_name(algorithm: str, params: dict, defaults: dict, version: str | None, when: datetime) -> str:
    """``svd · n_factors=50 · v3 · 2026-11-29 16:05`` (no JSON, no ids)."""
    parts = [algorithm]
    shown = key_params(params, defaults)
    if shown:
        parts.append(", ".join(f"{p}={_value(v)}" for p, v in shown.items()))
    if version:
        parts.append(version)
    parts.append(f"{when:%Y-%m-%d %H:%M}")
    return " · ".join(parts)
