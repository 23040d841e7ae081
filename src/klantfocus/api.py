"""The notebook API: read, tag, score, and get pandas DataFrames.

Example::

    import klantfocus
    transcripts = klantfocus.read_transcripts("calls.jsonl")
    scored = klantfocus.score(transcripts)
    frame = klantfocus.to_dataframe(scored)
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
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


def score_dataframe(
    frame: pd.DataFrame, nlp: Language | None = None, scorer: MindsetScorer | None = None
) -> pd.DataFrame:
    """Score a DataFrame in the tabular layout (``conversation_id``, ``speaker``, ``text``).

    Returns the input's rows in the same order with the tag columns, evidence and the
    transcript-level ``mindset``, ``mindset_score`` and ``explanation`` added.
    """
    transcripts = frame_to_transcripts(frame)
    scored = score(transcripts, nlp, scorer)
    result = to_dataframe(scored)
    result.index = frame.index
    return result
