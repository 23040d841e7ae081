"""The Dutch cue rules, on sentences written for these tests (not from the corpus)."""

import pytest

from klantfocus.pipeline.jargon import JargonFinder
from klantfocus.pipeline.rules import DutchCueRules, default_rules


@pytest.fixture(scope="module")
def rules():
    return DutchCueRules(default_rules())


@pytest.fixture(scope="module")
def jargon():
    return JargonFinder(default_rules())


@pytest.mark.parametrize(
    "text",
    [
        "Hoe gaat dat nu bij u thuis als de verwarming uitvalt?",
        "wat is voor u het meest vervelende hieraan",
        "Vertel eens, hoe begon het?",
        "Kunt u mij beschrijven wat er op het scherm verschijnt?",
        "eh en waarom wilt u het contract eigenlijk opzeggen",
    ],
)
def test_open_questions(rules, text):
    assert rules.find_open_questions(text)


@pytest.mark.parametrize(
    "text",
    [
        "Heeft u de meter al afgelezen?",
        "Wat is uw postcode?",
        "Zal ik gewoon een nieuwe pas sturen?",
        "Hoe laat bent u thuis?",
        "U heeft het formulier al opgestuurd, toch?",
    ],
)
def test_closed_questions_are_not_open(rules, text):
    assert not rules.find_open_questions(text)


def test_summary_and_readback(rules):
    assert rules.find_summaries("Als ik u goed begrijp, wilt u vooral zekerheid over de datum.")
    assert rules.find_summaries("dus u bent al twee weken zonder warm water klopt dat")
    assert not rules.find_summaries("Dus 3511 AB?")


def test_opinion_and_empathy(rules):
    assert rules.find_opinions("Eerlijk gezegd is dat uw eigen schuld.")
    assert rules.find_opinions("Dat is echt niet zo moeilijk hoor.")
    assert not rules.find_opinions("Dat klinkt heel vervelend voor u.")
    assert not rules.find_opinions("De monteur komt dinsdag tussen acht en twaalf.")


def test_solutions(rules):
    assert rules.find_solutions("Dan stuur ik u een nieuwe meter.")
    assert rules.find_solutions("Haal de stekker er even uit.")
    assert not rules.find_solutions("Kunt u mij uw postcode geven?")


def test_new_issue_marker(rules):
    assert rules.opens_new_issue("Oh en ik heb nog een andere vraag over de rekening.")
    assert not rules.opens_new_issue("Ja, dat klopt.")


def test_jargon_spans_and_explanations(jargon):
    text = "Uw order staat in status 40 en ik zet het door naar de backoffice."
    found = {text[s:e] for s, e in jargon.find(text)}
    assert found == {"status 40", "backoffice"}
    explained = "Ik kijk naar de ONT, dat is het witte kastje bij de meterkast."
    assert not jargon.find(explained)
    assert not jargon.find("Uw internet en de router werken weer, de monteur is klaar.")
