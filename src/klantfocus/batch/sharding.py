"""Cutting the stream of transcripts into shards whose identity depends only on the inputs.

Shard ``i`` holds transcripts ``i*S`` to ``(i+1)*S - 1`` of the stream read from the
sorted input files (``S`` is the shard size, counted in valid transcripts). The same
inputs and shard size therefore give the same shards whatever the number of workers, the
engine, or the shards that an interrupted run already finished. A transcript is never
split: the unit of parallel work is a whole shard.

Rejected transcripts and unreadable files are attached to the shard that is open when
the reader meets them. They are stored inside that shard's file, so a restart that
redoes or skips the shard never lists an error twice.

Streaming: :func:`plan_shards` is a generator that holds one shard in memory; the caller
decides how many planned shards are alive at once.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import queue
import threading
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

from ..errors import RejectedTranscript, TranscriptFormatError
from ..io import iter_transcripts
from ..transcript import Transcript
from .inputs import InputFile

#: Version of the job layout (how inputs are cut into shards); part of the job fingerprint.
LAYOUT_VERSION = 1
#: Version of what a shard file holds (its columns and footer record). A shard of another
#: version is redone on restart; it does not change the job. 2: the ``input_file`` column.
SHARD_LAYOUT = 2
#: Small enough to balance a few hundred transcripts over two workers and to show
#: progress every few seconds; jobs of millions of transcripts may want 1000 (fewer files).
DEFAULT_SHARD_SIZE = 50
#: A shard is also closed after this many errors, so that a long run of bad input (a
#: file of garbage) cannot pile up errors in memory or in one shard's footer.
MAX_ERRORS_PER_SHARD = 10_000


def shard_name(index: int) -> str:
    return f"part-{index:05d}.parquet"


def ids_digest(ids: Iterable[str]) -> str:
    """SHA-256 of a shard's transcript ids, in order: how a restart checks a shard's content."""
    return hashlib.sha256(json.dumps(list(ids), ensure_ascii=False).encode("utf-8")).hexdigest()


@dataclass
class PlannedShard:
    """The transcripts of one shard, where each came from, and the reading errors met."""

    index: int
    transcripts: list[Transcript] = field(default_factory=list)
    origins: list[tuple[str, str]] = field(default_factory=list)  # (source, position)
    input_errors: list[dict[str, Any]] = field(default_factory=list)

    @property
    def name(self) -> str:
        return shard_name(self.index)

    def ids_digest(self) -> str:
        return ids_digest(t.id for t in self.transcripts)


def job_fingerprint(
    files: Sequence[InputFile], *, shard_size: int, agent_speaker: str | None
) -> str:
    """SHA-256 of everything that decides the shards: inputs (with hashes) and options.

    The models are not part of it: each shard records the models that made it, and a
    restart with other models redoes the shards that differ instead of refusing.
    """
    record = {
        "layout": LAYOUT_VERSION,
        "shard_size": shard_size,
        "agent_speaker": agent_speaker,
        "inputs": [f.fingerprint_record() for f in files],
    }
    return hashlib.sha256(json.dumps(record, sort_keys=True).encode("utf-8")).hexdigest()


def plan_shards(
    files: Sequence[InputFile], shard_size: int, *, agent_speaker: str | None = None
) -> Iterator[PlannedShard]:
    """Read the inputs in order and yield shards of ``shard_size`` transcripts.

    The last shard may be smaller; a shard may hold only errors (when the input ends with
    rejected transcripts or unreadable files after a full shard, or after a long run of
    errors: see :data:`MAX_ERRORS_PER_SHARD`).
    """
    if shard_size < 1:
        raise ValueError("shard_size must be at least 1")
    shard = PlannedShard(0)
    for entry in files:
        count = 0
        for item in _file_items(entry, agent_speaker):
            if isinstance(item, Transcript):
                count += 1
                shard.transcripts.append(item)
                # Its rows in CSV and Parquet; else its number in the file.
                shard.origins.append((entry.path, item.position or f"transcript {count}"))
            else:
                shard.input_errors.append(item)
            if (
                len(shard.transcripts) >= shard_size
                or len(shard.input_errors) >= MAX_ERRORS_PER_SHARD
            ):
                yield shard
                shard = PlannedShard(shard.index + 1)
    if shard.transcripts or shard.input_errors:
        yield shard


#: How far the reader thread may read ahead of the shards (items: transcripts or errors).
HANDOVER_ITEMS = 256


class _Stopped(Exception):
    """The consumer of :func:`_file_items` went away; the reader thread ends."""


_END = object()


def _file_items(
    entry: InputFile, agent_speaker: str | None
) -> Iterator[Transcript | dict[str, Any]]:
    """One file's transcripts and error entries, in file order, as they are read.

    :func:`klantfocus.iter_transcripts` reports a rejected transcript through a callback,
    which cannot pass it on before the next good transcript comes out; a file of nothing
    but bad transcripts would pile its errors up in memory. So the file is read in a
    thread that hands every item over through a small queue.
    """
    if not entry.readable:
        yield entry.rejection()
        return
    handover: queue.Queue[Any] = queue.Queue(maxsize=HANDOVER_ITEMS)
    stop = threading.Event()

    def put(item: Any) -> None:
        while not stop.is_set():
            with contextlib.suppress(queue.Full):
                handover.put(item, timeout=0.1)
                return
        raise _Stopped

    def read() -> None:
        count = 0
        try:
            error = None
            try:
                for transcript in iter_transcripts(
                    entry.path,
                    format=entry.format,
                    agent_speaker=agent_speaker,
                    on_invalid=lambda rejected: put(rejected.to_dict()),
                ):
                    count += 1
                    put(transcript)
            except _Stopped:
                raise
            except TranscriptFormatError as exc:  # the file as a whole: empty, no columns...
                error = RejectedTranscript.from_error(exc).to_dict()
            except Exception as exc:  # an I/O or decoder failure part-way: keep what was read
                error = {
                    "source": entry.path,
                    "position": f"after transcript {count}" if count else "",
                    "reason": f"cannot read the file: {type(exc).__name__}: {exc}",
                    "transcript_id": None,
                }
            if error is not None:
                put(error)
            put(_END)
        except _Stopped:
            pass  # nobody is listening any more

    reader = threading.Thread(target=read, name="klantfocus-batch-reader", daemon=True)
    reader.start()
    try:
        while (item := handover.get()) is not _END:
            yield item
    finally:
        stop.set()
        reader.join()
