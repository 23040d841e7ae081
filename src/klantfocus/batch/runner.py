"""Running a batch job: resolve the inputs, plan shards, skip finished ones, score the rest.

How a run stays resumable and gives the same output with any number of workers:

1. The inputs are resolved to a sorted list of files and hashed; with the shard size
   this gives the job fingerprint, written to ``_job.json``. An output directory that
   holds another job is refused (or cleared with ``overwrite=True``).
2. The transcripts are read in that order and cut into shards of ``shard_size``
   transcripts (:mod:`.sharding`), so shard ``i`` has the same content in every run.
3. A shard file that exists, is readable, belongs to this job, has the current shard
   layout, was made by the same models, and holds exactly the transcript ids and reading
   errors that shard ``i`` has now, is kept; any other shard is scored (again) and
   replaced atomically.
4. Only when every shard is done are ``errors.jsonl`` (gathered from the shard files,
   so each error appears once) and ``_manifest.json`` written. A run killed at any
   moment leaves finished shards and at most some temporary files, which the next run
   removes; the manifest exists only for a complete run.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from ..about import __version__
from ..errors import KlantfocusError
from .inputs import InputFile, resolve_inputs
from .models import ModelOptions
from .output import (
    ERRORS_FILE,
    JOB_FILE,
    MANIFEST_FILE,
    SHARD_GLOB,
    atomic_text_file,
    read_shard_record,
)
from .progress import Progress, choose_mode
from .sharding import (
    DEFAULT_SHARD_SIZE,
    LAYOUT_VERSION,
    SHARD_LAYOUT,
    job_fingerprint,
    plan_shards,
    shard_name,
)
from .worker import ShardTask, shard_summary

logger = logging.getLogger(__name__)

ENGINES = ("local", "dask")


@dataclass
class BatchResult:
    """What a finished run did; the same numbers are in ``_manifest.json``."""

    output_dir: Path
    shards: int
    resumed_shards: int
    transcripts: int
    utterances: int
    words: int
    rejected: int
    seconds: float


def default_workers() -> int:
    """The cores this process may use (respects CPU affinity, e.g. in containers)."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


def run(
    inputs: str | os.PathLike[str] | Iterable[str | os.PathLike[str]],
    output_dir: str | os.PathLike[str],
    *,
    workers: int | None = None,
    engine: str = "local",
    scheduler: str | None = None,
    client: Any = None,
    shard_size: int = DEFAULT_SHARD_SIZE,
    format: str | None = None,
    agent_speaker: str | None = None,
    base: str | os.PathLike[str] | None = None,
    pipeline: str | os.PathLike[str] | None = None,
    scorer: str | os.PathLike[str] | None = None,
    trust_model: bool = False,
    overwrite: bool = False,
    progress: str | bool = "auto",
    log_interval: float = 30.0,
) -> BatchResult:
    """Tag and score every transcript of ``inputs`` into Parquet shards in ``output_dir``.

    Args:
        inputs: files, directories (searched recursively) and glob patterns, in any of the
            input formats.
        output_dir: gets ``part-XXXXX.parquet``, ``errors.jsonl`` and ``_manifest.json``.
            Running again with the same arguments finishes an interrupted run.
        workers: local engine: worker processes (default: the machine's cores; 1 scores
            in this process). Dask engine without ``scheduler``: size of the local cluster.
        engine: ``"local"`` or ``"dask"``.
        scheduler: Dask scheduler address (``tcp://host:8786``); or pass ``client``.
        shard_size: transcripts per shard; part of the job's identity.
        format, agent_speaker: as for :func:`klantfocus.iter_transcripts`.
        base, pipeline, scorer, trust_model: which models, as in the CLI.
        overwrite: clear an output directory that holds another job's output.
        progress: ``"auto"`` (a bar on a terminal, log lines otherwise), ``"bar"``,
            ``"log"``, or ``"none"``/False.
        log_interval: seconds between progress log lines.
    """
    started = time.monotonic()
    arguments = [inputs] if isinstance(inputs, str | os.PathLike) else list(inputs)
    if not arguments:
        raise ValueError("no inputs given")
    if engine not in ENGINES:
        raise ValueError(f"engine must be one of {ENGINES}, not {engine!r}")
    if shard_size < 1:
        raise ValueError("shard_size must be at least 1")
    workers = workers or default_workers()
    if workers < 1:
        raise ValueError("workers must be at least 1")
    output = Path(output_dir).absolute()
    mode = choose_mode(progress)

    files = resolve_inputs(arguments, format=format, exclude=output)
    job = job_fingerprint(files, shard_size=shard_size, agent_speaker=agent_speaker)
    _prepare_output_dir(output, job, overwrite=overwrite)
    options = ModelOptions(
        base=None if base is None else str(base),
        pipeline=None if pipeline is None else str(pipeline),
        scorer=None if scorer is None else str(scorer),
        trust_model=trust_model,
    )
    runner = _make_engine(engine, options, workers=workers, scheduler=scheduler, client=client)
    try:
        models = runner.models()
        finished = _finished_shards(output, job, models)
        tracker = Progress(
            mode,
            total=_estimated_transcripts(files),
            initial=sum(r["planned"] for r in finished.values()),
            log_interval=log_interval,
        )
        try:
            summaries, resumed = _score_shards(
                runner,
                files,
                finished,
                tracker,
                _Job(output, job, options, models, shard_size, agent_speaker),
            )
        finally:
            tracker.close()
    finally:
        runner.close()

    rejected = _write_errors(output, len(summaries))
    _remove_stale_shards(output, len(summaries))
    result = BatchResult(
        output_dir=output,
        shards=len(summaries),
        resumed_shards=resumed,
        transcripts=sum(s["transcripts"] for s in summaries),
        utterances=sum(s["rows"] for s in summaries),
        words=sum(s["words"] for s in summaries),
        rejected=rejected,
        seconds=round(time.monotonic() - started, 3),
    )
    manifest = {
        "layout": LAYOUT_VERSION,
        "shard_layout": SHARD_LAYOUT,
        "status": "complete",
        "job": job,
        "klantfocus_version": __version__,
        "models": models,
        "options": {
            "shard_size": shard_size,
            "format": format,
            "agent_speaker": agent_speaker,
            "engine": engine,
            "workers": workers if scheduler is None and client is None else None,
        },
        "inputs": [f.manifest_record() for f in files],
        "counts": {
            "input_files": sum(f.readable for f in files),
            "unreadable_inputs": sum(not f.readable for f in files),
            "transcripts": result.transcripts,
            "utterances": result.utterances,
            "words": result.words,
            "rejected": result.rejected,
            "shards": result.shards,
            "resumed_shards": result.resumed_shards,
        },
        "shards": summaries,
        "errors_file": ERRORS_FILE,
        "finished_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "seconds": result.seconds,
    }
    with atomic_text_file(output / MANIFEST_FILE) as handle:
        handle.write(json.dumps(manifest, indent=2, ensure_ascii=False) + "\n")
    return result


def _make_engine(
    engine: str, options: ModelOptions, *, workers: int, scheduler: str | None, client: Any
) -> Any:
    if engine == "dask":
        from .dask_engine import DaskEngine

        return DaskEngine(options, scheduler=scheduler, client=client, workers=workers)
    if scheduler is not None or client is not None:
        raise ValueError("a Dask scheduler or client needs engine='dask'")
    from .local import ProcessPoolEngine, SerialEngine

    return SerialEngine(options) if workers == 1 else ProcessPoolEngine(options, workers)


def _estimated_transcripts(files: Sequence[InputFile]) -> int | None:
    """The progress total; a file that could not be estimated counts as empty."""
    total = sum(f.transcripts_estimate or 0 for f in files if f.readable)
    return total or None


def _errors_digest(errors: list[dict[str, Any]]) -> str:
    return hashlib.sha256(json.dumps(errors, sort_keys=True).encode("utf-8")).hexdigest()


def _prepare_output_dir(output: Path, job: str, *, overwrite: bool) -> None:
    """Claim ``output`` for this job: resume our own files, refuse or clear anyone else's."""
    output.mkdir(parents=True, exist_ok=True)
    job_file = output / JOB_FILE
    try:
        previous = json.loads(job_file.read_text("utf-8")).get("job")
    except (OSError, ValueError, AttributeError):
        previous = None
    ours = [*output.glob(SHARD_GLOB), output / MANIFEST_FILE, output / ERRORS_FILE, job_file]
    foreign = previous != job and any(p.exists() for p in ours)
    if foreign and not overwrite:
        raise KlantfocusError(
            f"{output} holds the output of another batch job (other inputs or options); "
            "choose another output directory, or pass --overwrite to replace it"
        )
    if foreign:
        for path in ours:
            path.unlink(missing_ok=True)
    # The manifest marks a complete run; leftovers of a killed writer are removed.
    (output / MANIFEST_FILE).unlink(missing_ok=True)
    for leftover in output.glob(".*.tmp"):
        if leftover.name.startswith((".part-", f".{MANIFEST_FILE}.", f".{ERRORS_FILE}.")):
            leftover.unlink(missing_ok=True)
    if previous != job:
        with atomic_text_file(job_file) as handle:
            json.dump({"layout": LAYOUT_VERSION, "job": job}, handle)
            handle.write("\n")


def _finished_shards(output: Path, job: str, models: dict[str, Any]) -> dict[int, dict[str, Any]]:
    """Shards an earlier run of this job finished with these models, by index."""
    finished = {}
    for path in sorted(output.glob(SHARD_GLOB)):
        record = read_shard_record(path)
        if record is None or record.get("job") != job or path.name != shard_name(record["index"]):
            logger.warning("%s is not a finished shard of this job; it will be redone", path.name)
            continue
        if record.get("layout") != SHARD_LAYOUT:
            logger.warning(
                "%s was written by an older klantfocus (no input_file column); it will be redone",
                path.name,
            )
            continue
        if record.get("models") != models:
            logger.warning("%s was made with other models; it will be redone", path.name)
            continue
        finished[record["index"]] = {
            "planned": record["planned"],
            "ids_sha256": record["ids_sha256"],
            "input_errors": _errors_digest(record["input_errors"]),
            "summary": shard_summary(record),
        }
    return finished


@dataclass(frozen=True)
class _Job:
    """What every shard of one run shares."""

    output: Path
    fingerprint: str
    options: ModelOptions
    models: dict[str, Any]
    shard_size: int
    agent_speaker: str | None


def _score_shards(
    runner: Any,
    files: Sequence[InputFile],
    finished: dict[int, dict[str, Any]],
    tracker: Progress,
    job: _Job,
) -> tuple[list[dict[str, Any]], int]:
    """Stream the planned shards to the engine, at most ``max_in_flight`` alive at once."""
    summaries: dict[int, dict[str, Any]] = {}
    pending: dict[Any, int] = {}  # handle -> transcripts in the shard
    resumed = 0

    def collect(handles: Iterable[Any]) -> None:
        for handle in handles:
            planned = pending.pop(handle)
            result = runner.result(handle)
            if result.models != job.models:
                raise KlantfocusError(
                    f"{result.summary['file']} was scored by a worker with other models than "
                    "the others; install the same klantfocus and models on every worker"
                )
            summaries[result.index] = result.summary
            tracker.advance(planned, result.summary["rows"])

    try:
        for shard in plan_shards(files, job.shard_size, agent_speaker=job.agent_speaker):
            done = finished.get(shard.index)
            if (
                done is not None
                and done["ids_sha256"] == shard.ids_digest()
                and done["input_errors"] == _errors_digest(shard.input_errors)
            ):
                summaries[shard.index] = done["summary"]
                resumed += 1
                continue
            if done is not None:
                logger.warning("%s does not match its input any more; redoing it", shard.name)
            while len(pending) >= runner.max_in_flight:
                collect(runner.wait(pending))
            task = ShardTask(shard, str(job.output), job.fingerprint, job.options)
            pending[runner.submit(task)] = len(shard.transcripts)
        while pending:
            collect(runner.wait(pending))
    except BaseException:
        for handle in pending:
            handle.cancel()
        raise
    if sorted(summaries) != list(range(len(summaries))):  # pragma: no cover - a bug guard
        raise KlantfocusError(f"shards missing from the run: {sorted(summaries)}")
    return [summaries[i] for i in range(len(summaries))], resumed


def _write_errors(output: Path, shards: int) -> int:
    """Gather the errors stored in the shard files into ``errors.jsonl``, in shard order."""
    count = 0
    with atomic_text_file(output / ERRORS_FILE) as handle:
        for index in range(shards):
            record = read_shard_record(output / shard_name(index))
            if record is None:
                raise KlantfocusError(f"{output / shard_name(index)} vanished during the run")
            for error in [*record["input_errors"], *record["processing_errors"]]:
                handle.write(json.dumps({**error, "shard": shard_name(index)}, ensure_ascii=False))
                handle.write("\n")
                count += 1
    return count


def _remove_stale_shards(output: Path, shards: int) -> None:
    """Remove shard files beyond this job's last shard (never read, but confusing)."""
    expected = {shard_name(i) for i in range(shards)}
    for path in output.glob(SHARD_GLOB):
        if path.name not in expected:
            path.unlink(missing_ok=True)
