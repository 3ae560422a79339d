"""Champion against challenger on one evaluation set: a side-by-side table, a bar chart, and the
promotion rule that decides between them."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from slant.models.errors import SlantError

EPSILON = 1e-9  # scores equal to this are equal: a rounding step is not a drop


@dataclass
class PromotionRule:
    micro_f1_tolerance: float = field(
        default=0.0,
        metadata={"help": "How far the challenger's micro F1 may fall below the champion's "
                          "(0 = not at all; negative = it must gain that much)."},
    )
    max_technique_drop: float = field(
        default=0.05, metadata={"help": "Largest F1 drop allowed on any technique with enough support."}
    )
    min_support: int = field(
        default=20, metadata={"help": "Techniques with fewer evaluation positives are shown but not judged."}
    )

    def validate(self):
        for key, value, low in (("micro_f1_tolerance", self.micro_f1_tolerance, -1.0),
                                ("max_technique_drop", self.max_technique_drop, 0.0)):
            if not low <= value <= 1.0:
                raise SlantError("E021", key=f"promotion.{key}", value=value, problem=f"must be in [{low:g}, 1]")
        if self.min_support < 1:
            raise SlantError("E021", key="promotion.min_support", value=self.min_support, problem="must be at least 1")


@dataclass(frozen=True)
class TechniqueRow:
    label: str
    support: int
    champion_f1: float | None
    challenger_f1: float

    @property
    def delta(self) -> float | None:
        return None if self.champion_f1 is None else self.challenger_f1 - self.champion_f1


@dataclass
class Comparison:
    """Per-technique F1 of both models on the same evaluation set (support from that set)."""

    challenger: dict
    champion: dict | None
    rows: list[TechniqueRow]
    absent: list[str]  # techniques with no positives in the evaluation set
    evaluation_digest: str = ""

    def headline(self, key: str) -> tuple[float | None, float]:
        return (self.champion[key] if self.champion else None), self.challenger[key]

    def to_markdown(self, champion_name: str = "champion", challenger_name: str = "challenger") -> str:
        lines = [f"| technique | support | {champion_name} F1 | {challenger_name} F1 | change |",
                 "| --- | ---: | ---: | ---: | ---: |"]
        for key in ("micro_f1", "macro_f1", "binary_f1"):
            before, after = self.headline(key)
            lines.append(f"| **{key.replace('_f1', ' F1')}** | {self.challenger['n_sentences']} | "
                         f"{_number(before)} | {after:.3f} | {_change(before, after)} |")
        for row in self.rows:
            lines.append(f"| {row.label} | {row.support} | {_number(row.champion_f1)} | "
                         f"{row.challenger_f1:.3f} | {_change(row.champion_f1, row.challenger_f1)} |")
        if self.absent:
            lines.append(f"\nNo positives in the evaluation set (not compared): {', '.join(self.absent)}.")
        if self.evaluation_digest:
            lines.append(f"\nEvaluation set digest: `{self.evaluation_digest}`.")
        return "\n".join(lines)

    def to_dict(self) -> dict:
        return {
            "evaluation_digest": self.evaluation_digest,
            "headline": {key: dict(zip(("champion", "challenger"), self.headline(key)))
                         for key in ("micro_f1", "macro_f1", "binary_f1")},
            "techniques": [asdict(row) | {"delta": row.delta} for row in self.rows],
            "absent": self.absent,
        }


def compare(challenger: dict, champion: dict | None, evaluation_digest: str = "") -> Comparison:
    """Line up two `multilabel_report`s made on the same data."""
    if champion is not None and champion["n_sentences"] != challenger["n_sentences"]:
        raise ValueError("champion and challenger were scored on different evaluation sets")
    rows, absent = [], []
    for label, scores in challenger["per_label"].items():
        if scores["support"] == 0:
            absent.append(label)
            continue
        before = champion["per_label"][label]["f1"] if champion else None
        rows.append(TechniqueRow(label, scores["support"], before, scores["f1"]))
    return Comparison(challenger, champion, rows, absent, evaluation_digest)


# -- the promotion rule ----------------------------------------------------------------
@dataclass(frozen=True)
class Decision:
    promote: bool
    reasons: tuple[str, ...]

    def __str__(self) -> str:
        verdict = "promote the challenger" if self.promote else "keep the champion"
        return f"{verdict}: " + "; ".join(self.reasons)


def change_text(before: float, after: float, beyond: float | None = None, digits: int = 3, most: int = 6) -> str:
    """"0.141 -> 0.152 (+0.011)", with as many digits (3 to `most`) as it takes for a change, and
    for how far it goes `beyond` a margin, to show: a drop the rule refuses never reads
    "0.141 -> 0.141 (-0.000)" or "(-0.068) beyond the margin of 0.0678"."""
    change = abs(after - before)
    while digits < most and change > EPSILON and (
            round(change, digits) == 0 or (beyond is not None and round(change, digits) <= round(beyond, digits))):
        digits += 1
    return f"{before:.{digits}f} -> {after:.{digits}f} ({after - before:+.{digits}f})"


def judge(comparison: Comparison, rule: PromotionRule) -> Decision:
    """Promote only if micro F1 does not drop (beyond the tolerance) and no technique with at least
    `min_support` positives drops by more than `max_technique_drop`; every failed check is a reason."""
    if comparison.champion is None:
        return Decision(True, ("there is no champion yet",))
    before, after = comparison.headline("micro_f1")
    against = []
    if after < before - rule.micro_f1_tolerance - EPSILON:
        change = change_text(before, after, beyond=max(rule.micro_f1_tolerance, 0.0))
        against.append(f"micro F1 fell {change}, beyond the tolerance of {rule.micro_f1_tolerance:g}"
                       if rule.micro_f1_tolerance >= 0 else
                       f"micro F1 {change} did not gain the required {-rule.micro_f1_tolerance:g}")
    judged = [row for row in comparison.rows if row.support >= rule.min_support]
    for row in judged:
        if row.delta < -rule.max_technique_drop - EPSILON:
            # without its closing bracket: the support goes inside it
            change = change_text(row.champion_f1, row.challenger_f1, beyond=rule.max_technique_drop)[:-1]
            against.append(f"{row.label} F1 fell {change}, support {row.support}), beyond the margin of "
                           f"{rule.max_technique_drop:g}")
    if against:
        return Decision(False, tuple(against))
    return Decision(True, (
        f"micro F1 {change_text(before, after)}",
        f"none of the {len(judged)} techniques with support >= {rule.min_support} fell by more than "
        f"{rule.max_technique_drop:g}",
    ))


# -- the chart ---------------------------------------------------------------------------
def plot(comparison: Comparison, path: str | Path, title: str = "Champion vs challenger") -> Path:
    """Horizontal bars, champion and challenger side by side for the headline scores and each technique."""
    from matplotlib.figure import Figure  # no pyplot: no global state, no display needed

    names = ["micro F1", "macro F1"] + [f"{row.label} ({row.support})" for row in comparison.rows]
    after = [comparison.challenger["micro_f1"], comparison.challenger["macro_f1"]] + [
        row.challenger_f1 for row in comparison.rows]
    y = np.arange(len(names))
    figure = Figure(figsize=(8, 1.2 + 0.38 * len(names)), layout="constrained")
    axes = figure.add_subplot()
    height = 0.4
    if comparison.champion is not None:
        before = [comparison.champion["micro_f1"], comparison.champion["macro_f1"]] + [
            row.champion_f1 for row in comparison.rows]
        axes.barh(y - height / 2, before, height, label="champion", color="#9e9e9e")
        axes.barh(y + height / 2, after, height, label="challenger", color="#1f77b4")
    else:
        axes.barh(y, after, height, label="challenger (no champion yet)", color="#1f77b4")
    axes.set_yticks(y, names)
    axes.invert_yaxis()
    axes.set_xlim(0, 1)
    axes.set_xlabel("F1 on the evaluation set (support in brackets)")
    axes.set_title(title)
    axes.legend(loc="lower right")
    axes.grid(axis="x", alpha=0.3)
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    figure.savefig(path, dpi=110)
    return path


# -- per-sentence scores, for error analysis --------------------------------------------
def predictions_frame(classifier, dataset) -> pd.DataFrame:
    """One row per evaluation sentence: text, gold labels, predicted labels, annotated labels,
    and one `p_<label>` probability column per technique. Logged by `slant retrain`; read by the
    error-analysis and threshold notebooks."""
    probabilities = classifier.predict_proba(dataset["text"])
    predicted = classifier.decide(probabilities)
    if "mask" in dataset.column_names:
        annotated = [[label for label, m in zip(classifier.labels, row) if m > 0] for row in dataset["mask"]]
    else:
        annotated = [list(classifier.labels)] * len(dataset)
    frame = pd.DataFrame({
        "text": dataset["text"],
        "labels": [list(row) for row in dataset["labels"]],
        "predicted": [[label for label in row if label in known] for row, known in zip(predicted, annotated)],
        "annotated": annotated,
    })
    for j, label in enumerate(classifier.labels):
        frame[f"p_{label}"] = probabilities[:, j].astype(float)
    return frame


def _number(value: float | None) -> str:
    return "-" if value is None else f"{value:.3f}"


def _change(before: float | None, after: float) -> str:
    return "new" if before is None else f"{after - before:+.3f}"
