"""`slant models list|promote|rollback`: the registered versions and the alias that serves.

The registry is MLflow's, found through MLFLOW_TRACKING_URI (else MLflow's local default)."""

from __future__ import annotations

import json


def register(commands):
    parser = commands.add_parser("models", help="list registered versions; move the champion alias by hand",
                                 description="The MLflow model registry (MLFLOW_TRACKING_URI, else ./mlflow.db): "
                                 "versions, their metrics, and the alias that serves. Listing never creates a store.")
    actions = parser.add_subparsers(dest="action", required=True, metavar="ACTION")
    listing = actions.add_parser("list", help="versions with their aliases and key metrics, newest first",
                                 description="Versions with their aliases and key metrics, newest first; "
                                 "an empty or missing registry lists nothing and exits 0.")
    listing.add_argument("--format", choices=("text", "json"), default="text",
                         help="text (default): a table; json: a list of objects for scripts")
    promote = actions.add_parser("promote", help="point the champion alias at VERSION",
                                 description="Point the alias at VERSION; the previous champion is remembered "
                                 "for `slant models rollback`.")
    promote.add_argument("version", help="registry version number")
    rollback = actions.add_parser("rollback", help="undo the last promotion: the previous champion serves again",
                                  description="Undo the last promotion: the alias goes back to the champion before it.")
    for sub in (listing, promote, rollback):
        sub.add_argument("--name", default="slant", help="registered model name (default: slant)")
        sub.add_argument("--alias", default="champion", help="alias of the serving model (default: champion)")
    for sub in (promote, rollback):
        sub.add_argument("--reason", default=None, help="why; stored as a tag on the version")
    listing.set_defaults(func=run_list)
    promote.set_defaults(func=run_promote)
    rollback.set_defaults(func=run_rollback)


def run_list(args) -> int:
    from slant.models.encoder import missing_local_store

    missing = missing_local_store()  # asked first: opening MLflow's default store creates it
    if missing:
        return _no_versions(args, f"no MLflow store at {missing}")
    from slant.training.registry import Registry, key_metrics

    registry = Registry(args.name, args.alias)
    if not registry.exists():
        return _no_versions(args, f"no model {args.name!r} is registered in {registry.uri}")
    versions = registry.versions()
    if not versions:
        return _no_versions(args, f"{args.name!r} has no versions in {registry.uri}")
    if args.format == "json":
        print(json.dumps([{"version": v.version, "aliases": list(v.aliases), "created": v.created_text,
                           "run_id": v.run_id, "metrics": v.metrics, "tags": v.tags} for v in versions], indent=2))
        return 0
    rows = [("version", "aliases", "created", "run", "key metrics")]
    for info in versions:
        rows.append((info.version, ",".join(info.aliases) or "-", info.created_text, info.run_id[:8] or "-",
                     key_metrics(info)))
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]) - 1)]
    for row in rows:
        print("  ".join(cell.ljust(width) for cell, width in zip(row, widths)) + "  " + row[-1])
    return 0


def _no_versions(args, why: str) -> int:
    """An empty registry is an answer, not an error: nothing has been trained and registered yet."""
    if args.format == "json":
        print("[]")
    else:
        print(f"no versions yet: {why}; `slant train` registers one (set MLFLOW_TRACKING_URI for another store)")
    return 0


def _registry(args):
    """The registry for commands that change it; a store that does not exist is not created."""
    from slant.models.encoder import missing_local_store
    from slant.models.errors import SlantError

    missing = missing_local_store()
    if missing:
        raise SlantError("E307", uri=missing)
    from slant.training.registry import Registry

    return Registry(args.name, args.alias)


def run_promote(args) -> int:
    registry = _registry(args)
    previous = registry.promote(args.version, reason=args.reason or "promoted by hand")
    was = f"version {previous}" if previous else "no champion"
    print(f"{registry.champion_uri} -> version {args.version} (was {was})")
    return 0


def run_rollback(args) -> int:
    registry = _registry(args)
    current, target = registry.rollback(reason=args.reason or "rolled back by hand")
    print(f"{registry.champion_uri} -> version {target} (rolled back from version {current})")
    return 0
