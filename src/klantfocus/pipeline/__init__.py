"""The spaCy side of klantfocus: components, conversation Docs and loading."""

from .components import ConversationSegmenter, JargonTagger, UtteranceTagger
from .conversation import tagged_utterances, transcript_to_doc
from .extensions import register_extensions, utterance_spans
from .loading import build_pipeline, load

__all__ = [
    "ConversationSegmenter",
    "JargonTagger",
    "UtteranceTagger",
    "build_pipeline",
    "load",
    "register_extensions",
    "tagged_utterances",
    "transcript_to_doc",
    "utterance_spans",
]
