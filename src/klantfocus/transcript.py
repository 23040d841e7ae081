"""Plain-data transcripts: the shape of a conversation at klantfocus' edges.

A transcript is read from a file into these dataclasses, turned into a spaCy ``Doc`` for
tagging (in :mod:`klantfocus.pipeline.conversation`), and written back from them. Fields
the format does not know are kept in ``extra`` and written back unchanged.
"""

from __future__ import annotations

import copy
import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from typing import Any

from .constants import AGENT, CUSTOMER, MINDSETS, SPEAKER_ALIASES, TAGS
from .errors import UnprocessableTranscript

_UTTERANCE_KEYS = ("speaker", "text", "start", "end", "labels", "spans")
_TRANSCRIPT_KEYS = (
    "id",
    "domain",
    "meta",
    "utterances",
    "mindset",
    "mindset_rating",
    "mindset_score",
    "explanation",
)


class InvalidRecord(ValueError):
    """A record that breaks the format; the reader adds file and position."""


@dataclass
class Span:
    """Character offsets into an utterance's text (end exclusive) with a tag name."""

    start: int
    end: int
    label: str
    extra: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return {"start": self.start, "end": self.end, "label": self.label, **self.extra}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any], text: str) -> Span:
        if not isinstance(data, Mapping):
            raise InvalidRecord("a span must be an object with start, end and label")
        try:
            start, end, label = data["start"], data["end"], data["label"]
        except KeyError as exc:
            raise InvalidRecord(f"span is missing {exc.args[0]!r}") from None
        if not (isinstance(start, int) and isinstance(end, int)) or isinstance(start, bool):
            raise InvalidRecord("span start and end must be integers")
        if not 0 <= start < end <= len(text):
            raise InvalidRecord(f"span {start}-{end} lies outside the text ({len(text)} chars)")
        if not isinstance(label, str):
            raise InvalidRecord("span label must be a string")
        extra = {k: v for k, v in data.items() if k not in ("start", "end", "label")}
        return cls(start, end, label, extra)


@dataclass
class Utterance:
    """One speaker turn. ``labels`` is ``None`` when the utterance was never tagged."""

    speaker: str
    text: str
    start: float | None = None
    end: float | None = None
    labels: list[str] | None = None
    spans: list[Span] = field(default_factory=list)
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def is_agent(self) -> bool:
        return self.speaker == AGENT

    def to_dict(self) -> dict[str, Any]:
        data: dict[str, Any] = {"speaker": self.speaker, "text": self.text}
        if self.start is not None:
            data["start"] = self.start
        if self.end is not None:
            data["end"] = self.end
        if self.labels is not None:
            data["labels"] = list(self.labels)
        if self.spans:
            data["spans"] = [s.to_dict() for s in self.spans]
        data.update(self.extra)
        return data

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Utterance:
        if not isinstance(data, Mapping):
            raise InvalidRecord("an utterance must be an object")
        if "speaker" not in data or data["speaker"] in (None, ""):
            raise InvalidRecord("utterance has no 'speaker'")
        if "text" not in data or data["text"] is None:
            raise InvalidRecord("utterance has no 'text'")
        text = data["text"]
        if not isinstance(text, str):
            raise InvalidRecord("utterance 'text' must be a string")
        if not text.strip():
            raise InvalidRecord("utterance 'text' is empty")
        speaker = normalise_speaker(data["speaker"])
        start = _optional_seconds(data.get("start"), "start")
        end = _optional_seconds(data.get("end"), "end")
        labels = data.get("labels")
        if labels is not None:
            if not isinstance(labels, list) or not all(isinstance(x, str) for x in labels):
                raise InvalidRecord("'labels' must be a list of tag names")
            unknown = sorted(set(labels) - set(TAGS))
            if unknown:
                raise InvalidRecord(f"unknown tag(s) {unknown}; valid tags are {list(TAGS)}")
            labels = list(labels)
        raw_spans = data.get("spans") or []
        if not isinstance(raw_spans, list):
            raise InvalidRecord("'spans' must be a list")
        spans = [Span.from_dict(s, text) for s in raw_spans]
        extra = {k: copy.deepcopy(v) for k, v in data.items() if k not in _UTTERANCE_KEYS}
        return cls(speaker, text, start, end, labels, spans, extra)


@dataclass
class Transcript:
    """A conversation: ordered utterances plus transcript-level fields."""

    id: str
    utterances: list[Utterance]
    domain: str | None = None
    meta: dict[str, Any] | None = None
    mindset: str | None = None
    mindset_rating: int | None = None
    mindset_score: float | None = None
    explanation: list[dict[str, Any]] | None = None
    extra: dict[str, Any] = field(default_factory=dict)
    #: Where the reader found it in its file, when the format has rows: ``rows 14-31
    #: (lines 15-32)`` (CSV), ``rows 14-31`` (Parquet). Names the transcript in an error
    #: found after reading; never written out and not part of equality.
    position: str | None = field(default=None, compare=False, repr=False, kw_only=True)

    @property
    def agent_utterances(self) -> list[Utterance]:
        return [u for u in self.utterances if u.is_agent]

    @property
    def agent_id(self) -> str | None:
        value = (self.meta or {}).get("agent_id")
        return None if value is None else str(value)

    def to_dict(self) -> dict[str, Any]:
        data: dict[str, Any] = {"id": self.id}
        if self.domain is not None:
            data["domain"] = self.domain
        if self.meta is not None:
            data["meta"] = self.meta
        data["utterances"] = [u.to_dict() for u in self.utterances]
        for key in ("mindset", "mindset_rating", "mindset_score", "explanation"):
            value = getattr(self, key)
            if value is not None:
                data[key] = value
        data.update(self.extra)
        return data

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Transcript:
        if not isinstance(data, Mapping):
            raise InvalidRecord("a transcript must be a JSON object")
        tid = data.get("id")
        if tid is None or (isinstance(tid, str) and not tid.strip()):
            raise InvalidRecord("transcript has no 'id'")
        if not isinstance(tid, str | int) or isinstance(tid, bool):
            raise InvalidRecord("transcript 'id' must be a string")
        utterances = data.get("utterances")
        if not isinstance(utterances, list):
            raise InvalidRecord("transcript has no 'utterances' list")
        if not utterances:
            raise InvalidRecord("transcript has no utterances")
        parsed = []
        for i, u in enumerate(utterances):
            try:
                parsed.append(Utterance.from_dict(u))
            except InvalidRecord as exc:
                raise InvalidRecord(f"utterance {i}: {exc}") from None
        mindset = data.get("mindset")
        if mindset is not None and mindset not in MINDSETS:
            raise InvalidRecord(f"mindset must be one of {list(MINDSETS)}, not {mindset!r}")
        rating = data.get("mindset_rating")
        if rating is not None and (
            not isinstance(rating, int) or isinstance(rating, bool) or not 1 <= rating <= 5
        ):
            raise InvalidRecord("mindset_rating must be an integer from 1 to 5")
        score = data.get("mindset_score")
        if score is not None and (
            isinstance(score, bool)
            or not isinstance(score, int | float)
            or not math.isfinite(score)
            or not 0 <= score <= 100
        ):
            raise InvalidRecord(
                f"mindset_score must be a number from 0 to 100 or null, not {score!r}"
            )
        explanation = data.get("explanation")
        if explanation is not None and (
            not isinstance(explanation, list) or not all(isinstance(x, dict) for x in explanation)
        ):
            raise InvalidRecord("'explanation' must be a list of objects or null")
        meta = data.get("meta")
        if meta is not None and not isinstance(meta, dict):
            raise InvalidRecord("'meta' must be an object")
        domain = data.get("domain")
        extra = {k: copy.deepcopy(v) for k, v in data.items() if k not in _TRANSCRIPT_KEYS}
        return cls(
            id=str(tid),
            utterances=parsed,
            domain=None if domain is None else str(domain),
            meta=copy.deepcopy(meta),
            mindset=mindset,
            mindset_rating=rating,
            mindset_score=score,
            explanation=copy.deepcopy(explanation),
            extra=extra,
        )


def normalise_speaker(value: Any) -> str:
    """Map a speaker spelling (``Medewerker``, ``KLANT``, ...) to ``agent``/``customer``."""
    if not isinstance(value, str):
        raise InvalidRecord(f"speaker must be a string, not {type(value).__name__}")
    key = value.strip().lower()
    if key not in SPEAKER_ALIASES:
        raise InvalidRecord(
            f"unknown speaker {value!r}; use 'agent'/'medewerker' or 'customer'/'klant'"
        )
    return SPEAKER_ALIASES[key]


def _optional_seconds(value: Any, name: str) -> float | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise InvalidRecord(f"'{name}' must be a number of seconds")
    return value


def without_annotations(transcripts: Iterable[Transcript]) -> list[Transcript]:
    """Copies with every utterance's labels and spans removed (input for a prediction)."""
    return [
        replace(
            t,
            utterances=[
                replace(u, labels=None, spans=[], extra=dict(u.extra)) for u in t.utterances
            ],
        )
        for t in transcripts
    ]


def copy_transcripts(transcripts: Iterable[Transcript]) -> list[Transcript]:
    """Deep copies, so that tagging or scoring never mutates the caller's objects."""
    return [copy.deepcopy(t) for t in transcripts]


__all__ = [
    "AGENT",
    "CUSTOMER",
    "InvalidRecord",
    "Span",
    "Transcript",
    "UnprocessableTranscript",
    "Utterance",
    "copy_transcripts",
    "normalise_speaker",
    "without_annotations",
]
