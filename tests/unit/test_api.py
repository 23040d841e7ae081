"""The notebook API."""

from __future__ import annotations

import pandas as pd
import pytest

import klantfocus
from klantfocus import TAGS, Transcript
from klantfocus.errors import KlantfocusError
from klantfocus.transcript import UnprocessableTranscript

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


def test_score_refuses_a_transcript_without_agent_utterances(scorer):
    customer_only = Transcript.from_dict(
        {"id": "c1", "utterances": [{"speaker": "klant", "text": "Hallo?"}]}
    )

    class NoPipeline:  # the check comes before any tagging
        def __getattr__(self, name):
            raise AssertionError("tagging started")

    with pytest.raises(UnprocessableTranscript, match="'c1': no agent utterances") as caught:
        klantfocus.score([customer_only], NoPipeline(), scorer)
    assert isinstance(caught.value, KlantfocusError) and isinstance(caught.value, ValueError)
    assert "no agent utterances" in (klantfocus.score.__doc__ or "")


def test_tagging_a_transcript_over_max_length_is_a_clear_error(nlp, conversation):
    long = Transcript.from_dict(
        {"id": "lang", "utterances": [{"speaker": "agent", "text": "woord " * 170_000}]}
    )
    tagged = klantfocus.api.iter_tagged([conversation, long], nlp, batch_size=1)
    assert next(tagged).id == "t-1"
    with pytest.raises(UnprocessableTranscript, match="'lang': too long to tag: 1,020,000"):
        next(tagged)
