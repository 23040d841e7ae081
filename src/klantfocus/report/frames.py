"""Scored transcripts back from a DataFrame of the ``to_dataframe`` / batch output layout.

The batch engine writes one row per utterance (``klantfocus.batch.read_output``), and
the tabular readers deliberately drop the score columns, because a file read for
scoring must not look scored. The report and the per-agent view need those scores, so
this module rebuilds the transcripts as they were written: labels, evidence spans,
mindset, score and explanation.

Conversation ids are only unique within an input file: two files of a batch job may both
hold a conversation ``1``. Batch output says which file each row came from
(``input_file``), and rows are grouped by ``(input_file, conversation_id)``, so two
calls are never merged into one. Frames without that column (``to_dataframe`` output,
batch output of older versions) are grouped by ``conversation_id``; when one id then
holds more than one call (its ``utterance_index`` repeats) the calls are split where the
index starts again at 0, or refused when that does not explain the rows.
"""

from __future__ import annotations

import json
import math
from typing import Any

from ..constants import TAGS
from ..transcript import Span, Transcript, Utterance, normalise_speaker

INPUT_FILE_COLUMN = "input_file"  # as in klantfocus.batch.output (not imported: no pyarrow)
_UTTERANCE_COLUMNS = {"conversation_id", "utterance_index", "speaker", "text", "start", "end"}
_RESULT_COLUMNS = {
    "labels",
    "evidence",
    "spans",
    "mindset",
    "mindset_score",
    "explanation",
    "domain",
    "agent_id",
    "date",
    INPUT_FILE_COLUMN,
} | {f"tag_{t}" for t in TAGS}


def _absent(value: Any) -> bool:
    """None, NaN, NaT or pandas.NA (a list or array cell is never absent)."""
    if value is None:
        return True
    if isinstance(value, str | list | dict | tuple) or getattr(value, "ndim", 0) > 0:
        return False
    try:
        import pandas as pd

        return bool(pd.isna(value))
    except (TypeError, ValueError):
        return False


def _plain(value: Any) -> Any:
    """NumPy scalars and arrays as plain Python values (for JSON and display)."""
    return value.tolist() if hasattr(value, "tolist") else value


def _as_list(value: Any) -> list[Any] | None:
    """A list cell: a Python list, a NumPy array, JSON text, ``a;b`` text, or missing."""
    if _absent(value):
        return None
    value = _plain(value)
    if isinstance(value, list | tuple):
        return list(value)
    if isinstance(value, str):
        text = value.strip()
        if not text:
            return []
        if text.startswith("["):
            parsed = json.loads(text)
            return list(parsed) if isinstance(parsed, list) else None
        return [part.strip() for part in text.split(";") if part.strip()]
    return None


def _number(value: Any) -> float | None:
    if _absent(value):
        return None
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    return None if math.isnan(number) else number


def _text(value: Any) -> str | None:
    if _absent(value):
        return None
    if hasattr(value, "isoformat"):
        return str(value.isoformat())[:10] if hasattr(value, "hour") else str(value.isoformat())
    text = str(value)
    return text if text else None


def _labels(row: dict[str, Any]) -> list[str] | None:
    labels = _as_list(row.get("labels"))
    if labels is None and any(f"tag_{t}" in row for t in TAGS):
        labels = [t for t in TAGS if bool(row.get(f"tag_{t}"))]
    return None if labels is None else [str(x) for x in labels]


def _spans(row: dict[str, Any], text: str) -> list[Span]:
    raw = _as_list(row.get("evidence"))
    if raw is None:
        raw = _as_list(row.get("spans"))
    spans = []
    for item in raw or []:
        if not isinstance(item, dict):
            continue
        start, end, label = item.get("start"), item.get("end"), item.get("label")
        try:
            start, end = int(start), int(end)  # type: ignore[arg-type]
        except (TypeError, ValueError):
            continue
        if isinstance(label, str) and 0 <= start < end <= len(text):
            spans.append(Span(start, end, label))
    return spans


def _explanation(value: Any) -> list[dict[str, Any]] | None:
    if _absent(value):
        return None
    if isinstance(value, str):
        value = json.loads(value) if value.strip() else None
    value = _plain(value)
    if isinstance(value, list):
        return [dict(item) for item in value if isinstance(item, dict)]
    return None


def _calls(group: Any, conversation_id: str) -> list[Any]:
    """The rows of one grouping key as one frame per call, each in utterance order.

    Without a repeated ``utterance_index`` the rows are one call. A repeated index means
    that several calls share the key (old batch output of files with the same ids, or
    ``to_dataframe`` of such transcripts): the rows, in frame order, are cut where the
    index stops increasing, and each part must start at 0; otherwise the calls cannot
    be told apart and a :class:`ValueError` says so, rather than merging them.
    """
    if "utterance_index" not in group.columns:
        return [group]
    index = group["utterance_index"]
    if not index.duplicated().any():
        return [group.sort_values("utterance_index", kind="stable")]
    values = [_number(v) for v in index]
    starts = []  # where a call begins: the first row, and where the index does not increase
    for i, value in enumerate(values):
        previous = values[i - 1] if i else None
        if previous is None or value is None or value <= previous:
            starts.append(i)
    if any(values[i] != 0 for i in starts):
        repeated = _plain(index[index.duplicated()].iloc[0])
        raise ValueError(
            f"conversation {conversation_id!r} holds more than one call (utterance_index "
            f"{repeated!r} repeats) whose rows cannot be told apart; give every call its own "
            f"conversation_id, or keep the {INPUT_FILE_COLUMN!r} column of the batch output"
        )
    return [group.iloc[a:b] for a, b in zip(starts, [*starts[1:], len(values)], strict=True)]


def _transcript(conversation_id: str, group: Any) -> Transcript:
    records = group.to_dict(orient="records")
    utterances = []
    for row in records:
        text = str(row["text"])
        utterance = Utterance(
            speaker=normalise_speaker(str(row["speaker"])),
            text=text,
            start=_number(row.get("start")),
            end=_number(row.get("end")),
            labels=_labels(row),
            spans=_spans(row, text),
        )
        for key, value in row.items():
            if key in _UTTERANCE_COLUMNS or key in _RESULT_COLUMNS:
                continue
            if not _absent(value):
                utterance.extra[str(key)] = _plain(value)
        utterances.append(utterance)
    first = records[0]
    meta = {}
    for key in ("agent_id", "date", INPUT_FILE_COLUMN):
        value = _text(first.get(key))
        if value is not None:
            meta[key] = value
    mindset = first.get("mindset")
    return Transcript(
        id=conversation_id,
        utterances=utterances,
        domain=_text(first.get("domain")),
        meta=meta or None,
        mindset=mindset if isinstance(mindset, str) and mindset else None,
        mindset_score=_number(first.get("mindset_score")),
        explanation=_explanation(first.get("explanation")),
    )


def transcripts_from_frame(frame: Any) -> list[Transcript]:
    """Rebuild transcripts from rows of ``klantfocus.to_dataframe`` or the batch output.

    Rows are grouped by ``input_file`` and ``conversation_id`` (by ``conversation_id``
    alone when there is no ``input_file`` column), transcripts come in order of their
    first row, and rows are ordered by ``utterance_index`` when present. Two calls with
    the same id are never merged: see the module documentation. Transcript-level columns
    (``mindset``, ``mindset_score``, ``explanation``, ``domain``, ``agent_id``, ``date``,
    ``input_file``) are taken from the conversation's first row; ``agent_id``, ``date``
    and ``input_file`` go into ``meta``. Other columns are kept as utterance fields.
    """
    missing = [c for c in ("conversation_id", "speaker", "text") if c not in frame.columns]
    if missing:
        raise ValueError(f"the frame has no column(s) {missing}; expected the to_dataframe layout")
    frame = frame.reset_index(drop=True)  # positions: the order of first appearance
    keys = ["conversation_id"]
    if INPUT_FILE_COLUMN in frame.columns:
        keys.insert(0, INPUT_FILE_COLUMN)
    calls: list[tuple[int, str, Any]] = []
    for key, group in frame.groupby(keys, sort=False, dropna=False):
        conversation_id = str(key[-1])
        calls.extend(
            (int(call.index.min()), conversation_id, call)
            for call in _calls(group, conversation_id)
        )
    calls.sort(key=lambda item: item[0])
    return [_transcript(conversation_id, call) for _, conversation_id, call in calls]
