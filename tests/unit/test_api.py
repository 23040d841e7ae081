"""The notebook API."""

from __future__ import annotations

import pandas as pd

import klantfocus
from klantfocus import TAGS

from ..conftest import EXAMPLES


def test_public_api_is_declared():
    for name in klantfocus.__all__:
        assert hasattr(klantfocus, name), name


def test_to_dataframe_has_tag_columns_and_evidence(nlp, conversation):
    frame = klantfocus.to_dataframe(klantfocus.tag([conversation], nlp))
    assert len(frame) == len(conversation.utterances)
    assert list(frame["utterance_index"]) == [0, 1, 2, 3]
    for tag in TAGS:
        assert frame[f"tag_{tag}"].dtype == bool
    row = frame.iloc[1]
    assert row["tag_jargon"]
    jargon = [e for e in row["evidence"] if e["label"] == "jargon"]
    assert jargon and {e["text"] for e in jargon} <= {
        "escaleer",
        "ticket",
        "tweede lijn",
        "escaleer het ticket",
    }
    for item in row["evidence"]:
        assert row["text"][item["start"] : item["end"]] == item["text"]
    assert not frame.iloc[0][[f"tag_{t}" for t in TAGS]].any()


def test_score_dataframe_keeps_rows_and_order(nlp, scorer):
    frame = pd.read_csv(EXAMPLES / "gesprekken.csv")
    result = klantfocus.score_dataframe(frame, nlp, scorer)
    assert list(result.index) == list(frame.index)
    assert list(result["text"]) == list(frame["text"])
    assert list(result["kanaal"]) == list(frame["kanaal"])
    assert set(result["mindset"]) <= {"klantgericht", "innerlijk"}
    assert result["mindset_score"].between(0, 100).all()
    assert result.groupby("conversation_id")["mindset_score"].nunique().eq(1).all()


def test_score_explains(nlp, scorer):
    (scored,) = klantfocus.score(
        klantfocus.read_transcripts(EXAMPLES / "gesprekken.jsonl")[1:2], nlp, scorer
    )
    assert scored.mindset == "innerlijk"
    assert scored.explanation and all(isinstance(e["text"], str) for e in scored.explanation)
