"""`slant models list|promote|rollback`: the registered versions and the alias that serves.

The registry is MLflow's, found through MLFLOW_TRACKING_URI (else MLflow's local default)."""

from __future__ import annotations


def register(commands):
    parser = commands.add_parser("models", help="list registered versions; move the champion alias by hand")
    actions = parser.add_subparsers(dest="action", required=True, metavar="ACTION")
    listing = actions.add_parser("list", help="versions with their aliases and key metrics, newest first")
    promote = actions.add_parser("promote", help="point the champion alias at VERSION")
    promote.add_argument("version", help="registry version number")
    rollback = actions.add_parser("rollback", help="undo the last promotion: the previous champion serves again")
    for sub in (listing, promote, rollback):
        sub.add_argument("--name", default="slant", help="registered model name (default: slant)")
        sub.add_argument("--alias", default="champion", help="alias of the serving model (default: champion)")
    for sub in (promote, rollback):
        sub.add_argument("--reason", default=None, help="why; stored as a tag on the version")
    listing.set_defaults(func=run_list)
    promote.set_defaults(func=run_promote)
    rollback.set_defaults(func=run_rollback)


def run_list(args) -> int:
    from slant.training.registry import Registry, key_metrics

    registry = Registry(args.name, args.alias)
    rows = [("version", "aliases", "created", "run", "key metrics")]
    for info in registry.versions():
        rows.append((info.version, ",".join(info.aliases) or "-", info.created_text, info.run_id[:8] or "-",
                     key_metrics(info)))
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]) - 1)]
    for row in rows:
        print("  ".join(cell.ljust(width) for cell, width in zip(row, widths)) + "  " + row[-1])
    return 0


def run_promote(args) -> int:
    from slant.training.registry import Registry

    registry = Registry(args.name, args.alias)
    previous = registry.promote(args.version, reason=args.reason or "promoted by hand")
    was = f"version {previous}" if previous else "no champion"
    print(f"{registry.champion_uri} -> version {args.version} (was {was})")
    return 0


def run_rollback(args) -> int:
    from slant.training.registry import Registry

    registry = Registry(args.name, args.alias)
    current, target = registry.rollback(reason=args.reason or "rolled back by hand")
    print(f"{registry.champion_uri} -> version {target} (rolled back from version {current})")
    return 0
