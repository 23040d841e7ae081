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
