"""`slant labels`: the technique registry, as guidelines or JSON."""

from __future__ import annotations

import json
from dataclasses import asdict


def register(commands):
    parser = commands.add_parser("labels", help="list the techniques Slant detects, with definitions",
                                 description="The techniques Slant labels: id, name, PTC name and definition.")
    parser.add_argument("--format", choices=("text", "json", "markdown"), default="text",
                        help="text (default), json (for scripts) or markdown (the annotation guidelines)")
    parser.set_defaults(func=run)


def run(args) -> int:
    from slant.models.guidelines import render_markdown
    from slant.models.labels import load_labels

    label_set = load_labels()
    if args.format == "json":
        print(json.dumps({"version": label_set.version, "labels": [asdict(t) for t in label_set.techniques]}, indent=2))
    elif args.format == "markdown":
        print(render_markdown(label_set))
    else:
        for technique in label_set.techniques:
            source = f"PTC: {technique.ptc_name}" if technique.ptc_name else "new in Slant"
            print(f"{technique.id}  ({technique.name}; {source})")
            print(f"    {technique.definition}\n")
    return 0
