"""How common each technique is in groups of a corpus, corrected for the model's known errors.

A classifier's share of flagged sentences is biased whenever its recall (true-positive rate,
`tpr`) and false-positive rate (`fpr`) are not 1 and 0: with a true prevalence `p`, the share it
flags is `q = tpr * p + fpr * (1 - p)`. Adjusted classify-and-count (ACC; Forman 2008, the
`ACC` of QuaPy) inverts that:

    p = (q - fpr) / (tpr - fpr),  clipped to [0, 1]

`tpr` and `fpr` come from the model's held-out confusion counts (`heldout_confusion` in the
model's `config.json`: tp, fp, fn, tn per technique at the model's thresholds), so no gold data
is needed at report time. The 95 % interval carries both uncertainties at once: each bootstrap
replicate resamples the documents of every group (sampling; sentences of one document stay
together, as they are not independent) and draws `tpr` and `fpr` from their Beta posteriors
given the counts (Jeffreys prior, Beta(k + 1/2, n - k + 1/2)); the interval is the 2.5 and 97.5
percentiles of the corrected replicates. The same error-rate draw is used for every group in a
replicate, so group differences are not blurred by an uncertainty they share.

The held-out counts are not independent draws: a model's errors cluster by article (one article
is full of false positives, another has none). Measured on the released model's held-out PTC
articles, the variance of tpr and fpr is 0.9 to 3.2 times what independent sentences would give
(the "design effect"; `benchmarks/prevalence.py` prints it). So by default each held-out
sentence counts as a third of an independent one in the Beta posteriors (`design_effect` 3): the
centres stay, the intervals widen. The cross-fitted benchmark in docs/reports.md shows why:
95 % intervals held the truth in 78 % of (group, technique) pairs with design effect 1, 88 % with
2 and 94 % with 3.

A technique is corrected only if the model separates its positives from its negatives well
enough: the 2.5 % posterior quantile of `tpr - fpr` must reach `min_separation` (0.1). Below
that, the correction divides by a number that may be close to zero, and the technique is
reported with its raw share and a status saying why, never with a made-up number.

ACC assumes the error rates hold in the corpus as on the held-out data (the model flags a
sentence that uses the technique, or one that does not, as often here as there: "prior
probability shift"); a corpus unlike the model's held-out news can break that.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Mapping, Sequence

import numpy as np

from slant.models.errors import SlantError

CONFIDENCE = 0.95
DEFAULT_BOOTSTRAP = 2000
DEFAULT_MIN_SEPARATION = 0.1
DEFAULT_DESIGN_EFFECT = 3.0  # held-out errors cluster by article; see the module docstring
PRIOR = 0.5  # Jeffreys Beta(1/2, 1/2) prior for tpr and fpr
SEPARATION_DRAWS = 20_000  # posterior draws that decide whether a technique is corrected
CONFUSION_KEY = "heldout_confusion"  # where a model folder's config.json keeps the counts

# Why a technique has no corrected estimate (the `status` column); "corrected" when it has one.
CORRECTED = "corrected"
NO_ERROR_RATES = "no_error_rates"
UNCERTAIN = "error_rates_too_uncertain"
THRESHOLD_CHANGED = "thresholds_differ"
UNIT_MISMATCH = "unit_mismatch"


@dataclass(frozen=True)
class Confusion:
    """Held-out confusion counts of one technique at the model's threshold."""

    tp: int
    fp: int
    fn: int
    tn: int

    @property
    def tpr(self) -> float:
        return self.tp / (self.tp + self.fn) if self.tp + self.fn else float("nan")

    @property
    def fpr(self) -> float:
        return self.fp / (self.fp + self.tn) if self.fp + self.tn else float("nan")

    def sample(self, rng: np.random.Generator, size: int, design_effect: float = 1.0) -> tuple[np.ndarray, np.ndarray]:
        """`size` draws of (tpr, fpr) from their Beta posteriors; `design_effect` > 1 counts
        each held-out sentence as 1/design_effect of an independent one (errors cluster by
        article), which widens the posteriors and keeps their centres."""
        d = float(design_effect)
        return (rng.beta(self.tp / d + PRIOR, self.fn / d + PRIOR, size),
                rng.beta(self.fp / d + PRIOR, self.tn / d + PRIOR, size))

    def separation(self, confidence: float = CONFIDENCE, design_effect: float = 1.0) -> float:
        """The lower posterior quantile of tpr - fpr (deterministic: a fixed seed)."""
        tpr, fpr = self.sample(np.random.default_rng(0), SEPARATION_DRAWS, design_effect)
        return float(np.quantile(tpr - fpr, (1 - confidence) / 2))

    def as_dict(self) -> dict:
        return {"tp": self.tp, "fp": self.fp, "fn": self.fn, "tn": self.tn}


def parse_confusion(data, where: str) -> dict[str, Confusion]:
    """{technique: {tp, fp, fn, tn}} as `Confusion`s; anything else is a one-line error (E402)."""
    if not isinstance(data, Mapping):
        raise SlantError("E402", path=where, problem=f"expected an object of techniques, got {type(data).__name__}")
    out = {}
    for label, counts in data.items():
        if not isinstance(counts, Mapping) or not {"tp", "fp", "fn", "tn"} <= set(counts):
            raise SlantError("E402", path=where, problem=f"{label!r} needs the counts tp, fp, fn and tn")
        values = {k: counts[k] for k in ("tp", "fp", "fn", "tn")}
        if not all(isinstance(v, int) and not isinstance(v, bool) and v >= 0 for v in values.values()):
            raise SlantError("E402", path=where, problem=f"{label!r}: counts must be whole numbers >= 0, got {values}")
        out[str(label)] = Confusion(**values)
    return out


def read_model_config(model_dir: str | Path) -> dict:
    path = Path(model_dir) / "config.json"
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise SlantError("E004", path=str(path)) from None
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as error:
        raise SlantError("E001", path=str(path), reason=str(error).splitlines()[0]) from None


def read_error_rates(model_dir: str | Path) -> dict[str, Confusion] | None:
    """A model folder's held-out confusion counts per technique, or None if it stores none."""
    data = read_model_config(model_dir).get(CONFUSION_KEY)
    if data is None:
        return None
    return parse_confusion(data, str(Path(model_dir) / "config.json"))


def read_error_rates_file(path: str | Path) -> tuple[str, dict[str, Confusion], dict | None]:
    """(unit, counts, thresholds or None) from a JSON file given to `slant report --error-rates`.

    Accepted: `{"unit": "sentence" | "document", "confusion": {technique: {tp, fp, fn, tn}},
    "thresholds": {...}}` (unit and thresholds optional), a model's `config.json`, or the bare
    mapping of techniques.
    """
    where = str(path)
    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise SlantError("E004", path=where) from None
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as error:
        raise SlantError("E402", path=where, problem=str(error).splitlines()[0]) from None
    if not isinstance(data, dict):
        raise SlantError("E402", path=where, problem=f"expected a JSON object, got {type(data).__name__}")
    unit = data.get("unit", "sentence")
    if unit not in ("sentence", "document"):
        raise SlantError("E402", path=where, problem=f"unit must be sentence or document, not {unit!r}")
    if "confusion" in data:
        counts = data["confusion"]
    elif CONFUSION_KEY in data:
        counts = data[CONFUSION_KEY]
    else:
        counts = {k: v for k, v in data.items() if k not in ("unit", "thresholds")}
    thresholds = data.get("thresholds")
    return unit, parse_confusion(counts, where), thresholds if isinstance(thresholds, dict) else None


def correct(raw, tpr, fpr):
    """Adjusted classify-and-count: the prevalence that explains the flagged share, in [0, 1]."""
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.clip((np.asarray(raw, dtype=float) - fpr) / (tpr - fpr), 0.0, 1.0)


@dataclass
class Estimates:
    """Per group (rows) and technique (columns)."""

    techniques: list[str]
    units: np.ndarray  # (G,) sentences or documents
    documents: np.ndarray  # (G,)
    flagged: np.ndarray  # (G, T) units flagged
    raw: np.ndarray  # (G, T) share of units flagged
    raw_low: np.ndarray
    raw_high: np.ndarray
    estimate: np.ndarray  # (G, T) corrected; NaN where the technique is not corrected
    low: np.ndarray
    high: np.ndarray
    status: list[str]  # (T,) CORRECTED or why not
    raw_replicates: np.ndarray | None = None  # (B, G, T) when kept
    replicates: np.ndarray | None = None  # (B, G, T) corrected, NaN where not corrected


def decide(techniques: Sequence[str], confusions: Mapping[str, Confusion] | None,
           min_separation: float = DEFAULT_MIN_SEPARATION, blocked: Mapping[str, str] | None = None,
           design_effect: float = 1.0) -> list[str]:
    """Each technique's status: corrected, or the reason it is not."""
    out = []
    for label in techniques:
        confusion = (confusions or {}).get(label)
        if blocked and label in blocked:
            out.append(blocked[label])
        elif confusion is None or not (confusion.tp + confusion.fn) or not (confusion.fp + confusion.tn):
            out.append(NO_ERROR_RATES)
        elif confusion.separation(design_effect=design_effect) < min_separation:
            out.append(UNCERTAIN)
        else:
            out.append(CORRECTED)
    return out


def _resampled_shares(y: np.ndarray, m: np.ndarray, n_boot: int, rng: np.random.Generator,
                      max_cells: int = 4_000_000) -> np.ndarray:
    """(n_boot, T) shares sum(y) / sum(m) over bootstrap resamples of the rows (documents)."""
    n = len(m)
    out = np.empty((n_boot, y.shape[1]))
    step = max(1, max_cells // max(n, 1))
    p = np.full(n, 1.0 / n)
    for start in range(0, n_boot, step):
        b = min(step, n_boot - start)
        weights = rng.multinomial(n, p, size=b).astype(np.float64)
        out[start : start + b] = (weights @ y) / (weights @ m)[:, None]
    return out


def estimate_prevalence(counts: np.ndarray, sizes: np.ndarray, groups: np.ndarray, n_groups: int,
                        techniques: Sequence[str], confusions: Mapping[str, Confusion] | None, *,
                        status: Sequence[str] | None = None, n_boot: int = DEFAULT_BOOTSTRAP, seed: int = 0,
                        min_separation: float = DEFAULT_MIN_SEPARATION, confidence: float = CONFIDENCE,
                        design_effect: float = 1.0, keep_replicates: bool = False) -> Estimates:
    """Raw and corrected prevalence per group and technique, with bootstrap intervals.

    counts: (D, T) flagged units of each document per technique; sizes: (D,) units of each
    document (its sentences, or 1 when documents are the units); groups: (D,) group index.
    """
    counts = np.asarray(counts, dtype=np.float64)
    sizes = np.asarray(sizes, dtype=np.float64)
    groups = np.asarray(groups, dtype=np.int64)
    n_techniques = len(techniques)
    if counts.shape != (len(sizes), n_techniques):
        raise ValueError(f"counts has shape {counts.shape}, expected {(len(sizes), n_techniques)}")
    if n_boot < 10:
        raise SlantError("E403", option="--bootstrap", value=n_boot, problem="use at least 10 replicates (2000 by default)")
    if design_effect < 1:
        raise SlantError("E403", option="--design-effect", value=design_effect, problem="must be at least 1")
    status = list(status) if status is not None else decide(techniques, confusions, min_separation,
                                                            design_effect=design_effect)
    rng = np.random.default_rng(seed)
    tpr_hat = np.full(n_techniques, np.nan)
    fpr_hat = np.full(n_techniques, np.nan)
    tpr_draws = np.full((n_boot, n_techniques), np.nan)
    fpr_draws = np.full((n_boot, n_techniques), np.nan)
    for j, label in enumerate(techniques):  # every technique draws, so results do not depend on which are corrected
        confusion = (confusions or {}).get(label) or Confusion(0, 0, 0, 0)
        tpr_draws[:, j], fpr_draws[:, j] = confusion.sample(rng, n_boot, design_effect)
        if status[j] == CORRECTED:
            tpr_hat[j], fpr_hat[j] = confusion.tpr, confusion.fpr
    corrected = np.array([s == CORRECTED for s in status])

    shape = (n_groups, n_techniques)
    out = Estimates(list(techniques), np.zeros(n_groups, np.int64), np.zeros(n_groups, np.int64),
                    np.zeros(shape, np.int64), *(np.full(shape, np.nan) for _ in range(6)), status=status)
    if keep_replicates:
        out.raw_replicates = np.full((n_boot,) + shape, np.nan, dtype=np.float32)
        out.replicates = np.full((n_boot,) + shape, np.nan, dtype=np.float32)
    tail = (1 - confidence) / 2 * 100
    for g in range(n_groups):
        rows = groups == g
        if not rows.any():
            continue
        y, m = counts[rows], sizes[rows]
        out.units[g], out.documents[g] = int(m.sum()), int(rows.sum())
        out.flagged[g] = y.sum(axis=0).round().astype(np.int64)
        out.raw[g] = y.sum(axis=0) / m.sum()
        shares = _resampled_shares(y, m, n_boot, rng)
        out.raw_low[g], out.raw_high[g] = np.percentile(shares, [tail, 100 - tail], axis=0)
        fixed = correct(shares, tpr_draws, fpr_draws)
        fixed[:, ~corrected] = np.nan
        out.estimate[g] = np.where(corrected, correct(out.raw[g], tpr_hat, fpr_hat), np.nan)
        if corrected.any():
            low, high = np.percentile(fixed[:, corrected], [tail, 100 - tail], axis=0)
            out.low[g, corrected], out.high[g, corrected] = low, high
        if keep_replicates:
            out.raw_replicates[:, g] = shares
            out.replicates[:, g] = fixed
    return out


def differences(estimates: Estimates, pairs: Sequence[tuple[int, int]], confidence: float = CONFIDENCE) -> list[dict]:
    """Group a minus group b per technique: corrected difference with its interval (where both
    are corrected), and the raw difference with its sampling interval."""
    if estimates.replicates is None:
        raise ValueError("differences need estimates made with keep_replicates=True")
    tail = (1 - confidence) / 2 * 100
    out = []
    for a, b in pairs:
        raw = estimates.raw_replicates[:, a] - estimates.raw_replicates[:, b]
        raw_low, raw_high = np.percentile(raw, [tail, 100 - tail], axis=0)
        fixed = estimates.replicates[:, a].astype(np.float64) - estimates.replicates[:, b]
        for j, label in enumerate(estimates.techniques):
            row = {"a": a, "b": b, "technique": label, "status": estimates.status[j],
                   "raw_difference": float(estimates.raw[a, j] - estimates.raw[b, j]),
                   "raw_ci_low": float(raw_low[j]), "raw_ci_high": float(raw_high[j]),
                   "difference": float("nan"), "ci_low": float("nan"), "ci_high": float("nan"), "excludes_zero": None}
            if estimates.status[j] == CORRECTED:
                low, high = np.percentile(fixed[:, j], [tail, 100 - tail])
                row.update(difference=float(estimates.estimate[a, j] - estimates.estimate[b, j]),
                           ci_low=float(low), ci_high=float(high), excludes_zero=bool(low > 0 or high < 0))
            out.append(row)
    return out


__all__ = ["Confusion", "Estimates", "estimate_prevalence", "differences", "correct", "decide",
           "read_error_rates", "read_error_rates_file", "parse_confusion", "CORRECTED", "NO_ERROR_RATES",
           "UNCERTAIN", "THRESHOLD_CHANGED", "UNIT_MISMATCH", "DEFAULT_BOOTSTRAP", "DEFAULT_MIN_SEPARATION"]
