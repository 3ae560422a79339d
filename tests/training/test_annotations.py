"""Annotation files: every problem reported with its line, nothing dropped, spans become sentence labels."""

from __future__ import annotations

import json

import pytest

from slant.cli.main import main
from slant.models.errors import SlantError
from slant.training.annotations import check_files, write_sentences


def write_lines(path, lines):
    path.write_text("".join((line if isinstance(line, str) else json.dumps(line)) + "\n" for line in lines),
                    encoding="utf-8")
    return path


def problems_by_line(result):
    return {(p.line, p.message) for p in result.problems}


def test_clean_file_turns_spans_into_sentence_labels(tmp_path):
    text = "The council met on Monday. Its plan is a total disaster, critics said."
    start = text.index("total disaster")
    path = write_lines(tmp_path / "new.jsonl", [
        {"text": "Sources say the deal is off.", "labels": ["hedged_attribution"]},
        {"text": "The bridge opens in May.", "labels": []},
        {"id": "art-7", "text": text,
         "spans": [{"start": start, "end": start + 14, "label": "loaded_language", "text": "total disaster"}]},
    ])

    result = check_files([path])

    assert result.ok, result.problems
    assert result.sentences() == [
        {"doc_id": "new.jsonl:1", "text": "Sources say the deal is off.", "labels": ["hedged_attribution"]},
        {"doc_id": "new.jsonl:2", "text": "The bridge opens in May.", "labels": []},
        # Span level: one row per sentence, labelled only where a span overlaps it; one document.
        {"doc_id": "art-7", "text": "The council met on Monday.", "labels": []},
        {"doc_id": "art-7", "text": "Its plan is a total disaster, critics said.", "labels": ["loaded_language"]},
    ]
    summary = result.summary()
    assert summary["records"] == 3 and summary["span_level"] == 1 and summary["sentences"] == 4
    assert summary["without_labels"] == 2
    assert summary["labels"] == {"hedged_attribution": 1, "loaded_language": 1}


def test_span_across_two_sentences_labels_both(tmp_path):
    text = "They lied. They always lie."
    path = write_lines(tmp_path / "a.jsonl", [{"text": text, "spans": [{"start": 5, "end": 20, "label": "repetition"}]}])
    assert [row["labels"] for row in check_files([path]).sentences()] == [["repetition"], ["repetition"]]


def test_every_problem_is_reported_with_its_line(tmp_path):
    path = write_lines(tmp_path / "bad.jsonl", [
        {"text": "Fine sentence.", "labels": ["loaded_language"]},                     # 1 ok
        {"text": "Unknown label here.", "labels": ["propaganda"]},                     # 2
        {"text": "   ", "labels": []},                                                  # 3
        {"labels": ["doubt"]},                                                          # 4
        {"text": "Short.", "spans": [{"start": 2, "end": 40, "label": "doubt"}]},      # 5
        {"text": "Words here.", "spans": [{"start": 0, "end": 5, "label": "doubt", "text": "Hello"}]},  # 6
        {"text": "Odd span.", "spans": [{"start": "0", "end": 3, "label": "doubt"}]},  # 7
        {"text": "Span label.", "spans": [{"start": 0, "end": 4, "label": "nonsense"}]},  # 8
        {"text": "Both kinds.", "labels": [], "spans": []},                            # 9
        {"text": "Neither kind."},                                                      # 10
        "{not json",                                                                    # 11
        "[1, 2]",                                                                       # 12
        "",                                                                             # 13 blank: reported
        {"text": "Fine sentence.", "labels": ["doubt"]},                               # 14 conflicts with 1
        {"text": "Fine  sentence.", "labels": ["loaded_language"]},                    # 15 same as 1: kept
        {"text": "Labels not a list.", "labels": "doubt"},                             # 16
        {"text": "Blank span.  Yes.", "spans": [{"start": 11, "end": 13, "label": "doubt"}]},  # 17
    ])

    result = check_files([path])

    lines = sorted({p.line for p in result.problems})
    assert lines == [2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 16, 17]
    messages = dict((p.line, p.message) for p in result.problems)
    assert "unknown label 'propaganda'" in messages[2]
    assert "empty 'text'" in messages[3] and "empty 'text'" in messages[4]
    assert "out of range" in messages[5] and "6 characters" in messages[5]
    assert "'Hello' does not match text[0:5] = 'Words'" in messages[6]
    assert "must be integers" in messages[7]
    assert "unknown label 'nonsense'" in messages[8]
    assert "not both" in messages[9]
    assert "either 'labels'" in messages[10]
    assert "invalid JSON" in messages[11]
    assert "JSON object" in messages[12]
    assert messages[13] == "blank line; remove it or put the missing record back"
    assert f"same text as {path}:1" in messages[14] and "['doubt'] here and ['loaded_language'] there" in messages[14]
    assert "list of technique ids" in messages[16]
    assert "only whitespace" in messages[17]
    assert all(str(p).startswith(f"{path}:{p.line}: ") for p in result.problems)
    # The valid records are still all there, and the exact duplicate is kept and counted.
    assert [r.line for r in result.records] == [1, 15]
    assert result.exact_duplicates == 1
    with pytest.raises(SlantError, match=r"\[E300\] 15 problem\(s\).*bad.jsonl:2: unknown label"):
        result.raise_for_problems([path])


def test_conflicts_are_found_across_files(tmp_path):
    first = write_lines(tmp_path / "a.jsonl", [{"text": "The vote was rigged.", "labels": ["doubt"]}])
    second = write_lines(tmp_path / "b.jsonl", [{"text": "The vote was rigged.", "labels": []}])
    result = check_files([first, second])
    assert [str(p) for p in result.problems] == [
        f"{second}:1: same text as {first}:1 but labels [] here and ['doubt'] there"
    ]


def test_unreadable_missing_and_empty_files_are_problems(tmp_path):
    bad_bytes = tmp_path / "latin1.jsonl"
    bad_bytes.write_bytes(b'{"text": "ok", "labels": []}\n{"text": "caf\xe9", "labels": []}\n')
    empty = tmp_path / "empty.jsonl"
    empty.write_text("")
    result = check_files([bad_bytes, empty, tmp_path / "missing.jsonl"])
    assert [str(p) for p in result.problems] == [
        f"{bad_bytes}:2: not valid UTF-8 (byte 13 of the line)",
        f"{empty}: no annotation records",
        f"{tmp_path / 'missing.jsonl'}: no such file",
    ]
    assert len(result.records) == 1


def test_written_sentences_are_read_back_by_the_trainer_reader(tmp_path):
    from slant.training.readers import read_labelled_file

    path = write_lines(tmp_path / "a.jsonl", [
        {"text": "One. Two is loaded.", "spans": [{"start": 5, "end": 8, "label": "loaded_language"}]},
    ])
    out = write_sentences(check_files([path]), tmp_path / "out" / "sentences.jsonl")
    dataset = read_labelled_file(out)
    assert dataset["text"] == ["One.", "Two is loaded."]
    assert dataset["labels"] == [[], ["loaded_language"]]
    assert dataset["doc_id"] == ["a.jsonl:1", "a.jsonl:1"]


def test_cli_validate_lists_problems_and_fails(tmp_path, capsys):
    good = write_lines(tmp_path / "good.jsonl", [{"text": "Sources say so.", "labels": ["hedged_attribution"]}])
    bad = write_lines(tmp_path / "bad.jsonl", [{"text": "", "labels": []}, {"text": "x", "labels": ["nope"]}])

    assert main(["annotations", "validate", str(good)]) == 0
    out = capsys.readouterr().out
    assert "1 valid records (0 span level) -> 1 sentences" in out and out.strip().endswith("ok")

    assert main(["annotations", "validate", str(good), str(bad)]) == 1
    out = capsys.readouterr().out
    assert f"{bad}:1: missing or empty 'text'" in out
    assert f"{bad}:2: unknown label 'nope'" in out
    assert "2 problem(s)" in out

    assert main(["annotations", "validate", "--format", "json", str(bad)]) == 1
    report = json.loads(capsys.readouterr().out)
    assert report["ok"] is False and len(report["problems"]) == 2


def test_a_blank_line_is_reported_but_a_final_newline_is_not(tmp_path, capsys):
    path = tmp_path / "gaps.jsonl"
    record = json.dumps({"text": "Fine sentence.", "labels": []})
    path.write_text(f"{record}\n\n{record.replace('Fine', 'Good')}\n   \n", encoding="utf-8")
    result = check_files([path])
    assert [str(p) for p in result.problems] == [
        f"{path}:2: blank line; remove it or put the missing record back",
        f"{path}:4: blank line; remove it or put the missing record back",
    ]
    assert [r.line for r in result.records] == [1, 3]
    assert main(["annotations", "validate", str(path)]) == 1
    out = capsys.readouterr().out
    assert f"{path}:2: blank line" in out and out.rstrip().endswith("2 problem(s); fix them before retraining")
