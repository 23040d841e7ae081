"""Writers: JSONL (lossless), CSV and Parquet (one row per utterance).

JSONL writes every field of the interchange format, unknown ones included. The tables
hold the utterance fields plus transcript-level results repeated per row; nested
transcript fields other than ``meta.agent_id`` and ``meta.date`` have no column there.
In Parquet, an extra field whose values have no common type (``0.9`` in one utterance,
``"hoog"`` in another) is written as JSON text.
"""

from __future__ import annotations

import csv
import json
import os
import tempfile
from collections.abc import Iterable
from pathlib import Path
from types import TracebackType
from typing import Any

from ..constants import TAGS
from ..errors import OutputError, RejectedTranscript
from ..transcript import Transcript
from .formats import detect_format

_LEADING = ["conversation_id", "speaker", "text", "start", "end"]


def check_output_path(path: str | Path, *, directory: bool = False) -> None:
    """Raise :class:`OutputError` unless ``path`` can be written (before any work is done).

    A file target must not be a directory; a directory target (``directory=True``) must
    not be a file. Folders that do not exist yet are fine when the nearest existing one
    above them is a writable directory (the writers create them).
    """
    target = Path(path)
    if directory and target.exists() and not target.is_dir():
        raise OutputError(f"{path}: exists and is not a directory; the output must be a directory")
    if not directory and target.is_dir():
        raise OutputError(f"{path}: is a directory; give a file name")
    folder = target if directory else target.parent
    folder = folder.absolute()
    while not folder.exists() and folder != folder.parent:
        folder = folder.parent
    if not folder.is_dir():
        raise OutputError(f"{path}: cannot create it, {folder} is not a directory")
    try:  # os.access says yes for root even on read-only file systems such as /proc
        fd, probe = tempfile.mkstemp(prefix=".klantfocus-write-test.", dir=folder)
    except OSError as exc:
        raise OutputError(
            f"{path}: cannot create a file in {folder}: {exc.strerror or exc}"
        ) from None
    os.close(fd)
    os.unlink(probe)


def transcript_rows(transcript: Transcript, *, flat: bool) -> list[dict[str, Any]]:
    """One dict per utterance in the tabular layout.

    With ``flat=True`` (CSV) lists and objects become strings: ``labels`` joined by ``;``
    and ``spans``/``explanation`` as JSON. Otherwise they stay Python objects.
    """
    labelled = any(u.labels is not None for u in transcript.utterances)
    meta = transcript.meta or {}
    rows = []
    for utterance in transcript.utterances:
        row: dict[str, Any] = {
            "conversation_id": transcript.id,
            "speaker": utterance.speaker,
            "text": utterance.text,
            "start": utterance.start,
            "end": utterance.end,
        }
        for key, value in utterance.extra.items():
            row[key] = (
                json.dumps(value, ensure_ascii=False)
                if flat and isinstance(value, dict | list)
                else value
            )
        for key in ("agent_id", "date"):
            if key in meta and key not in row:
                row[key] = meta[key]
        if transcript.domain is not None:
            row["domain"] = transcript.domain
        if labelled:
            labels = utterance.labels or []
            row["labels"] = ";".join(labels) if flat else list(labels)
            for tag in TAGS:
                row[f"tag_{tag}"] = tag in labels
            spans = [s.to_dict() for s in utterance.spans]
            # JSON text in both layouts: span objects may carry extra keys, which a
            # Parquet struct column could not hold consistently.
            row["spans"] = json.dumps(spans, ensure_ascii=False)
        if transcript.mindset is not None:
            row["mindset"] = transcript.mindset
        if transcript.mindset_score is not None:
            row["mindset_score"] = transcript.mindset_score
        if transcript.explanation is not None:
            row["explanation"] = json.dumps(transcript.explanation, ensure_ascii=False)
        rows.append(row)
    return rows


class TranscriptWriter:
    """Stream transcripts to a file; the format follows the extension unless given.

    Files appear atomically: everything is written to a temporary file beside the target
    and renamed on a clean close, so a crash never leaves half a file under the real name.
    """

    def __init__(self, path: str | Path, *, format: str | None = None) -> None:
        self.path = Path(path)
        self.format = detect_format(self.path, format, output=True)
        self.count = 0
        if self.path.is_dir():
            raise OutputError(f"{self.path}: is a directory; give a file name")
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            fd, tmp = tempfile.mkstemp(
                prefix=f".{self.path.name}.", suffix=".tmp", dir=self.path.parent
            )
        except OSError as exc:
            raise OutputError(f"{self.path}: cannot write it: {exc.strerror or exc}") from None
        os.close(fd)
        self._tmp = Path(tmp)
        self._rows: list[dict[str, Any]] = []
        self._columns: dict[str, None] = dict.fromkeys(_LEADING)
        self._handle = self._tmp.open("w", encoding="utf-8") if self.format == "jsonl" else None

    def write(self, transcript: Transcript) -> None:
        self.count += 1
        if self._handle is not None:
            self._handle.write(json.dumps(transcript.to_dict(), ensure_ascii=False) + "\n")
            return
        rows = transcript_rows(transcript, flat=self.format == "csv")
        for row in rows:
            self._columns.update(dict.fromkeys(row))
        self._rows.extend(rows)

    def write_all(self, transcripts: Iterable[Transcript]) -> None:
        for transcript in transcripts:
            self.write(transcript)

    def close(self) -> None:
        """Finish the file and move it into place; on any failure the temporary file goes."""
        try:
            if self._handle is not None:
                self._handle.close()
            elif self.format == "csv":
                with self._tmp.open("w", encoding="utf-8", newline="") as handle:
                    writer = csv.DictWriter(
                        handle, fieldnames=list(self._columns), extrasaction="ignore"
                    )
                    writer.writeheader()
                    for row in self._rows:
                        writer.writerow({k: ("" if v is None else v) for k, v in row.items()})
            else:
                self._write_parquet()
            os.replace(self._tmp, self.path)
        except BaseException as exc:
            self._tmp.unlink(missing_ok=True)
            if isinstance(exc, OSError):
                raise OutputError(f"{self.path}: cannot write it: {exc.strerror or exc}") from exc
            raise

    def _write_parquet(self) -> None:
        import pandas as pd
        import pyarrow as pa

        frame = pd.DataFrame(self._rows, columns=list(self._columns))
        try:
            frame.to_parquet(self._tmp, index=False)
            return
        except (pa.ArrowInvalid, pa.ArrowTypeError, pa.ArrowNotImplementedError):
            pass  # a column without one type; only then is every column checked
        errors = (pa.ArrowInvalid, pa.ArrowTypeError, pa.ArrowNotImplementedError)
        objects = [c for c in frame.columns if pd.api.types.is_object_dtype(frame[c])]
        for column in objects:
            try:
                array = pa.array(frame[column], from_pandas=True)
            except errors:
                frame[column] = [json_text(v) for v in frame[column]]
                continue
            if pa.types.is_struct(array.type) and array.type.num_fields == 0:
                # only empty objects ({}): Parquet has no struct without fields
                frame[column] = [json_text(v) for v in frame[column]]
        try:
            frame.to_parquet(self._tmp, index=False)
        except errors:
            # some nested value Parquet cannot hold (an empty object inside a list...):
            # every column of lists or objects as JSON text
            for column in objects:
                if any(isinstance(v, dict | list | tuple) for v in frame[column]):
                    frame[column] = [json_text(v) for v in frame[column]]
            frame.to_parquet(self._tmp, index=False)

    def abort(self) -> None:
        if self._handle is not None:
            self._handle.close()
        self._tmp.unlink(missing_ok=True)

    def __enter__(self) -> TranscriptWriter:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if exc_type is None:
            self.close()
        else:
            self.abort()


def json_text(value: Any) -> str | None:
    """A field value as JSON text, for a Parquet column that cannot hold it natively
    (mixed types, empty objects); None, NaN and pandas' NA stay missing."""
    if hasattr(value, "tolist") and not isinstance(value, str):  # numpy arrays and scalars
        value = value.tolist()
    if value is None or (isinstance(value, float) and value != value):
        return None
    if not isinstance(value, dict | list | tuple | str | int | float | bool):
        import pandas as pd

        if value is pd.NA or value is pd.NaT:
            return None
    return json.dumps(value, ensure_ascii=False, default=str)


def write_transcripts(
    transcripts: Iterable[Transcript], path: str | Path, *, format: str | None = None
) -> int:
    """Write transcripts to ``path``; returns how many were written."""
    with TranscriptWriter(path, format=format) as writer:
        writer.write_all(transcripts)
        return writer.count


def write_errors(rejected: Iterable[RejectedTranscript], path: str | Path) -> int:
    """Write rejected transcripts as JSON Lines (source, position, reason, transcript_id)."""
    count = 0
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    with Path(path).open("w", encoding="utf-8") as handle:
        for item in rejected:
            handle.write(json.dumps(item.to_dict(), ensure_ascii=False) + "\n")
            count += 1
    return count
