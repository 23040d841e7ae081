"""Out-of-fold tags for training the mindset scorer.

The scorer must learn from tags as the tagger predicts them on unseen conversations.
Tags that the trained tagger predicts on its own training transcripts are too clean, so
for the scorer's training data each fold of train is tagged by tag models fitted on the
other folds (same features, C = 1, the shipped model's thresholds).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
from spacy.language import Language

from ..pipeline.jargon import JargonTokenModel
from ..pipeline.linear import HashedLinearModel
from ..pipeline.tagger import UTTERANCE_TAGS, TrainedTagModel
from ..transcript import Transcript, without_annotations
from .augment import stt_transcript
from .tagger import (
    feature_matrix,
    fit_linear,
    prepare,
    set_jargon_signals,
    token_rows,
    utterance_rows,
)


def _fit(feats, y, labels, thresholds) -> HashedLinearModel:
    model = fit_linear(feature_matrix(feats), y.reshape(len(feats), -1), list(labels), 1.0)
    model.thresholds = np.asarray(thresholds, dtype=np.float32)
    return model


def out_of_fold_tags(
    nlp: Language, transcripts: Sequence[Transcript], folds: int = 5, seed: int = 0
) -> list[Transcript]:
    """Tag every transcript with tag models that never saw it (K-fold)."""
    from ..api import tag

    jargon_pipe: Any = nlp.get_pipe("klantfocus_jargon")
    tagger_pipe: Any = nlp.get_pipe("klantfocus_utterance_tagger")
    shipped_jargon, shipped_tags = jargon_pipe.model, tagger_pipe.model
    if shipped_jargon is None or not isinstance(shipped_tags, TrainedTagModel):
        raise ValueError("out-of-fold tags need a pipeline with trained tag models")
    rules = shipped_tags.rules
    order = np.random.default_rng(seed).permutation(len(transcripts))
    assignment = {int(i): k % folds for k, i in enumerate(order)}
    result: dict[int, Transcript] = {}
    try:
        for fold in range(folds):
            train_idx = [i for i in range(len(transcripts)) if assignment[i] != fold]
            held_idx = [i for i in range(len(transcripts)) if assignment[i] == fold]
            fold_train = [transcripts[i] for i in train_idx]
            fold_train += [stt_transcript(t) for t in fold_train if t.extra.get("style") != "stt"]
            prepared = prepare(nlp, fold_train, rules)
            tfeats, ty = token_rows(prepared, jargon_pipe.finder, shipped_jargon.frequencies)
            token_model = _fit(tfeats, ty, ["jargon"], shipped_jargon.model.thresholds)
            fold_jargon = JargonTokenModel(
                jargon_pipe.finder, token_model, shipped_jargon.frequencies
            )
            # In-sample jargon signals for the fold's utterance model (the shipped recipe
            # uses out-of-fold ones): a cheaper approximation that only feeds the
            # scorer's training features.
            set_jargon_signals(prepared, fold_jargon)
            feats, Y, pfeats, py = utterance_rows(prepared, rules)
            utterance_model = _fit(
                feats, Y, UTTERANCE_TAGS, shipped_tags.utterance_model.thresholds
            )
            premature_model = _fit(
                pfeats, py, ["premature_solution"], shipped_tags.premature_model.thresholds
            )
            jargon_pipe.model = fold_jargon
            tagger_pipe.model = TrainedTagModel(rules, utterance_model, premature_model)
            blank = without_annotations(transcripts[i] for i in held_idx)
            for i, tagged in zip(held_idx, tag(blank, nlp), strict=True):
                result[i] = tagged
    finally:
        jargon_pipe.model, tagger_pipe.model = shipped_jargon, shipped_tags
    return [result[i] for i in range(len(transcripts))]
