"""`slant report` through the real CLI: groups, time buckets, metadata from `slant score`, the
correction where error rates allow it, and one-line errors."""

from __future__ import annotations

import json
import shutil

import numpy as np
import pandas as pd
import pytest
from fixtures.prevalence_data import write_scored_corpus

from slant.cli.main import main
from slant.inference import prevalence as pv
from slant.inference.report import periods
from slant.inference.sinks import read_frame

CORRECTED = ["loaded_language", "name_calling_labeling", "doubt", "flag_waving"]


@pytest.fixture(scope="module")
def synthetic(tmp_path_factory):
    return write_scored_corpus(tmp_path_factory.mktemp("synthetic"))


def report(tmp_path, capsys, *args) -> tuple[int, str, str]:
    code = main(["report", *map(str, args), "--out", str(tmp_path / "report"), "--bootstrap", "500"])
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def test_the_corrected_estimate_recovers_the_known_truth_through_the_cli(synthetic, tmp_path, capsys):
    code, out, _ = report(tmp_path, capsys, synthetic.folder, "--by", "outlet", "--error-rates", synthetic.rates)
    assert code == 0 and "2 group(s) x 16 techniques, 4 corrected" in out
    table = pd.read_csv(tmp_path / "report" / "prevalence.csv")
    assert {"group", "technique", "n", "raw_share", "estimate", "ci_low", "ci_high"} <= set(table.columns)
    corrected = table[table.status == "corrected"]
    assert sorted(set(corrected.technique)) == sorted(CORRECTED) and len(corrected) == 8
    truth = np.array([synthetic.truth[(r.group, r.technique)] for r in corrected.itertuples()])
    covered = (corrected.ci_low <= truth) & (truth <= corrected.ci_high)
    assert covered.mean() >= 0.8, corrected.assign(truth=truth)
    assert np.abs(corrected.estimate - truth).mean() < np.abs(corrected.raw_share - truth).mean()
    others = table[table.status != "corrected"]
    assert set(others.status) == {pv.UNCERTAIN} and others.estimate.isna().all() and others.note.str.contains(
        "raw share only").all()

    # The JSON holds the same rows; the differences have their mark.
    data = json.loads((tmp_path / "report" / "report.json").read_text())
    assert len(data["prevalence"]) == len(table) and data["settings"]["by"] == ["outlet"]
    first = data["prevalence"][0]
    assert first["raw_share"] == pytest.approx(table.raw_share[0]) and first["group"] == table.group[0]
    differences = pd.read_csv(tmp_path / "report" / "differences.csv")
    loaded = differences[(differences.technique == "loaded_language")].iloc[0]
    assert (loaded.group_a, loaded.group_b) == ("daily", "herald")
    assert loaded.excludes_zero and loaded.ci_high < 0  # herald truly uses it about twice as often


def test_raw_shares_and_counts_match_the_documents_table(synthetic, tmp_path, capsys):
    assert report(tmp_path, capsys, synthetic.folder, "--by", "outlet", "--error-rates", synthetic.rates)[0] == 0
    table = pd.read_csv(tmp_path / "report" / "prevalence.csv").set_index(["group", "technique"])
    documents = read_frame(synthetic.folder, "documents")
    for outlet, part in documents.groupby("outlet"):
        for technique in ("loaded_language", "slogans"):
            row = table.loc[(outlet, technique)]
            assert row.n == part.n_sentences.sum() and row.n_documents == len(part)
            assert row.flagged == part[f"count_{technique}"].sum()
            assert row.raw_share == pytest.approx(row.flagged / row.n)
            assert row.raw_ci_low <= row.raw_share <= row.raw_ci_high


def test_time_buckets_per_month_with_bands(synthetic, tmp_path, capsys):
    code, _, _ = report(tmp_path, capsys, synthetic.folder, "--by", "outlet", "--time-field", "date", "--freq", "month",
                        "--error-rates", synthetic.rates)
    assert code == 0
    table = pd.read_csv(tmp_path / "report" / "prevalence.csv", dtype={"period": str})
    assert sorted(set(table.period)) == ["2024-01", "2024-02", "2024-03"]
    assert set(table.group) == {f"{o} / {m}" for o in ("daily", "herald") for m in ("2024-01", "2024-02", "2024-03")}
    documents = read_frame(synthetic.folder, "documents")
    for row in table[table.technique == "doubt"].itertuples():
        part = documents[(documents.outlet == row.outlet) & documents.date.str.startswith(row.period)]
        assert row.n == part.n_sentences.sum()
    corrected = table[table.status == "corrected"]
    truth = np.array([synthetic.truth_by_month[(r.outlet, r.period, r.technique)] for r in corrected.itertuples()])
    assert ((corrected.ci_low <= truth) & (truth <= corrected.ci_high)).mean() >= 0.8
    pooled = pd.read_csv(tmp_path / "report" / "prevalence_by_group.csv")
    assert set(pooled.group) == {"daily", "herald"}
    assert pooled[pooled.technique == "doubt"].n.sum() == documents.n_sentences.sum()


def test_periods_by_day_week_and_month():
    values = pd.Series(["2024-05-01", "2024-05-05T23:30:00Z", "2024-05-06 08:00", "not a date", None,
                        "2024-05-01T01:00:00+02:00"])
    assert periods(values, "day").tolist() == ["2024-05-01", "2024-05-05", "2024-05-06", "(no date)", "(no date)",
                                               "2024-04-30"]  # UTC
    assert periods(values, "week").tolist()[:3] == ["2024-04-29", "2024-04-29", "2024-05-06"]  # Monday starts
    assert periods(values, "month").tolist()[:3] == ["2024-05", "2024-05", "2024-05"]


def test_metadata_from_slant_score_groups_the_report(tiny_model_dir, tmp_path, capsys):
    """The whole path on tiny data: JSONL with outlet and date -> slant score -> slant report."""
    records = []
    for i in range(12):
        records.append({"id": f"d{i}", "text": "Critics say it is a disaster. They are traitors. The council met.",
                        "outlet": ["Daily", "Herald", ""][i % 3],
                        "published": ["2024-05-01", "2024-05-20", "garbage"][i % 3]})
    corpus = tmp_path / "c.jsonl"
    corpus.write_text("".join(json.dumps(r) + "\n" for r in records), encoding="utf-8")
    assert main(["score", str(corpus), "--out", str(tmp_path / "scores"), "--model", str(tiny_model_dir),
                 "--quiet"]) == 0
    capsys.readouterr()
    code, out, err = report(tmp_path, capsys, tmp_path / "scores", "--by", "outlet", "--time-field", "published",
                            "--freq", "week")
    assert code == 0, err
    table = pd.read_csv(tmp_path / "report" / "prevalence.csv", dtype=str, keep_default_na=False)
    assert sorted(set(table.group)) == ["(missing) / (no date)", "Daily / 2024-04-29", "Herald / 2024-05-20"]
    assert set(table.n) == {"12"}  # 4 documents x 3 sentences in each group
    # The tiny model stores no error rates: raw shares only, said in the table and on stderr.
    assert set(table.status) == {"no_error_rates"} and set(table.estimate) == {""}
    assert "stores no held-out confusion counts" in err and "(no date)" in err
    html = (tmp_path / "report" / "report.html").read_text(encoding="utf-8")
    assert "stores no held-out confusion counts" in html


def test_a_model_with_counts_corrects_and_changed_thresholds_block_it(tiny_model_dir, tmp_path, capsys):
    model = tmp_path / "model"
    shutil.copytree(tiny_model_dir, model)
    config = json.loads((model / "config.json").read_text())
    labels = list(config["id2label"].values())
    config["heldout_confusion"] = {label: {"tp": 60, "fp": 30, "fn": 40, "tn": 870} for label in labels}
    (model / "config.json").write_text(json.dumps(config))
    corpus = tmp_path / "c.jsonl"
    corpus.write_text("".join(json.dumps({"id": str(i), "text": f"Sentence {i}. They lie. Fine.", "src": "x"}) + "\n"
                              for i in range(6)), encoding="utf-8")
    assert main(["score", str(corpus), "--out", str(tmp_path / "scores"), "--model", str(model), "--quiet"]) == 0
    capsys.readouterr()
    assert report(tmp_path, capsys, tmp_path / "scores")[0] == 0
    table = pd.read_csv(tmp_path / "report" / "prevalence.csv")
    assert set(table.group) == {"all"} and set(table.status) == {"corrected"}
    expected = np.clip((table.raw_share - 30 / 900) / (60 / 100 - 30 / 900), 0, 1)
    assert np.allclose(table.estimate, expected)

    assert main(["score", str(corpus), "--out", str(tmp_path / "other"), "--model", str(model), "--quiet",
                 "--threshold", "0.3"]) == 0
    capsys.readouterr()
    code, _, err = report(tmp_path, capsys, tmp_path / "other")
    table = pd.read_csv(tmp_path / "report" / "prevalence.csv")
    assert code == 0 and set(table.status) == {"thresholds_differ"} and table.estimate.isna().all()
    assert "scored at threshold 0.3" in table.note[0]


def test_document_unit_counts_documents_and_needs_document_level_rates(synthetic, tmp_path, capsys):
    code, _, _ = report(tmp_path, capsys, synthetic.folder, "--by", "outlet", "--unit", "document",
                        "--error-rates", synthetic.rates)
    table = pd.read_csv(tmp_path / "report" / "prevalence.csv").set_index(["group", "technique"])
    documents = read_frame(synthetic.folder, "documents")
    daily = documents[documents.outlet == "daily"]
    row = table.loc[("daily", "doubt")]
    assert code == 0 and row.n == len(daily) and row.raw_share == pytest.approx((daily.count_doubt > 0).mean())
    assert row.status == "unit_mismatch" and np.isnan(row.estimate)

    rates = json.loads(synthetic.rates.read_text())
    rates["unit"] = "document"
    document_rates = tmp_path / "document-rates.json"
    document_rates.write_text(json.dumps(rates))
    report(tmp_path, capsys, synthetic.folder, "--by", "outlet", "--unit", "document", "--error-rates",
           document_rates)
    table = pd.read_csv(tmp_path / "report" / "prevalence.csv")
    assert (table[table.technique == "doubt"].status == "corrected").all()


def test_errors_are_one_line(synthetic, tmp_path, capsys):
    code, _, err = report(tmp_path, capsys, synthetic.folder, "--by", "source")
    assert code == 2 and "E400" in err and "'source'" in err and "outlet, date, url" in err
    assert len(err.strip().splitlines()) == 1
    code, _, err = report(tmp_path, capsys, tmp_path / "nowhere", "--by", "outlet")
    assert code == 2 and "E004" in err
    code, _, err = report(tmp_path, capsys, synthetic.folder, "--by", "outlet", "--reference", "nobody")
    assert code == 2 and "E403" in err and "daily, herald" in err


def test_an_empty_run_is_a_one_line_error(tmp_path, capsys):
    from slant.inference.sinks import ChunkedWriter

    ChunkedWriter(tmp_path / "empty", {"labels": ["doubt"], "thresholds": {"doubt": 0.5}})
    code, _, err = report(tmp_path, capsys, tmp_path / "empty")
    assert code == 2 and "E401" in err


def test_many_groups_are_compared_with_the_largest_or_a_reference(tmp_path, capsys):
    prevalence = {f"outlet{i}": {"loaded_language": 0.05 + 0.02 * i} for i in range(8)}
    data = write_scored_corpus(tmp_path, docs_per_group=10, prevalence=prevalence)
    code, _, err = report(tmp_path, capsys, data.folder, "--by", "outlet", "--error-rates", data.rates)
    differences = pd.read_csv(tmp_path / "report" / "differences.csv")
    assert code == 0 and "compared with the largest" in err
    assert differences.group_b.nunique() == 1 and differences[["group_a", "group_b"]].drop_duplicates().shape[0] == 7
    report(tmp_path, capsys, data.folder, "--by", "outlet", "--error-rates", data.rates, "--reference", "outlet3")
    differences = pd.read_csv(tmp_path / "report" / "differences.csv")
    assert set(differences.group_b) == {"outlet3"} and "outlet3" not in set(differences.group_a)
