"""``import DIR [--activate]``: bring a Spark output folder into the workspace (CINELENS_WORKSPACE)."""

from __future__ import annotations


def add_parser(sub):
    p = sub.add_parser("import", help="bring a `spark JOB --out DIR` folder into the workspace")
    p.add_argument("folder", help="the output folder of a spark job (holds _CINELENS.json)")
    p.add_argument("--activate", action="store_true", help="make an imported dataset version the active one")
    p.add_argument("--workspace", metavar="DIR", help="workspace folder (default: CINELENS_WORKSPACE or ./workspace)")
    return p


def run(args) -> int:
    from ..spark_import import import_output, read_output
    from ..store import open_workspace

    read_output(args.folder)  # refuse before the workspace is even opened
    ws = open_workspace(args.workspace)
    res = import_output(ws, args.folder, activate=args.activate)
    o = res["origin"]
    where = f"spark {res['job']} on {o['master']}, finished {o['finished']}"
    if res["version_id"]:
        print(f"imported {args.folder} as dataset version {res['version_id']} ({where})")
    for rid, kind, rows in res["results"]:
        print(f"imported {kind} as result {rid}: {rows:,} rows ({where})")
    return 0
