"""The input files of a batch job: files, directories and glob patterns, in a fixed order.

Shard identity depends on the order in which transcripts are read, so the inputs are
resolved to absolute paths, deduplicated and sorted: the same arguments (from any working
directory) always give the same list. Each file is hashed (SHA-256) once: the hashes go
into the manifest and into the job fingerprint, so that a restart notices changed inputs.

An argument that names nothing readable (a missing file, a pattern without matches, a
file of unknown format, a file that cannot be opened) becomes an :class:`InputFile` with
an ``error``: it is reported as one entry in ``errors.jsonl`` and the job goes on.
"""

from __future__ import annotations

import glob
import hashlib
import logging
import os
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..constants import INPUT_FORMATS
from ..errors import TranscriptFormatError
from ..io import detect_format

logger = logging.getLogger(__name__)

_GLOB_CHARACTERS = frozenset("*?[")
_KNOWN_SUFFIXES = frozenset(s for suffixes in INPUT_FORMATS.values() for s in suffixes)
_READ_BLOCK = 1 << 20


@dataclass(frozen=True)
class InputFile:
    """One resolved input: a readable file with its hash, or a path with the reason it is not."""

    path: str
    format: str | None = None
    size: int | None = None
    sha256: str | None = None
    transcripts_estimate: int | None = None
    error: str | None = None

    @property
    def readable(self) -> bool:
        return self.error is None

    def fingerprint_record(self) -> list[Any]:
        return [self.path, self.format, self.size, self.sha256, self.error]

    def manifest_record(self) -> dict[str, Any]:
        record: dict[str, Any] = {"path": self.path}
        if self.readable:
            record.update(format=self.format, size=self.size, sha256=self.sha256)
        else:
            record["error"] = self.error
        return record

    def rejection(self) -> dict[str, Any]:
        """The ``errors.jsonl`` entry of a file that cannot be read at all."""
        return {"source": self.path, "position": "", "reason": self.error, "transcript_id": None}


def resolve_inputs(
    arguments: Iterable[str | os.PathLike[str]],
    *,
    format: str | None = None,
    exclude: Path | None = None,
) -> list[InputFile]:
    """Resolve files, directories (recursively) and glob patterns into sorted input files.

    Inside directories and glob matches, files with an unknown extension are skipped
    (unless ``format`` is given), as are hidden files and anything under ``exclude`` (the
    output directory, whose Parquet shards must never be read back as input).
    """
    excluded = exclude.resolve() if exclude is not None else None
    found: dict[str, InputFile | None] = {}  # path -> unreadable entry, or None to scan

    def add_member(path: Path) -> None:
        path = path.resolve()
        if excluded is not None and path.is_relative_to(excluded):
            return
        if path.name.startswith(".") or (
            format is None and path.suffix.lower() not in _KNOWN_SUFFIXES
        ):
            logger.debug("skipping %s: not a transcript file", path)
            return
        found.setdefault(str(path), None)

    def add_directory(directory: Path) -> None:
        for path in sorted(directory.rglob("*")):
            relative_parts = path.relative_to(directory).parts
            if path.is_file() and not any(part.startswith(".") for part in relative_parts):
                add_member(path)

    for argument in arguments:
        text = str(argument)
        path = Path(text).expanduser()
        if path.is_dir():
            add_directory(path)
        elif path.is_file():
            found.setdefault(str(path.resolve()), None)
        elif _GLOB_CHARACTERS & set(text):
            matches = sorted(glob.glob(str(path), recursive=True))
            for match in matches:
                match_path = Path(match)
                if match_path.is_dir():
                    add_directory(match_path)
                elif match_path.is_file():
                    add_member(match_path)
            if not matches:
                pattern = str(path.absolute())
                found.setdefault(pattern, InputFile(pattern, error="no files match this pattern"))
        else:
            absolute = str(path.absolute())
            found.setdefault(absolute, InputFile(absolute, error="file not found"))
    return [entry or scan_file(path, format) for path, entry in sorted(found.items())]


def scan_file(path: str, format: str | None = None) -> InputFile:
    """Hash a file and estimate its number of transcripts (for the progress bar's ETA)."""
    try:
        fmt = detect_format(path, format)
    except TranscriptFormatError as exc:
        return InputFile(path, error=exc.reason)
    digest = hashlib.sha256()
    newlines, last = 0, b"\n"
    try:
        with open(path, "rb") as handle:
            for block in iter(lambda: handle.read(_READ_BLOCK), b""):
                digest.update(block)
                newlines += block.count(b"\n")
                last = block[-1:]
        size = Path(path).stat().st_size
    except OSError as exc:
        return InputFile(path, error=f"cannot read the file: {exc.strerror or exc}")
    lines = newlines + (last != b"\n")
    return InputFile(
        path,
        format=fmt,
        size=size,
        sha256=digest.hexdigest(),
        transcripts_estimate=_estimate_transcripts(Path(path), fmt, lines),
    )


def _estimate_transcripts(path: Path, fmt: str, lines: int) -> int | None:
    """A cheap count of the transcripts in a file; None when it cannot be had cheaply."""
    try:
        if fmt == "jsonl":
            return lines
        if fmt == "vtt":
            return 1
        if fmt == "txt":
            return _count_text_blocks(path)
        if fmt in ("csv", "parquet"):
            return _count_conversations(path, fmt)
    except Exception as exc:  # an estimate only: the reader reports real problems
        logger.debug("cannot estimate the transcripts in %s: %s", path, exc)
    return None


def _count_text_blocks(path: Path) -> int:
    blocks, in_block = 0, False
    with path.open("rb") as handle:
        for raw in handle:
            separator = raw.strip() in (b"", b"---")
            if not separator and not in_block:
                blocks += 1
            in_block = not separator
    return blocks


def _count_conversations(path: Path, fmt: str) -> int:
    """Changes of ``conversation_id`` between rows, read as one column with pyarrow."""
    import pyarrow as pa
    import pyarrow.compute as pc

    if fmt == "parquet":
        import pyarrow.parquet as pq

        batches = pq.ParquetFile(path).iter_batches(columns=["conversation_id"], batch_size=65536)
    else:
        from pyarrow import csv

        batches = csv.open_csv(
            path,
            convert_options=csv.ConvertOptions(
                include_columns=["conversation_id"], column_types={"conversation_id": pa.string()}
            ),
        )
    count, previous = 0, None
    for batch in batches:
        ids = pc.cast(batch.column(0), pa.string())
        if len(ids) == 0:
            continue
        if len(ids) > 1:
            count += pc.sum(pc.not_equal(ids[1:], ids[:-1])).as_py() or 0
        count += ids[0].as_py() != previous
        previous = ids[-1].as_py()
    return count
