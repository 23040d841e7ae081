"""The work of one shard, the same in every engine: tag, score, write the shard file.

:func:`process_shard` is a pure function of the shard's transcripts and the models: the
transcripts go through the pipeline in input order with a fixed batch size, with BLAS
limited to one thread (so that floating-point sums are done in the same order), and the
rows are written in input order. Which process or machine runs it does not matter, which
is why the local and the Dask engines, with any number of workers, write the same shards.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..api import DEFAULT_BATCH_SIZE, iter_tagged, split_processable
from ..transcript import Transcript
from .models import ModelOptions, Models, get_models
from .output import shard_frame, write_shard
from .sharding import SHARD_LAYOUT, PlannedShard, shard_name

logger = logging.getLogger(__name__)


@dataclass
class ShardTask:
    """Everything a worker needs for one shard (sent to the worker process or machine)."""

    shard: PlannedShard
    output_dir: str
    job: str
    options: ModelOptions


@dataclass
class ShardResult:
    """What a worker sends back: the shard's summary for the manifest and the models used."""

    index: int
    summary: dict[str, Any]
    models: dict[str, Any]


def shard_summary(record: dict[str, Any]) -> dict[str, Any]:
    """The manifest entry of a shard, from the record stored in its file."""
    return {
        "file": shard_name(record["index"]),
        "transcripts": record["transcripts"],
        "rows": record["rows"],
        "words": record["words"],
        "errors": len(record["input_errors"]) + len(record["processing_errors"]),
        "first_id": record["first_id"],
        "last_id": record["last_id"],
    }


def model_identity(options: ModelOptions) -> dict[str, Any]:
    """The identity of the models this process uses (loading them if needed)."""
    return get_models(options).identity


def score_transcripts(models: Models, transcripts: list[Transcript]) -> list[Transcript]:
    """Tag and score with one BLAS thread, one thread at a time per process (see module doc).

    Raises :class:`UnprocessableTranscript` if one of them cannot be tagged or scored;
    :func:`~klantfocus.api.split_processable` finds those first.
    """
    from threadpoolctl import threadpool_limits

    if not transcripts:
        return []
    with models.lock, threadpool_limits(limits=1):
        # Strings the pipeline adds to its vocabulary for these transcripts are dropped
        # again afterwards, so a worker's memory does not grow with the words it has seen.
        # The tagged copies are plain Python objects, safe to use after the zone.
        with models.nlp.memory_zone():
            tagged = list(iter_tagged(transcripts, models.nlp, batch_size=DEFAULT_BATCH_SIZE))
        return models.scorer.score(tagged)


def _failure(transcript: Transcript, origin: tuple[str, str], reason: str) -> dict[str, Any]:
    source, position = origin
    return {
        "source": source,
        "position": position,
        "reason": reason,
        "transcript_id": transcript.id,
    }


def score_shard(
    models: Models, shard: PlannedShard
) -> tuple[list[Transcript], list[str], list[dict[str, Any]]]:
    """Tag and score a shard's transcripts; a transcript that fails becomes an error entry.

    Returns the scored transcripts, the input file of each (for the ``input_file``
    column) and the error entries, in input order. A transcript that cannot be tagged or
    scored (too long, no agent utterances) is found before tagging and listed with the
    reason alone, as the readers list theirs; the others are scored in one go. Only if
    that fails (an unexpected error) are they scored one by one, to find the one that
    fails without losing the others.
    """
    good, bad = split_processable(shard.transcripts, models.nlp)
    failures: dict[int, dict[str, Any]] = {
        position: _failure(shard.transcripts[position], shard.origins[position], exc.reason)
        for position, exc in bad.items()
    }

    def ordered_failures() -> list[dict[str, Any]]:
        return [failures[position] for position in sorted(failures)]

    try:
        scored = score_transcripts(models, [shard.transcripts[p] for p in good])
        return scored, [shard.origins[p][0] for p in good], ordered_failures()
    except Exception:
        logger.warning(
            "shard %d failed as a whole; scoring its transcripts one by one", shard.index
        )
    scored = []
    sources: list[str] = []
    for position in good:
        transcript, origin = shard.transcripts[position], shard.origins[position]
        try:
            scored.extend(score_transcripts(models, [transcript]))
            sources.append(origin[0])
        except Exception as exc:
            failures[position] = _failure(
                transcript, origin, f"scoring failed: {type(exc).__name__}: {exc}"
            )
    return scored, sources, ordered_failures()


def process_shard(task: ShardTask) -> ShardResult:
    """Tag, score and write one shard; returns its summary."""
    shard = task.shard
    models = get_models(task.options)
    scored, sources, failures = score_shard(models, shard)
    frame = shard_frame(scored, sources=sources)
    record = {
        "layout": SHARD_LAYOUT,
        "job": task.job,
        "index": shard.index,
        "ids_sha256": shard.ids_digest(),
        "planned": len(shard.transcripts),
        "transcripts": len(scored),
        "rows": len(frame),
        "words": sum(len(u.text.split()) for t in scored for u in t.utterances),
        "first_id": shard.transcripts[0].id if shard.transcripts else None,
        "last_id": shard.transcripts[-1].id if shard.transcripts else None,
        "input_errors": shard.input_errors,
        "processing_errors": failures,
        "models": models.identity,
    }
    write_shard(frame, Path(task.output_dir) / shard.name, record)
    return ShardResult(shard.index, shard_summary(record), models.identity)
