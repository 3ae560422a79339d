"""The team's own held-out article (official framing of a military deployment, unnamed sources,
loaded labels for the other side): which sentences the model flags, against what we expect.

    python benchmarks/heldout_article.py --model models/released --out docs/heldout_article.md

The article and its expected labels live in examples/heldout/; they were written for this
check and never used for training, thresholds or model selection.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from slant.inference.predictor import Predictor

HERE = Path(__file__).resolve().parents[1] / "examples" / "heldout"


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", default=None, help="model folder (default: the released model)")
    parser.add_argument("--out", default=None, help="write the Markdown table here")
    args = parser.parse_args()

    text = (HERE / "state_media_article.txt").read_text(encoding="utf-8")
    expected = {int(k): set(v) for k, v in json.loads((HERE / "state_media_article.expected.json").read_text())["expected"].items()}
    predictor = Predictor.load(args.model)
    everything = predictor.analyse(text, all_labels=True)
    reported = set(predictor.classifier.reported_labels)
    lines = ["| # | sentence | expected | flagged (all labels, prob.) | shown by default |", "| --- | --- | --- | --- | --- |"]
    hits = misses = false_alarms = neutral_clean = neutral = 0
    for sentence in everything.sentences:
        want = expected.get(sentence.index, set())
        got = set(sentence.labels)
        hits += len(want & got)
        misses += len(want - got)
        false_alarms += len(got - want)
        if not want:
            neutral += 1
            neutral_clean += not got
        flagged = ", ".join(f"{l} {sentence.scores[l]:.2f}" for l in sorted(got, key=lambda l: -sentence.scores[l])) or "-"
        shown = ", ".join(sorted(got & reported)) or "-"
        short = sentence.text if len(sentence.text) < 70 else sentence.text[:67] + "..."
        lines.append(f"| {sentence.index} | {short} | {', '.join(sorted(want)) or '-'} | {flagged} | {shown} |")
    summary = (f"expected flags found: {hits} of {hits + misses}; flags not expected: {false_alarms}; "
               f"neutral sentences left unflagged: {neutral_clean} of {neutral}")
    report = "\n".join(lines) + "\n\n" + summary + "\n"
    print(report)
    if args.out:
        Path(args.out).write_text(f"Model: `{args.model or 'models/released'}`. Command: "
                                  f"`python benchmarks/heldout_article.py --model {args.model or 'models/released'}`\n\n" + report)


if __name__ == "__main__":
    main()
