"""``plan DATA --item ID --budget N --cpm X --out plan.csv``: an audience plan for a film: ranked
audience, persona (only traits that stand out), reach and cost, best channels and time slots, and
an export with pseudonymous ids and hashed contacts for an ad platform's customer-match upload."""

from __future__ import annotations

import sys
from pathlib import Path

from ..app import Lab
from ..app import promotion as PL
from ..audit import default_who
from ..data.export import write_export_bytes
from ..data.io import load_path
from ..errors import UserError
from .common import write_json


def add_parser(sub):
    p = sub.add_parser("plan", help="audience plan for a film, with reach, cost, channels and an ad-platform export")
    p.add_argument("path", help="dataset (CSV/TSV file, MovieLens or CineLens folder)")
    g = p.add_mutually_exclusive_group(required=True)
    g.add_argument("--item", metavar="ID", help="the film")
    g.add_argument("--genres", help="describe a new film: comma-separated genres")
    p.add_argument("--budget", type=float, help="media budget; the audience is what it buys at --cpm x --frequency")
    p.add_argument("--cpm", type=float, default=40.0, help="cost per thousand impressions (default 40)")
    p.add_argument("--frequency", type=float, default=3.0, help="impressions per reached user (default 3)")
    p.add_argument(
        "--conv-rate", type=float, default=0.02, help="incremental conversions per reached user (default 0.02)"
    )
    p.add_argument("--share", type=float, default=0.1, help="audience share of the pool without --budget (default 0.1)")
    p.add_argument("--model", default="neighbour", help="audience scorer (default neighbour; see `audience --help`)")
    p.add_argument("--exposures", metavar="FILE", help="campaign exposure log: adds ad-response scores")
    p.add_argument("--behaviour", metavar="FILE", help="behaviour log: best channels and time slots")
    p.add_argument("--users", metavar="FILE", help="users table with email / phone: adds SHA-256 hashed contacts")
    p.add_argument("--country", default="86", help="country code for phone numbers written without one (default 86)")
    p.add_argument("--no-segments", action="store_true", help="skip segmenting users (faster; no segment column)")
    p.add_argument("--out", metavar="FILE", help="write the audience as CSV (pseudonymous ids, never raw contacts)")
    p.add_argument(
        "--workspace", help="workspace folder holding the pseudonym secret (default $CINELENS_WORKSPACE or ./workspace)"
    )
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--json", metavar="OUT", help="write the plan summary as JSON to OUT ('-' for stdout)")
    return p


def _promo_file(args, name: str, given: str | None):
    if given:
        return given
    p = Path(args.path) / "promotion" / f"{name}.csv"
    return str(p) if p.is_file() else None


def _segments(ds):
    mem, personas = PL.auto_segments(ds)
    from ui.sentences import persona_names  # the app's locale catalogue, without Streamlit

    return mem, persona_names(personas, "en")


def run(args) -> int:
    for name in ("cpm", "frequency", "conv_rate", "budget"):
        v = getattr(args, name)
        if v is not None and v < 0:
            raise UserError(f"--{name.replace('_', '-')} is {v:g}; it cannot be negative")
    ds = load_path(args.path)
    if ds.ratings.empty:
        raise UserError(f"{args.path}: no ratings; an audience plan needs rated films")
    human = sys.stderr if args.json == "-" else sys.stdout
    seg, names = (None, None) if args.no_segments else _segments(ds)
    response = None
    ex_path = _promo_file(args, "exposures", args.exposures)
    if ex_path:
        ex = PL.read_table(ex_path, "exposures").frame
        run_ = PL.ad_response(ex, PL.user_features(ds, seg), seed=args.seed)
        r, response = run_.result, run_.scores
        print(
            f"ad-response model {r.default}: AUC {float(r.table.set_index('model').loc[r.default, 'auc']):.3f}",
            file=human,
        )
    beh_path = _promo_file(args, "behaviour", args.behaviour)
    beh = PL.read_table(beh_path, "behaviour").frame if beh_path else None
    genres = [g.strip() for g in (args.genres or "").replace("，", ",").split(",") if g.strip()]
    plan = PL.audience_plan(
        ds,
        seg,
        names,
        item_id=args.item,
        genres=genres,
        scorer=args.model,
        response=response,
        behaviour=beh,
        audience_share=args.share,
        budget=args.budget,
        cpm=args.cpm,
        frequency=args.frequency,
        conv_rate=args.conv_rate,
        seed=args.seed,
    )
    print(
        f"audience: {plan.audience_size} of {len(plan.table)} users (scorer {plan.scorer}"
        f"{', with ad-response scores' if plan.uses_response else ''})",
        file=human,
    )
    print(f"  persona: {plan.persona_text() or 'no trait stands out (index > 1.2 with enough members)'}", file=human)
    if plan.channels is not None:
        print(f"  best channels: {', '.join(plan.channels['channel'].head(3))}", file=human)
    if plan.slots is not None:
        print(
            f"  best time slots: {', '.join(f'{r.day} {r.slot}' for r in plan.slots.head(3).itertuples())}", file=human
        )
    if args.out:
        from ..store import open_workspace

        contacts = PL.contacts_from_path(args.users, args.country) if args.users else None
        lab = Lab(open_workspace(args.workspace))
        write_export_bytes(lab.export_plan(plan, default_who(), contacts, target=str(args.out)), args.out)
        print(
            f"wrote {args.out} ({plan.audience_size} users, pseudonymous ids"
            f"{', hashed contacts' if contacts is not None else ''})",
            file=human,
        )
    if args.json:
        write_json(
            {
                "item_id": plan.item_id,
                "scorer": plan.scorer,
                "audience": plan.audience_size,
                "pool": len(plan.table),
                "persona": plan.persona,
                "reach": plan.reach.to_dict("records"),
                "channels": plan.channels.to_dict("records") if plan.channels is not None else None,
                "slots": plan.slots.head(5).to_dict("records") if plan.slots is not None else None,
                "params": plan.params,
            },
            args.json,
        )
    return 0
