"""Scoring a Dask DataFrame in the tabular layout, partition by partition.

Each partition is turned into transcripts, tagged and scored with the models of the
process that runs it (loaded once per process, and on a dask.distributed cluster once
per worker as it joins), and comes back as rows in the batch output layout.

A transcript is scored as a whole, so **every conversation must lie within one
partition**, its rows contiguous and in spoken order. Reading one file per partition
(``dd.read_csv(files, blocksize=None)``, ``dd.read_parquet`` with one row group per
file) with whole conversations per file guarantees it. :func:`score_dask_dataframe`
checks it (one pass over the ``conversation_id`` column) before it returns.
"""

from __future__ import annotations

import contextlib
import os
from dataclasses import replace
from typing import Any

from ..api import score_processable
from ..constants import KLANTGERICHT, TABLE_REQUIRED_COLUMNS
from ..errors import TranscriptFormatError
from ..io.tabular import OUTPUT_COLUMNS, frame_to_transcripts
from .models import ModelOptions, get_models
from .output import shard_frame
from .worker import score_transcripts

SOURCE = "<dask dataframe>"
#: Output columns that the scoring builds anew rather than passing through from the input.
_REBUILT_COLUMNS = OUTPUT_COLUMNS | {"conversation_id", "speaker", "text", "start", "end"}


def score_dask_dataframe(
    ddf: Any,
    *,
    check: bool = True,
    base: str | os.PathLike[str] | None = None,
    pipeline: str | os.PathLike[str] | None = None,
    scorer: str | os.PathLike[str] | None = None,
    trust_model: bool = False,
    errors: str = "coerce",
) -> Any:
    """Score a Dask DataFrame with ``conversation_id``, ``speaker``, ``text`` (+ optional) columns.

    Returns a lazy Dask DataFrame with one row per input row, same partitions and index:
    the columns of :func:`klantfocus.to_dataframe` with ``evidence`` and ``explanation``
    as JSON text, as in the batch output. A conversation that cannot be scored keeps
    its rows with missing scores (see ``errors``).

    Args:
        ddf: the utterances; each conversation's rows within one partition, contiguous.
        check: verify that no conversation is split over partitions (computes the
            ``conversation_id`` column once); raises :class:`TranscriptFormatError`.
        base, pipeline, scorer, trust_model: which models, as in the CLI.
        errors: what to do with a conversation that cannot be scored (no agent
            utterances, or longer than the pipeline's ``max_length``). ``"coerce"``
            (default), as :func:`klantfocus.score_dataframe`: its rows come back without
            tags and with a missing ``mindset``, ``mindset_score`` and ``explanation``,
            and the process that scores the partition logs a WARNING (logger
            ``klantfocus.api``) with the conversation ids. ``"raise"``: the partition
            raises :class:`~klantfocus.errors.UnprocessableTranscript`, so the
            computation fails.
    """
    if errors not in ("coerce", "raise"):
        raise ValueError(f"errors must be 'coerce' or 'raise', not {errors!r}")
    columns = [str(c) for c in ddf.columns]
    missing = [c for c in TABLE_REQUIRED_COLUMNS if c not in columns]
    if missing:
        raise TranscriptFormatError(
            SOURCE,
            "columns",
            f"missing required column(s) {missing}; needs {list(TABLE_REQUIRED_COLUMNS)}",
        )
    options = ModelOptions(
        base=None if base is None else str(base),
        pipeline=None if pipeline is None else str(pipeline),
        scorer=None if scorer is None else str(scorer),
        trust_model=trust_model,
    )
    client = _distributed_client()
    if client is not None:
        from .dask_engine import register_models

        register_models(client, options)
    if check:
        check_whole_conversations(ddf)
    meta = _output_meta(ddf)
    return ddf.map_partitions(_score_partition, options, meta, errors, meta=meta)


def check_whole_conversations(ddf: Any) -> None:
    """Raise :class:`TranscriptFormatError` if a conversation has rows in several partitions."""
    ids = ddf[["conversation_id"]].map_partitions(
        _partition_conversations, meta={"conversation_id": "object"}
    )
    counts = ids["conversation_id"].value_counts(split_out=1).compute()
    split = sorted(str(c) for c in counts[counts > 1].index)
    if split:
        shown = ", ".join(repr(c) for c in split[:5]) + (" ..." if len(split) > 5 else "")
        raise TranscriptFormatError(
            SOURCE,
            "partitions",
            f"{len(split)} conversation(s) are split over several partitions ({shown}); "
            "every conversation must lie within one partition (e.g. read one file per "
            "partition with whole conversations per file)",
        )


def _partition_conversations(part: Any) -> Any:
    import pandas as pd

    ids = part["conversation_id"].dropna().astype(str)
    return pd.DataFrame({"conversation_id": pd.unique(ids)}, dtype="object")


def _distributed_client() -> Any:
    try:
        from distributed import default_client
    except ImportError:
        return None
    try:
        return default_client()
    except ValueError:  # no distributed client: dask's local schedulers
        return None


def _output_meta(ddf: Any) -> Any:
    """The empty output frame, made by the real conversion from a dummy partition."""
    sample = ddf._meta_nonempty.iloc[:1].copy()
    sample["speaker"], sample["text"] = "agent", "x"
    for column in OUTPUT_COLUMNS & set(sample.columns):
        sample[column] = None
    scored = [
        replace(
            t,
            utterances=[replace(u, labels=[], spans=[]) for u in t.utterances],
            mindset=KLANTGERICHT,
            mindset_score=50.0,
            explanation=[],
        )
        for t in frame_to_transcripts(sample, SOURCE)
    ]
    meta = shard_frame(scored).iloc[:0]
    # Fields passed through from the input keep the input's dtype (the reader turns a
    # float ``turn`` of 3.0 into 3, which would make the dtype depend on the values).
    for column in ddf._meta.columns:
        if column in meta.columns and column not in _REBUILT_COLUMNS:
            meta[column] = meta[column].astype(ddf._meta[column].dtype)
    return meta


def _score_partition(part: Any, options: ModelOptions, meta: Any, errors: str) -> Any:
    if part.empty:
        return meta.copy()
    models = get_models(options)
    transcripts = frame_to_transcripts(part, SOURCE)
    merged = score_processable(
        transcripts, models.nlp, lambda good: score_transcripts(models, good), errors=errors
    )
    frame = shard_frame(merged).reindex(columns=meta.columns)
    frame.index = part.index
    for column, dtype in meta.dtypes.items():
        if frame[column].dtype != dtype:
            # If the values do not fit (say None in an int column) pandas' own dtype stays.
            with contextlib.suppress(TypeError, ValueError):
                frame[column] = frame[column].astype(dtype)
    return frame
