"""The technique registry: `labels.yaml` as a frozen, validated `LabelSet`.

Label ids and their order come from the registry, never from data, so a technique missing
from one split can never shift ids. This module has no torch dependency.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from pathlib import Path

import yaml

from slant.models.errors import SlantError

REQUIRED_FIELDS = (
    "id",
    "name",
    "definition",
    "positive_examples",
    "negative_examples",
    "nearest",
    "differs_from_nearest",
)


@dataclass(frozen=True)
class Technique:
    id: str
    name: str
    ptc_name: str | None
    definition: str
    positive_examples: tuple[str, ...]
    negative_examples: tuple[str, ...]
    nearest: str
    differs_from_nearest: str
    # Rules settled while annotating real news, where the definition left a case open.
    decisions: tuple[str, ...] = ()


@dataclass(frozen=True)
class LabelSet:
    version: int
    techniques: tuple[Technique, ...]

    @property
    def ids(self) -> list[str]:
        return [t.id for t in self.techniques]

    @property
    def id2label(self) -> dict[int, str]:
        return dict(enumerate(self.ids))

    @property
    def label2id(self) -> dict[str, int]:
        return {label: i for i, label in enumerate(self.ids)}

    @property
    def ptc_ids(self) -> list[str]:
        """Ids of the techniques annotated in the Propaganda Techniques Corpus."""
        return [t.id for t in self.techniques if t.ptc_name]

    @property
    def ptc_to_id(self) -> dict[str, str]:
        return {t.ptc_name: t.id for t in self.techniques if t.ptc_name}

    def __len__(self) -> int:
        return len(self.techniques)

    def __getitem__(self, label_id: str) -> Technique:
        for technique in self.techniques:
            if technique.id == label_id:
                return technique
        raise SlantError("E010", label=label_id, known=", ".join(self.ids))

    def check(self, labels, where: str = "") -> list[str]:
        """Return `labels` as a list, raising a clear error on any unknown id."""
        known = self.label2id
        for label in labels:
            if label not in known:
                raise SlantError("E010", label=label, known=", ".join(self.ids), where=where)
        return list(labels)


def _parse(raw: dict, source: str) -> LabelSet:
    if not isinstance(raw, dict) or "labels" not in raw:
        raise SlantError("E011", path=source, problem="no top-level 'labels' list")
    techniques = []
    for n, entry in enumerate(raw["labels"], start=1):
        missing = [f for f in REQUIRED_FIELDS if not entry.get(f)]
        if missing:
            raise SlantError("E011", path=source, problem=f"entry {n} lacks {', '.join(missing)}")
        techniques.append(
            Technique(
                id=entry["id"],
                name=entry["name"],
                ptc_name=entry.get("ptc_name"),
                definition=" ".join(entry["definition"].split()),
                positive_examples=tuple(entry["positive_examples"]),
                negative_examples=tuple(entry["negative_examples"]),
                nearest=entry["nearest"],
                differs_from_nearest=" ".join(entry["differs_from_nearest"].split()),
                decisions=tuple(" ".join(d.split()) for d in entry.get("decisions") or ()),
            )
        )
    ids = [t.id for t in techniques]
    duplicates = sorted({i for i in ids if ids.count(i) > 1})
    if duplicates:
        raise SlantError("E011", path=source, problem=f"duplicate ids {duplicates}")
    unknown = sorted({t.nearest for t in techniques} - set(ids))
    if unknown:
        raise SlantError("E011", path=source, problem=f"'nearest' names unknown ids {unknown}")
    return LabelSet(version=int(raw.get("version", 1)), techniques=tuple(techniques))


def load_labels(path: str | Path | None = None) -> LabelSet:
    """Load a technique registry; the one shipped with Slant when `path` is None."""
    if path is None:
        return _default_labels()
    path = Path(path)
    return _parse(yaml.safe_load(path.read_text(encoding="utf-8")), str(path))


@lru_cache(maxsize=1)
def _default_labels() -> LabelSet:
    text = resources.files("slant.models").joinpath("labels.yaml").read_text(encoding="utf-8")
    return _parse(yaml.safe_load(text), "slant/models/labels.yaml")
