"""spaCy extension attributes of klantfocus, registered once.

Results live in two span groups, so that they survive ``DocBin`` serialisation:
``doc.spans["kf_utterances"]`` (one span per utterance, label = speaker) and
``doc.spans["kf_evidence"]`` (evidence spans, label = tag). Per-utterance tags are kept
in ``doc._.kf_tags`` (a list of tag lists, one per utterance). The Span and Doc getters
below give convenient views on them.
"""

from __future__ import annotations

from spacy.tokens import Doc, Span

from ..constants import (
    EXT_EVIDENCE,
    EXT_SPEAKER,
    EXT_TAGS,
    EXT_UTTERANCES,
    SPANS_EVIDENCE,
    SPANS_UTTERANCES,
)


def utterance_spans(doc: Doc) -> list[Span]:
    """The utterance spans of a doc, in spoken order (empty if none were set)."""
    if SPANS_UTTERANCES not in doc.spans:
        return []
    return list(doc.spans[SPANS_UTTERANCES])


def _utterance_index(span: Span) -> int | None:
    for i, utterance in enumerate(utterance_spans(span.doc)):
        if utterance.start == span.start and utterance.end == span.end:
            return i
    return None


def _span_speaker(span: Span) -> str | None:
    index = _utterance_index(span)
    return None if index is None else utterance_spans(span.doc)[index].label_


def _span_tags(span: Span) -> list[str]:
    index = _utterance_index(span)
    tags = span.doc._.get(EXT_TAGS)
    if index is None or tags is None:
        return []
    return list(tags[index])


def _span_evidence(span: Span) -> list[Span]:
    if SPANS_EVIDENCE not in span.doc.spans:
        return []
    return [
        ev for ev in span.doc.spans[SPANS_EVIDENCE] if ev.start >= span.start and ev.end <= span.end
    ]


def register_extensions() -> None:
    """Register the extension attributes; safe to call more than once."""
    if not Doc.has_extension(EXT_TAGS):
        Doc.set_extension(EXT_TAGS, default=None)
    if not Doc.has_extension(EXT_UTTERANCES):
        Doc.set_extension(EXT_UTTERANCES, getter=utterance_spans)
    if not Span.has_extension(EXT_SPEAKER):
        Span.set_extension(EXT_SPEAKER, getter=_span_speaker)
    if not Span.has_extension(EXT_TAGS):
        Span.set_extension(EXT_TAGS, getter=_span_tags)
    if not Span.has_extension(EXT_EVIDENCE):
        Span.set_extension(EXT_EVIDENCE, getter=_span_evidence)


register_extensions()
