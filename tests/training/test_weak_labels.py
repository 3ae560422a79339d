"""Weak-label rules for hedged attribution and official narrative echoing (no data files needed)."""

import re

import pytest

from slant.training.weak_labels import RULES, Cue, find_cues, rule_precision, weak_labels

HEDGED = "hedged_attribution"
ECHOING = "official_narrative_echoing"


@pytest.mark.parametrize("text", [
    "The midfielder is said to be unhappy with his contract, according to people close to the club.",
    "Some analysts believe the central bank will raise rates again before summer.",
    "The minister reportedly offered to resign twice during the talks.",
    "Sources familiar with the matter said the deal could be announced next week.",
    "One official, who asked not to be named, said the talks had stalled.",
    "It is widely believed that the chancellor has lost the support of her party.",
    "Critics say the scheme rewards landlords rather than tenants.",
    "The singer is rumoured to have turned down a record deal.",
    "According to unconfirmed reports, rebels have taken the airport.",
    "Many in the industry believe the new standard will strand older cars.",
])
def test_hedged_positives(text):
    assert HEDGED in weak_labels(text)


@pytest.mark.parametrize("text", [
    "Central bank governor Ana Ruiz said on Tuesday that rates would stay on hold.",
    "It is far from clear that the central bank can hold rates much longer.",
    "The club confirmed in a statement that the striker had asked for a transfer.",
    "Police said a 34-year-old man had been arrested on suspicion of arson.",
    "If we catch people close to the border, we should send them back.",      # not a source
    "When they become priests they will have many worries and many difficulties.",  # a noun
    "Some of the things that he said were provocative.",
    "The woman reportedly fled the scene, according to The Associated Press.",  # named source
])
def test_hedged_negatives(text):
    assert HEDGED not in weak_labels(text)


@pytest.mark.parametrize("text", [
    "The tax reform, as the ministry has promised, is making life fairer for every family.",
    "As the president rightly noted, the economy has never been stronger.",
    "Thanks to the government's reforms, unemployment has fallen to a record low.",
    "The special military operation continues to achieve its goals.",
    "Security forces restored order in the northern districts after days of unrest.",
    "The new fee structure gives customers more choice and flexibility than ever before.",
    "The curfew, imposed to keep residents safe, will stay in force until Friday.",
])
def test_echoing_positives(text):
    assert ECHOING in weak_labels(text)


@pytest.mark.parametrize("text", [
    "The ministry says the tax reform will make life fairer; opposition parties disagree.",
    "The bank said its new fee structure gives customers more choice, though consumer groups "
    "say most will pay more.",
    "Russia launched what it calls a special military operation.",
    "Russia launched its so-called special military operation in February.",
    "The post-Maidan government in Kyiv announced new gas tariffs on Monday.",
    "The army said the operation was launched to protect civilians, but aid agencies report "
    "rising casualties.",
    "Security forces moved into the northern districts on Friday, and a curfew was declared.",
    "\u201cOur officers restored order within hours,\u201d the police chief told the council.",
    "Thanks to the mayor's reckless decision, the officers were put in danger.",
])
def test_echoing_negatives(text):
    assert ECHOING not in weak_labels(text)


def test_neutral_sentence_has_no_labels_or_cues():
    text = "The museum will reopen to the public on 1 June after a two-year renovation."
    assert weak_labels(text) == []
    assert find_cues(text) == []


def test_both_labels_can_fire_and_output_is_sorted():
    text = "Thanks to the government's firm action, the crisis is reportedly easing."
    assert weak_labels(text) == sorted([HEDGED, ECHOING])


def test_cue_offsets_slice_the_cue_text():
    text = "Sources familiar with the matter said the minister reportedly wants out."
    cues = find_cues(text)
    assert all(isinstance(cue, Cue) for cue in cues)
    assert [c.start for c in cues] == sorted(c.start for c in cues)
    sliced = {(cue.rule, text[cue.start:cue.end].lower()) for cue in cues}
    assert ("anonymous_source", "sources familiar with") in sliced
    assert ("hedge_adverb", "reportedly") in sliced
    for cue in cues:
        assert 0 <= cue.start < cue.end <= len(text)
        assert cue.label in (HEDGED, ECHOING)


def test_rules_are_compiled_named_and_labelled():
    assert set(RULES) == {HEDGED, ECHOING}
    for rules in RULES.values():
        names = [name for name, _ in rules]
        assert len(names) == len(set(names))
        assert all(isinstance(pattern, re.Pattern) for _, pattern in rules)


def test_rule_precision_on_a_tiny_list():
    texts = [
        "Critics say the plan will fail.",                     # predicted, gold -> TP
        "The singer allegedly punched a photographer.",        # predicted, not gold -> FP
        "Insiders say the merger is off.",                     # predicted, gold -> TP
        "The plan was approved on Monday.",                    # not predicted, gold -> FN
        "The museum reopened on Friday.",                      # not predicted, not gold -> TN
    ]
    gold = [[HEDGED], [], [HEDGED], [HEDGED], []]
    result = rule_precision(texts, gold, HEDGED)
    assert result["predicted"] == 3
    assert result["support"] == 3
    assert result["precision"] == pytest.approx(2 / 3)
    assert result["recall"] == pytest.approx(2 / 3)
    assert result["f1"] == pytest.approx(2 / 3)


def test_rule_precision_with_nothing_predicted_is_zero_not_an_error():
    result = rule_precision(["A plain sentence."], [[ECHOING]], ECHOING)
    assert result == {"precision": 0.0, "recall": 0.0, "f1": 0.0, "support": 1, "predicted": 0}


def test_rule_precision_rejects_mismatched_lengths():
    with pytest.raises(ValueError):
        rule_precision(["one", "two"], [[]], HEDGED)
