"""Annotation guidelines rendered from the registry; the same text feeds docs and the model card."""

from __future__ import annotations

from slant.models.labels import LabelSet


def render_markdown(label_set: LabelSet, heading_level: int = 2) -> str:
    h = "#" * heading_level
    names = {t.id: t.name for t in label_set.techniques}
    parts = [
        f"{h[:-1] or '#'} Slant annotation guidelines (label registry v{label_set.version})\n",
        "A sentence carries a technique when any part of it uses the technique; a sentence may carry "
        "several techniques or none. Label ids are stable and ordered as below.\n",
        "| id | technique | source |",
        "| --- | --- | --- |",
    ]
    for t in label_set.techniques:
        parts.append(f"| `{t.id}` | {t.name} | {'PTC `' + t.ptc_name + '`' if t.ptc_name else 'new in Slant'} |")
    parts.append("")
    for t in label_set.techniques:
        parts.append(f"{h} {t.name} (`{t.id}`)\n")
        parts.append(t.definition + "\n")
        parts.append("Carries it:\n")
        parts.extend(f"- {example}" for example in t.positive_examples)
        parts.append("\nDoes not:\n")
        parts.extend(f"- {example}" for example in t.negative_examples)
        parts.append(f"\nVersus {names[t.nearest]} (`{t.nearest}`): {t.differs_from_nearest}\n")
        if t.decisions:
            parts.append("Decided on real news (cases the definition left open):\n")
            parts.extend(f"- {decision}" for decision in t.decisions)
            parts.append("")
    return "\n".join(parts)
