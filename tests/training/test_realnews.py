"""Real-news gold references: joined with article text, checked, split by article."""

from __future__ import annotations

import json

import pytest

from slant.models.errors import SlantError
from slant.training import realnews

ARTICLE = "A title\n\nSources close to the board say the deal is dead.\nThe minister said on Monday it was not.\n"


def _root(tmp_path):
    for folder in realnews.SOURCES.values():
        (tmp_path / folder).mkdir(parents=True, exist_ok=True)
    (tmp_path / "test-articles" / "article42.txt").write_text(ARTICLE, encoding="utf-8")
    return tmp_path


def _ref(sentence, labels, **extra):
    start = ARTICLE.index(sentence)
    record = {"source": "test", "article": "42", "start": start, "end": start + len(sentence),
              "digest": realnews.sentence_digest(sentence), "labels": labels, "split": "test",
              "stratum": "rule", "stratum_size": 10, "stratum_sample": 2}
    record.update(extra)
    return record


def _write(tmp_path, records):
    path = tmp_path / "gold.jsonl"
    path.write_text("".join(json.dumps(r) + "\n" for r in records), encoding="utf-8")
    return path


def test_references_resolve_to_the_right_sentences(tmp_path):
    root = _root(tmp_path)
    path = _write(tmp_path, [_ref("Sources close to the board say the deal is dead.", ["hedged_attribution"]),
                             _ref("The minister said on Monday it was not.", [])])
    gold = realnews.read_realnews_gold(path, root)
    assert gold["text"] == ["Sources close to the board say the deal is dead.", "The minister said on Monday it was not."]
    assert gold["labels"] == [["hedged_attribution"], []]
    assert gold["weight"] == [5.0, 5.0] and gold["source"] == ["test", "test"]


def test_a_reference_that_no_longer_matches_its_text_names_the_article(tmp_path):
    root = _root(tmp_path)
    record = _ref("Sources close to the board say the deal is dead.", [])
    record["start"] += 1
    with pytest.raises(SlantError, match="article 42"):
        realnews.read_realnews_gold(_write(tmp_path, [record]), root)
    (root / "test-articles" / "article42.txt").write_text(ARTICLE.replace("dead", "done"), encoding="utf-8")
    with pytest.raises(SlantError, match="no longer matches the text of article 42"):
        realnews.read_realnews_gold(_write(tmp_path, [_ref("Sources close to the board say the deal is dead.", [])]), root)


@pytest.mark.parametrize("change, problem", [
    ({"labels": ["doubt"]}, "subset"), ({"split": "validation"}, "split"), ({"article": None, "start": "x"}, "reference"),
])
def test_bad_records_are_one_line_errors_with_file_and_line(tmp_path, change, problem):
    root = _root(tmp_path)
    record = {**_ref("The minister said on Monday it was not.", []), **change}
    with pytest.raises(SlantError, match=rf"gold.jsonl:1: .*{problem}"):
        realnews.read_realnews_gold(_write(tmp_path, [record]), root)


def test_missing_article_is_named(tmp_path):
    root = _root(tmp_path)
    record = _ref("The minister said on Monday it was not.", [], article="7")
    with pytest.raises(SlantError, match="article7.txt"):
        realnews.read_realnews_gold(_write(tmp_path, [record]), root)


def test_strata_are_disjoint_and_ordered_by_priority():
    import numpy as np

    texts = ["Sources close to the board say the deal is dead.", "The minister said it was not.",
             "It rained.", "Nothing here either."]
    probabilities = np.array([[0.9, 0.1], [0.2, 0.1], [0.1, 0.1], [0.8, 0.0]])
    assert realnews.assign_strata(texts, probabilities, top_k=1) == ["rule", "attrib", "random", "random"]
    assert realnews.assign_strata(texts, probabilities, top_k=2) == ["rule", "ranked", "random", "ranked"]


def test_article_splits_follow_the_training_split():
    ids = [str(i) for i in range(50)]
    split = realnews.article_splits(ids, seed=13, test_fraction=0.2, validation_fraction=0.1)
    assert set(split) == set(ids)
    assert sum(v == "test" for v in split.values()) == 10
    assert sum(v == "dev" for v in split.values()) == 4


def test_shipped_gold_holds_references_only():
    records = [json.loads(line) for line in realnews.builtin_path().read_text().splitlines()]
    assert len(records) >= 1500
    assert all("text" not in r and len(r["note"]) < 120 for r in records)
    assert {r["split"] for r in records} == set(realnews.SPLITS)
    assert sum("second" in r for r in records) >= 300
