"""Helpers shared by the promotion commands (boxoffice, campaign, plan)."""

from __future__ import annotations

from ..errors import UserError


def parse_map(text: str | None) -> dict | None:
    """``"gross=revenue,budget=cost"`` -> {"gross": "revenue", "budget": "cost"} (promotion table fields)."""
    if not text:
        return None
    out = {}
    for part in text.split(","):
        if not part.strip():
            continue
        if "=" not in part:
            raise UserError(f"--map: {part.strip()!r} is not FIELD=COLUMN - write e.g. --map gross=revenue,budget=cost")
        k, v = part.split("=", 1)
        out[k.strip().lower()] = v.strip()
    return out
