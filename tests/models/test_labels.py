from pathlib import Path

import pytest
from tests_contract import EXPECTED_IDS

from slant.models.errors import SlantError
from slant.models.guidelines import render_markdown
from slant.models.labels import load_labels


def test_registry_has_the_sixteen_ids_in_order():
    labels = load_labels()
    assert labels.ids == EXPECTED_IDS
    assert labels.label2id["doubt"] == 4 and labels.id2label[15] == "official_narrative_echoing"


def test_every_ptc_technique_maps_to_one_id():
    mapping = load_labels().ptc_to_id
    assert len(mapping) == 14
    assert mapping["Name_Calling,Labeling"] == "name_calling_labeling"
    assert mapping["Bandwagon,Reductio_ad_hitlerum"] == "bandwagon_reductio_ad_hitlerum"


def test_required_neighbour_pairs_are_explained():
    labels = load_labels()
    assert labels["official_narrative_echoing"].nearest == "appeal_to_authority"
    assert labels["hedged_attribution"].nearest == "doubt"
    assert labels["loaded_language"].nearest == "name_calling_labeling"
    for technique in labels.techniques:
        assert technique.positive_examples and technique.negative_examples and technique.differs_from_nearest


def test_unknown_label_is_a_clear_error():
    with pytest.raises(SlantError, match=r"\[E010\] unknown label 'propaganda'.*known labels: loaded_language"):
        load_labels().check(["propaganda"])


def test_duplicate_ids_are_rejected(tmp_path):
    bad = tmp_path / "labels.yaml"
    entry = ("  - {id: a, name: A, definition: d, positive_examples: [x], negative_examples: [y], "
             "nearest: a, differs_from_nearest: z}\n")
    bad.write_text("version: 1\nlabels:\n" + entry * 2)
    with pytest.raises(SlantError, match="duplicate ids"):
        load_labels(bad)


def test_docs_guidelines_are_generated_from_the_registry():
    docs = Path(__file__).resolve().parents[2] / "docs" / "guidelines.md"
    assert docs.read_text(encoding="utf-8").strip() == render_markdown(load_labels()).strip(), (
        "docs/guidelines.md is stale: run `slant labels --format markdown > docs/guidelines.md`"
    )
