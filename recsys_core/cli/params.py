"""Parsing of ``--param model.key=value`` and model lists, shared by ``evaluate`` and ``recommend``."""

from __future__ import annotations

import json

from ..errors import UserError
from ..models import REGISTRY, make_model


def parse_value(text: str):
    """``"500"`` -> 500, ``"0.01"`` -> 0.01, ``"true"`` -> True, ``"none"`` -> None, ``"[1,2]"`` -> [1, 2];
    anything else stays a string (quotes optional)."""
    s = text.strip()
    low = s.lower()
    if low in ("none", "null"):
        return None
    if low in ("true", "yes", "on"):
        return True
    if low in ("false", "no", "off"):
        return False
    try:
        v = json.loads(s)
    except ValueError:
        return s.strip("'\"")
    return v


def coerce_like(value, default):
    """Convert ``value`` to the type of the parameter's default where that is unambiguous
    (an int default accepts ``2.0`` as 2; a float default turns 1 into 1.0; a tuple or list default
    accepts a JSON list or ``a, b, c``)."""
    if isinstance(default, (list, tuple)):
        if isinstance(value, str):  # "svd, bias" -> ["svd", "bias"]
            value = [v.strip() for v in value.split(",") if v.strip()]
        if isinstance(value, (list, tuple)):
            return type(default)(value)
        return value
    if isinstance(default, bool) or default is None or value is None:
        return value
    if isinstance(default, int) and isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(default, float) and isinstance(value, int) and not isinstance(value, bool):
        return float(value)
    return value


def parse_models(text: str) -> list[str]:
    names = [m.strip().lower() for m in (text or "").split(",") if m.strip()]
    if not names:
        raise UserError("--models is empty; give e.g. --models baseline,svd")
    if names == ["all"]:
        return list(REGISTRY)
    unknown = [n for n in names if n not in REGISTRY]
    if unknown:
        raise UserError(f"unknown model {unknown[0]!r} in --models; choose from: {', '.join(REGISTRY)}")
    if len(set(names)) != len(names):
        raise UserError("--models lists a model twice; give each name once")
    return names


def parse_params(items: list[str] | None, names: list[str]) -> dict[str, dict]:
    """``["autorec-i.hidden=500", "svd.n_factors=50"]`` -> {"autorec-i": {"hidden": 500}, "svd": {...}},
    checked against each model's parameters (from ``get_params()``)."""
    out: dict[str, dict] = {n: {} for n in names}
    for item in items or []:
        if "=" not in item or "." not in item.split("=", 1)[0]:
            raise UserError(f"--param {item!r} is not MODEL.NAME=VALUE (e.g. --param svd.n_factors=50)")
        lhs, value = item.split("=", 1)
        model, key = lhs.rsplit(".", 1) if lhs.count(".") > 1 else lhs.split(".", 1)
        model, key = model.strip().lower(), key.strip()
        if model not in out:
            raise UserError(f"--param {item!r} is for {model!r}, which is not in --models ({', '.join(names)})")
        defaults = make_model(model).get_params()
        if key not in defaults:
            raise UserError(
                f"--param {item!r}: {model} has no parameter {key!r}; valid: {', '.join(defaults) or 'none'}"
            )
        out[model][key] = coerce_like(parse_value(value), defaults[key])
    return out


def build_models(names: list[str], params: dict[str, dict]) -> dict:
    models = {}
    for n in names:
        try:
            models[n] = make_model(n, **params.get(n, {}))
        except (TypeError, ValueError) as e:
            raise UserError(f"cannot build {n} with {params.get(n)}: {e}") from None
    return models
