"""``campaign EXPOSURES``: conversion uplift of a randomised campaign (test vs control), or, for a
campaign without a control group, difference-in-differences against matched non-exposed users."""

from __future__ import annotations

import sys

from ..app import promotion as PL
from ..errors import UserError
from .common import write_json
from .promo_common import parse_map


def add_parser(sub):
    p = sub.add_parser("campaign", help="campaign lift: uplift with CI and tests, or diff-in-diff without control")
    p.add_argument("path", help="campaign exposure log (user, campaign, arm, channel, time, click, converted)")
    p.add_argument("--campaign", help="campaign to analyse (default: the first randomised one)")
    p.add_argument("--spend", type=float, help="total spend (default: the sum of the log's cost column)")
    p.add_argument("--behaviour", metavar="FILE", help="behaviour log, for a campaign without a control group")
    p.add_argument("--map", help="FIELD=COLUMN pairs for unusual headers, e.g. arm=group,converted=bought")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--json", metavar="OUT", help="write the result as JSON to OUT ('-' for stdout)")
    return p


def run(args) -> int:
    if args.spend is not None and args.spend < 0:
        raise UserError(f"--spend is {args.spend:g}; spend cannot be negative - give the campaign's total cost")
    ex = PL.read_table(args.path, "exposures", parse_map(args.map)).frame
    human = sys.stderr if args.json == "-" else sys.stdout
    beh = PL.read_table(args.behaviour, "behaviour").frame if args.behaviour else None
    run_ = PL.analyse_campaign(ex, args.campaign, spend=args.spend, behaviour=beh, seed=args.seed)
    if run_.did is not None:
        return _did(args, run_.did, human)
    res = run_.lift
    s = res.summary()
    out = {
        **s,
        "by_channel": res.by_channel.to_dict("records") if res.by_channel is not None else None,
        "notes": res.notes,
    }
    print(f"campaign {s['campaign']}: test {s['n_test']} users, control {s['n_control']} users", file=human)
    print(f"  conversion  test {s['rate_test']:.2%}  control {s['rate_control']:.2%}", file=human)
    print(
        f"  uplift      {s['uplift']:+.2%}  95% CI [{s['ci_low']:+.2%}, {s['ci_high']:+.2%}]  p={s['p_value']:.3g}",
        file=human,
    )
    print(f"  bootstrap   [{s['boot_ci_low']:+.2%}, {s['boot_ci_high']:+.2%}]  p={s['boot_p_value']:.3g}", file=human)
    print(f"  incremental conversions {s['incremental']:.1f}", file=human)
    if s["cost_per_incremental"] is not None:
        print(
            f"  cost per incremental conversion {s['cost_per_incremental']:,.2f} (spend {s['spend']:,.2f})", file=human
        )
    if args.json:
        write_json(out, args.json)
    return 0


def _did(args, d, human) -> int:
    s = d.summary()
    print(f"campaign {d.campaign}: no control group - difference-in-differences (weaker evidence)", file=human)
    print(
        f"  exposed users {d.n_exposed}; watch events per week before {d.exposed_before:.3f}, after {d.exposed_after:.3f}",
        file=human,
    )
    print(f"  matched non-exposed: before {d.matched_before:.3f}, after {d.matched_after:.3f}", file=human)
    print(f"  effect {d.did:+.3f} per week  95% CI [{d.ci_low:+.3f}, {d.ci_high:+.3f}]", file=human)
    if args.json:
        write_json(
            {**s, "uplift": d.did, "ci_low": d.ci_low, "ci_high": d.ci_high, "p_value": None, "incremental": None},
            args.json,
        )
    return 0
