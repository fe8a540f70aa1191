"""``users add NAME --role analyst``: create or update an account for the sign-in (``CINELENS_AUTH``);
``users list``: the accounts of a workspace. The password is read without echo (or from stdin with
``--password-stdin``)."""

from __future__ import annotations

import getpass
import sys

from ..accounts import ROLES, add_account
from ..errors import UserError
from ..store import open_workspace


def add_parser(sub):
    p = sub.add_parser("users", help="accounts for the app's sign-in: add one, or list them")
    p.add_argument("action", choices=["add", "list"])
    p.add_argument("name", nargs="?", help="account name (for add)")
    p.add_argument("--role", choices=ROLES, default="viewer", help="viewer (browse) or analyst (upload, train, export)")
    p.add_argument("--password-stdin", action="store_true", help="read the password from the first line of stdin")
    p.add_argument("--workspace", help="workspace folder (default $CINELENS_WORKSPACE or ./workspace)")
    return p


def run(args) -> int:
    ws = open_workspace(args.workspace)
    if args.action == "list":
        for r in ws.accounts().itertuples():
            print(f"{r.name}\t{r.role}")
        return 0
    if not args.name:
        raise UserError("users add needs an account name, e.g. users add alice --role analyst")
    if args.password_stdin:
        password = sys.stdin.readline().rstrip("\n")
    else:
        password = getpass.getpass(f"password for {args.name}: ")
        if getpass.getpass("again: ") != password:
            raise UserError("the two passwords differ - run the command again")
    add_account(ws, args.name, password, args.role)
    print(f"account {args.name} saved ({args.role})")
    return 0
