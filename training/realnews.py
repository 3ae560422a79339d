"""Real-news gold for the two new techniques, kept as references into the PTC articles.

The corpus licence forbids copying its text, so each gold record names a sentence by article and
character offsets (plus a short digest of the sentence, so a reference that no longer points at
the text it was judged on is caught) and carries the labels, the sampling stratum, the split and
the annotator's note. `read_realnews_gold` joins the references with the articles in
`../shared/data/ptc` when data is built.

Candidates are drawn from disjoint strata of all PTC sentences (train and test articles), so that
precision and recall can be estimated without bias by weighting each stratum by
population / sample (`stratum_weights`):

    rule      a weak rule for either new label fires
    ranked    not `rule`, and among the released model's top sentences for either new label
    attrib    neither of the above, and the sentence attributes something ("said", "according to")
    random    everything else

`python -m slant.training.realnews draw --out FILE` writes the candidates (references only).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import re
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from datasets import Dataset

from slant.models.errors import SlantError
from slant.training import readers

NEW_LABELS = readers.GOLD_LABELS
SPLITS = ("train", "dev", "test")
STRATA = ("rule", "ranked", "attrib", "random")
SOURCES = {"train": "train-articles", "test": "test-articles"}
DEFAULT_PTC_ROOT = Path("../shared/data/ptc")
_ATTRIBUTION = re.compile(
    r"\b(?:said|says|say|told|according to|reported(?:ly)?|claim(?:s|ed)?|believe[sd]?|"
    r"allege[sd]?|alleged(?:ly)?|suggest(?:s|ed)?|insist(?:s|ed)?|stated?|added|argued?|sources?)\b",
    re.IGNORECASE,
)


def builtin_path() -> Path:
    from importlib import resources

    return Path(str(resources.files("slant.training").joinpath("gold/realnews_gold.jsonl")))


def sentence_digest(sentence: str) -> str:
    """Eight hex digits of the sentence's SHA-1: enough to notice a moved reference, not the text."""
    return hashlib.sha1(sentence.encode("utf-8")).hexdigest()[:8]


@dataclass(frozen=True)
class Reference:
    source: str      # "train" or "test" (which PTC folder)
    article: str
    start: int
    end: int
    digest: str

    @property
    def key(self) -> str:
        return f"{self.source}/{self.article}:{self.start}-{self.end}"


def split_for_article(source: str, article: str, seed: int = 13, test_fraction: float = 0.2,
                      validation_fraction: float = 0.1, ptc_root: Path | None = None) -> str:
    """Which gold split an article belongs to.

    PTC training articles follow the training recipe's own article split (held-out test -> test,
    validation -> dev), so gold never leaks across it; unlabelled test articles are assigned by a
    hash of their id (40/30/30: dev and test need enough positives of the rare labels).
    """
    if source == "train":
        return _train_article_splits(str(ptc_root or DEFAULT_PTC_ROOT), seed, test_fraction, validation_fraction)[article]
    bucket = int(hashlib.sha1(f"{seed}:{article}".encode()).hexdigest(), 16) % 10
    return "test" if bucket < 3 else "dev" if bucket < 6 else "train"


_SPLIT_CACHE: dict = {}


def _train_article_splits(ptc_root: str, seed: int, test_fraction: float, validation_fraction: float) -> dict:
    key = (ptc_root, seed, test_fraction, validation_fraction)
    if key not in _SPLIT_CACHE:
        ids = sorted(_article_ids(Path(ptc_root) / SOURCES["train"]))
        _SPLIT_CACHE[key] = article_splits(ids, seed, test_fraction, validation_fraction)
    return _SPLIT_CACHE[key]


def article_splits(ids: list[str], seed: int, test_fraction: float, validation_fraction: float) -> dict:
    """The same document split `slant.training.data.build` makes, for article ids alone."""
    dataset = Dataset.from_dict({"doc_id": ids})
    split = {}
    rest = dataset
    if test_fraction > 0:
        held = readers.split_by_document(dataset, test_fraction, seed)
        split.update({a: "test" for a in held["test"]["doc_id"]})
        rest = held["train"]
    inner = readers.split_by_document(rest, validation_fraction, seed + 1)
    split.update({a: "dev" for a in inner["test"]["doc_id"]})
    split.update({a: "train" for a in inner["train"]["doc_id"]})
    return split


def _article_ids(folder: Path) -> list[str]:
    return [p.stem.removeprefix("article") for p in folder.glob("article*.txt")]


def _article_text(ptc_root: Path, source: str, article: str, cache: dict) -> str:
    if (source, article) not in cache:
        path = ptc_root / SOURCES[source] / f"article{article}.txt"
        if not path.exists():
            raise SlantError("E004", path=path)
        cache[(source, article)] = readers.read_text(path)
    return cache[(source, article)]


def read_realnews_gold(path: str | Path | None = None, ptc_root: str | Path | None = None) -> Dataset:
    """Gold references joined with their sentences: doc_id, source, text, labels, split, stratum,
    weight (population / sample of its stratum).

    A reference whose offsets fall outside its article, or whose sentence no longer has the digest
    it was judged with, is an error naming the article: the text changed under the labels.
    """
    path = Path(path) if path and str(path) != "builtin" else builtin_path()
    ptc_root = Path(ptc_root) if ptc_root else DEFAULT_PTC_ROOT
    if not path.exists():
        raise SlantError("E004", path=path)
    cache: dict = {}
    rows = {c: [] for c in ("doc_id", "source", "text", "labels", "split", "stratum", "weight", "start", "end",
                            "previous", "title")}
    for line_no, record in readers._jsonl_records(path):
        ref = _reference(record, path, line_no)
        labels = record.get("labels")
        if not isinstance(labels, list) or any(label not in NEW_LABELS for label in labels):
            raise SlantError("E005", path=path, line=line_no, problem=f"'labels' must be a subset of {NEW_LABELS}")
        if record.get("split") not in SPLITS:
            raise SlantError("E005", path=path, line=line_no, problem=f"'split' must be one of {SPLITS}")
        text = _article_text(ptc_root, ref.source, ref.article, cache)
        sentence = text[ref.start:ref.end] if ref.end <= len(text) else None
        if sentence is None or sentence_digest(sentence) != ref.digest:
            raise SlantError(
                "E005", path=path, line=line_no,
                problem=f"reference {ref.key} no longer matches the text of article {ref.article} "
                        f"in {ptc_root / SOURCES[ref.source]} (digest {ref.digest})",
            )
        rows["doc_id"].append(ref.article)
        rows["source"].append(ref.source)
        rows["text"].append(sentence)
        rows["labels"].append(sorted(labels))
        rows["split"].append(record["split"])
        rows["stratum"].append(str(record.get("stratum", "")))
        rows["weight"].append(float(record.get("stratum_size", 1)) / float(record.get("stratum_sample", 1)))
        rows["start"].append(ref.start)
        rows["end"].append(ref.end)
        spans = list(readers._line_spans(text))
        index = spans.index((ref.start, ref.end)) if (ref.start, ref.end) in spans else -1
        rows["previous"].append(text[slice(*spans[index - 1])] if index > 0 else "")
        rows["title"].append(text[slice(*spans[0])] if index > 0 else "")
    return Dataset.from_dict(rows)


def _reference(record: dict, path: Path, line_no: int) -> Reference:
    try:
        ref = Reference(
            source=str(record["source"]), article=str(record["article"]),
            start=int(record["start"]), end=int(record["end"]), digest=str(record["digest"]),
        )
    except (KeyError, TypeError, ValueError):
        raise SlantError(
            "E005", path=path, line=line_no,
            problem="a reference needs source, article, start, end and digest",
        ) from None
    if ref.source not in SOURCES or not 0 <= ref.start < ref.end:
        raise SlantError("E005", path=path, line=line_no, problem=f"bad reference {ref.key}")
    return ref


# -- drawing candidates ------------------------------------------------------------
def all_sentences(ptc_root: Path) -> Dataset:
    """Every PTC sentence (train and test articles) with its source folder."""
    parts = []
    for source, folder in SOURCES.items():
        part = readers.read_ptc(ptc_root / folder)
        parts.append(part.add_column("source", [source] * len(part)))
    from datasets import concatenate_datasets

    return concatenate_datasets(parts)


def assign_strata(texts: list[str], probabilities: np.ndarray, top_k: int) -> list[str]:
    """Disjoint strata (see the module docstring); `probabilities` has one column per new label."""
    from slant.training.weak_labels import weak_labels

    ranked = np.zeros(len(texts), dtype=bool)
    for j in range(probabilities.shape[1]):
        ranked[np.argsort(-probabilities[:, j], kind="stable")[:top_k]] = True
    strata = []
    for i, text in enumerate(texts):
        if weak_labels(text):
            strata.append("rule")
        elif ranked[i]:
            strata.append("ranked")
        elif _ATTRIBUTION.search(text):
            strata.append("attrib")
        else:
            strata.append("random")
    return strata


def draw(ptc_root: Path, sizes: dict[str, int], top_k: int, seed: int, model=None) -> list[dict]:
    """Candidate references, a seeded sample of each stratum, with stratum population sizes."""
    from slant.models.classifier import SlantClassifier

    sentences = all_sentences(ptc_root)
    texts = sentences["text"]
    classifier = model or SlantClassifier.from_pretrained(None)
    columns = [classifier.labels.index(label) for label in NEW_LABELS]
    probabilities = classifier.predict_proba(texts)[:, columns]
    strata = np.array(assign_strata(texts, probabilities, top_k))
    rng = np.random.default_rng(seed)
    records = []
    for stratum in STRATA:
        members = np.flatnonzero(strata == stratum)
        chosen = rng.choice(members, size=min(sizes[stratum], len(members)), replace=False)
        for i in sorted(chosen):
            row = sentences[int(i)]
            records.append({
                "source": row["source"], "article": row["doc_id"], "start": row["start"], "end": row["end"],
                "digest": sentence_digest(row["text"]), "stratum": stratum,
                "stratum_size": int(len(members)), "stratum_sample": int(len(chosen)),
                "split": split_for_article(row["source"], row["doc_id"], ptc_root=ptc_root),
            })
    return records


def write_sheets(candidates: list[dict], ptc_root: Path, out_dir: Path, parts: int, context: int = 2) -> list[Path]:
    """Annotation sheets (outside the repo: they hold corpus text), whole articles per part.

    Each candidate is shown with the article's title, `context` sentences before and one after;
    the sheet names the article file so the annotator can read all of it.
    """
    cache: dict = {}
    by_article: dict = {}
    for record in candidates:
        by_article.setdefault((record["source"], record["article"]), []).append(record)
    articles = sorted(by_article, key=lambda a: -len(by_article[a]))
    buckets: list[list] = [[] for _ in range(parts)]
    for article in articles:  # greedy: fill the lightest part
        min(buckets, key=lambda b: sum(len(by_article[a]) for a in b)).append(article)
    out_dir.mkdir(parents=True, exist_ok=True)
    paths = []
    for n, bucket in enumerate(buckets, start=1):
        lines = []
        for source, article in sorted(bucket):
            text = _article_text(ptc_root, source, article, cache)
            spans = list(readers._line_spans(text))
            title = text[spans[0][0]:spans[0][1]] if spans else ""
            path = ptc_root / SOURCES[source] / f"article{article}.txt"
            lines.append(f"=== ARTICLE {source}/{article}  (full text: {path.resolve()})")
            lines.append(f"TITLE: {title}")
            for record in sorted(by_article[(source, article)], key=lambda r: r["start"]):
                index = spans.index((record["start"], record["end"]))
                lines.append("")
                for i in range(max(0, index - context), index):
                    lines.append(f"    before: {text[spans[i][0]:spans[i][1]]}")
                lines.append(f">>> [{record['source']}/{record['article']}:{record['start']}-{record['end']}] "
                             f"{text[record['start']:record['end']]}")
                if index + 1 < len(spans):
                    lines.append(f"    after:  {text[spans[index + 1][0]:spans[index + 1][1]]}")
            lines.append("")
        path = out_dir / f"sheet_{n:02d}.txt"
        path.write_text("\n".join(lines) + "\n", encoding="utf-8")
        paths.append(path)
    return paths


def stratum_weights(records: list[dict]) -> dict[str, float]:
    """Inverse inclusion probability per stratum: population / sampled."""
    return {r["stratum"]: r["stratum_size"] / r["stratum_sample"] for r in records}


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m slant.training.realnews", description=__doc__.split("\n")[0])
    sub = parser.add_subparsers(dest="command", required=True)
    d = sub.add_parser("draw", help="draw stratified candidate references from the PTC articles")
    d.add_argument("--ptc-root", type=Path, default=DEFAULT_PTC_ROOT)
    d.add_argument("--out", type=Path, required=True)
    d.add_argument("--seed", type=int, default=2026)
    d.add_argument("--top-k", type=int, default=400, help="model-ranked sentences per new label")
    for stratum, size in zip(STRATA, (300, 300, 350, 700)):
        d.add_argument(f"--{stratum}", type=int, default=size, help=f"sample size of stratum {stratum}")
    s = sub.add_parser("sheets", help="write annotation sheets (corpus text: keep them out of the repo)")
    s.add_argument("candidates", type=Path)
    s.add_argument("--ptc-root", type=Path, default=DEFAULT_PTC_ROOT)
    s.add_argument("--out", type=Path, required=True)
    s.add_argument("--parts", type=int, default=1)
    args = parser.parse_args(argv)
    if args.command == "sheets":
        candidates = [json.loads(line) for line in args.candidates.read_text(encoding="utf-8").splitlines() if line]
        for path in write_sheets(candidates, args.ptc_root, args.out, args.parts):
            print(path)
        return
    sizes = {stratum: getattr(args, stratum) for stratum in STRATA}
    records = draw(args.ptc_root, sizes, args.top_k, args.seed)
    args.out.write_text("".join(json.dumps(r) + "\n" for r in records), encoding="utf-8")
    print(f"{len(records)} candidates -> {args.out}")


if __name__ == "__main__":
    main()
