"""An audience plan a marketer can act on.

For a film (existing or described) the audience is ranked by the recommender's audience score,
mixed with the ad-response score when an exposure log is given. The plan then says:

* the persona, only from traits whose index (audience share / population share) is above
  :data:`MIN_INDEX` with at least ``min_size`` members - otherwise that none stands out;
* the audience against the population by age band, gender, city tier and segment;
* reach, impressions, cost and expected incremental conversions at cut-offs (CPM, frequency,
  incremental conversion rate given) and the cut-off a budget buys;
* the best channels and time slots, from the behaviour log's timestamps (and the campaign's
  per-channel uplift when known);
* an export with pseudonymous ids, segment and persona columns and, where a users table has
  email or phone, the SHA-256 of the normalised value (never the raw value).
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from ..data.export import to_csv_bytes
from ..errors import UserError

MIN_INDEX = 1.2
TRAITS = ("age_band", "gender", "city", "segment")
CUTOFFS = (0.01, 0.05, 0.1, 0.2, 0.5)
SLOTS = [(0, 6), (6, 9), (9, 12), (12, 14), (14, 18), (18, 21), (21, 24)]
EMAIL_NAMES = {"email", "e-mail", "mail", "emailaddress", "邮箱", "电子邮箱", "邮件"}
PHONE_NAMES = {"phone", "mobile", "tel", "telephone", "phonenumber", "cellphone", "手机", "手机号", "电话", "联系电话"}


# ---------------------------------------------------------------------------- hashing for customer match
def normalise_email(v) -> str | None:
    """Trimmed, lower-cased email; None when it is not an email."""
    if v is None or (isinstance(v, float) and np.isnan(v)):
        return None
    s = str(v).strip().lower()
    return s if re.fullmatch(r"[^@\s]+@[^@\s]+\.[^@\s]+", s) else None


def normalise_phone(v, default_country: str = "86") -> str | None:
    """E.164 (``+`` country code and number, digits only); numbers without a country code get
    ``default_country`` (a Chinese mobile ``13800138000`` -> ``+8613800138000``). None when invalid."""
    if v is None or (isinstance(v, float) and np.isnan(v)):
        return None
    s = str(v).strip()
    if s.endswith(".0") and s[:-2].isdigit():
        s = s[:-2]
    plus = s.startswith("+")
    digits = re.sub(r"\D", "", s)
    if not digits:
        return None
    if plus:
        e164 = digits
    elif digits.startswith("00"):
        e164 = digits[2:]
    elif default_country == "86" and len(digits) == 13 and digits.startswith("86"):
        e164 = digits
    else:
        e164 = default_country + digits.lstrip("0")
    return "+" + e164 if 8 <= len(e164) <= 15 else None


def sha256_hex(s: str | None) -> str | None:
    return hashlib.sha256(s.encode("utf-8")).hexdigest() if s else None


def contact_columns(columns) -> tuple[str | None, str | None]:
    """(email column, phone column) of a users table, by header name."""
    from ..data.detect import normalise_header

    email = phone = None
    for c in columns:
        h = normalise_header(c)
        if email is None and h in {normalise_header(n) for n in EMAIL_NAMES}:
            email = c
        elif phone is None and h in {normalise_header(n) for n in PHONE_NAMES}:
            phone = c
    return email, phone


def hashed_contacts(users: pd.DataFrame, default_country: str = "86") -> pd.DataFrame:
    """user_id, email_sha256, phone_sha256 (the columns the table has); raw values are dropped."""
    from ..data.schema import normalise_id_series

    id_col = next((c for c in users.columns if str(c).lower() in ("user_id", "userid", "uid", "用户id", "id")), None)
    if id_col is None:
        raise UserError("users table: no user_id column - add one so contacts can be joined to the audience")
    email, phone = contact_columns(users.columns)
    out = pd.DataFrame({"user_id": normalise_id_series(users[id_col])})
    if email is not None:
        out["email_sha256"] = users[email].map(lambda v: sha256_hex(normalise_email(v))).to_numpy()
    if phone is not None:
        out["phone_sha256"] = users[phone].map(lambda v: sha256_hex(normalise_phone(v, default_country))).to_numpy()
    return out.dropna(subset=["user_id"]).drop_duplicates("user_id")


# ---------------------------------------------------------------------------- the plan
@dataclass
class AudiencePlan:
    item_id: str | None
    scorer: str
    uses_response: bool
    table: pd.DataFrame  # user_id, rank, score, rec_score, response, segment, persona (the whole pool, ranked)
    audience_size: int
    persona: list  # [{trait, value, index, audience_share, population_share, users}]
    mix: pd.DataFrame  # trait, value, audience_share, population_share, index, users
    reach: pd.DataFrame  # cutoff, users, impressions, cost, expected_incremental, cost_per_incremental
    channels: pd.DataFrame | None
    slots: pd.DataFrame | None
    heatmap: pd.DataFrame | None
    params: dict = field(default_factory=dict)
    notes: list = field(default_factory=list)

    @property
    def audience(self) -> pd.DataFrame:
        return self.table.head(self.audience_size)

    def persona_text(self, sep: str = ", ") -> str:
        return sep.join(f"{p['value']} ×{p['index']:.2f}" for p in self.persona)


def _pct(s: np.ndarray) -> np.ndarray:
    return pd.Series(s).rank(pct=True, method="average").to_numpy()


def trait_mix(
    audience_ids, population: pd.DataFrame, min_size: int = 20, min_index: float = MIN_INDEX
) -> tuple[pd.DataFrame, list]:
    """Audience vs population shares for each trait value; the persona = values with index >
    ``min_index`` and at least ``min_size`` audience members, strongest first."""
    aud = population.reindex(pd.Index(list(audience_ids)))
    rows = []
    for trait in [t for t in TRAITS if t in population.columns]:
        pop = population[trait].dropna().astype(str)
        a = aud[trait].dropna().astype(str)
        if pop.empty or a.empty:
            continue
        ps, as_ = pop.value_counts(normalize=True), a.value_counts(normalize=True)
        ac = a.value_counts()
        for v in ps.index:
            share = float(as_.get(v, 0.0))
            rows.append(
                {
                    "trait": trait,
                    "value": v,
                    "audience_share": share,
                    "population_share": float(ps[v]),
                    "index": share / float(ps[v]),
                    "users": int(ac.get(v, 0)),
                }
            )
    mix = pd.DataFrame(rows, columns=["trait", "value", "audience_share", "population_share", "index", "users"])
    pick = mix[(mix["index"] > min_index) & (mix["users"] >= min_size)]
    persona = pick.sort_values("index", ascending=False, kind="stable").to_dict("records")
    return mix, persona


def reach_table(table: pd.DataFrame, cpm: float, frequency: float, conv_rate: float, cutoffs=CUTOFFS) -> pd.DataFrame:
    """Per cut-off of the ranked pool: users, impressions, cost, expected incremental conversions
    (users x ``conv_rate`` x the reached users' mean response relative to the pool's)."""
    n = len(table)
    resp = table["response"].to_numpy(float) if "response" in table and table["response"].notna().any() else None
    rows = []
    for c in cutoffs:
        k = max(1, int(np.ceil(c * n - 1e-9)))
        rel = float(resp[:k].mean() / resp.mean()) if resp is not None and resp.mean() > 0 else 1.0
        imps = k * frequency
        cost = imps * cpm / 1000.0
        inc = k * conv_rate * rel
        rows.append(
            {
                "cutoff": c,
                "users": k,
                "impressions": imps,
                "cost": cost,
                "response_index": rel,
                "expected_incremental": inc,
                "cost_per_incremental": cost / inc if inc > 0 else float("nan"),
            }
        )
    return pd.DataFrame(rows)


def channels_and_slots(behaviour: pd.DataFrame | None, audience_ids, by_channel: pd.DataFrame | None = None):
    """Channels where the audience spends relatively more time (index vs everyone) and the time
    slots (weekday / weekend x hours) with most audience activity. Returns (channels, slots, heatmap)."""
    if behaviour is None or behaviour.empty or "timestamp" not in behaviour:
        return None, None, None
    b = behaviour.dropna(subset=["timestamp"])
    in_aud = b["user_id"].isin(set(audience_ids))
    channels = None
    if "channel" in b and b["channel"].notna().any():
        pop = b["channel"].astype(str).value_counts(normalize=True)
        aud = b.loc[in_aud, "channel"].astype(str).value_counts(normalize=True)
        channels = pd.DataFrame(
            {
                "channel": pop.index,
                "audience_share": [float(aud.get(c, 0.0)) for c in pop.index],
                "population_share": pop.to_numpy(),
            }
        )
        channels["index"] = channels["audience_share"] / channels["population_share"]
        if by_channel is not None and len(by_channel):
            channels = channels.merge(by_channel[["channel", "uplift"]], on="channel", how="left")
        channels = channels.sort_values(["index"], ascending=False, kind="stable").reset_index(drop=True)
    hour = b["timestamp"].dt.hour.to_numpy()
    weekend = b["timestamp"].dt.day_of_week.to_numpy() >= 5
    slot = np.searchsorted([s[1] for s in SLOTS], hour, side="right")
    lab = np.array([f"{a:02d}-{z:02d}" for a, z in SLOTS], dtype=object)[np.clip(slot, 0, len(SLOTS) - 1)]
    f = pd.DataFrame({"day": np.where(weekend, "weekend", "weekday"), "slot": lab, "aud": in_aud.to_numpy()})
    pop = f.groupby(["day", "slot"]).size() / len(f)
    aud = f[f["aud"]].groupby(["day", "slot"]).size() / max(int(f["aud"].sum()), 1)
    slots = pd.DataFrame({"audience_share": aud, "population_share": pop}).fillna(0.0).reset_index()
    slots["index"] = slots["audience_share"] / slots["population_share"].where(slots["population_share"] > 0)
    slots = slots.sort_values("audience_share", ascending=False, kind="stable").reset_index(drop=True)
    h = pd.DataFrame({"weekday": b.loc[in_aud, "timestamp"].dt.day_of_week, "hour": b.loc[in_aud, "timestamp"].dt.hour})
    heat = (
        h.groupby(["weekday", "hour"])
        .size()
        .unstack(fill_value=0)
        .reindex(index=range(7), columns=range(24), fill_value=0)
    )
    return channels, slots, heat


def build_plan(
    ds,
    item_id: str | None = None,
    genres=(),
    keywords=(),
    scorer: str = "neighbour",
    response: pd.Series | None = None,
    response_weight: float = 0.3,
    describe: pd.DataFrame | None = None,
    behaviour: pd.DataFrame | None = None,
    by_channel: pd.DataFrame | None = None,
    audience_share: float = 0.1,
    budget: float | None = None,
    cpm: float = 40.0,
    frequency: float = 3.0,
    conv_rate: float = 0.02,
    min_size: int | None = None,
    seed: int = 0,
) -> AudiencePlan:
    """Rank the pool for the film, cut the audience (``audience_share`` of the pool, or what
    ``budget`` buys at ``cpm`` x ``frequency``), and describe it."""
    from ..profiling.audience import target_audience

    for name, v in (("cpm", cpm), ("frequency", frequency), ("conversion rate", conv_rate)):
        if v is None or not np.isfinite(v) or v < 0:
            raise UserError(f"{name} is {v}; it must be a number >= 0")
    if budget is not None and budget < 0:
        raise UserError(f"budget is {budget:g}; the budget cannot be negative")
    if not 0 < audience_share <= 1:
        raise UserError(f"audience share is {audience_share}; choose a share between 0 and 1 (e.g. 0.1 for 10 %)")
    try:
        res = target_audience(ds, item_id=item_id, genres=genres, keywords=keywords, model=scorer, top=None, seed=seed)
    except ValueError as e:
        raise UserError(str(e)) from None
    t = res.table[["user_id", "score"]].rename(columns={"score": "rec_score"}).reset_index(drop=True)
    uses = response is not None and len(response) > 0
    if uses:
        t["response"] = response.reindex(t["user_id"]).to_numpy(float)
        t["response"] = t["response"].fillna(float(np.nanmedian(t["response"])) if t["response"].notna().any() else 0.0)
        t["score"] = (1 - response_weight) * _pct(t["rec_score"].to_numpy()) + response_weight * _pct(
            t["response"].to_numpy()
        )
    else:
        t["response"] = np.nan
        t["score"] = _pct(t["rec_score"].to_numpy())
    t = t.sort_values("score", ascending=False, kind="stable").reset_index(drop=True)
    t.insert(1, "rank", np.arange(1, len(t) + 1))
    n_aud = max(1, int(np.ceil(audience_share * len(t) - 1e-9)))
    notes = []
    if budget is not None and cpm > 0 and frequency > 0:
        afford = int(budget / (frequency * cpm / 1000.0))
        n_aud = max(1, min(len(t), afford))
        notes.append("budget")
    if describe is not None:
        d = describe.reindex(t["user_id"])
        if "segment" in d:
            t["segment"] = d["segment"].to_numpy()
    min_size = int(min_size if min_size is not None else max(10, round(0.05 * n_aud)))
    mix, persona = trait_mix(t["user_id"].head(n_aud), describe if describe is not None else pd.DataFrame(), min_size)
    t["persona"] = " · ".join(f"{p['value']}" for p in persona) if persona else ""
    reach = reach_table(t, cpm, frequency, conv_rate)
    channels, slots, heat = channels_and_slots(behaviour, t["user_id"].head(n_aud), by_channel)
    params = {
        "item_id": item_id,
        "scorer": res.model,
        "response_weight": response_weight if uses else 0.0,
        "audience_share": audience_share,
        "budget": budget,
        "cpm": cpm,
        "frequency": frequency,
        "conv_rate": conv_rate,
        "min_size": min_size,
        "min_index": MIN_INDEX,
    }
    return AudiencePlan(item_id, res.model, uses, t, n_aud, persona, mix, reach, channels, slots, heat, params, notes)


_FORMULA = ("=", "+", "-", "@", "\t", "\r")


def _neutralise(v):
    if isinstance(v, str) and v.startswith(_FORMULA):
        return "'" + v
    return v


def export_plan_csv(
    plan: AudiencePlan, secret: bytes, contacts: pd.DataFrame | None = None, segment_names: dict | None = None
) -> bytes:
    """The audience as CSV for an ad platform: user_pseudonym, rank, score, segment, persona and,
    when ``contacts`` (from :func:`hashed_contacts`) is given, email_sha256 / phone_sha256."""
    from ..profiling.audience import pseudonymise

    a = plan.audience.copy()
    out = pd.DataFrame({"user_pseudonym": pseudonymise(a["user_id"], secret)})
    out["rank"] = a["rank"].to_numpy()
    out["score"] = a["score"].round(4).to_numpy()
    names = {str(k): v for k, v in (segment_names or {}).items()}
    seg = a["segment"].astype(object) if "segment" in a else pd.Series([""] * len(a))
    out["segment"] = [names.get(str(v), v) if v is not None and str(v) != "nan" else "" for v in seg]
    persona = [names.get(str(p["value"]), p["value"]) if p["trait"] == "segment" else p["value"] for p in plan.persona]
    out["persona"] = " · ".join(map(str, persona))
    if contacts is not None and len(contacts):
        c = contacts.set_index("user_id")
        for col in ("email_sha256", "phone_sha256"):
            if col in c:
                out[col] = c[col].reindex(a["user_id"]).to_numpy()
    return to_csv_bytes(out.map(_neutralise))  # the one export function: formula cells and control chars defused


def validate_scorers(ds, scorers=("auto", "popularity"), n_items: int = 12, seed: int = 0, progress=None) -> dict:
    """The page's offline validation: lift@10 % of each scorer with half of each sampled film's
    likers hidden. Returns {"lifts": {scorer: lift}, "best": name, "default_wins": bool}."""
    from ..profiling.audience import evaluate_lift

    main = scorers[0]
    extra = [s for s in scorers[1:] if s not in ("popularity", "random")]
    try:
        r = evaluate_lift(ds, n_items=n_items, model=main, seed=seed, extra_models=extra, progress=progress)
    except ValueError as e:
        raise UserError(str(e)) from None
    lifts = {r["model"]: r["lift_at_10pct"], "popularity": r["popularity_lift_at_10pct"]}
    for s in extra:
        lifts[s] = r[f"{s}_lift_at_10pct"]
    best = max(lifts, key=lambda k: lifts[k])
    return {
        "lifts": lifts,
        "best": best,
        "default": r["model"],
        "default_wins": lifts[r["model"]] >= lifts["popularity"],
    }
