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


def _read_inputs(
    args: argparse.Namespace, rejected: list[RejectedTranscript]
) -> list[tuple[Transcript, str, int]]:
    """Every transcript of every input with its file and number in that file.

    Files are read like ``klantfocus score`` reads them: with ``--skip-invalid`` a bad
    transcript or an unreadable file goes to ``rejected`` and reading goes on.
    """
    from ..cli import _read_all

    located: list[tuple[Transcript, str, int]] = []
    for name in args.inputs:
        path = Path(name)
        if path.is_dir():
            batch = read_batch_output(path)
            located.extend((t, name, number) for number, t in enumerate(batch, 1))
            continue
        for transcript, source, number in _read_all(
            argparse.Namespace(**{**vars(args), "inputs": [name]}), rejected
        ):
            # Ids are unique within a file only; the report names the file of each call.
            meta = transcript.meta or {}
            if not meta.get("input_file"):
                transcript.meta = {**meta, "input_file": str(path.absolute())}
            located.append((transcript, source, number))
    return located


def _warn_repeated_ids(transcripts: list[Transcript]) -> None:
    """Say on stderr when calls of different files share an id (they are kept apart)."""
    from .document import repeated_ids

    repeated = repeated_ids(transcripts)
    if repeated:
        with_file = all((t.meta or {}).get("input_file") for t in transcripts if t.id in repeated)
        where = (
            "in different input files; the report shows them as separate conversations, "
            "each with its file"
            if with_file
            else "(batch output without input files: calls were told apart where their "
            "utterance numbering starts again); the report shows them as separate conversations"
        )
        print(
            f"note: {len(repeated)} conversation id(s) occur more than once (first: "
            f"{repeated[0]!r}), {where}",
            file=sys.stderr,
        )


def _score_missing(
    args: argparse.Namespace,
    located: list[tuple[Transcript, str, int]],
    rejected: list[RejectedTranscript],
) -> list[Transcript]:
    """Tag and score the transcripts without a score (all of them with ``--rescore``).

    A transcript that cannot be tagged or scored (too long, no agent utterances) raises
    with its file and place, or with ``--skip-invalid`` goes to ``rejected``.
    """
    todo = [item for item in located if args.rescore or item[0].mindset_score is None]
    if not todo:
        return [t for t, _, _ in located]
    from ..api import tag
    from ..cli import _checked
    from ..pipeline.loading import load
    from ..scoring.model import load_scorer

    nlp = load(args.base, pipeline=args.pipeline)
    scorer = load_scorer(args.scorer, trust=args.trust_model) if args.scorer else load_scorer()
    ready = list(_checked(args, todo, rejected, nlp=nlp, scoring=True))
    scored = {id(t): s for t, s in zip(ready, scorer.score(tag(ready, nlp)), strict=True)}
    todo_ids = {id(t) for t, _, _ in todo}
    result = [
        scored.get(id(t), t) for t, _, _ in located if id(t) not in todo_ids or id(t) in scored
    ]
    logger.info("tagged and scored %d of %d transcript(s)", len(ready), len(located))
    return result


def run_report(args: argparse.Namespace) -> int:
    """Read, score where needed, and write the report; bad input raises for exit code 2."""
    from ..io import write_errors
    from .document import write_report

    rejected: list[RejectedTranscript] = []
    transcripts = _score_missing(args, _read_inputs(args, rejected), rejected)
    _warn_repeated_ids(transcripts)
    target = write_report(transcripts, args.output, title=args.title, page_size=args.page_size)
    if rejected:
        errors = args.errors or f"{args.output}.errors.jsonl"
        write_errors(rejected, errors)
        print(
            f"skipped {len(rejected)} invalid transcript(s) or file(s); reasons in {errors}",
            file=sys.stderr,
        )
    size_mb = target.stat().st_size / 1e6
    print(f"wrote {target}: {len(transcripts)} conversation(s), {size_mb:.1f} MB")
    return EXIT_OK
