import json

import pytest
from fixtures.tiny import write_ptc

from slant.models.errors import SlantError
from slant.training.readers import read_gold, read_labelled_file, read_ptc, read_weasel, split_by_document

ARTICLE = "Title here\n\nFirst sentence is calm.\nSecond one is a total disaster!\n  Third, with spaces.  \n"


def spans_of(text, phrase):
    start = text.index(phrase)
    return start, start + len(phrase)


def test_ptc_round_trip_with_overlapping_and_crossing_spans(tmp_path):
    s1 = spans_of(ARTICLE, "total disaster")
    crossing = (ARTICLE.index("calm."), ARTICLE.index("Second") + 6)  # crosses a line break
    articles, labels = write_ptc(
        tmp_path,
        {"1": ARTICLE},
        [("1", "Loaded_Language", *s1), ("1", "Exaggeration,Minimisation", s1[0] - 2, s1[1]),
         ("1", "Doubt", *crossing)],
    )
    ds = read_ptc(articles, labels)
    assert ds["text"] == ["Title here", "First sentence is calm.", "Second one is a total disaster!", "Third, with spaces."]
    for start, end, text in zip(ds["start"], ds["end"], ds["text"]):
        assert ARTICLE[start:end] == text
    assert ds["labels"][0] == []
    assert ds["labels"][1] == ["doubt"]
    assert ds["labels"][2] == ["doubt", "exaggeration_minimisation", "loaded_language"]
    assert ds["labels"][3] == []
    assert ds["doc_id"] == ["1"] * 4 and ds["sentence_index"] == [0, 1, 2, 3]


def test_ptc_labels_as_folder(tmp_path):
    articles, _ = write_ptc(tmp_path, {"7": ARTICLE}, [])
    folder = tmp_path / "labels"
    folder.mkdir()
    (folder / "article7.task-flc-tc.labels").write_text("7\tSlogans\t0\t5\n")
    assert read_ptc(articles, folder)["labels"][0] == ["slogans"]


@pytest.mark.parametrize(
    "line, message",
    [
        ("1\tLoaded_Language\t3\n", "expected 4 tab-separated fields"),
        ("1\tPropaganda\t0\t4\n", "unknown PTC technique 'Propaganda'"),
        ("1\tDoubt\tx\t4\n", "offsets must be integers"),
        ("1\tDoubt\t9\t4\n", "empty or negative span"),
    ],
)
def test_bad_ptc_labels_name_file_and_line(tmp_path, line, message):
    articles, labels = write_ptc(tmp_path, {"1": ARTICLE}, [])
    labels.write_text("1\tDoubt\t0\t4\n" + line)
    with pytest.raises(SlantError, match=rf"labels.txt:2: {message}"):
        read_ptc(articles, labels)


def test_labels_for_missing_articles_are_reported(tmp_path):
    articles, labels = write_ptc(tmp_path, {"1": ARTICLE}, [("99", "Doubt", 0, 4)])
    with pytest.raises(SlantError, match="labels for articles with no text.*99"):
        read_ptc(articles, labels)


def test_broken_encoding_is_a_clear_error(tmp_path):
    articles, labels = write_ptc(tmp_path, {"1": ARTICLE}, [])
    (articles / "article2.txt").write_bytes(b"caf\xe9 au lait\n")
    with pytest.raises(SlantError, match=r"\[E002\].*article2.txt is not valid UTF-8 text \(byte 3\)"):
        read_ptc(articles, labels)


def test_jsonl_and_csv(tmp_path):
    jsonl = tmp_path / "a.jsonl"
    jsonl.write_text(json.dumps({"text": "Critics say so.", "labels": ["hedged_attribution"]}) + "\n\n"
                     + json.dumps({"id": "x", "text": "Plain.", "labels": []}) + "\n")
    ds = read_labelled_file(jsonl)
    assert ds["text"] == ["Critics say so.", "Plain."] and ds["labels"] == [["hedged_attribution"], []]
    assert ds["doc_id"][1] == "x"
    csv = tmp_path / "a.csv"
    csv.write_text('text,labels\n"Some say, quietly.",hedged_attribution;doubt\nNothing here.,\n')
    ds = read_labelled_file(csv)
    assert ds["labels"] == [["doubt", "hedged_attribution"], []]


@pytest.mark.parametrize(
    "content, message",
    [
        ('{"text": "ok", "labels": []}\n{"text": ""}\n', r"a.jsonl:2: missing or empty 'text'"),
        ('{"text": "ok", "labels": ["nope"]}\n', r"a.jsonl:1: .*unknown label 'nope'"),
        ('{"text": "ok"\n', r"a.jsonl:1: invalid JSON"),
        ('["text"]\n', r"a.jsonl:1: expected a JSON object"),
        ('{"text": "ok", "labels": "loaded_language"}\n{"text": "x", "labels": 3}\n', r"a.jsonl:2: 'labels' must be a list"),
    ],
)
def test_bad_jsonl_records_name_file_and_line(tmp_path, content, message):
    path = tmp_path / "a.jsonl"
    path.write_text(content)
    with pytest.raises(SlantError, match=message):
        read_labelled_file(path)


def test_weasel_reader(tmp_path):
    path = tmp_path / "w.tsv"
    path.write_text("label\ttext\nuncertain\tSome say it works.\ncertain\tIt rained.\n")
    ds = read_weasel(path)
    assert ds["uncertain"] == [True, False]
    path.write_text("label\ttext\nmaybe\tSome say it works.\n")
    with pytest.raises(SlantError, match="w.tsv:2"):
        read_weasel(path)


def test_split_is_by_document_and_seeded(tmp_path):
    articles = {str(i): f"T{i}\n\nA {i}.\nB {i}.\n" for i in range(10)}
    folder, labels = write_ptc(tmp_path, articles, [])
    ds = read_ptc(folder, labels)
    first = split_by_document(ds, 0.3, seed=5)
    again = split_by_document(ds, 0.3, seed=5)
    train_docs, test_docs = set(first["train"]["doc_id"]), set(first["test"]["doc_id"])
    assert not train_docs & test_docs and len(test_docs) == 3
    assert first["test"]["text"] == again["test"]["text"]


def test_a_split_that_cannot_be_made_has_its_own_code(tmp_path):
    folder, labels = write_ptc(tmp_path, {"1": "One article.\nOnly.\n"}, [])
    ds = read_ptc(folder, labels)
    with pytest.raises(SlantError, match=r"^\[E024\] cannot split 1 document\(s\) by document: .* at least 2$"):
        split_by_document(ds, 0.3, seed=5)
    with pytest.raises(SlantError, match=r"^\[E024\] cannot split 2 sentence\(s\) by document: test_fraction=1.5"):
        split_by_document(ds, 1.5, seed=5)


def test_a_bad_gold_record_names_file_and_line(tmp_path):
    path = tmp_path / "gold.jsonl"
    path.write_text(json.dumps({"text": "A sentence.", "labels": [], "split": "dev"}) + "\n"
                    + json.dumps({"text": "Another.", "labels": ["doubt"], "split": "dev"}) + "\n")
    with pytest.raises(SlantError, match=r"^\[E005\] .*gold.jsonl:2: bad gold record: 'labels' must be a subset"):
        read_gold(path)


def test_shipped_gold_set_is_well_formed():
    gold = read_gold()
    assert len(gold) >= 300
    assert set(gold["split"]) == {"dev", "test"}
    positives = sum(1 for labels in gold["labels"] if "hedged_attribution" in labels)
    assert positives >= 100
