"""`slant check`: JSON contract, text rendering, options, and one-line errors for bad input."""

from __future__ import annotations

import io
import json
import re

import pytest

from slant.cli.main import main

TEXT = "The council rammed through a crippling tax hike.\n\nShares fell 12 percent on Tuesday. Why?\n"
ANSI = re.compile(r"\033\[[0-9;]*m")


@pytest.fixture
def draft(tmp_path):
    path = tmp_path / "draft.txt"
    path.write_text(TEXT, encoding="utf-8")
    return path


def check_json(capsys, *args) -> dict:
    assert main(["check", *map(str, args), "--format", "json"]) == 0
    return json.loads(capsys.readouterr().out)


def test_json_keeps_the_contract_and_adds_triggers(capsys, draft, tiny_model_dir):
    document = check_json(capsys, draft, "--model", tiny_model_dir, "--threshold", "0")
    assert set(document) == {"model", "language", "warning", "sentences"}
    assert document["language"] == "en" and document["warning"] is None
    assert len(document["sentences"]) == 3
    for sentence in document["sentences"]:
        assert set(sentence) == {"start", "end", "text", "labels", "scores", "triggers"}
        assert TEXT[sentence["start"] : sentence["end"]] == sentence["text"]
        assert len(sentence["labels"]) == 16 and len(sentence["scores"]) == 16
        assert set(sentence["triggers"]) == set(sentence["labels"])
        for triggers in sentence["triggers"].values():
            for trigger in triggers:
                assert set(trigger) == {"start", "end", "text", "weight"}
                assert TEXT[trigger["start"] : trigger["end"]] == trigger["text"]


def test_stdin_labels_and_no_triggers(capsys, monkeypatch, tiny_model_dir):
    monkeypatch.setattr("sys.stdin", io.TextIOWrapper(io.BytesIO(TEXT.encode())))
    document = check_json(capsys, "-", "--model", tiny_model_dir, "--threshold", "0",
                          "--labels", "doubt, slogans", "--no-triggers")
    assert [s["labels"] for s in document["sentences"]] == [["doubt", "slogans"]] * 3
    assert all(s["triggers"] == {} for s in document["sentences"])


def test_text_output_highlights_flagged_sentences(capsys, draft, tiny_model_dir):
    assert main(["check", str(draft), "--model", str(tiny_model_dir), "--threshold", "0",
                 "--labels", "doubt", "--color", "never"]) == 0
    out = capsys.readouterr().out
    assert ANSI.search(out) is None
    assert out.splitlines()[0].startswith("The council rammed through")
    assert re.search(r"^    \[1\] Doubt \d\.\d\d", out, re.M)
    assert out.rstrip().endswith("3 of 3 sentences flagged: Doubt 3")

    assert main(["check", str(draft), "--model", str(tiny_model_dir), "--threshold", "0", "--color", "always"]) == 0
    assert ANSI.search(capsys.readouterr().out)


def test_nothing_flagged_still_prints_the_text(capsys, draft, tiny_model_dir):
    assert main(["check", str(draft), "--model", str(tiny_model_dir), "--threshold", "1", "--color", "never"]) == 0
    out = capsys.readouterr().out
    assert TEXT.strip() in out and out.rstrip().endswith("0 of 3 sentences flagged")


@pytest.mark.parametrize(
    ("make", "code"),
    [
        (lambda tmp: tmp / "missing.txt", "E004"),
        (lambda tmp: tmp, "E001"),
        (lambda tmp: (tmp / "latin1.txt").write_bytes("caf\xe9".encode("latin-1")) and tmp / "latin1.txt", "E002"),
    ],
)
def test_unreadable_input_is_a_one_line_error(capsys, tmp_path, tiny_model_dir, make, code):
    assert main(["check", str(make(tmp_path)), "--model", str(tiny_model_dir)]) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    assert captured.err.startswith(f"slant check: error: [{code}]") and captured.err.count("\n") == 1


def test_unknown_label_and_bad_threshold_are_refused(capsys, draft, tiny_model_dir):
    assert main(["check", str(draft), "--model", str(tiny_model_dir), "--labels", "nope"]) == 2
    assert "[E010] unknown label 'nope'" in capsys.readouterr().err
    with pytest.raises(SystemExit) as exit_:
        main(["check", str(draft), "--threshold", "1.5"])
    assert exit_.value.code == 2
    assert "must be a number from 0 to 1" in capsys.readouterr().err
