"""The one place where transcripts become spaCy Docs and tags come back.

A transcript is one ``Doc``: utterance texts joined by a blank line (so that no token
crosses a turn), with one span per utterance in ``doc.spans["kf_utterances"]``. Tag
components read the whole conversation from that Doc, which gives them the context
that ``premature_solution`` and ``summary`` need.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import replace

from spacy.language import Language
from spacy.tokens import Doc

from ..constants import (
    EXT_TAGS,
    SPANS_EVIDENCE,
    SPANS_UTTERANCES,
    TAGS,
    UTTERANCE_SEPARATOR,
)
from ..transcript import Span as TextSpan
from ..transcript import Transcript, Utterance
from . import extensions as _extensions  # noqa: F401  (registers the attributes)


def transcript_to_doc(nlp: Language, transcript: Transcript) -> Doc:
    """Tokenise a transcript into one Doc with utterance spans (no components run)."""
    offsets = []
    position = 0
    for utterance in transcript.utterances:
        offsets.append((position, position + len(utterance.text)))
        position += len(utterance.text) + len(UTTERANCE_SEPARATOR)
    text = UTTERANCE_SEPARATOR.join(u.text for u in transcript.utterances)
    doc = nlp.make_doc(text)
    spans = []
    for (start, end), utterance in zip(offsets, transcript.utterances, strict=True):
        span = doc.char_span(start, end, label=utterance.speaker, alignment_mode="expand")
        if span is None:  # only possible for text made of whitespace, which readers reject
            raise ValueError(f"transcript {transcript.id}: cannot align an utterance")
        spans.append(span)
    doc.spans[SPANS_UTTERANCES] = spans
    doc.user_data["kf_transcript_id"] = transcript.id
    return doc


def docs_from_transcripts(nlp: Language, transcripts: Iterable[Transcript]) -> Iterator[Doc]:
    for transcript in transcripts:
        yield transcript_to_doc(nlp, transcript)


def tagged_utterances(doc: Doc, transcript: Transcript) -> list[Utterance]:
    """Copies of the transcript's utterances with ``labels`` and evidence ``spans`` set.

    Agent utterances get their predicted tags; customer utterances get ``[]``. Evidence
    spans carry the tag as label and are relative to the utterance text; existing
    spans in the input (for example gold spans) are replaced by the predictions.
    """
    utterance_spans = list(doc.spans[SPANS_UTTERANCES])
    tags = doc._.get(EXT_TAGS) or [[] for _ in utterance_spans]
    evidence = list(doc.spans[SPANS_EVIDENCE]) if SPANS_EVIDENCE in doc.spans else []
    out = []
    for index, (span, utterance) in enumerate(
        zip(utterance_spans, transcript.utterances, strict=True)
    ):
        base = span.start_char
        labels = [t for t in TAGS if t in tags[index]] if utterance.is_agent else []
        spans = []
        if utterance.is_agent:
            for ev in evidence:
                if ev.start >= span.start and ev.end <= span.end and ev.label_ in labels:
                    start = ev.start_char - base
                    end = min(ev.end_char - base, len(utterance.text))
                    spans.append(TextSpan(start, end, ev.label_))
            spans.sort(
                key=lambda s: (s.start, s.end, TAGS.index(s.label) if s.label in TAGS else 99)
            )
        out.append(replace(utterance, labels=labels, spans=spans, extra=dict(utterance.extra)))
    return out
