"""The mindset scorer: estimator contract, features, explanations, safe loading."""

from __future__ import annotations

import shutil
import warnings

import numpy as np
import pytest
from sklearn.utils.estimator_checks import (
    check_get_params_invariance,
    check_no_attributes_set_in_init,
    check_parameters_default_constructible,
    check_set_params,
    parametrize_with_checks,
)

import klantfocus
from klantfocus import ModelLoadError, Transcript
from klantfocus.scoring import (
    FEATURE_NAMES,
    ConversationFeaturizer,
    MindsetClassifier,
    MindsetScorer,
    load_scorer,
)
from klantfocus.scoring.features import transcript_features
from klantfocus.transcript import UnprocessableTranscript


def _expected_failures(estimator):
    if estimator.calibration is not None:
        # Calibration maps scores back to observed class frequencies, which by design
        # undoes an extreme class_weight; the uncalibrated instance passes this check.
        return {"check_class_weight_classifiers": "calibration undoes class weights by design"}
    return {}


@parametrize_with_checks(
    [MindsetClassifier(), MindsetClassifier(calibration=None, C=0.5)],
    expected_failed_checks=_expected_failures,
)
def test_classifier_follows_sklearn_contract(estimator, check):
    check(estimator)


@pytest.mark.parametrize(
    "check",
    [
        check_no_attributes_set_in_init,
        check_parameters_default_constructible,
        check_get_params_invariance,
        check_set_params,
    ],
)
def test_featurizer_follows_sklearn_contract(check):
    check("ConversationFeaturizer", ConversationFeaturizer())


def _call(labels_per_agent_turn):
    utterances = []
    for i, labels in enumerate(labels_per_agent_turn):
        utterances.append(
            {"speaker": "customer", "text": f"Ik heb een vraag nummer {i} over mijn rekening."}
        )
        utterances.append(
            {"speaker": "agent", "text": f"Antwoord {i} van de medewerker.", "labels": labels}
        )
    return Transcript.from_dict({"id": "x", "utterances": utterances})


def test_features_follow_the_tags():
    inward = transcript_features(_call([["premature_solution", "jargon"], [], ["opinion"]]))
    focused = transcript_features(_call([["open_question"], ["summary"], []]))
    assert inward["solution_before_exploration"] == 1.0
    assert focused["solution_before_exploration"] == 0.0
    assert inward["rate_premature_solution"] == pytest.approx(1 / 3)
    assert focused["first_open_question_position"] == 0.0
    assert inward["first_open_question_position"] == 1.0
    matrix = ConversationFeaturizer().fit([]).transform([_call([[]]), _call([["jargon"]])])
    assert matrix.shape == (2, len(FEATURE_NAMES))


def test_scores_and_dutch_explanations(scorer):
    inward, focused = scorer.score(
        [
            _call([["premature_solution", "jargon"], ["opinion"], ["premature_solution"]]),
            _call([["open_question"], ["summary"], ["open_question"]]),
        ]
    )
    assert inward.mindset == "innerlijk" and focused.mindset == "klantgericht"
    assert 0 <= inward.mindset_score < 50 <= focused.mindset_score <= 100
    assert inward.explanation and all(
        {"feature", "effect", "text", "turns"} <= set(e) for e in inward.explanation
    )
    assert any(e["effect"] == "-" for e in inward.explanation)
    assert any("beurt" in e["text"] for e in inward.explanation + focused.explanation)


def test_scorer_refuses_transcript_without_agent_utterances(scorer):
    customer_only = Transcript.from_dict(
        {
            "id": "c1",
            "utterances": [
                {"speaker": "klant", "text": "Hallo?", "voice": "Jan"},
                {"speaker": "klant", "text": "Is daar iemand?", "voice": "Lisa"},
            ],
        }
    )
    with pytest.raises(UnprocessableTranscript, match="no agent utterances") as caught:
        scorer.score([_call([["open_question"]]), customer_only])
    assert caught.value.transcript_id == "c1"
    assert caught.value.reason == (
        "no agent utterances; speakers found: customer (voices 'Jan', 'Lisa'; "
        "--agent-speaker names the agent)"
    )


@pytest.fixture
def trained_scorer_dir(tmp_path):
    rng = np.random.default_rng(0)
    calls = [
        _call(
            [["open_question"] if rng.random() < 0.5 else ["premature_solution"] for _ in range(3)]
        )
        for _ in range(40)
    ]
    labels = [
        "klantgericht" if t.utterances[1].labels == ["open_question"] else "innerlijk"
        for t in calls
    ]
    scorer = MindsetScorer.fit(calls, labels)
    scorer.save(tmp_path / "scorer")
    return tmp_path / "scorer"


def test_shipped_scorer_verifies(scorer):
    assert scorer.meta["model_sha256"]


def test_foreign_model_needs_trust(trained_scorer_dir):
    with pytest.raises(ModelLoadError, match="trust"):
        load_scorer(trained_scorer_dir)
    assert isinstance(load_scorer(trained_scorer_dir, trust=True), MindsetScorer)


def test_tampered_shipped_model_is_refused(tmp_path, monkeypatch):
    models = klantfocus.paths.models_dir()
    copy = tmp_path / "models"
    shutil.copytree(models / "mindset_scorer", copy / "mindset_scorer")
    with (copy / "mindset_scorer" / "scorer.joblib").open("ab") as handle:
        handle.write(b"\x00")
    monkeypatch.setenv("KLANTFOCUS_MODELS_DIR", str(copy))
    with pytest.raises(ModelLoadError, match="does not match"):
        load_scorer()
    # A tampered file is refused before unpickling, even with trust: the check is on the digest.
    with pytest.raises(ModelLoadError):
        load_scorer(copy / "mindset_scorer")


def test_sklearn_version_mismatch_warns(trained_scorer_dir):
    meta_file = trained_scorer_dir / "meta.json"
    meta_file.write_text(
        meta_file.read_text().replace('"sklearn_version": "', '"sklearn_version": "0.0.')
    )
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        load_scorer(trained_scorer_dir, trust=True)
    assert any("scikit-learn 0.0." in str(w.message) for w in caught)
