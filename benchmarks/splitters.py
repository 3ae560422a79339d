"""Which sentence splitter: boundary precision/recall/F1 and speed on PTC's gold sentences.

    python benchmarks/splitters.py [--articles ../shared/data/ptc/train-articles]

PTC's articles put one sentence per line, with blank lines between paragraphs. To test the
splitters on running text, each paragraph's lines are joined with a single space; the places
where lines were joined are the gold boundaries, and a splitter is scored on the boundaries it
finds inside paragraphs (paragraph breaks are free: every splitter here keeps them).

Splitters compared (every one must give offsets into the text, which Slant needs):

* slant: `slant.models.sentences.split_sentences` (line breaks + pysbd + one-sentence shortcut)
* pysbd: pysbd 0.3 alone on each paragraph (`clean=False`), offsets found by search
* punkt-untrained: NLTK's Punkt with no abbreviation model
* punkt-trained: NLTK's Punkt trained, unsupervised, on the 90 unlabelled PTC test articles
  (Punkt learns abbreviations and collocations from raw text; NLTK's pretrained `punkt` data is
  not published on PyPI by NLTK, and runtime downloads are not allowed, so it is not used)
* regex: split after . ! ? followed by space and a capital or an opening quote (a floor)

spaCy's `senter` needs a trained pipeline (en_core_web_sm), which Explosion does not publish on
PyPI (only third-party re-uploads exist), so it is left out. NLTK is optional: `pip install nltk`.
"""

from __future__ import annotations

import argparse
import re
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared" / "data" / "ptc"


def paragraphs_with_gold(articles: Path) -> list[tuple[str, set[int]]]:
    """(paragraph text with its lines joined by spaces, offsets where a gold sentence starts)."""
    out = []
    for path in sorted(articles.glob("*.txt")):
        for block in re.split(r"\n\s*\n", path.read_text(encoding="utf-8")):
            lines = [line.strip() for line in block.split("\n") if line.strip()]
            if not lines:
                continue
            text, starts = "", set()
            for line in lines:
                if text:
                    text += " "
                    starts.add(len(text))
                text += line
            out.append((text, starts))
    return out


def slant_splitter():
    from slant.models.sentences import split_sentences

    return lambda text: [s.start for s in split_sentences(text)]


def pysbd_splitter():
    import pysbd

    segmenter = pysbd.Segmenter(language="en", clean=False)

    def starts(text):
        out, cursor = [], 0
        for piece in segmenter.segment(text):
            piece = piece.strip()
            if piece:
                found = text.find(piece, cursor)
                if found >= 0:
                    out.append(found)
                    cursor = found + len(piece)
        return out

    return starts


def punkt_splitter(train_on: Path | None):
    from nltk.tokenize.punkt import PunktSentenceTokenizer, PunktTrainer

    if train_on is None:
        tokenizer = PunktSentenceTokenizer()
    else:
        trainer = PunktTrainer()
        trainer.INCLUDE_ALL_COLLOCS = True
        trainer.train(" ".join(p.read_text(encoding="utf-8") for p in sorted(train_on.glob("*.txt"))), finalize=True)
        tokenizer = PunktSentenceTokenizer(trainer.get_params())
    return lambda text: [start for start, _ in tokenizer.span_tokenize(text)]


def regex_splitter():
    boundary = re.compile(r"(?<=[.!?])[\"'\u201d\u2019]?\s+(?=[\"'\u201c\u2018(]?[A-Z])")
    return lambda text: [0] + [m.end() for m in boundary.finditer(text)]


def score(starts_of, paragraphs) -> dict:
    true_positive = predicted = gold = 0
    n_sentences = 0
    started = time.perf_counter()
    for text, gold_starts in paragraphs:
        found = {s for s in starts_of(text) if s > 0}
        true_positive += len(found & gold_starts)
        predicted += len(found)
        gold += len(gold_starts)
        n_sentences += len(gold_starts) + 1
    seconds = time.perf_counter() - started
    precision = true_positive / predicted if predicted else 0.0
    recall = true_positive / gold if gold else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return {"precision": precision, "recall": recall, "f1": f1, "sentences_per_s": n_sentences / seconds}


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--articles", type=Path, default=SHARED / "train-articles")
    parser.add_argument("--train-articles", type=Path, default=SHARED / "test-articles",
                        help="unlabelled text to train Punkt on")
    args = parser.parse_args(argv)
    paragraphs = paragraphs_with_gold(args.articles)
    n_gold = sum(len(g) for _, g in paragraphs)
    print(f"{len(paragraphs)} paragraphs, {n_gold} gold boundaries inside paragraphs ({args.articles})\n")
    splitters = {"slant": slant_splitter, "pysbd": pysbd_splitter, "regex": regex_splitter}
    try:
        import nltk  # noqa: F401

        splitters["punkt-untrained"] = lambda: punkt_splitter(None)
        splitters["punkt-trained"] = lambda: punkt_splitter(args.train_articles)
    except ImportError:
        print("NLTK not installed (pip install nltk): Punkt skipped\n")
    print("| splitter | precision | recall | F1 | sentences/s |")
    print("|---|---:|---:|---:|---:|")
    for name, make in splitters.items():
        result = score(make(), paragraphs)
        print(f"| {name} | {result['precision']:.3f} | {result['recall']:.3f} | {result['f1']:.3f} | "
              f"{result['sentences_per_s']:,.0f} |", flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
