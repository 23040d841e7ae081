"""Transcription-style augmentation: make a speech-to-text twin of a written transcript.

Speech-to-text output has no capitals and no punctuation. Training on both a written
turn and its punctuation-free, lower-cased twin teaches the tag models not to lean on
question marks and capitals. Span offsets are carried over to the new text.
"""

from __future__ import annotations

import re
from dataclasses import replace

from ..transcript import Span, Transcript, Utterance

_DROP = re.compile(r"[.,?!;:\"“”„()\[\]…]")


def stt_text(text: str) -> tuple[str, list[int]]:
    """Lower-cased text without punctuation, and for every kept character its old index."""
    kept: list[int] = []
    chars: list[str] = []
    for i, char in enumerate(text):
        if _DROP.match(char):
            continue
        if char.isspace() and chars and chars[-1] == " ":
            continue
        chars.append(" " if char.isspace() else char.lower())
        kept.append(i)
    while chars and chars[-1] == " ":
        chars.pop()
        kept.pop()
    while chars and chars[0] == " ":
        chars.pop(0)
        kept.pop(0)
    return "".join(chars), kept


def stt_utterance(utterance: Utterance) -> Utterance:
    text, kept = stt_text(utterance.text)
    if not text:
        return utterance
    old_to_new = {old: new for new, old in enumerate(kept)}
    spans = []
    for span in utterance.spans:
        inside = [old_to_new[i] for i in range(span.start, span.end) if i in old_to_new]
        if inside:
            start, end = inside[0], inside[-1] + 1
            while end > start and text[end - 1] == " ":
                end -= 1
            spans.append(Span(start, end, span.label, dict(span.extra)))
    return replace(utterance, text=text, spans=spans)


def stt_transcript(transcript: Transcript, suffix: str = "#stt") -> Transcript:
    return replace(
        transcript,
        id=transcript.id + suffix,
        utterances=[stt_utterance(u) for u in transcript.utterances],
        extra={**transcript.extra, "style": "stt"},
    )
