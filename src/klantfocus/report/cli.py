"""``klantfocus report IN... -o report.html``: the HTML report from the command line.

Inputs are transcript files in any readable format, or folders written by the batch
engine (``part-*.parquet``). Transcripts that are already scored (``klantfocus score``
JSONL output, batch output) are shown as they are; the others are tagged and scored
first, with the same model options as ``klantfocus score``.
"""

from __future__ import annotations

import argparse
import logging
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

from ..errors import RejectedTranscript, TranscriptFormatError
from ..transcript import Transcript
from .document import DEFAULT_PAGE_SIZE, DEFAULT_TITLE

logger = logging.getLogger("klantfocus.report")

EXIT_OK = 0


def _positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a whole number: {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError("must be at least 1")
    return value


def register(subparsers: Any, common: Any) -> tuple[str, Callable[[argparse.Namespace], int]]:
    """Add the ``report`` command to the ``klantfocus`` parser."""
    parser = subparsers.add_parser(
        "report",
        help="self-contained HTML report",
        description="Write one self-contained HTML report (Dutch) with an overview (score "
        "distribution, tag rates, a sortable per-agent table) and a section per conversation. "
        "IN may also be a batch output folder (part-*.parquet). Unscored transcripts are tagged "
        "and scored first.",
    )
    common.add_input_options(parser)
    common.add_model_options(parser)
    common.add_scorer_options(parser)
    parser.add_argument(
        "-o", "--output", required=True, metavar="OUT", help="the HTML file to write"
    )
    parser.add_argument("--title", default=DEFAULT_TITLE, help="title of the report")
    parser.add_argument(
        "--page-size",
        type=_positive_int,
        default=DEFAULT_PAGE_SIZE,
        metavar="N",
        help=f"conversations per page (default {DEFAULT_PAGE_SIZE})",
    )
    parser.add_argument(
        "--rescore",
        action="store_true",
        help="tag and score again even when the input is already scored",
    )
    return "report", run_report


def read_batch_output(folder: Path) -> list[Transcript]:
    """Scored transcripts from a finished batch output folder (``klantfocus.batch``)."""
    from ..batch import read_output
    from .frames import transcripts_from_frame

    if not any(folder.glob("part-*.parquet")) and not (folder / "_manifest.json").exists():
        raise TranscriptFormatError(
            str(folder),
            "",
            "a folder must be the output of 'klantfocus batch' (part-*.parquet, _manifest.json); "
            "give transcript files by name",
        )
    return transcripts_from_frame(read_output(folder))


def _read_inputs(args: argparse.Namespace, rejected: list[RejectedTranscript]) -> list[Transcript]:
    from ..io import iter_transcripts

    on_invalid = rejected.append if args.skip_invalid else None
    transcripts: list[Transcript] = []
    for name in args.inputs:
        path = Path(name)
        if path.is_dir():
            transcripts.extend(read_batch_output(path))
        else:
            transcripts.extend(
                iter_transcripts(
                    path,
                    format=args.format,
                    agent_speaker=args.agent_speaker,
                    on_invalid=on_invalid,
                )
            )
    return transcripts


def _score_missing(args: argparse.Namespace, transcripts: list[Transcript]) -> list[Transcript]:
    """Tag and score the transcripts without a score (all of them with ``--rescore``)."""
    todo = [i for i, t in enumerate(transcripts) if args.rescore or t.mindset_score is None]
    if not todo:
        return transcripts
    from ..api import tag
    from ..pipeline.loading import load
    from ..scoring.model import load_scorer

    nlp = load(args.base, pipeline=args.pipeline)
    scorer = load_scorer(args.scorer, trust=args.trust_model) if args.scorer else load_scorer()
    scored = scorer.score(tag([transcripts[i] for i in todo], nlp))
    result = list(transcripts)
    for index, transcript in zip(todo, scored, strict=True):
        result[index] = transcript
    logger.info("tagged and scored %d of %d transcript(s)", len(todo), len(transcripts))
    return result


def run_report(args: argparse.Namespace) -> int:
    """Read, score where needed, and write the report; bad input raises for exit code 2."""
    from ..io import write_errors
    from .document import write_report

    rejected: list[RejectedTranscript] = []
    transcripts = _score_missing(args, _read_inputs(args, rejected))
    target = write_report(transcripts, args.output, title=args.title, page_size=args.page_size)
    if rejected:
        errors = args.errors or f"{args.output}.errors.jsonl"
        write_errors(rejected, errors)
        print(
            f"skipped {len(rejected)} invalid transcript(s); reasons in {errors}", file=sys.stderr
        )
    size_mb = target.stat().st_size / 1e6
    print(f"wrote {target}: {len(transcripts)} conversation(s), {size_mb:.1f} MB")
    return EXIT_OK
