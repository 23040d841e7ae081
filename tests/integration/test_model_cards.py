"""The shipped model cards are generated from the recorded metrics and are up to date."""

from __future__ import annotations

import json

import pytest

from ..conftest import ROOT, load_script

MODELS = ROOT / "models"


@pytest.fixture(scope="module")
def model_cards():
    return load_script("model_cards")


def test_tagger_card_is_current(model_cards):
    card = (MODELS / "klantfocus_nl" / "README.md").read_text("utf-8")
    assert card == model_cards.tagger_card(MODELS / "klantfocus_nl")
    test = json.loads((MODELS / "klantfocus_nl" / "evaluation.json").read_text("utf-8"))["test"]
    assert f"**{test['macro_f1']:.3f}**" in card


def test_scorer_card_is_current(model_cards):
    card = (MODELS / "mindset_scorer" / "README.md").read_text("utf-8")
    assert card == model_cards.scorer_card(MODELS / "mindset_scorer")
    meta = json.loads((MODELS / "mindset_scorer" / "meta.json").read_text("utf-8"))
    assert f"{meta['metrics']['test']['roc_auc']:.3f}" in card
    assert meta["data"]["train"]["sha256"] in card


def test_cards_follow_the_metrics(model_cards, tmp_path):
    """A changed metric changes the card: the card is not a fixed text."""
    import shutil

    copy = tmp_path / "scorer"
    shutil.copytree(MODELS / "mindset_scorer", copy)
    meta = json.loads((copy / "meta.json").read_text("utf-8"))
    meta["metrics"]["test"]["roc_auc"] = 0.5
    (copy / "meta.json").write_text(json.dumps(meta), "utf-8")
    assert "| ROC AUC | 0.500 |" in model_cards.scorer_card(copy)
