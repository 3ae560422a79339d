"""Cold start of `slant check`: one sentence, a fresh process each time, timed from process start
to exit (interpreter, imports, model load, scoring, trigger words, output).

    python benchmarks/cold_start.py                        # default backend and --backend torch, 7 runs each
    python benchmarks/cold_start.py --runs 11 --backends auto
    python benchmarks/cold_start.py --sentence "Rain fell on Tuesday."

Before the timed runs of each backend, one warm-up run fills the ONNX cache (the export and, for
int8, the quantisation happen once per model and machine, on first use) and the operating
system's file cache; it is reported but not counted. The median of the timed runs is the figure.
One more run under `python -X importtime` says whether torch or transformers were imported.
The 1-minute load average before and after is printed beside the numbers.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

SENTENCE = ("According to sources familiar with the matter, the finance minister is said to be preparing a "
            "secret deal with foreign banks.")  # flagged (hedged attribution): its trigger words are searched too


def command(backend: str, draft: Path, model: str | None, extra: list[str]) -> list[str]:
    slant = shutil.which("slant", path=str(Path(sys.executable).parent))
    base = [slant] if slant else [sys.executable, "-m", "slant.cli.main"]
    args = ["check", str(draft), "--color", "never"] + ([] if backend == "auto" else ["--backend", backend])
    return base + args + (["--model", model] if model else []) + extra


def run(argv: list[str], env: dict) -> tuple[float, subprocess.CompletedProcess]:
    started = time.perf_counter()
    done = subprocess.run(argv, capture_output=True, text=True, env=env)
    seconds = time.perf_counter() - started
    if done.returncode:
        raise SystemExit(f"{' '.join(argv)} failed ({done.returncode}):\n{done.stderr[-3000:]}")
    return seconds, done


def heavy_imports(argv: list[str], env: dict) -> list[str]:
    """Which of torch / transformers the command imports (from `-X importtime`)."""
    python = [sys.executable, "-X", "importtime", "-m", "slant.cli.main"] + argv[argv.index("check"):]
    _, done = run(python, env)
    found = {line.rsplit("|", 1)[-1].strip() for line in done.stderr.splitlines() if line.startswith("import time:")}
    return sorted(found & {"torch", "transformers"})


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--backends", default="auto,torch", help="comma-separated: auto (no --backend), torch, onnx, ...")
    parser.add_argument("--runs", type=int, default=7, help="timed runs per backend (after one warm-up run)")
    parser.add_argument("--sentence", default=SENTENCE)
    parser.add_argument("--model", default=None, help="default: the released model")
    parser.add_argument("--json", type=Path)
    args = parser.parse_args(argv)

    env = {**os.environ, "TOKENIZERS_PARALLELISM": "false"}
    results = {}
    with tempfile.TemporaryDirectory() as folder:
        draft = Path(folder) / "sentence.txt"
        draft.write_text(args.sentence + "\n", encoding="utf-8")
        for backend in [b.strip() for b in args.backends.split(",") if b.strip()]:
            argv_ = command(backend, draft, args.model, [])
            warm_up, done = run(argv_, env)
            load_before = os.getloadavg()[0]
            times = [run(argv_, env)[0] for _ in range(args.runs)]
            load_after = os.getloadavg()[0]
            imports = heavy_imports(argv_, env)
            results[backend] = {"median_s": round(statistics.median(times), 3), "min_s": round(min(times), 3),
                                "max_s": round(max(times), 3), "runs": len(times), "warm_up_s": round(warm_up, 2),
                                "imports": imports, "load_1min": [round(load_before, 2), round(load_after, 2)],
                                "output": done.stdout.strip().splitlines()[-1]}
            print(backend, json.dumps(results[backend]), flush=True)
    print()
    print("| `slant check`, one sentence | median | min | max | runs | warm-up run (fills the cache) "
          "| imports torch / transformers | load before/after |")
    print("|---|---:|---:|---:|---:|---:|---|---|")
    for backend, r in results.items():
        name = "no flags (default: auto)" if backend == "auto" else f"--backend {backend}"
        print(f"| {name} | {r['median_s']:.2f} s | {r['min_s']:.2f} s | {r['max_s']:.2f} s | {r['runs']} "
              f"| {r['warm_up_s']:.1f} s | {', '.join(r['imports']) or 'neither'} "
              f"| {r['load_1min'][0]} / {r['load_1min'][1]} |")
    if args.json:
        args.json.write_text(json.dumps(results, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
