"""Augmentation, the hashed linear model and trained components' serialisation."""

from __future__ import annotations

import numpy as np
import spacy

from klantfocus import Span, Transcript, Utterance
from klantfocus.pipeline import build_pipeline, tagged_utterances, transcript_to_doc
from klantfocus.pipeline.jargon import JargonTokenModel
from klantfocus.pipeline.linear import HashedLinearModel
from klantfocus.pipeline.tagger import UTTERANCE_TAGS, TrainedTagModel
from klantfocus.training.augment import stt_text, stt_utterance


def test_stt_text_drops_punctuation_and_capitals():
    text, kept = stt_text("Goedemiddag! Wat is er gebeurd, mevrouw?")
    assert text == "goedemiddag wat is er gebeurd mevrouw"
    assert len(kept) == len(text)


def test_stt_keeps_jargon_spans_on_the_same_words():
    utterance = Utterance(
        "agent",
        "Ik zet het door naar de Backoffice, status 40.",
        labels=["jargon"],
        spans=[Span(24, 34, "jargon"), Span(36, 45, "jargon")],
    )
    converted = stt_utterance(utterance)
    assert converted.text == "ik zet het door naar de backoffice status 40"
    assert [converted.text[s.start : s.end] for s in converted.spans] == ["backoffice", "status 40"]


def _random_model(labels, n_features=1 << 10, seed=0):
    rng = np.random.default_rng(seed)
    return HashedLinearModel(
        labels,
        rng.normal(size=(len(labels), n_features)),
        rng.normal(size=len(labels)),
        [0.5] * len(labels),
        n_features,
    )


def test_hashed_linear_model_round_trips(tmp_path):
    model = _random_model(["a", "b"])
    model.to_disk(tmp_path / "m")
    loaded = HashedLinearModel.from_disk(tmp_path / "m")
    features = [["w=hallo", "bias"], ["w=dag"]]
    assert np.allclose(model.probabilities(features), loaded.probabilities(features))


def test_trained_components_round_trip(tmp_path):
    nlp = build_pipeline(spacy.blank("nl"))
    tagger = nlp.get_pipe("klantfocus_utterance_tagger")
    jargon = nlp.get_pipe("klantfocus_jargon")
    tagger.model = TrainedTagModel(
        tagger.rules,
        _random_model(list(UTTERANCE_TAGS), seed=1),
        _random_model(["premature_solution"], seed=2),
    )
    jargon.model = JargonTokenModel(
        jargon.finder, _random_model(["jargon"], seed=3), {"router": 4.1, "ticket": 3.0}
    )
    conversation = Transcript.from_dict(
        {
            "id": "x",
            "utterances": [
                {"speaker": "klant", "text": "Mijn router doet het niet."},
                {"speaker": "agent", "text": "Wat ziet u precies? Ik maak een ticket aan."},
            ],
        }
    )
    expected = tagged_utterances(nlp(transcript_to_doc(nlp, conversation)), conversation)
    nlp.to_disk(tmp_path / "p")
    loaded = spacy.load(tmp_path / "p")
    assert isinstance(loaded.get_pipe("klantfocus_utterance_tagger").model, TrainedTagModel)
    assert loaded.get_pipe("klantfocus_jargon").model.frequencies == {"router": 4.1, "ticket": 3.0}
    assert (
        tagged_utterances(loaded(transcript_to_doc(loaded, conversation)), conversation) == expected
    )
    # to_bytes/from_bytes carry the trained model too
    restored = type(tagger)(loaded, rules=tagger.rules_table).from_bytes(tagger.to_bytes())
    assert isinstance(restored.model, TrainedTagModel)


def _prepared_conversation(nlp, rules, ident="t1"):
    from klantfocus.training.tagger import prepare

    transcript = Transcript(
        ident,
        [
            Utterance("customer", "Mijn internet valt steeds weg sinds gisteren."),
            Utterance("agent", "Wat merkt u daar precies van?", labels=["open_question"]),
            Utterance("customer", "Het lampje knippert en dan is alles weg."),
            Utterance("agent", "Dan stuur ik een monteur.", labels=[]),
        ],
    )
    return prepare(nlp, [transcript], rules)


def _constant_model(labels, bias):
    n = 1 << 10
    return HashedLinearModel(
        labels, np.zeros((len(labels), n)), np.asarray(bias), [0.5] * len(labels), n
    )


def test_premature_rows_take_the_issue_state_from_gold_or_from_a_model():
    from klantfocus.training.tagger import utterance_rows

    nlp = build_pipeline(spacy.blank("nl"))
    rules = nlp.get_pipe("klantfocus_utterance_tagger").rules
    items = _prepared_conversation(nlp, rules)
    _, _, gold_state, _ = utterance_rows(items, rules)
    # the second agent turn follows a (gold) open question: explored
    assert "state=U" in gold_state[0] and "state=E" in gold_state[1]
    # a model that never predicts a question or summary leaves the issue unexplored ...
    never = _constant_model(list(UTTERANCE_TAGS), [-10.0] * len(UTTERANCE_TAGS))
    _, _, never_state, _ = utterance_rows(items, rules, state_model=never)
    assert "state=U" in never_state[1]
    # ... and one that always does marks it explored after the first agent turn
    always = _constant_model(list(UTTERANCE_TAGS), [10.0] * len(UTTERANCE_TAGS))
    _, _, always_state, _ = utterance_rows(items, rules, state_model=always)
    assert "state=E" in always_state[1]


def test_transcript_folds_hold_each_transcript_out_once_with_its_twin():
    from klantfocus.training.tagger import Prepared, transcript_folds

    ids = [f"t{i}" for i in range(7)] + ["t1#stt", "t4#stt"]
    items = [Prepared(Transcript(i, [Utterance("agent", "Goedemiddag.")]), None, []) for i in ids]
    for seed in (None, 3):
        held_out = []
        for inside, held in transcript_folds(items, 3, shuffle_seed=seed):
            held_ids = {it.transcript.id for it in held}
            assert not held_ids & {it.transcript.id for it in inside}
            assert ("t1" in held_ids) == ("t1#stt" in held_ids)
            assert ("t4" in held_ids) == ("t4#stt" in held_ids)
            held_out += held_ids
        assert sorted(held_out) == sorted(ids)
