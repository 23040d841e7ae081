"""The ``klantfocus`` command line: tag, score and evaluate transcripts.

Exit codes: 0 success, 1 unexpected failure, 2 bad input or usage (the message names
the file, the line or row and the problem).
"""

from __future__ import annotations

import argparse
import functools
import importlib
import json
import logging
import os
import sys
from collections.abc import Callable, Iterable, Iterator, Sequence
from pathlib import Path
from typing import Any

from .about import __version__
from .constants import INPUT_FORMATS, OUTPUT_FORMATS, TAGS
from .errors import (
    KlantfocusError,
    RejectedTranscript,
    TranscriptFormatError,
    UnprocessableTranscript,
)
from .transcript import Transcript

logger = logging.getLogger("klantfocus")

EXIT_OK, EXIT_FAILURE, EXIT_BAD_INPUT = 0, 1, 2

#: Suffixes of the agents table (-o).
AGENT_TABLE_SUFFIXES: dict[str, str] = {".csv": "csv", ".parquet": "parquet", ".pq": "parquet"}

NOT_SCORED_HINT = (
    "--scored needs the JSONL output of 'klantfocus score' (CSV and Parquet score output is "
    "read back without the scores); leave out --scored to tag and score again"
)

#: Modules that add a subcommand: each has ``register(subparsers, common) -> (name, handler)``.
EXTRA_COMMAND_MODULES: tuple[str, ...] = ("klantfocus.report.cli", "klantfocus.batch.cli")


def _add_input_options(parser: argparse.ArgumentParser, *, many: bool = True) -> None:
    parser.add_argument("inputs", nargs="+" if many else None, metavar="IN", help="input file(s)")
    parser.add_argument(
        "--format",
        choices=sorted(INPUT_FORMATS),
        help="input format (default: from the file extension)",
    )
    parser.add_argument(
        "--agent-speaker", metavar="NAME", help="WebVTT: the voice name that is the agent"
    )
    parser.add_argument(
        "--skip-invalid",
        action="store_true",
        help="skip bad transcripts instead of stopping; they are listed in the errors file",
    )
    parser.add_argument(
        "--errors",
        metavar="FILE",
        help="where --skip-invalid writes rejected transcripts (default: OUT.errors.jsonl)",
    )


def _add_model_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--base",
        metavar="NAME_OR_PATH",
        help="run on another Dutch spaCy pipeline, e.g. nl_core_news_sm",
    )
    parser.add_argument(
        "--pipeline",
        metavar="DIR",
        help="a klantfocus pipeline directory other than the shipped one",
    )


def _add_scorer_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--scorer", metavar="DIR", help="a scorer folder other than the shipped one"
    )
    parser.add_argument(
        "--trust-model",
        action="store_true",
        help="allow loading a scorer that is not shipped with klantfocus (unpickling runs code)",
    )


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of all commands (extra commands register themselves)."""
    parser = argparse.ArgumentParser(
        prog="klantfocus",
        description="Tag Dutch customer-service conversations and score the employee's customer focus.",
    )
    parser.add_argument("--version", action="version", version=f"klantfocus {__version__}")
    parser.add_argument("-v", "--verbose", action="store_true", help="more log output")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    tag = sub.add_parser(
        "tag",
        help="tag agent utterances",
        description="Tag every agent utterance with the codebook tags and evidence spans.",
    )
    _add_input_options(tag)
    _add_model_options(tag)
    tag.add_argument(
        "-o", "--output", required=True, metavar="OUT", help="output file (.jsonl, .csv, .parquet)"
    )
    tag.add_argument(
        "--output-format", choices=sorted(OUTPUT_FORMATS), help="output format (default: from OUT)"
    )

    score = sub.add_parser(
        "score",
        help="tag and score mindset",
        description="Tag utterances and score each transcript's mindset (0-100, probability of klantgericht). "
        "Prints a table per transcript; with -o also writes the results.",
    )
    _add_input_options(score)
    _add_model_options(score)
    _add_scorer_options(score)
    score.add_argument("-o", "--output", metavar="OUT", help="output file (.jsonl, .csv, .parquet)")
    score.add_argument(
        "--output-format", choices=sorted(OUTPUT_FORMATS), help="output format (default: from OUT)"
    )
    score.add_argument("-q", "--quiet", action="store_true", help="do not print the table")

    evaluate = sub.add_parser(
        "evaluate",
        help="evaluate against gold annotations",
        description="Tag and score gold transcripts and report per-tag precision, recall, F1, support, "
        "macro-F1, jargon span F1, mindset accuracy, ROC AUC, Brier and Spearman against mindset_rating.",
    )
    evaluate.add_argument(
        "gold", metavar="GOLD", help="gold transcripts (JSONL with labels and mindset)"
    )
    evaluate.add_argument(
        "--predictions",
        metavar="FILE",
        help="evaluate this prediction file instead of running the models",
    )
    evaluate.add_argument("--json", action="store_true", help="print the report as JSON")
    _add_model_options(evaluate)
    _add_scorer_options(evaluate)
    agents = sub.add_parser(
        "agents",
        help="per-agent table",
        description="Tag and score transcripts and write one row per agent (meta.agent_id, or an "
        "'agent_id' column): calls, mean score with 95% confidence interval, tag rates and the most "
        "frequent coaching theme. Prints the table; -o writes CSV or Parquet.",
    )
    _add_input_options(agents)
    _add_model_options(agents)
    _add_scorer_options(agents)
    agents.add_argument("-o", "--output", metavar="OUT", help="output table (.csv or .parquet)")
    agents.add_argument(
        "--scored",
        action="store_true",
        help="inputs are already scored (JSONL output of klantfocus score): do not tag again. "
        "CSV and Parquet score output is read back without the scores, so it cannot be used here",
    )
    for module in EXTRA_COMMAND_MODULES:
        name, handler = importlib.import_module(module).register(sub, common=COMMON_OPTIONS)
        COMMANDS[name] = handler
    return parser


class _CommonOptions:
    """Option groups shared with the extra command modules."""

    add_input_options = staticmethod(_add_input_options)
    add_model_options = staticmethod(_add_model_options)
    add_scorer_options = staticmethod(_add_scorer_options)


COMMON_OPTIONS = _CommonOptions()


Located = tuple[Transcript, str, int]
"""A transcript with its file and its number in that file (1-based, bad ones counted)."""


def _read_all(
    args: argparse.Namespace, rejected: list[RejectedTranscript], *, unique_ids: bool = False
) -> Iterator[Located]:
    """Every transcript of every input, with where it came from.

    With --skip-invalid, bad transcripts and unreadable files go to ``rejected`` and
    reading goes on with the next transcript or file; without it the first one raises.
    ``unique_ids``: a transcript whose id an earlier input file already had is an error
    too (the readers check ids within one file): one output file must not hold two
    calls under one id, which would merge them when the output is read back.
    """
    from .io import iter_transcripts

    first_file: dict[str, str] = {}
    for path in args.inputs:
        number = 0

        def on_invalid(item: RejectedTranscript) -> None:
            nonlocal number
            number += 1
            rejected.append(item)

        try:
            for transcript in iter_transcripts(
                path,
                format=args.format,
                agent_speaker=args.agent_speaker,
                on_invalid=on_invalid if args.skip_invalid else None,
            ):
                number += 1
                earlier = first_file.setdefault(transcript.id, path) if unique_ids else path
                if earlier != path:
                    error = TranscriptFormatError(
                        path,
                        _position(transcript, path, args.format, number),
                        f"transcript id {transcript.id!r} is also in {earlier}; ids must be "
                        "unique across the inputs of one run, or the calls merge in the "
                        "output (give the files separate runs, or use 'klantfocus batch', "
                        "which records each call's input file)",
                        transcript.id,
                    )
                    _reject(args, rejected, error)
                    continue
                yield transcript, path, number
        except (TranscriptFormatError, OSError) as exc:
            error = (
                exc
                if isinstance(exc, TranscriptFormatError)
                else TranscriptFormatError(path, "", f"cannot read the file: {exc.strerror or exc}")
            )
            if not args.skip_invalid:
                raise error from None
            print(f"klantfocus: warning: {error}; skipping the file", file=sys.stderr)
            rejected.append(RejectedTranscript.from_error(error))


def _position(transcript: Transcript, path: str, format: str | None, number: int) -> str:
    """Where the ``number``-th transcript of a file is: the position the reader gave it
    (its rows in CSV and Parquet), its line in JSONL, else its number."""
    from .io import detect_format

    if transcript.position:
        return transcript.position
    try:
        jsonl = detect_format(path, format) == "jsonl"
    except TranscriptFormatError:
        jsonl = False
    if jsonl:  # the JSONL reader makes one transcript (or one error) of each non-blank line
        stat = os.stat(path)
        lines = _jsonl_record_lines(path, stat.st_mtime_ns, stat.st_size)
        if number <= len(lines):
            return f"line {lines[number - 1]}"
    return f"transcript {number}"


@functools.lru_cache(maxsize=4)
def _jsonl_record_lines(path: str, mtime_ns: int, size: int) -> tuple[int, ...]:
    """The numbers of a JSONL file's non-blank lines, read once per file (not per error);
    the modification time and size in the cache key make a changed file be read again."""
    with open(path, "rb") as handle:
        return tuple(
            line_no
            for line_no, raw in enumerate(handle, 1)
            if raw.decode("utf-8", "replace").lstrip("\ufeff").strip()
        )


def _checked(
    args: argparse.Namespace,
    items: Iterable[Located],
    rejected: list[RejectedTranscript],
    *,
    nlp: Any = None,
    scoring: bool = False,
    scored: bool = False,
) -> Iterator[Transcript]:
    """The transcripts that can be processed; the others raise or, with --skip-invalid, are rejected.

    Checks that the transcript fits the pipeline (``nlp``), that it has agent
    utterances (``scoring``) or that it holds a score (``scored``), so that one such
    transcript is reported with its file and place instead of failing the whole run.
    """
    from .api import check_taggable
    from .scoring.model import check_scorable

    for transcript, source, number in items:
        try:
            if scored and transcript.mindset_score is None:
                raise UnprocessableTranscript(
                    transcript.id, f"transcript is not scored; {NOT_SCORED_HINT}"
                )
            if nlp is not None:
                check_taggable(transcript, nlp)
            if scoring:
                check_scorable(transcript)
        except UnprocessableTranscript as exc:
            position = _position(transcript, source, getattr(args, "format", None), number)
            _reject(
                args, rejected, TranscriptFormatError(source, position, exc.reason, transcript.id)
            )
            continue
        yield transcript


def _reject(
    args: argparse.Namespace, rejected: list[RejectedTranscript], error: TranscriptFormatError
) -> None:
    """Raise ``error``, or with --skip-invalid list it in ``rejected`` and go on."""
    if not getattr(args, "skip_invalid", False):
        raise error
    rejected.append(RejectedTranscript.from_error(error))


def _nlp(args: argparse.Namespace) -> Any:
    from .pipeline.loading import load

    return load(args.base, pipeline=args.pipeline)


def _scorer(args: argparse.Namespace) -> Any:
    from .scoring.model import load_scorer

    return load_scorer(args.scorer, trust=args.trust_model) if args.scorer else load_scorer()


def _finish_rejected(args: argparse.Namespace, rejected: list[RejectedTranscript]) -> None:
    if not rejected:
        return
    from .io import write_errors

    target = args.errors or (
        f"{args.output}.errors.jsonl"
        if getattr(args, "output", None)
        else "klantfocus-errors.jsonl"
    )
    write_errors(rejected, target)
    print(
        f"skipped {len(rejected)} invalid transcript(s) or file(s); reasons in {target}",
        file=sys.stderr,
    )


def _table(transcripts: Sequence[Any]) -> str:
    short = {
        "open_question": "open",
        "summary": "samenv",
        "premature_solution": "voorbar",
        "jargon": "jargon",
        "opinion": "mening",
    }
    width = max([len("transcript")] + [len(t.id) for t in transcripts])
    header = f"{'transcript':<{width}}  {'mindset':<13}{'score':>6}" + "".join(
        f"{short[t]:>9}" for t in TAGS
    )
    lines = [header, "-" * len(header)]
    for t in transcripts:
        counts = [sum(tag in (u.labels or []) for u in t.utterances) for tag in TAGS]
        score = "" if t.mindset_score is None else f"{t.mindset_score:.0f}"
        lines.append(
            f"{t.id:<{width}}  {t.mindset or '':<13}{score:>6}" + "".join(f"{c:>9}" for c in counts)
        )
    return "\n".join(lines)


def _cmd_tag(args: argparse.Namespace) -> int:
    from .api import iter_tagged
    from .io import TranscriptWriter

    rejected: list[RejectedTranscript] = []
    nlp = _nlp(args)
    items = _read_all(args, rejected, unique_ids=True)
    with TranscriptWriter(args.output, format=args.output_format) as writer:
        writer.write_all(iter_tagged(_checked(args, items, rejected, nlp=nlp), nlp))
    _finish_rejected(args, rejected)
    logger.info("tagged %d transcript(s) into %s", writer.count, args.output)
    return _nothing_done(rejected) if writer.count == 0 else EXIT_OK


def _cmd_score(args: argparse.Namespace) -> int:
    from .api import iter_tagged
    from .io import TranscriptWriter

    rejected: list[RejectedTranscript] = []
    nlp, scorer = _nlp(args), _scorer(args)
    items = _read_all(args, rejected, unique_ids=True)
    todo = _checked(args, items, rejected, nlp=nlp, scoring=True)
    scored = scorer.score(list(iter_tagged(todo, nlp)))
    if args.output:
        with TranscriptWriter(args.output, format=args.output_format) as writer:
            writer.write_all(scored)
    _finish_rejected(args, rejected)
    if not args.quiet:
        print(_table(scored))
    return _nothing_done(rejected) if not scored else EXIT_OK


def _nothing_done(rejected: list[RejectedTranscript]) -> int:
    """Exit status of a run that processed no transcript: bad input if all were rejected."""
    if not rejected:
        return EXIT_OK  # empty input, nothing to reject
    print("klantfocus: error: no transcript could be processed", file=sys.stderr)
    return EXIT_BAD_INPUT


def _cmd_evaluate(args: argparse.Namespace) -> int:
    from .errors import EvaluationError
    from .evaluation import check_gold, evaluate, format_report
    from .io import read_transcripts

    gold = read_transcripts(args.gold)
    try:
        check_gold(gold)
    except EvaluationError as exc:
        raise TranscriptFormatError(args.gold, "", exc.reason) from None
    if args.predictions:
        predicted = read_transcripts(args.predictions)
        if any(g.mindset for g in gold) and all(p.mindset_score is None for p in predicted):
            print(
                f"klantfocus: warning: {args.predictions} holds no mindset scores, so the "
                "mindset metrics are left out (CSV and Parquet are read without the scores; "
                "use the JSONL output of 'klantfocus score')",
                file=sys.stderr,
            )
        if not any(u.labels for p in predicted for u in p.utterances):
            print(
                f"klantfocus: warning: {args.predictions} holds no tags at all; is it the "
                "output of 'klantfocus tag' or 'klantfocus score'?",
                file=sys.stderr,
            )
    else:
        from .api import tag
        from .transcript import without_annotations

        nlp = _nlp(args)
        located = [(t, args.gold, number) for number, t in enumerate(gold, 1)]
        todo = list(_checked(args, located, [], nlp=nlp, scoring=True))
        predicted = _scorer(args).score(tag(without_annotations(todo), nlp))
    try:
        report = evaluate(gold, predicted)
    except EvaluationError as exc:
        source = args.predictions if exc.in_predictions and args.predictions else args.gold
        raise TranscriptFormatError(source, "", exc.reason, exc.transcript_id) from None
    print(json.dumps(report, indent=2, ensure_ascii=False) if args.json else format_report(report))
    return EXIT_OK


def _cmd_agents(args: argparse.Namespace) -> int:
    from .agents import agent_table

    rejected: list[RejectedTranscript] = []
    if args.scored:
        transcripts = list(_checked(args, _read_all(args, rejected), rejected, scored=True))
    else:
        from .api import iter_tagged

        nlp, scorer = _nlp(args), _scorer(args)
        todo = _checked(args, _read_all(args, rejected), rejected, nlp=nlp, scoring=True)
        transcripts = scorer.score(list(iter_tagged(todo, nlp)))
    table = agent_table(transcripts)
    if args.output:
        from .errors import OutputError

        try:
            Path(args.output).parent.mkdir(parents=True, exist_ok=True)
            if AGENT_TABLE_SUFFIXES[Path(args.output).suffix.lower()] == "parquet":
                table.to_parquet(args.output, index=False)
            else:
                table.to_csv(args.output, index=False)
        except OSError as exc:
            raise OutputError(f"{args.output}: cannot write it: {exc.strerror or exc}") from None
    _finish_rejected(args, rejected)
    print(table.to_string(index=False))
    return EXIT_OK


COMMANDS: dict[str, Callable[[argparse.Namespace], int]] = {
    "tag": _cmd_tag,
    "score": _cmd_score,
    "evaluate": _cmd_evaluate,
    "agents": _cmd_agents,
}


def _check_outputs(args: argparse.Namespace) -> None:
    """Refuse an output that cannot be written before any work is done."""
    from .io.writers import check_output_path

    output = getattr(args, "output", None)
    if output and args.command == "batch":
        check_output_path(output, directory=True)
    elif output:
        if args.command == "agents" and Path(output).suffix.lower() not in AGENT_TABLE_SUFFIXES:
            raise TranscriptFormatError(
                output, "", "the agents table is written as .csv or .parquet"
            )
        if getattr(args, "output_format", "") is None:
            _check_output_format(output)
        check_output_path(output)
    errors = getattr(args, "errors", None)
    if errors:
        check_output_path(errors)
    elif getattr(args, "skip_invalid", False) and not output:
        check_output_path("klantfocus-errors.jsonl")


def _check_output_format(output: str) -> None:
    from .constants import OUTPUT_FORMATS
    from .io import detect_format

    try:
        detect_format(output, output=True)
    except TranscriptFormatError:
        suffix = Path(output).suffix.lower() or "(none)"
        raise TranscriptFormatError(
            output,
            "",
            f"cannot tell the output format from the extension {suffix!r}; "
            f"use --output-format with one of {sorted(OUTPUT_FORMATS)}",
        ) from None


def _configure_logging(verbose: bool) -> None:
    """WARNING and up; -v adds klantfocus' own DEBUG lines, not those of the libraries.

    (The root logger stays at WARNING: with it at DEBUG, matplotlib alone logs some 150
    font lines.)
    """
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    logger.setLevel(logging.DEBUG if verbose else logging.NOTSET)


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    _configure_logging(args.verbose)
    try:
        _check_outputs(args)
        return COMMANDS[args.command](args)
    except TranscriptFormatError as exc:
        print(f"klantfocus: error: {exc}", file=sys.stderr)
        return EXIT_BAD_INPUT
    except KlantfocusError as exc:
        print(f"klantfocus: error: {exc}", file=sys.stderr)
        return EXIT_BAD_INPUT
    except BrokenPipeError:
        return EXIT_OK


def _entry() -> None:  # pragma: no cover
    sys.exit(main())


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
