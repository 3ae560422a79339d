"""`slant report`: prevalence of each technique per group (and period) of a scored corpus.

    report = build_report("scores/", by=["source"], time_field="date", freq="month")
    write_report(report, "report/")   # prevalence.csv, report.json, report.html (+ differences.csv)

It reads only the documents table of a `slant score` folder (its counts per technique and the
input fields kept with `--keep-fields`), groups documents by the `by` fields (and by period of
`time_field`), and estimates each group's prevalence with `prevalence.estimate_prevalence`,
corrected with the error rates of the model that scored the corpus (or of `--error-rates`).
"""

from __future__ import annotations

import itertools
import json
import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Sequence

import numpy as np
import pandas as pd

from slant.inference import prevalence as pv
from slant.inference.rows import count_column
from slant.inference.sinks import read_manifest
from slant.models.errors import SlantError
from slant.models.scoring import DecisionRule

UNITS = ("sentence", "document")
FREQS = ("day", "week", "month")
MISSING = "(missing)"  # a by-field that is null or empty
NO_DATE = "(no date)"  # a time field that is missing or not a date
ALL = "all"  # the one group when there is no --by and no --time-field
MAX_PAIRS_GROUPS = 6  # up to this many groups every pair is compared; beyond, each against one
SEP = " / "
REPORT_COLUMNS = ("group", "period", "technique", "status", "n", "n_documents", "flagged", "raw_share",
                  "raw_ci_low", "raw_ci_high", "estimate", "ci_low", "ci_high", "tpr", "fpr", "note")

STATUS_NOTES = {
    pv.CORRECTED: "",
    pv.NO_ERROR_RATES: "no held-out error rates for this technique: raw share only",
    pv.UNCERTAIN: "error rates too uncertain to correct (tpr - fpr could be below {min_separation}): raw share only",
    pv.THRESHOLD_CHANGED: "scored at threshold {scored}, the error rates are for {rated}: raw share only",
    pv.UNIT_MISMATCH: "the error rates are per sentence and documents have several sentences: raw share only "
                      "(use --unit sentence, or --error-rates with document-level counts)",
}


@dataclass
class ErrorRates:
    """Where the correction's error rates come from and what they allow."""

    origin: str  # "model models/released" or "file rates.json" or ""
    unit: str = "sentence"
    confusions: dict[str, pv.Confusion] | None = None
    blocked: dict[str, str] = field(default_factory=dict)  # technique -> status when not usable
    threshold_notes: dict[str, tuple[float, float]] = field(default_factory=dict)  # scored, rated
    notes: list[str] = field(default_factory=list)


@dataclass
class Report:
    settings: dict
    prevalence: pd.DataFrame  # one row per (group, technique); groups are by-values x periods
    by_group: pd.DataFrame | None  # the by-groups pooled over periods (only with a time field)
    differences: pd.DataFrame  # between by-groups (pooled over periods)
    error_rates: list[dict]
    notes: list[str]

    def to_json(self) -> dict:
        def records(frame):
            return None if frame is None else [
                {k: _plain(v) for k, v in row.items()} for row in frame.to_dict(orient="records")]

        return {"settings": self.settings, "notes": self.notes, "error_rates": self.error_rates,
                "prevalence": records(self.prevalence), "by_group": records(self.by_group),
                "differences": records(self.differences)}


def _plain(value):
    """JSON-ready: NaN as null, numpy scalars as Python ones."""
    if isinstance(value, (np.floating, float)):
        return None if math.isnan(value) else float(value)
    if isinstance(value, np.integer):
        return int(value)
    if isinstance(value, np.bool_):
        return bool(value)
    return value


# -- reading ---------------------------------------------------------------------------------
def read_documents(folder: str | Path, columns: Sequence[str]) -> pd.DataFrame:
    """Only `columns` of the committed documents table (not its texts), in input order."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    from slant.inference import rows

    folder = Path(folder)
    manifest = read_manifest(folder)
    schema = rows.document_schema(manifest.settings["labels"], manifest.settings.get("keep_fields", []))
    wanted = ["record_no"] + [c for c in columns if c != "record_no"]
    schema = pa.schema([schema.field(c) for c in wanted])
    parts = []
    for name in manifest.files("documents"):
        path = folder / name
        if name.endswith(".parquet"):
            parts.append(pq.read_table(path, columns=wanted).cast(schema))
        else:
            with open(path, encoding="utf-8") as file:
                records = [json.loads(line) for line in file if line.strip()]
            parts.append(pa.Table.from_pylist([{c: r.get(c) for c in wanted} for r in records], schema=schema))
    table = pa.concat_tables(parts) if parts else schema.empty_table()
    return table.sort_by("record_no").to_pandas()


def resolve_error_rates(manifest, labels: Sequence[str], model: str | None = None,
                        error_rates: str | Path | None = None) -> ErrorRates:
    """The error rates for the scores in `manifest`: from `error_rates` (a JSON file), else from
    `model`, else from the model the corpus was scored with. Never fails for a model without
    counts: the report is then raw only, and says so."""
    scored = manifest.settings.get("thresholds", {})
    if error_rates is not None:
        unit, confusions, thresholds = pv.read_error_rates_file(error_rates)
        rates = ErrorRates(f"file {error_rates}", unit, confusions)
    else:
        name = model or manifest.settings.get("model")
        rates = ErrorRates(f"model {name}")
        try:
            folder = _model_folder(name)
            config = pv.read_model_config(folder)
            rates.confusions = pv.read_error_rates(folder)
        except SlantError as error:
            rates.notes.append(f"cannot read the error rates of model {name} ({error}); estimates are raw shares "
                               "only: pass --model FOLDER or --error-rates FILE to correct them")
            return rates
        if rates.confusions is None:
            rates.notes.append(f"model {name} stores no held-out confusion counts ({pv.CONFUSION_KEY} in its "
                               "config.json), so nothing can be corrected: the report gives raw shares only; pass "
                               "--error-rates FILE with counts measured on labelled data")
            return rates
        thresholds = DecisionRule(labels, config.get("thresholds")).thresholds  # the cut-offs the model applies
        if model is None and manifest.settings.get("weights"):
            from slant.models.encoder import model_digest

            digest = model_digest(folder)
            if digest and digest != manifest.settings["weights"]:
                rates.notes.append(f"the files of model {name} changed after the corpus was scored; its error rates "
                                   "are used as they are now")
    if thresholds:
        for label in labels:
            if label in scored and label in thresholds and abs(float(scored[label]) - float(thresholds[label])) > 1e-6:
                rates.blocked[label] = pv.THRESHOLD_CHANGED
                rates.threshold_notes[label] = (float(scored[label]), float(thresholds[label]))
    return rates


def _model_folder(name: str | None) -> str:
    from slant.models.encoder import resolve_model_path

    path = resolve_model_path(name)
    if not Path(path).is_dir():
        raise SlantError("E004", path=path)
    return path


# -- grouping --------------------------------------------------------------------------------
def _group_values(values: pd.Series) -> pd.Series:
    text = values.astype("string")
    return text.where(text.notna() & (text.str.strip() != ""), MISSING).astype(str)


def periods(values: pd.Series, freq: str) -> pd.Series:
    """The period each value falls in (UTC): 2024-05-03 (day), 2024-04-29 (the Monday a week
    starts), 2024-05 (month); NO_DATE where the value is missing or not a date."""
    if freq not in FREQS:
        raise SlantError("E403", option="--freq", value=freq, problem=f"choose one of {', '.join(FREQS)}")
    text = values.astype("string")
    dates = pd.to_datetime(text.where(text.notna(), None), errors="coerce", utc=True, format="mixed")
    day = dates.dt.normalize()
    if freq == "day":
        out = day.dt.strftime("%Y-%m-%d")
    elif freq == "week":
        out = (day - pd.to_timedelta(day.dt.day_of_week, unit="D")).dt.strftime("%Y-%m-%d")
    else:
        out = day.dt.strftime("%Y-%m")
    return out.astype("string").fillna(NO_DATE).astype(str)


def _codes(keys: pd.DataFrame) -> tuple[np.ndarray, list[tuple]]:
    """Group index per row and the sorted group keys (periods in time order, NO_DATE last)."""
    tuples = list(keys.itertuples(index=False, name=None))
    order = sorted(set(tuples), key=lambda key: tuple((v == NO_DATE, v) for v in key))
    index = {key: i for i, key in enumerate(order)}
    return np.fromiter((index[t] for t in tuples), dtype=np.int64, count=len(tuples)), order


# -- the report ------------------------------------------------------------------------------
def build_report(folder: str | Path, *, by: Sequence[str] = (), time_field: str | None = None, freq: str = "month",
                 unit: str = "sentence", model: str | None = None, error_rates: str | Path | None = None,
                 n_boot: int = pv.DEFAULT_BOOTSTRAP, seed: int = 0,
                 min_separation: float = pv.DEFAULT_MIN_SEPARATION, reference: str | None = None,
                 design_effect: float = pv.DEFAULT_DESIGN_EFFECT) -> Report:
    """Prevalence per group of a `slant score` folder, corrected where the error rates allow."""
    folder = Path(folder)
    if unit not in UNITS:
        raise SlantError("E403", option="--unit", value=unit, problem=f"choose one of {', '.join(UNITS)}")
    if freq not in FREQS:
        raise SlantError("E403", option="--freq", value=freq, problem=f"choose one of {', '.join(FREQS)}")
    if not 0 <= min_separation < 1:
        raise SlantError("E403", option="--min-separation", value=min_separation, problem="must be in [0, 1)")
    manifest = read_manifest(folder)
    labels = list(manifest.settings["labels"])
    kept = list(manifest.settings.get("keep_fields", []))
    by = list(dict.fromkeys(by))
    for name, option in [(b, "--by") for b in by] + ([(time_field, "--time-field")] if time_field else []):
        if name not in kept:
            raise SlantError("E400", path=str(folder), field=name, option=option,
                             available=", ".join(kept) or "no input fields (they were not kept)")
    fields = list(dict.fromkeys(by + ([time_field] if time_field else [])))
    documents = read_documents(folder, ["n_sentences"] + [count_column(l) for l in labels] + fields)
    if documents.empty:
        raise SlantError("E401", path=str(folder))

    notes = []
    if not manifest.complete:
        notes.append(f"the scoring run in {folder} is not complete: this report covers the {len(documents):,} "
                     "documents scored so far")
    rates = resolve_error_rates(manifest, labels, model, error_rates)
    notes += rates.notes
    blocked = dict(rates.blocked)
    if unit == "document" and rates.unit == "sentence" and (documents["n_sentences"] > 1).any():
        blocked.update({label: pv.UNIT_MISMATCH for label in labels if label not in blocked})
    if unit == "sentence" and rates.unit == "document":
        blocked.update({label: pv.UNIT_MISMATCH for label in labels if label not in blocked})
        notes.append("the error rates given are per document; a sentence-level report cannot use them")
    if design_effect < 1:
        raise SlantError("E403", option="--design-effect", value=design_effect, problem="must be at least 1")
    status = pv.decide(labels, rates.confusions, min_separation, blocked, design_effect)

    counts = documents[[count_column(l) for l in labels]].to_numpy(dtype=np.float64)
    if unit == "document":
        counts, sizes = (counts > 0).astype(np.float64), np.ones(len(documents))
    else:
        sizes = documents["n_sentences"].to_numpy(dtype=np.float64)

    # internal key columns (a field may be called "group" or "period")
    keys = pd.DataFrame({f"_by{i}": _group_values(documents[name]) for i, name in enumerate(by)},
                        index=documents.index)
    by_columns = list(keys.columns)
    if time_field:
        keys["_period"] = periods(documents[time_field], freq)
        undated = int((keys["_period"] == NO_DATE).sum())
        if undated:
            notes.append(f"{undated:,} document(s) have no date in {time_field!r} that could be read: they form "
                         f"the period {NO_DATE!r}")
    if keys.shape[1] == 0:
        keys["_all"] = ALL
    cell_codes, cell_keys = _codes(keys)
    options = dict(status=status, n_boot=n_boot, seed=seed, min_separation=min_separation,
                   design_effect=design_effect)

    if time_field:
        cells = pv.estimate_prevalence(counts, sizes, cell_codes, len(cell_keys), labels, rates.confusions, **options)
        group_keys_frame = keys[by_columns] if by_columns else pd.DataFrame({"_all": [ALL] * len(keys)})
        group_codes, group_keys = _codes(group_keys_frame)
        groups = pv.estimate_prevalence(counts, sizes, group_codes, len(group_keys), labels, rates.confusions,
                                        keep_replicates=True, **options)
    else:
        groups = pv.estimate_prevalence(counts, sizes, cell_codes, len(cell_keys), labels, rates.confusions,
                                        keep_replicates=True, **options)
        cells, group_keys = groups, cell_keys

    names = [_column(name) for name in by] + (["period"] if time_field else [])
    table = _table(cells, cell_keys, names, rates, min_separation)
    by_group = _table(groups, group_keys, names[: len(by)], rates, min_separation) if time_field else None
    group_labels = [_label(key) for key in group_keys]
    differences = _differences(groups, group_labels, reference, notes)

    settings = {"scores": str(folder), "by": by, "time_field": time_field, "freq": freq if time_field else None,
                "unit": unit, "bootstrap": n_boot, "seed": seed, "confidence": pv.CONFIDENCE,
                "min_separation": min_separation, "design_effect": design_effect, "error_rates": rates.origin, "error_rates_unit": rates.unit,
                "method": "adjusted classify-and-count; bootstrap over documents x Beta posteriors of tpr and fpr",
                "documents": int(len(documents)), "sentences": int(documents["n_sentences"].sum()),
                "model": manifest.settings.get("model"), "backend": manifest.settings.get("backend"),
                "complete": manifest.complete}
    error_table = []
    for j, label in enumerate(labels):
        confusion = (rates.confusions or {}).get(label)
        error_table.append({"technique": label, "status": status[j],
                            **(confusion.as_dict() if confusion else {"tp": None, "fp": None, "fn": None, "tn": None}),
                            "tpr": _plain(confusion.tpr) if confusion else None,
                            "fpr": _plain(confusion.fpr) if confusion else None,
                            "separation_low": confusion.separation(design_effect=design_effect) if confusion and
                            (confusion.tp + confusion.fn) and (confusion.fp + confusion.tn) else None})
    corrected = sum(s == pv.CORRECTED for s in status)
    if rates.confusions is not None and corrected < len(labels):
        notes.append(f"{corrected} of {len(labels)} techniques are corrected; the others give raw shares only "
                     "(see status)")
    return Report(settings, table, by_group, differences, error_table, notes)


def _note(status: str, raw: float, confusion: pv.Confusion | None, min_separation: float, scored, rated) -> str:
    note = STATUS_NOTES[status].format(min_separation=min_separation, scored=scored, rated=rated)
    if status == pv.CORRECTED and raw < confusion.fpr:
        note = (f"fewer units flagged ({raw:.1%}) than false positives alone would give ({confusion.fpr:.1%}): "
                "the estimate is clipped to 0; the technique is rare here, or the error rates do not hold for "
                "this corpus")
    elif status == pv.CORRECTED and raw > confusion.tpr:
        note = (f"more units flagged ({raw:.1%}) than the true-positive rate ({confusion.tpr:.1%}) allows: the "
                "estimate is clipped to 1; the error rates may not hold for this corpus")
    return note


def _column(name: str) -> str:
    """A by-field's column in the tables: its name, or by_<name> if the report uses that name."""
    return f"by_{name}" if name in REPORT_COLUMNS else name


def _label(key: tuple) -> str:
    return SEP.join(str(v) for v in key)


def _table(estimates: pv.Estimates, keys: list[tuple], names: list[str], rates: ErrorRates,
           min_separation: float) -> pd.DataFrame:
    rows = []
    for g, key in enumerate(keys):
        values = dict(zip(names, key))
        for j, label in enumerate(estimates.techniques):
            status = estimates.status[j]
            confusion = (rates.confusions or {}).get(label)
            scored, rated = rates.threshold_notes.get(label, (None, None))
            corrected = status == pv.CORRECTED
            rows.append({
                "group": _label(key) if names else ALL, **values,
                "technique": label, "status": status,
                "n": int(estimates.units[g]), "n_documents": int(estimates.documents[g]),
                "flagged": int(estimates.flagged[g, j]), "raw_share": estimates.raw[g, j],
                "raw_ci_low": estimates.raw_low[g, j], "raw_ci_high": estimates.raw_high[g, j],
                "estimate": estimates.estimate[g, j], "ci_low": estimates.low[g, j], "ci_high": estimates.high[g, j],
                "tpr": confusion.tpr if corrected else np.nan, "fpr": confusion.fpr if corrected else np.nan,
                "note": _note(status, estimates.raw[g, j], confusion, min_separation, scored, rated),
            })
    frame = pd.DataFrame(rows)
    first = ["group"] + names
    return frame[first + [c for c in frame.columns if c not in first]]


def _differences(estimates: pv.Estimates, labels: list[str], reference: str | None, notes: list[str]) -> pd.DataFrame:
    columns = ["group_a", "group_b", "technique", "status", "difference", "ci_low", "ci_high", "excludes_zero",
               "raw_difference", "raw_ci_low", "raw_ci_high"]
    n = len(labels)
    if reference is not None:
        if reference not in labels:
            raise SlantError("E403", option="--reference", value=reference,
                             problem=f"not a group of this report; groups: {', '.join(labels[:20])}")
        r = labels.index(reference)
        pairs = [(g, r) for g in range(n) if g != r]
    elif n <= MAX_PAIRS_GROUPS:
        pairs = list(itertools.combinations(range(n), 2))
    else:
        r = int(np.argmax(estimates.units))
        pairs = [(g, r) for g in range(n) if g != r]
        notes.append(f"{n} groups: each is compared with the largest, {labels[r]!r} (choose another with --reference)")
    rows = pv.differences(estimates, pairs)
    frame = pd.DataFrame(rows, columns=["a", "b"] + columns[2:])
    frame.insert(0, "group_a", [labels[a] for a in frame.pop("a")])
    frame.insert(1, "group_b", [labels[b] for b in frame.pop("b")])
    return frame[columns]


# -- writing ---------------------------------------------------------------------------------
def write_report(report: Report, out: str | Path) -> list[Path]:
    """prevalence.csv (+ prevalence_by_group.csv with a time field), differences.csv,
    report.json and report.html in `out`; returns the paths written."""
    from slant.inference.report_html import render

    out = Path(out)
    try:
        out.mkdir(parents=True, exist_ok=True)
        written = [out / "prevalence.csv"]
        report.prevalence.to_csv(written[-1], index=False)
        if report.by_group is not None:
            written.append(out / "prevalence_by_group.csv")
            report.by_group.to_csv(written[-1], index=False)
        written.append(out / "differences.csv")
        report.differences.to_csv(written[-1], index=False)
        written.append(out / "report.json")
        written[-1].write_text(json.dumps(report.to_json(), indent=1, ensure_ascii=False), encoding="utf-8")
        written.append(out / "report.html")
        written[-1].write_text(render(report), encoding="utf-8")
    except OSError as error:
        raise SlantError("E108", path=str(out), reason=error.strerror) from None
    return written


__all__ = ["Report", "build_report", "write_report", "read_documents", "resolve_error_rates", "periods"]
