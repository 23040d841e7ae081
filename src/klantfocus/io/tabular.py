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
from dataclasses import replace
from pathlib import Path
from typing import Any, NamedTuple

from ..constants import TABLE_REQUIRED_COLUMNS, TAGS
from ..errors import TranscriptFormatError
from ..transcript import InvalidRecord, Span, Transcript, Utterance, normalise_speaker
from ._lines import iter_lines_replacing

#: Columns that the writers add; on reading they are parsed or dropped, not kept as fields.
OUTPUT_COLUMNS = frozenset(
    {"labels", "spans", "mindset", "mindset_score", "explanation", "domain"}
    | {f"tag_{t}" for t in TAGS}
)
_TRANSCRIPT_META_COLUMNS = ("agent_id", "date")

Row = dict[str, Any]


class RowPlace(NamedTuple):
    """Where a row is in its file."""

    position: str  # how an error in this one row names it: "row 7 (line 8)", "row 7"
    row: int
    lines: tuple[int, int] | None = None  # CSV: the first and last line of the row


RowItem = tuple[RowPlace, Row | TranscriptFormatError]


def rows_position(first: RowPlace, last: RowPlace) -> str:
    """Where a conversation's rows are: ``rows 14-31 (lines 15-32)`` (CSV), ``rows 14-31``."""
    rows = f"row {first.row}" if first.row == last.row else f"rows {first.row}-{last.row}"
    if first.lines is None or last.lines is None:
        return rows
    start, end = first.lines[0], last.lines[1]
    return f"{rows} (line {start})" if start == end else f"{rows} (lines {start}-{end})"


def _missing(value: Any) -> bool:
    return (
        value is None
        or (isinstance(value, str) and value == "")
        or (isinstance(value, float) and math.isnan(value))
    )


def _number(value: Any, name: str) -> float | None:
    if _missing(value):
        return None
    try:
        number = float(value)
    except (TypeError, ValueError):
        raise InvalidRecord(f"'{name}' must be a number, not {value!r}") from None
    return int(number) if name == "turn" and number.is_integer() else number


def _json_cell(value: str, name: str) -> Any:
    try:
        return json.loads(value)
    except json.JSONDecodeError as exc:
        raise InvalidRecord(f"'{name}' is not valid JSON ({exc.msg})") from None


def _list_cell(value: Any) -> list[Any] | None:
    """A list-like cell (list, tuple, numpy/pyarrow array) as a list; None if not one."""
    if isinstance(value, list | tuple):
        return list(value)
    if hasattr(value, "tolist") and not isinstance(value, str):
        items = value.tolist()
        return items if isinstance(items, list) else None
    return None


def _labels(value: Any) -> list[str]:
    """A ``labels`` cell: a list, a JSON list, or names joined by ``;`` (empty: none)."""
    if _missing(value):
        return []
    items = _list_cell(value)
    if items is not None:
        labels = [str(x) for x in items]
    else:
        text = str(value).strip()
        if text.startswith("["):
            parsed = _json_cell(text, "labels")
            if not isinstance(parsed, list) or not all(isinstance(x, str) for x in parsed):
                raise InvalidRecord("'labels' must be a list of tag names")
            labels = parsed
        else:
            labels = [x.strip() for x in text.split(";") if x.strip()]
    unknown = sorted(set(labels) - set(TAGS))
    if unknown:
        raise InvalidRecord(f"unknown tag(s) {unknown} in 'labels'")
    return labels


def _spans(value: Any, text: str) -> list[Span]:
    """A ``spans`` cell: a list of span objects, or that list as JSON."""
    spans = _json_cell(value, "spans") if isinstance(value, str) else value
    items = _list_cell(spans)
    if items is None:
        raise InvalidRecord(
            f"'spans' must be a list of {{start, end, label}} objects, not {type(spans).__name__}"
        )
    try:
        return [Span.from_dict(s, text) for s in items]
    except InvalidRecord as exc:
        raise InvalidRecord(f"{exc} in 'spans'") from None


def row_to_utterance(row: Row) -> Utterance:
    """Build an utterance from one table row (raises :class:`InvalidRecord`)."""
    text = row.get("text")
    if _missing(text):
        raise InvalidRecord("'text' is empty")
    if not isinstance(text, str):
        raise InvalidRecord(f"'text' must be a string, not {type(text).__name__}")
    if not text.strip():
        raise InvalidRecord("'text' is empty")
    speaker_value = row.get("speaker")
    if _missing(speaker_value):
        raise InvalidRecord("'speaker' is empty")
    utterance = Utterance(
        speaker=normalise_speaker(str(speaker_value)),
        text=text,
        start=_number(row.get("start"), "start"),
        end=_number(row.get("end"), "end"),
    )
    if "labels" in row:
        utterance.labels = _labels(row["labels"])
    if "spans" in row and not _missing(row["spans"]):
        utterance.spans = _spans(row["spans"], text)
    for key, value in row.items():
        if key in ("conversation_id", "speaker", "text", "start", "end") or key in OUTPUT_COLUMNS:
            continue
        if key == "turn":
            value = _number(value, "turn")
        utterance.extra[key] = value
    return utterance


def _conversation_id(row: Row) -> str | None:
    value = row.get("conversation_id")
    if _missing(value):
        return None
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def group_rows(
    source: str, rows: Iterable[RowItem]
) -> Iterator[Transcript | TranscriptFormatError]:
    """Group contiguous rows by ``conversation_id`` into transcripts.

    Each transcript's :attr:`~klantfocus.transcript.Transcript.position` names its rows
    (see :func:`rows_position`), for errors found after reading (no agent utterances...).
    A row that could not be read comes as a :class:`TranscriptFormatError` whose
    ``transcript_id`` is the row's conversation when that could still be read. It rejects
    that conversation. When it could not be read, the row lies between the conversation
    before it and the one after it and may belong to either, so both are rejected: a
    conversation is never scored with a row missing.
    """
    current_id: str | None = None
    utterances: list[Utterance] = []
    meta: dict[str, Any] = {}
    domain: str | None = None
    error: TranscriptFormatError | None = None
    first: RowPlace | None = None  # the current conversation's first and last row
    last: RowPlace | None = None
    finished: set[str] = set()
    # A bad row of unknown conversation since the last good row: it also rejects the
    # conversation that comes next.
    unplaced: TranscriptFormatError | None = None

    def flush() -> Iterator[Transcript | TranscriptFormatError]:
        if current_id is None:
            return
        if error is not None:
            yield error
        else:
            assert first is not None and last is not None
            yield Transcript(
                id=current_id,
                utterances=utterances,
                domain=domain,
                meta=meta or None,
                position=rows_position(first, last),
            )

    for place, row in rows:
        position = place.position
        row_error: TranscriptFormatError | None
        if isinstance(row, TranscriptFormatError):
            row_error, cid = row, row.transcript_id
        else:
            row_error, cid = None, _conversation_id(row)
            if cid is None:
                row_error = TranscriptFormatError(source, position, "'conversation_id' is empty")
        if cid is None:
            assert row_error is not None
            row_error = replace(
                row_error,
                reason=f"{row_error.reason}; the row's conversation cannot be told, so the "
                "conversations next to it are rejected",
            )
            if current_id is not None and error is None:
                error = replace(row_error, transcript_id=current_id)
            unplaced = unplaced or row_error
            continue
        if cid != current_id:
            yield from flush()
            current_id, utterances, meta, domain, error = cid, [], {}, None, None
            first = place
            if cid in finished:
                error = TranscriptFormatError(
                    source,
                    position,
                    f"rows of conversation {cid!r} are not contiguous (it appeared earlier); "
                    "sort the rows by conversation_id",
                    cid,
                )
            elif unplaced is not None:
                error = replace(unplaced, transcript_id=cid)
            finished.add(cid)
            if not isinstance(row, TranscriptFormatError):
                for key in _TRANSCRIPT_META_COLUMNS:
                    if key in row and not _missing(row[key]):
                        meta[key] = row[key]
                if "domain" in row and not _missing(row["domain"]):
                    domain = str(row["domain"])
        unplaced = None
        last = place
        if error is not None:
            continue
        if isinstance(row, TranscriptFormatError):
            error = replace(row, transcript_id=cid)
            continue
        try:
            utterances.append(row_to_utterance(row))
        except InvalidRecord as exc:
            error = TranscriptFormatError(source, position, str(exc), cid)
    if current_id is None and unplaced is not None:
        yield unplaced
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
    decoded = iter_lines_replacing(path)
    decode_errors: list[TranscriptFormatError] = []
    line_numbers: list[int] = [0]  # the last line read

    def text_lines() -> Iterator[str]:
        # An undecodable line is passed on with U+FFFD for its bad bytes, so that the
        # row keeps its fields (and its conversation_id); the error goes with the row.
        for line_no, line, error in decoded:
            line_numbers[0] = line_no
            if error is not None:
                decode_errors.append(error)
            yield line

    reader = csv.reader(text_lines())
    try:
        header = next(reader)
    except StopIteration:
        raise TranscriptFormatError(source, "", "file is empty") from None
    if decode_errors:
        raise decode_errors[0]
    header = [h.strip() for h in header]
    _check_columns(source, header)
    id_column = header.index("conversation_id")

    def row_id(values: list[str], trusted: bool) -> str | None:
        """The conversation_id of a bad row, if it can be told for certain."""
        if not trusted or id_column >= len(values):
            return None
        cid = values[id_column]
        return cid if cid.strip() and "\ufffd" not in cid else None

    def rows() -> Iterator[RowItem]:
        end = line_numbers[0]  # where the record before ends (a field may span lines)
        for row_no, values in enumerate(reader, 1):
            start, end = end + 1, line_numbers[0]
            position = f"row {row_no} (line {end})"
            place = RowPlace(position, row_no, (start, end))
            if decode_errors:
                error = decode_errors[0]
                decode_errors.clear()
                error.position = f"row {row_no} ({error.position})"
                error.transcript_id = row_id(values, len(values) == len(header))
                yield place, error
                continue
            if not values or all(not v.strip() for v in values):
                continue
            if len(values) != len(header):
                # Fields before conversation_id may be split or merged too, unless it
                # is the first column.
                cid = row_id(values, id_column == 0)
                yield (
                    place,
                    TranscriptFormatError(
                        source,
                        position,
                        f"has {len(values)} fields, the header has {len(header)}",
                        cid,
                    ),
                )
                continue
            yield place, dict(zip(header, values, strict=True))

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
                yield RowPlace(f"row {row_no}", row_no), row

    yield from group_rows(source, rows())


def frame_to_transcripts(frame: Any, source: str = "<dataframe>") -> list[Transcript]:
    """Turn a pandas DataFrame in the tabular layout into transcripts (errors raise)."""
    _check_columns(source, [str(c) for c in frame.columns])
    records = frame.to_dict(orient="records")
    items = group_rows(source, ((RowPlace(f"row {i}", i), r) for i, r in enumerate(records)))
    out = []
    for item in items:
        if isinstance(item, TranscriptFormatError):
            raise item
        out.append(item)
    return out
