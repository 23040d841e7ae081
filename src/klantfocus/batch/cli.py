"""``klantfocus batch``: score many transcripts into Parquet shards, resumably, in parallel."""

from __future__ import annotations

import argparse
import logging
import shutil
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager, nullcontext
from typing import Any

from .output import ERRORS_FILE
from .sharding import DEFAULT_SHARD_SIZE

EXIT_OK, EXIT_BAD_INPUT = 0, 2

DESCRIPTION = (
    "Tag and score every transcript in the inputs (files, directories, glob patterns; any "
    "input format) into OUTDIR: Parquet shards part-XXXXX.parquet (one row per utterance with "
    "tags, evidence, mindset, score and explanation), errors.jsonl (rejected transcripts and "
    "unreadable files) and _manifest.json (inputs with SHA-256, model versions, counts). "
    "A run that was interrupted is finished by running the same command again."
)


def _positive(text: str) -> int:
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError("must be at least 1")
    return value


def register(subparsers: Any, common: Any) -> tuple[str, Callable[[argparse.Namespace], int]]:
    """Add the ``batch`` command (called by :func:`klantfocus.cli.build_parser`)."""
    parser = subparsers.add_parser(
        "batch", help="score many transcripts into Parquet shards", description=DESCRIPTION
    )
    common.add_input_options(parser)
    for action in parser._actions:  # the shared options mean something slightly different here
        if action.dest == "inputs":
            action.help = "input files, directories (searched recursively) or glob patterns"
        elif action.dest == "skip_invalid":
            action.help = "always on for batch: bad transcripts are listed in OUTDIR/errors.jsonl"
        elif action.dest == "errors":
            action.help = "also copy OUTDIR/errors.jsonl to FILE at the end"
    common.add_model_options(parser)
    common.add_scorer_options(parser)
    parser.add_argument("-o", "--output", required=True, metavar="OUTDIR", help="output directory")
    parser.add_argument(
        "--workers",
        type=_positive,
        metavar="N",
        help="worker processes, each loading the models once (default: the machine's cores)",
    )
    parser.add_argument(
        "--engine",
        choices=("local", "dask"),
        default="local",
        help="local processes, or a dask.distributed cluster (default: local)",
    )
    parser.add_argument(
        "--scheduler",
        metavar="ADDRESS",
        help="Dask scheduler, e.g. tcp://10.0.0.5:8786 (--engine dask; without it a local "
        "Dask cluster of --workers processes is started)",
    )
    parser.add_argument(
        "--shard-size",
        type=_positive,
        default=DEFAULT_SHARD_SIZE,
        metavar="N",
        help="transcripts per shard (default: %(default)s); changing it starts a new job",
    )
    parser.add_argument(
        "--overwrite",
        action="store_true",
        help="replace OUTDIR's contents if it holds the output of another job",
    )
    parser.add_argument(
        "--log-interval",
        type=float,
        default=30.0,
        metavar="SECONDS",
        help="seconds between progress log lines when stderr is not a terminal (default: 30)",
    )
    parser.add_argument("-q", "--quiet", action="store_true", help="no progress output")
    return "batch", handle


@contextmanager
def _progress_lines_on_stderr() -> Iterator[None]:
    """Progress lines go to stderr at INFO, though the CLI logs WARNING and up otherwise."""
    progress_logger = logging.getLogger("klantfocus.batch.progress")
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("%(asctime)s klantfocus batch: %(message)s"))
    level, propagate = progress_logger.level, progress_logger.propagate
    progress_logger.addHandler(handler)
    progress_logger.setLevel(logging.INFO)
    progress_logger.propagate = False
    try:
        yield
    finally:
        progress_logger.removeHandler(handler)
        progress_logger.setLevel(level)
        progress_logger.propagate = propagate


def handle(args: argparse.Namespace) -> int:
    from .runner import run

    if args.scheduler and args.engine != "dask":
        print("klantfocus: error: --scheduler needs --engine dask", file=sys.stderr)
        return EXIT_BAD_INPUT
    with nullcontext() if args.quiet else _progress_lines_on_stderr():
        result = run(
            args.inputs,
            args.output,
            workers=args.workers,
            engine=args.engine,
            scheduler=args.scheduler,
            shard_size=args.shard_size,
            format=args.format,
            agent_speaker=args.agent_speaker,
            base=args.base,
            pipeline=args.pipeline,
            scorer=args.scorer,
            trust_model=args.trust_model,
            overwrite=args.overwrite,
            progress="none" if args.quiet else "auto",
            log_interval=args.log_interval,
        )
    if args.errors:
        shutil.copyfile(result.output_dir / ERRORS_FILE, args.errors)
    if not args.quiet:
        resumed = (
            f", {result.resumed_shards} kept from an earlier run" if result.resumed_shards else ""
        )
        print(
            f"scored {result.transcripts} transcript(s), {result.utterances} utterance(s) into "
            f"{result.shards} shard(s) in {result.output_dir}{resumed}; "
            f"{result.rejected} rejected ({ERRORS_FILE})",
            file=sys.stderr,
        )
    if result.transcripts == 0:
        print(
            f"klantfocus: error: no transcript could be scored; see {ERRORS_FILE}", file=sys.stderr
        )
        return EXIT_BAD_INPUT
    return EXIT_OK
