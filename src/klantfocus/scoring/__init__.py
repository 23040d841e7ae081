"""Transcript-level mindset scoring on top of the utterance tags."""

from .classifier import MindsetClassifier
from .features import FEATURE_NAMES, ConversationFeaturizer, transcript_features
from .model import (
    MindsetScorer,
    check_scorable,
    load_scorer,
    make_scorer_pipeline,
    sha256_file,
)

__all__ = [
    "FEATURE_NAMES",
    "ConversationFeaturizer",
    "MindsetClassifier",
    "MindsetScorer",
    "check_scorable",
    "load_scorer",
    "make_scorer_pipeline",
    "sha256_file",
    "transcript_features",
]
