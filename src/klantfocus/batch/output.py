"""The output of a batch job: Parquet shards, written atomically, and reading them back.

Each shard ``part-XXXXX.parquet`` holds one row per utterance with the columns of
:func:`klantfocus.to_dataframe`, ``evidence`` and ``explanation`` as JSON text, and
``input_file``: the input file of the row's transcript. Conversation ids need only be
unique within a file, so a call is identified by ``(input_file, conversation_id)``. The
shard's own record (job fingerprint, transcript ids digest, models, the errors met while
reading and scoring its transcripts) lives in the Parquet schema metadata, so that the
rows and their bookkeeping are committed together by a single ``os.replace``: a shard
file either exists whole, with its errors, or not at all.
"""

from __future__ import annotations

import json
import os
import uuid
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any, TextIO

from ..constants import TAGS
from ..errors import KlantfocusError
from ..io.writers import json_text

if TYPE_CHECKING:
    import pandas as pd
    import pyarrow as pa

    from ..transcript import Transcript

MANIFEST_FILE = "_manifest.json"
ERRORS_FILE = "errors.jsonl"
JOB_FILE = "_job.json"
SHARD_GLOB = "part-*.parquet"
METADATA_KEY = b"klantfocus_batch"
#: The column with the input file (absolute path) of each row's transcript.
INPUT_FILE_COLUMN = "input_file"

#: Arrow types of the contract columns, fixed so that every shard has the same schema
#: (an all-empty ``labels`` column would otherwise be inferred as a list of nulls).
_CONTRACT_TYPES: dict[str, str] = {
    "conversation_id": "string",
    "utterance_index": "int64",
    "speaker": "string",
    "text": "string",
    "start": "float64",
    "end": "float64",
    "domain": "string",
    "labels": "list<string>",
    **{f"tag_{tag}": "bool" for tag in TAGS},
    "mindset": "string",
    "mindset_score": "float64",
    "explanation": "string",
    "evidence": "string",
    INPUT_FILE_COLUMN: "string",
}
_ALWAYS_PRESENT = [c for c in _CONTRACT_TYPES if c != "domain"]


def _arrow_type(name: str) -> pa.DataType:
    import pyarrow as pa

    if name == "list<string>":
        return pa.list_(pa.string())
    return pa.type_for_alias(name)


def shard_frame(
    scored: Sequence[Transcript], *, sources: Sequence[str] | None = None
) -> pd.DataFrame:
    """The rows of a shard: :func:`klantfocus.to_dataframe` with ``evidence`` as JSON text.

    ``sources`` (one per transcript) fills the last column, ``input_file``; an input
    field of that name is replaced. Without ``sources`` (Dask DataFrames, which have no
    input files) there is no such column.
    """
    import pandas as pd

    from ..api import to_dataframe

    columns = [c for c in _ALWAYS_PRESENT if sources is not None or c != INPUT_FILE_COLUMN]
    frame = to_dataframe(scored)
    if frame.empty:
        return pd.DataFrame({name: [] for name in columns})
    frame["evidence"] = [json.dumps(e, ensure_ascii=False) for e in frame["evidence"]]
    for column in ("start", "end"):  # None when the input has no times: still numbers
        frame[column] = frame[column].astype("float64")
    if sources is not None:
        if len(sources) != len(scored):
            raise ValueError(f"{len(sources)} sources for {len(scored)} transcripts")
        if INPUT_FILE_COLUMN in frame.columns:  # an input field of that name: replaced, last
            del frame[INPUT_FILE_COLUMN]
        frame[INPUT_FILE_COLUMN] = [
            source
            for source, transcript in zip(sources, scored, strict=True)
            for _ in transcript.utterances
        ]
    return frame


def _nested(value: Any) -> bool:
    return isinstance(value, dict | list | tuple) or (
        hasattr(value, "ndim") and getattr(value, "ndim", 0) > 0
    )


def _to_arrow(frame: pd.DataFrame) -> pa.Table:
    """Convert with the contract types; other columns that Arrow cannot hold as one
    scalar type become JSON text.

    An extra column (an input field) holding objects or lists (``{}``, ``{"a": 1}``,
    ``[1, 2]``), or values of several types (``3`` and ``"drie"``), is written as JSON
    text, every value: its type then does not depend on the values a shard happens to
    hold, and Parquet cannot store a struct without fields (``{}``) at all.
    """
    import pyarrow as pa

    arrays, fields = [], []
    for name in frame.columns:
        column = frame[name]
        wanted = _CONTRACT_TYPES.get(str(name))
        if wanted is not None:
            array = pa.array(column.tolist(), type=_arrow_type(wanted), from_pandas=True)
        else:
            values = column.tolist()
            array = None
            if not any(_nested(v) for v in values):
                try:
                    array = pa.Array.from_pandas(column)
                except (pa.ArrowInvalid, pa.ArrowTypeError, pa.ArrowNotImplementedError):
                    array = None  # values of several types (say 3 and "drie")
            if array is None:
                array = pa.array([json_text(v) for v in values], type=pa.string())
        arrays.append(array)
        fields.append(pa.field(str(name), array.type))
    return pa.Table.from_arrays(arrays, schema=pa.schema(fields))


def _temporary_beside(path: Path) -> Path:
    """A temporary name in the same directory (so ``os.replace`` is atomic), unique per writer."""
    return path.with_name(f".{path.name}.{os.getpid()}-{uuid.uuid4().hex[:8]}.tmp")


def _commit(temporary: Path, path: Path) -> None:
    with temporary.open("rb") as handle:
        os.fsync(handle.fileno())
    os.replace(temporary, path)


@contextmanager
def atomic_text_file(path: Path) -> Iterator[TextIO]:
    """A text file (manifest, errors) that readers see complete or not at all."""
    temporary = _temporary_beside(path)
    try:
        with temporary.open("w", encoding="utf-8") as handle:
            yield handle
        _commit(temporary, path)
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise


def write_shard(frame: pd.DataFrame, path: Path, record: dict[str, Any]) -> None:
    """Write a shard atomically: a temporary file beside it, fsync, then ``os.replace``."""
    import pyarrow.parquet as pq

    table = _to_arrow(frame)
    table = table.replace_schema_metadata(
        {METADATA_KEY: json.dumps(record, ensure_ascii=False).encode("utf-8")}
    )
    temporary = _temporary_beside(path)
    try:
        pq.write_table(table, temporary)
        _commit(temporary, path)
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise


def read_shard_record(path: Path) -> dict[str, Any] | None:
    """The record stored in a shard, or None when the file is missing or not a valid shard.

    A shard is valid when its footer can be read, it carries a klantfocus record, and
    its row count matches the record.
    """
    import pyarrow.parquet as pq

    try:
        parquet = pq.ParquetFile(path)
        raw = (parquet.schema_arrow.metadata or {}).get(METADATA_KEY)
        if raw is None:
            return None
        record: dict[str, Any] = json.loads(raw)
        if record.get("rows") != parquet.metadata.num_rows:
            return None
        return record
    except Exception:  # missing, truncated, not Parquet: all mean "not a finished shard"
        return None


def read_manifest(output_dir: str | Path) -> dict[str, Any]:
    """The manifest of a finished batch run (raises :class:`KlantfocusError` if unfinished)."""
    path = Path(output_dir) / MANIFEST_FILE
    if not path.is_file():
        raise KlantfocusError(
            f"{output_dir}: no {MANIFEST_FILE}, so the batch run has not finished; run the same "
            "'klantfocus batch' command again to complete it"
        )
    manifest: dict[str, Any] = json.loads(path.read_text("utf-8"))
    return manifest


def iter_output(
    output_dir: str | Path, *, columns: Sequence[str] | None = None
) -> Iterator[pd.DataFrame]:
    """The rows of a finished run, one DataFrame per shard, in order (for large outputs)."""
    import pyarrow.parquet as pq

    output_dir = Path(output_dir)
    for shard in read_manifest(output_dir)["shards"]:
        table = pq.read_table(output_dir / shard["file"], columns=list(columns or []) or None)
        if table.num_rows != shard["rows"]:
            raise KlantfocusError(
                f"{output_dir / shard['file']} holds {table.num_rows} rows, the manifest says "
                f"{shard['rows']}; run the batch command again to repair the output"
            )
        frame = table.to_pandas()
        if "labels" in frame.columns:
            frame["labels"] = [list(labels) for labels in frame["labels"]]
        yield frame


def read_output(output_dir: str | Path, *, columns: Sequence[str] | None = None) -> pd.DataFrame:
    """All rows of a finished batch run, shard by shard in input order, as one DataFrame.

    Columns are those of :func:`klantfocus.to_dataframe`, with ``evidence`` and
    ``explanation`` as JSON text and ``labels`` as lists.
    """
    import pandas as pd

    frames = [f for f in iter_output(output_dir, columns=columns) if len(f)]
    if not frames:
        return pd.DataFrame({name: [] for name in (columns or _ALWAYS_PRESENT)})
    return pd.concat(frames, ignore_index=True)
