"""Reading and writing transcripts: JSONL, CSV, Parquet, plain text and WebVTT.

The io layer knows nothing about spaCy or the scorer: it turns files into
:class:`~klantfocus.transcript.Transcript` objects and back.
"""

from .formats import detect_format
from .readers import iter_transcripts, read_transcripts
from .tabular import frame_to_transcripts
from .writers import TranscriptWriter, write_errors, write_transcripts

__all__ = [
    "TranscriptWriter",
    "detect_format",
    "frame_to_transcripts",
    "iter_transcripts",
    "read_transcripts",
    "write_errors",
    "write_transcripts",
]
