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

from ..api import DEFAULT_BATCH_SIZE, iter_tagged
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
    """Tag and score with one BLAS thread, one thread at a time per process (see module doc)."""
    from threadpoolctl import threadpool_limits

    with models.lock, threadpool_limits(limits=1):
        # Strings the pipeline adds to its vocabulary for these transcripts are dropped
        # again afterwards, so a worker's memory does not grow with the words it has seen.
        # The tagged copies are plain Python objects, safe to use after the zone.
        with models.nlp.memory_zone():
            tagged = list(iter_tagged(transcripts, models.nlp, batch_size=DEFAULT_BATCH_SIZE))
        return models.scorer.score(tagged)


def score_shard(
    models: Models, shard: PlannedShard
) -> tuple[list[Transcript], list[str], list[dict[str, Any]]]:
    """Tag and score a shard's transcripts; a transcript that fails becomes an error entry.

    Returns the scored transcripts, the input file of each (for the ``input_file``
    column) and the error entries. The whole shard is scored in one go; only if that
    fails are the transcripts scored one by one, to find the one that fails without
    losing the others.
    """
    try:
        scored = score_transcripts(models, shard.transcripts)
        return scored, [source for source, _ in shard.origins], []
    except Exception:
        logger.warning(
            "shard %d failed as a whole; scoring its transcripts one by one", shard.index
        )
    scored = []
    sources: list[str] = []
    failures: list[dict[str, Any]] = []
    for transcript, (source, position) in zip(shard.transcripts, shard.origins, strict=True):
        try:
            scored.extend(score_transcripts(models, [transcript]))
            sources.append(source)
        except Exception as exc:
            failures.append(
                {
                    "source": source,
                    "position": position,
                    "reason": f"scoring failed: {type(exc).__name__}: {exc}",
                    "transcript_id": transcript.id,
                }
            )
    return scored, sources, failures


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
