"""The tabular layout (CSV, Parquet, pandas): one row per utterance.

Required columns: ``conversation_id``, ``speaker``, ``text``; optional ``turn``,
``start``, ``end``; ``labels`` and ``spans`` are read when present (as written by the
writers); every other column is kept as an utterance field and written back unchanged.
Rows of one conversation must be contiguous: the file is streamed, so a conversation
that reappears after another one is reported instead of silently merged.
"""

from __future__ import annotations

import csv
import json
import math
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

from ..constants import TABLE_REQUIRED_COLUMNS, TAGS
from ..errors import TranscriptFormatError
from ..transcript import InvalidRecord, Span, Transcript, Utterance, normalise_speaker
from ._lines import iter_decoded_lines

#: Columns that the writers add; on reading they are parsed or dropped, not kept as fields.
OUTPUT_COLUMNS = frozenset(
    {"labels", "spans", "mindset", "mindset_score", "explanation", "domain"}
    | {f"tag_{t}" for t in TAGS}
)
_TRANSCRIPT_META_COLUMNS = ("agent_id", "date")

Row = dict[str, Any]
RowItem = tuple[str, Row | TranscriptFormatError]


def _missing(value: Any) -> bool:
    return value is None or value == "" or (isinstance(value, float) and math.isnan(value))


def _number(value: Any, name: str) -> float | None:
    if _missing(value):
        return None
    try:
        number = float(value)
    except (TypeError, ValueError):
        raise InvalidRecord(f"'{name}' must be a number, not {value!r}") from None
    return int(number) if name == "turn" and number.is_integer() else number


def _labels(value: Any) -> list[str]:
    """A ``labels`` cell: a list, a JSON list, or names joined by ``;`` (empty: none)."""
    if _missing(value):
        return []
    if isinstance(value, list | tuple) or hasattr(value, "tolist"):
        labels = [str(x) for x in (value.tolist() if hasattr(value, "tolist") else value)]
    else:
        text = str(value).strip()
        labels = (
            json.loads(text)
            if text.startswith("[")
            else [x.strip() for x in text.split(";") if x.strip()]
        )
    unknown = sorted(set(labels) - set(TAGS))
    if unknown:
        raise InvalidRecord(f"unknown tag(s) {unknown} in 'labels'")
    return labels


def row_to_utterance(row: Row) -> Utterance:
    """Build an utterance from one table row (raises :class:`InvalidRecord`)."""
    text = row.get("text")
    if _missing(text) or not str(text).strip():
        raise InvalidRecord("'text' is empty")
    speaker_value = row.get("speaker")
    if _missing(speaker_value):
        raise InvalidRecord("'speaker' is empty")
    text = str(text)
    utterance = Utterance(
        speaker=normalise_speaker(str(speaker_value)),
        text=text,
        start=_number(row.get("start"), "start"),
        end=_number(row.get("end"), "end"),
    )
    if "labels" in row:
        utterance.labels = _labels(row["labels"])
    if "spans" in row and not _missing(row["spans"]):
        raw = row["spans"]
        spans = json.loads(raw) if isinstance(raw, str) else raw
        utterance.spans = [Span.from_dict(s, text) for s in spans]
    for key, value in row.items():
        if key in ("conversation_id", "speaker", "text", "start", "end") or key in OUTPUT_COLUMNS:
            continue
        if key == "turn":
            value = _number(value, "turn")
        utterance.extra[key] = value
    return utterance


def group_rows(
    source: str, rows: Iterable[RowItem]
) -> Iterator[Transcript | TranscriptFormatError]:
    """Group contiguous rows by ``conversation_id`` into transcripts."""
    current_id: str | None = None
    utterances: list[Utterance] = []
    meta: dict[str, Any] = {}
    domain: str | None = None
    error: TranscriptFormatError | None = None
    finished: set[str] = set()

    def flush() -> Iterator[Transcript | TranscriptFormatError]:
        if current_id is None:
            return
        if error is not None:
            yield error
        else:
            yield Transcript(id=current_id, utterances=utterances, domain=domain, meta=meta or None)

    for position, row in rows:
        if isinstance(row, TranscriptFormatError):
            if error is None and current_id is not None:
                row.transcript_id = current_id
                error = row
            elif current_id is None:
                yield row
            continue
        cid_value = row.get("conversation_id")
        if _missing(cid_value):
            yield TranscriptFormatError(source, position, "'conversation_id' is empty")
            continue
        cid = str(cid_value)
        if isinstance(cid_value, float) and cid_value.is_integer():
            cid = str(int(cid_value))
        if cid != current_id:
            yield from flush()
            if cid in finished:
                current_id = cid
                utterances, meta, domain = [], {}, None
                error = TranscriptFormatError(
                    source,
                    position,
                    f"rows of conversation {cid!r} are not contiguous (it appeared earlier); "
                    "sort the rows by conversation_id",
                    cid,
                )
                continue
            finished.add(cid)
            current_id, utterances, meta, domain, error = cid, [], {}, None, None
            for key in _TRANSCRIPT_META_COLUMNS:
                if key in row and not _missing(row[key]):
                    meta[key] = row[key]
            if "domain" in row and not _missing(row["domain"]):
                domain = str(row["domain"])
        if error is not None:
            continue
        try:
            utterances.append(row_to_utterance(row))
        except (InvalidRecord, json.JSONDecodeError) as exc:
            error = TranscriptFormatError(source, position, str(exc), cid)
    yield from flush()


def _check_columns(source: str, columns: Iterable[str]) -> None:
    missing = [c for c in TABLE_REQUIRED_COLUMNS if c not in set(columns)]
    if missing:
        raise TranscriptFormatError(
            source,
            "header",
            f"missing required column(s) {missing}; a table needs "
            f"{list(TABLE_REQUIRED_COLUMNS)} (one row per utterance)",
        )


def iter_csv_transcripts(path: Path) -> Iterator[Transcript | TranscriptFormatError]:
    source = str(path)
    decoded = iter_decoded_lines(path)
    first_error: list[TranscriptFormatError] = []
    line_numbers: list[int] = [0]

    def text_lines() -> Iterator[str]:
        for line_no, line in decoded:
            line_numbers[0] = line_no
            if isinstance(line, TranscriptFormatError):
                first_error.append(line)
                yield ""
                continue
            yield line

    reader = csv.reader(text_lines())
    try:
        header = next(reader)
    except StopIteration:
        raise TranscriptFormatError(source, "", "file is empty") from None
    if first_error:
        raise first_error[0]
    header = [h.strip() for h in header]
    _check_columns(source, header)

    def rows() -> Iterator[RowItem]:
        for row_no, values in enumerate(reader, 1):
            position = f"row {row_no} (line {line_numbers[0]})"
            if first_error:
                yield position, first_error.pop()
                continue
            if not values or all(not v.strip() for v in values):
                continue
            if len(values) != len(header):
                yield (
                    position,
                    TranscriptFormatError(
                        source, position, f"has {len(values)} fields, the header has {len(header)}"
                    ),
                )
                continue
            yield position, dict(zip(header, values, strict=True))

    yield from group_rows(source, rows())


def iter_parquet_transcripts(path: Path) -> Iterator[Transcript | TranscriptFormatError]:
    import pyarrow.parquet as pq

    source = str(path)
    try:
        parquet = pq.ParquetFile(path)
    except Exception as exc:  # pyarrow raises several types for a broken file
        raise TranscriptFormatError(source, "", f"not a readable Parquet file ({exc})") from None
    _check_columns(source, parquet.schema_arrow.names)

    def rows() -> Iterator[RowItem]:
        row_no = 0
        for batch in parquet.iter_batches(batch_size=8192):
            for row in batch.to_pylist():
                row_no += 1
                yield f"row {row_no}", row

    yield from group_rows(source, rows())


def frame_to_transcripts(frame: Any, source: str = "<dataframe>") -> list[Transcript]:
    """Turn a pandas DataFrame in the tabular layout into transcripts (errors raise)."""
    _check_columns(source, [str(c) for c in frame.columns])
    records = frame.to_dict(orient="records")
    items = group_rows(source, ((f"row {i}", r) for i, r in enumerate(records)))
    out = []
    for item in items:
        if isinstance(item, TranscriptFormatError):
            raise item
        out.append(item)
    return out
