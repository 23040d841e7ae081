"""The notebook API: read, tag, score, and get pandas DataFrames.

Example::

    import klantfocus
    transcripts = klantfocus.read_transcripts("calls.jsonl")
    scored = klantfocus.score(transcripts)
    frame = klantfocus.to_dataframe(scored)
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import replace
from functools import lru_cache
from typing import TYPE_CHECKING, Any

from .constants import TAGS, UTTERANCE_SEPARATOR
from .errors import UnprocessableTranscript
from .io.tabular import frame_to_transcripts
from .io.writers import transcript_rows
from .pipeline.conversation import tagged_utterances, transcript_to_doc
from .pipeline.loading import load
from .scoring.model import MindsetScorer, check_scorable, load_scorer
from .transcript import Transcript

if TYPE_CHECKING:
    import pandas as pd
    from spacy.language import Language

# Transcripts per nlp.pipe batch. Each is a whole conversation (hundreds of words), so a
# few already keep the network busy; 32 held ~230 MB more activations per process for no
# measurable speed-up.
DEFAULT_BATCH_SIZE = 8

logger = logging.getLogger(__name__)


@lru_cache(maxsize=1)
def default_pipeline() -> Language:
    """The shipped pipeline, loaded once per process."""
    return load()


@lru_cache(maxsize=1)
def default_scorer() -> MindsetScorer:
    """The shipped scorer, loaded once per process."""
    return load_scorer()


def check_taggable(transcript: Transcript, nlp: Language) -> None:
    """Raise :class:`UnprocessableTranscript` if the transcript is too long for ``nlp``.

    A transcript is tagged as one Doc, so its utterances together must stay within the
    pipeline's ``max_length`` (spaCy's memory guard, 1,000,000 characters by default).
    """
    length = sum(len(u.text) for u in transcript.utterances) + len(UTTERANCE_SEPARATOR) * (
        len(transcript.utterances) - 1
    )
    if length > nlp.max_length:
        longest = max(
            range(len(transcript.utterances)), key=lambda i: len(transcript.utterances[i].text)
        )
        raise UnprocessableTranscript(
            transcript.id,
            f"too long to tag: {length:,} characters, the pipeline takes at most "
            f"{nlp.max_length:,} per transcript (the longest is utterance {longest}, "
            f"{len(transcript.utterances[longest].text):,} characters)",
        )


def _checked_doc(nlp: Language, transcript: Transcript) -> tuple[Any, Transcript]:
    check_taggable(transcript, nlp)
    return transcript_to_doc(nlp, transcript), transcript


def iter_tagged(
    transcripts: Iterable[Transcript],
    nlp: Language | None = None,
    *,
    batch_size: int = DEFAULT_BATCH_SIZE,
) -> Iterator[Transcript]:
    """Tag transcripts lazily, in input order; the inputs are not modified.

    Raises :class:`~klantfocus.errors.UnprocessableTranscript` when it reaches a
    transcript longer than the pipeline's ``max_length`` (see :func:`check_taggable`).
    """
    nlp = nlp or default_pipeline()
    pairs = (_checked_doc(nlp, t) for t in transcripts)
    for doc, transcript in nlp.pipe(pairs, batch_size=batch_size, as_tuples=True):
        yield replace(transcript, utterances=tagged_utterances(doc, transcript))


def tag(transcripts: Iterable[Transcript], nlp: Language | None = None) -> list[Transcript]:
    """Tag every agent utterance with the codebook tags and their evidence spans."""
    return list(iter_tagged(transcripts, nlp))


def score(
    transcripts: Iterable[Transcript],
    nlp: Language | None = None,
    scorer: MindsetScorer | None = None,
    *,
    tagged: bool = False,
) -> list[Transcript]:
    """Tag (unless ``tagged=True``) and score: mindset, mindset_score and explanation.

    Raises :class:`~klantfocus.errors.UnprocessableTranscript` (a
    :class:`~klantfocus.errors.KlantfocusError` and ``ValueError``, with ``transcript_id``
    and ``reason``) if a transcript has no agent utterances, since there is nothing to
    score, or is too long to tag; nothing is returned then. Leave such transcripts out
    first, for example with ``[t for t in transcripts if t.agent_utterances]``.
    """
    items = list(transcripts)
    for transcript in items:  # before the (slow) tagging
        check_scorable(transcript)
    if not tagged:
        items = tag(items, nlp)
    return (scorer or default_scorer()).score(items)


def to_dataframe(transcripts: Iterable[Transcript]) -> pd.DataFrame:
    """One row per utterance: ids, speaker, text, a boolean column per tag, evidence.

    ``evidence`` holds a list of ``{"label", "start", "end", "text"}`` per utterance.
    Transcript-level results (``mindset``, ``mindset_score``) are repeated per row.
    """
    import pandas as pd

    rows: list[dict[str, Any]] = []
    for transcript in transcripts:
        for index, (utterance, row) in enumerate(
            zip(transcript.utterances, transcript_rows(transcript, flat=False), strict=True)
        ):
            row = {"conversation_id": row.pop("conversation_id"), "utterance_index": index, **row}
            labels = utterance.labels or []
            for tag_name in TAGS:
                row[f"tag_{tag_name}"] = tag_name in labels
            row["labels"] = list(labels)
            row["evidence"] = [
                {
                    "label": s.label,
                    "start": s.start,
                    "end": s.end,
                    "text": utterance.text[s.start : s.end],
                }
                for s in utterance.spans
            ]
            row.pop("spans", None)
            rows.append(row)
    return pd.DataFrame(rows)


#: The transcript-level columns that :func:`score_dataframe` leaves missing for a
#: conversation it cannot score.
_SCORE_COLUMNS = ("mindset", "mindset_score", "explanation")
#: How many conversation ids a warning about unscorable conversations names at most.
_MAX_IDS_LOGGED = 20


def split_processable(
    transcripts: Sequence[Transcript], nlp: Language
) -> tuple[list[int], dict[int, UnprocessableTranscript]]:
    """Positions of the transcripts that can be tagged and scored, and the others' errors.

    Checked before any (slow) tagging: too long for ``nlp`` (:func:`check_taggable`) or
    without agent utterances (:func:`check_scorable`).
    """
    good: list[int] = []
    bad: dict[int, UnprocessableTranscript] = {}
    for position, transcript in enumerate(transcripts):
        try:
            check_taggable(transcript, nlp)
            check_scorable(transcript)
        except UnprocessableTranscript as exc:
            bad[position] = exc
        else:
            good.append(position)
    return good, bad


def unscored_transcript(transcript: Transcript) -> Transcript:
    """A transcript that cannot be scored, as rows with no tags and no score."""
    return replace(
        transcript,
        utterances=[replace(u, labels=[], spans=[]) for u in transcript.utterances],
        mindset=None,
        mindset_score=None,
        explanation=None,
    )


def warn_unscored(transcripts: list[Transcript], positions: Iterable[int]) -> None:
    """Log (WARNING) the ids of the conversations left unscored; never their text."""
    kinds: dict[str, list[str]] = {}
    for position in positions:
        transcript = transcripts[position]
        kind = "no agent utterances" if not transcript.agent_utterances else "too long to tag"
        kinds.setdefault(kind, []).append(transcript.id)
    for kind, ids in kinds.items():
        shown = ", ".join(repr(i) for i in ids[:_MAX_IDS_LOGGED])
        more = f" and {len(ids) - _MAX_IDS_LOGGED} more" if len(ids) > _MAX_IDS_LOGGED else ""
        logger.warning(
            "%d conversation(s) not scored (%s); their rows get no tags and a missing "
            "mindset_score: %s%s",
            len(ids),
            kind,
            shown,
            more,
        )


def score_processable(
    transcripts: Sequence[Transcript],
    nlp: Language,
    score_all: Callable[[list[Transcript]], list[Transcript]],
    *,
    errors: str = "coerce",
) -> list[Transcript]:
    """``score_all`` over the transcripts that can be tagged and scored, in input order.

    The others (see :func:`split_processable`) are found before any tagging: with
    ``errors="raise"`` the first one's :class:`~klantfocus.errors.UnprocessableTranscript`
    is raised; with ``"coerce"`` they come back untagged and unscored
    (:func:`unscored_transcript`) and a WARNING names their ids.
    """
    good, bad = split_processable(transcripts, nlp)
    if bad and errors == "raise":
        raise bad[min(bad)]
    scored = iter(score_all([transcripts[p] for p in good]))
    merged = [
        unscored_transcript(t) if p in bad else next(scored) for p, t in enumerate(transcripts)
    ]
    if bad:
        warn_unscored(list(transcripts), sorted(bad))
    return merged


def score_dataframe(
    frame: pd.DataFrame,
    nlp: Language | None = None,
    scorer: MindsetScorer | None = None,
    *,
    errors: str = "coerce",
) -> pd.DataFrame:
    """Score a DataFrame in the tabular layout (``conversation_id``, ``speaker``, ``text``).

    Returns the input's rows in the same order with the tag columns, evidence and the
    transcript-level ``mindset``, ``mindset_score`` and ``explanation`` added.

    A conversation that cannot be scored, because it has no agent utterances (a
    voicemail, a wrong ``speaker`` value) or is longer than the pipeline's
    ``max_length``, keeps its rows but is not tagged or scored: no tags, empty
    ``labels`` and ``evidence``, and a missing (NaN/None) ``mindset``, ``mindset_score``
    and ``explanation``. A WARNING on the ``klantfocus.api`` logger names those
    conversations by id (never their text); ``result["mindset_score"].isna()`` finds
    their rows. The other conversations are scored as usual.

    Args:
        frame: the utterances, one row each, every conversation's rows in spoken order.
        nlp, scorer: the pipeline and scorer (default: the shipped ones).
        errors: ``"coerce"`` (default) leaves such conversations unscored as above;
            ``"raise"`` raises :class:`~klantfocus.errors.UnprocessableTranscript` for the
            first of them instead, before anything is tagged (as :func:`score` does).
    """
    if errors not in ("coerce", "raise"):
        raise ValueError(f"errors must be 'coerce' or 'raise', not {errors!r}")
    transcripts = frame_to_transcripts(frame)
    nlp = nlp or default_pipeline()
    merged = score_processable(
        transcripts, nlp, lambda good: score(good, nlp, scorer), errors=errors
    )
    result = to_dataframe(merged)
    if any(t.mindset_score is None for t in merged):
        for column in _SCORE_COLUMNS:
            if column not in result.columns:  # no conversation could be scored
                result[column] = None
        result["mindset_score"] = result["mindset_score"].astype("float64")
        # the columns in their usual order, whichever conversation came first
        rest = [c for c in result.columns if c not in (*_SCORE_COLUMNS, "evidence")]
        result = result[[*rest, *_SCORE_COLUMNS, "evidence"]]
    result.index = frame.index
    return result
