"""klantfocus: how customer-focused was the employee in a Dutch service conversation?

Two stages: a spaCy pipeline tags agent utterances (``open_question``, ``summary``,
``premature_solution``, ``jargon``, ``opinion``) with evidence spans, and a
scikit-learn model turns the tags into a mindset score (0-100) with an explanation.
"""

from .about import __version__
from .api import iter_tagged, score, score_dataframe, tag, to_dataframe
from .constants import INNERLIJK, KLANTGERICHT, TAGS
from .errors import (
    EvaluationError,
    KlantfocusError,
    ModelLoadError,
    OutputError,
    RejectedTranscript,
    TranscriptFormatError,
    UnprocessableTranscript,
)
from .evaluation import evaluate
from .io import iter_transcripts, read_transcripts, write_transcripts
from .pipeline import load
from .scoring import MindsetScorer, load_scorer
from .transcript import Span, Transcript, Utterance

__all__ = [
    "INNERLIJK",
    "KLANTGERICHT",
    "TAGS",
    "EvaluationError",
    "KlantfocusError",
    "MindsetScorer",
    "ModelLoadError",
    "OutputError",
    "RejectedTranscript",
    "Span",
    "Transcript",
    "TranscriptFormatError",
    "UnprocessableTranscript",
    "Utterance",
    "__version__",
    "evaluate",
    "iter_tagged",
    "iter_transcripts",
    "load",
    "load_scorer",
    "read_transcripts",
    "score",
    "score_dataframe",
    "tag",
    "to_dataframe",
    "write_transcripts",
]
