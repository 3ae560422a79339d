"""Load test for `slant serve`: N concurrent clients post a ~1,000-word draft for a fixed time.

    python benchmarks/load.py                          # spawns `slant serve` with the released model
    python benchmarks/load.py --model runs/x/model     # ... with another model
    python benchmarks/load.py --url http://127.0.0.1:8000 --clients 20 --duration 30
    python benchmarks/load.py --fresh                  # every request a draft never seen before

By default every request sends the same draft, which is what an editor re-checking a draft does,
so after the first request the server answers from its per-sentence cache; `--fresh` changes
the numbers in every sentence of every request, so every sentence is scored (and explained)
from scratch. `--all-labels` asks for every technique (and their trigger words), as the page's
"all techniques" switch does; by default only the model's reported ones, as the page does.

A 503 (the server's model queue is full, `--max-queue`) is counted apart as `refused`, with the
Retry-After values seen; the client honours it (waits that long) before its next request. Only
loopback addresses are accepted. Prints one JSON object (with the 1-minute load average before
and after); exits 1 on any error or failed request other than a 503.
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import json
import os
import re
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import urlparse

import httpx
import numpy as np

LOOPBACK = {"127.0.0.1", "localhost", "::1"}
REQUEST_TIMEOUT_S = 300.0

# A wire story with a few framing devices; {n} slots make each sentence unique under --fresh.
SENTENCES = (
    "The city council voted {n} to 4 on Monday to raise the property tax rate for the coming year.",
    "Opponents called the decision a crippling betrayal of the {n} struggling families who can barely pay their bills.",
    "The increase will add about {n} dollars a year to the bill for a typical home, according to the finance office.",
    "Everyone knows the so-called experts at City Hall have been wrong about every budget for {n} years.",
    "Council member Ana Ruiz said the money would pay for road repairs and {n} new teachers.",
    "Critics warned of the destabilizing influence of the post-Maidan government in Kyiv on {n} regional energy prices.",
    "Shares in the regional utility fell {n} percent after the announcement.",
    "Either we stop this reckless spending spree now, or our children will pay for it for {n} generations.",
    "A spokesperson for the mayor said the office would publish a detailed breakdown within {n} days.",
    "It is what it is, one resident said, standing outside the {n}th Street library.",
    "Sources close to the ministry suggest the figures may have been quietly revised {n} times.",
    "Police estimated that {n} people attended the protest outside City Hall on Saturday.",
    "This shameful surrender to the unions is exactly what the radical extremists wanted for {n} years.",
    "The finance office said the reserve fund held about {n} million dollars at the end of June.",
    "Why would any honest official hide the report from voters for {n} months?",
    "The measure takes effect in January, and a public hearing is scheduled for {n} p.m. on Thursday.",
    "Millions of residents have already switched to the new plan, and {n} more join them every week.",
    "Like the failed schemes of the past, this plan will end in ruin within {n} years.",
)


def draft(words: int, variant: int | None) -> str:
    """About `words` words in paragraphs of four sentences; `variant` None gives the fixed draft."""
    numbers = itertools.count(variant * 10_000 + 17 if variant is not None else 17, 7)
    sentences, total = [], 0
    for template in itertools.cycle(SENTENCES):
        sentence = template.format(n=next(numbers))
        sentences.append(sentence)
        total += len(sentence.split())
        if total >= words:
            break
    paragraphs = [" ".join(sentences[i : i + 4]) for i in range(0, len(sentences), 4)]
    return "\n\n".join(paragraphs)


async def client_loop(client, url, body_for, deadline, latencies, failures, refused):
    """One client: post, wait for the answer, repeat until the deadline (after a 503, wait as
    its Retry-After says first)."""
    while time.monotonic() < deadline:
        started = time.perf_counter()
        try:
            response = await client.post(url, json=body_for())
            ok = response.status_code == 200 and "sentences" in response.json()
        except (httpx.HTTPError, ValueError) as error:
            ok, response = False, error
        elapsed = time.perf_counter() - started
        if ok:
            latencies.append(elapsed)
        elif getattr(response, "status_code", None) == 503:
            retry = float(response.headers.get("retry-after", "1"))
            refused.append((elapsed, retry))
            await asyncio.sleep(min(retry, max(0.0, deadline - time.monotonic())))
        else:
            failures.append(str(getattr(response, "status_code", response)))


async def run_load(base: str, clients: int, duration: float, words: int, fresh: bool, triggers: bool,
                   all_labels: bool = False) -> dict:
    url = base.rstrip("/") + "/api/analyse"
    variants = itertools.count(1)
    fixed = draft(words, None)

    def body_for():
        return {"text": draft(words, next(variants)) if fresh else fixed, "triggers": triggers,
                "all_labels": all_labels}

    limits = httpx.Limits(max_connections=clients, max_keepalive_connections=clients)
    async with httpx.AsyncClient(timeout=REQUEST_TIMEOUT_S, limits=limits) as client:
        started = time.perf_counter()
        first = await client.post(url, json=body_for())  # warm-up, not counted
        warmup = time.perf_counter() - started
        first.raise_for_status()
        latencies: list[float] = []
        failures: list[str] = []
        refused: list[tuple[float, float]] = []
        load_before = os.getloadavg()[0]
        started = time.perf_counter()
        deadline = time.monotonic() + duration
        await asyncio.gather(*(client_loop(client, url, body_for, deadline, latencies, failures, refused)
                               for _ in range(clients)))
        wall = time.perf_counter() - started
        load_after = os.getloadavg()[0]
    ms = np.array(latencies) * 1000 if latencies else np.array([np.nan])
    return {
        "clients": clients,
        "duration_s": round(wall, 1),
        "draft_words": len(fixed.split()),
        "draft_sentences": first.json()["summary"]["sentences"],
        "fresh_drafts": fresh,
        "triggers": triggers,
        "all_labels": all_labels,
        "flagged_sentences": first.json()["summary"]["flagged"],
        "first_request_s": round(warmup, 2),
        "requests": len(latencies),
        "errors": len(failures),
        "error_examples": sorted(set(failures))[:5],
        "refused_503": len(refused),
        "refused_answer_ms": {name: round(1000 * float(np.percentile([e for e, _ in refused], q)), 1)
                              for name, q in (("p50", 50), ("p95", 95), ("max", 100))} if refused else None,
        "retry_after_s": sorted({r for _, r in refused}),
        "load_1min": [round(load_before, 2), round(load_after, 2)],
        "requests_per_s": round(len(latencies) / wall, 2),
        "latency_ms": {name: round(float(np.percentile(ms, q)), 1)
                       for name, q in (("p50", 50), ("p95", 95), ("p99", 99), ("max", 100))},
    }


def spawn_server(model: str | None, cache_sentences: int | None, backend: str | None = None,
                 max_queue: int | None = None) -> tuple[subprocess.Popen, str]:
    """`slant serve` on a free loopback port; returns the process and its base URL."""
    command = [sys.executable, "-m", "slant.cli.main", "serve", "--port", "0"]
    if model:
        command += ["--model", model]
    if cache_sentences is not None:
        command += ["--cache-sentences", str(cache_sentences)]
    if backend:
        command += ["--backend", backend]
    env = {**os.environ, **({"SLANT_MAX_QUEUE": str(max_queue)} if max_queue else {})}
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True, env=env)
    deadline = time.monotonic() + 300
    while time.monotonic() < deadline:
        line = process.stdout.readline()
        if not line and process.poll() is not None:
            raise SystemExit(f"slant serve exited with {process.returncode}; run it by hand to see why")
        if match := re.search(r"open (http://127\.0\.0\.1:\d+)/", line):
            print(line.strip(), file=sys.stderr)
            return process, match.group(1)
    process.terminate()
    raise SystemExit("slant serve did not start within 300 s")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--url", help="a running server (loopback only); default: spawn `slant serve`")
    parser.add_argument("--model", help="model for the spawned server (default: the released model)")
    parser.add_argument("--cache-sentences", type=int, help="passed to the spawned server")
    parser.add_argument("--clients", type=int, default=20)
    parser.add_argument("--duration", type=float, default=30.0, help="seconds of load after one warm-up request")
    parser.add_argument("--words", type=int, default=1000, help="approximate draft length")
    parser.add_argument("--fresh", action="store_true", help="a never-seen draft for every request")
    parser.add_argument("--no-triggers", dest="triggers", action="store_false", help="scores only")
    parser.add_argument("--all-labels", action="store_true", help="every technique and its trigger words")
    parser.add_argument("--backend", help="passed to the spawned server (default: its own default, auto)")
    parser.add_argument("--max-queue", type=int, help="the spawned server's queue bound ($SLANT_MAX_QUEUE)")
    parser.add_argument("--out", type=Path, help="also write the report to this JSON file")
    args = parser.parse_args(argv)
    if not (1 <= args.clients <= 200 and 1 <= args.duration <= 600 and 10 <= args.words <= 20_000):
        parser.error("use 1-200 clients, 1-600 s and 10-20000 words")

    process = None
    if args.url:
        host = urlparse(args.url).hostname
        if host not in LOOPBACK:
            parser.error(f"--url must be a loopback address ({', '.join(sorted(LOOPBACK))}), got {host!r}")
        base = args.url
    else:
        process, base = spawn_server(args.model, args.cache_sentences, args.backend, args.max_queue)
    try:
        report = asyncio.run(run_load(base, args.clients, args.duration, args.words, args.fresh, args.triggers,
                                      args.all_labels))
    finally:
        if process is not None:
            process.terminate()
            process.wait(timeout=30)
    report["url"] = base
    text = json.dumps(report, indent=2)
    print(text)
    if args.out:
        args.out.write_text(text + "\n", encoding="utf-8")
    return 1 if report["errors"] else 0


if __name__ == "__main__":
    sys.exit(main())
