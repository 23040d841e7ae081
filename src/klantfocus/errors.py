"""Exceptions with enough context to find the bad input: file, line or row, problem."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


class KlantfocusError(Exception):
    """Base class of all klantfocus errors."""


class ModelLoadError(KlantfocusError):
    """A model could not be found, verified or loaded."""


@dataclass
class TranscriptFormatError(KlantfocusError, ValueError):
    """Input that does not follow the transcript format.

    ``source`` is the file (or ``"<dataframe>"``), ``position`` says where in it (for
    example ``"line 12"`` or ``"row 7"``), ``reason`` what is wrong.
    """

    source: str
    position: str
    reason: str
    transcript_id: str | None = None

    def __post_init__(self) -> None:
        super().__init__(str(self))

    def __str__(self) -> str:
        where = f"{self.source}, {self.position}" if self.position else self.source
        tid = f" (transcript {self.transcript_id})" if self.transcript_id else ""
        return f"{where}{tid}: {self.reason}"


class UnprocessableTranscript(KlantfocusError, ValueError):
    """A well-formed transcript that cannot be tagged or scored (the caller adds the file).

    Raised per transcript, for example for a transcript without agent utterances (there is
    nothing to score) or one longer than the pipeline's ``max_length``.
    """

    def __init__(self, transcript_id: str, reason: str) -> None:
        self.transcript_id = transcript_id
        self.reason = reason
        super().__init__(f"transcript {transcript_id!r}: {reason}")

    def __reduce__(self) -> tuple[type, tuple[str, str]]:  # picklable across processes
        return type(self), (self.transcript_id, self.reason)


class OutputError(KlantfocusError):
    """An output path that cannot be written (missing permission, a directory, ...)."""


class EvaluationError(KlantfocusError, ValueError):
    """Gold and predicted transcripts that cannot be compared.

    ``in_predictions`` says whether the predictions (rather than the gold file) are at
    fault; ``transcript_id`` names the transcript where there is one.
    """

    def __init__(
        self, reason: str, transcript_id: str | None = None, *, in_predictions: bool = True
    ) -> None:
        self.reason = reason
        self.transcript_id = transcript_id
        self.in_predictions = in_predictions
        super().__init__(f"transcript {transcript_id!r}: {reason}" if transcript_id else reason)


@dataclass
class RejectedTranscript:
    """A transcript that was skipped, with the reason; written to the errors file."""

    source: str
    position: str
    reason: str
    transcript_id: str | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def from_error(cls, error: TranscriptFormatError) -> RejectedTranscript:
        return cls(error.source, error.position, error.reason, error.transcript_id)

    def to_dict(self) -> dict[str, Any]:
        record: dict[str, Any] = {
            "source": self.source,
            "position": self.position,
            "reason": self.reason,
            "transcript_id": self.transcript_id,
        }
        record.update(self.extra)
        return record
