"""Transcript-level features from utterance tags and the conversation's shape.

The featuriser reads plain transcripts whose agent utterances carry ``labels`` (gold or
predicted); it never calls the spaCy pipeline. Every feature has a Dutch phrase in
:mod:`klantfocus.scoring.explain` so that a coach can read why a score moved.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

import numpy as np
from sklearn.base import BaseEstimator, TransformerMixin

from ..constants import TAGS
from ..transcript import Transcript

FEATURE_NAMES: tuple[str, ...] = (
    *(f"rate_{tag}" for tag in TAGS),
    "solution_before_exploration",
    "first_open_question_position",
    "agent_word_share",
    "longest_agent_turn",
    "confirmed_summary_rate",
    "unexplored_issue_share",
    "opinion_or_jargon_turn_share",
)

_CONFIRMATION = re.compile(
    r"^\W*(ja|jazeker|precies|klopt|inderdaad|exact|juist|dat klopt|zeker|ja precies|yes)\b",
    re.IGNORECASE,
)
_WORD = re.compile(r"\w+")


def _words(text: str) -> int:
    return len(_WORD.findall(text))


def transcript_features(transcript: Transcript) -> dict[str, float]:
    """The feature values of one transcript (utterances without labels count as untagged)."""
    utterances = transcript.utterances
    agent_indices = [i for i, u in enumerate(utterances) if u.is_agent]
    n_agent = max(len(agent_indices), 1)
    labels = [set(u.labels or []) if u.is_agent else set() for u in utterances]
    features: dict[str, float] = {}
    for tag in TAGS:
        features[f"rate_{tag}"] = sum(tag in labels[i] for i in agent_indices) / n_agent

    def first(tags: set[str]) -> int | None:
        for position, i in enumerate(agent_indices):
            if labels[i] & tags:
                return position
        return None

    first_solution = first({"premature_solution"})
    first_exploration = first({"open_question", "summary"})
    features["solution_before_exploration"] = float(
        first_solution is not None
        and (first_exploration is None or first_solution < first_exploration)
    )
    first_open = first({"open_question"})
    features["first_open_question_position"] = 1.0 if first_open is None else first_open / n_agent
    agent_words = sum(_words(utterances[i].text) for i in agent_indices)
    all_words = max(sum(_words(u.text) for u in utterances), 1)
    features["agent_word_share"] = agent_words / all_words
    features["longest_agent_turn"] = float(
        np.log1p(max((_words(utterances[i].text) for i in agent_indices), default=0))
    )
    summaries = [i for i in agent_indices if "summary" in labels[i]]
    confirmed = sum(
        1
        for i in summaries
        if i + 1 < len(utterances)
        and not utterances[i + 1].is_agent
        and _CONFIRMATION.match(utterances[i + 1].text)
    )
    features["confirmed_summary_rate"] = confirmed / n_agent
    # Issues, as seen from the tags: a stretch that ends with a solution. The share of
    # such stretches without any exploration in them.
    stretches, explored, unexplored = 0, False, 0
    for i in agent_indices:
        if labels[i] & {"open_question", "summary"}:
            explored = True
        if "premature_solution" in labels[i]:
            stretches += 1
            unexplored += not explored
            explored = False
    features["unexplored_issue_share"] = unexplored / stretches if stretches else 0.0
    features["opinion_or_jargon_turn_share"] = (
        sum(bool(labels[i] & {"opinion", "jargon"}) for i in agent_indices) / n_agent
    )
    return features


class ConversationFeaturizer(TransformerMixin, BaseEstimator):
    """Turns tagged transcripts into a feature matrix (``FEATURE_NAMES`` columns).

    Stateless: ``fit`` only records the number and names of the features. Accepts a
    sequence of :class:`Transcript` objects (or dicts in the interchange format).
    """

    def fit(self, X: Sequence[Any], y: Any = None) -> ConversationFeaturizer:
        self.feature_names_out_ = np.array(FEATURE_NAMES, dtype=object)
        self.n_features_out_ = len(FEATURE_NAMES)
        return self

    def transform(self, X: Sequence[Any]) -> np.ndarray:
        rows = []
        for item in X:
            transcript = item if isinstance(item, Transcript) else Transcript.from_dict(item)
            values = transcript_features(transcript)
            rows.append([values[name] for name in FEATURE_NAMES])
        return np.asarray(rows, dtype=float).reshape(len(rows), len(FEATURE_NAMES))

    def get_feature_names_out(self, input_features: Any = None) -> np.ndarray:
        return np.array(FEATURE_NAMES, dtype=object)
