"""klantfocus.score_dataframe with conversations that cannot be scored (no agent turns,
too long): their rows come back unscored, the others are scored, a WARNING names the ids."""

from __future__ import annotations

import logging

import numpy as np
import pandas as pd
import pytest

import klantfocus
from klantfocus import TAGS
from klantfocus.errors import UnprocessableTranscript

from ..conftest import EXAMPLES

VOICEMAIL_TEXT = "Hallo, met Jansen, wilt u mij terugbellen over de factuur?"


@pytest.fixture
def frame() -> pd.DataFrame:
    """The CSV example with a voicemail (customer only) in between, on a non-default index."""
    table = pd.read_csv(EXAMPLES / "gesprekken.csv")
    first = table[table["conversation_id"] == table["conversation_id"].iloc[0]]
    rest = table[table["conversation_id"] != table["conversation_id"].iloc[0]]
    voicemail = pd.DataFrame(
        {
            "conversation_id": ["vm-1", "vm-1"],
            "turn": [1, 2],
            "speaker": ["Klant", "Klant"],
            "text": [VOICEMAIL_TEXT, "Tot ziens."],
            "kanaal": ["telefoon", "telefoon"],
        }
    )
    result = pd.concat([first, voicemail, rest], ignore_index=True)
    result.index = result.index * 10 + 5
    return result


def test_a_conversation_without_agent_turns_gets_missing_scores_and_a_warning(
    frame, nlp, scorer, caplog
):
    caplog.set_level(logging.WARNING, logger="klantfocus.api")
    result = klantfocus.score_dataframe(frame, nlp, scorer)
    assert list(result.index) == list(frame.index)
    assert list(result["text"]) == list(frame["text"])

    voicemail = result[result["conversation_id"] == "vm-1"]
    assert len(voicemail) == 2
    assert voicemail["mindset_score"].isna().all()
    assert voicemail["mindset"].isna().all() and voicemail["explanation"].isna().all()
    assert not voicemail[[f"tag_{t}" for t in TAGS]].any().any()
    assert list(voicemail["labels"]) == [[], []] and list(voicemail["evidence"]) == [[], []]

    others = frame[frame["conversation_id"] != "vm-1"]
    expected = klantfocus.score_dataframe(others, nlp, scorer)
    scored = result[result["conversation_id"] != "vm-1"]
    assert list(scored.columns) == list(expected.columns) == list(result.columns)
    assert result["mindset_score"].dtype == np.float64
    assert scored["mindset_score"].tolist() == pytest.approx(expected["mindset_score"].tolist())
    assert list(scored["mindset"]) == list(expected["mindset"])
    assert list(scored["labels"]) == list(expected["labels"])

    warnings = [r for r in caplog.records if r.levelno == logging.WARNING]
    assert len(warnings) == 1
    message = warnings[0].getMessage()
    assert "1 conversation(s) not scored (no agent utterances)" in message
    assert "'vm-1'" in message
    assert not any(text in message for text in frame["text"])  # ids only, never text


def test_errors_raise_keeps_the_strict_behaviour(frame, scorer):
    class NoPipeline:  # the check comes before any tagging
        max_length = 1_000_000

        def __getattr__(self, name):
            raise AssertionError("tagging started")

    with pytest.raises(UnprocessableTranscript, match="'vm-1': no agent utterances"):
        klantfocus.score_dataframe(frame, NoPipeline(), scorer, errors="raise")
    with pytest.raises(ValueError, match="errors must be 'coerce' or 'raise'"):
        klantfocus.score_dataframe(frame, NoPipeline(), scorer, errors="ignore")
    assert "no agent utterances" in (klantfocus.score_dataframe.__doc__ or "")


def test_a_frame_of_only_unscorable_conversations_keeps_the_columns(frame, nlp, scorer):
    others = frame[frame["conversation_id"] != "vm-1"]
    result = klantfocus.score_dataframe(frame[frame["conversation_id"] == "vm-1"], nlp, scorer)
    assert list(result.columns) == list(klantfocus.score_dataframe(others, nlp, scorer).columns)
    assert result["mindset_score"].dtype == np.float64 and result["mindset_score"].isna().all()
    assert result["mindset"].isna().all() and result["explanation"].isna().all()


def test_a_conversation_too_long_to_tag_gets_missing_scores(
    frame, nlp, scorer, monkeypatch, caplog
):
    long_call = pd.DataFrame(
        {"conversation_id": ["lang"], "speaker": ["Medewerker"], "text": ["ja " * 2000]}
    )
    frame = pd.concat([frame, long_call], ignore_index=True)
    monkeypatch.setattr(nlp, "max_length", 5000)
    caplog.set_level(logging.WARNING, logger="klantfocus.api")
    result = klantfocus.score_dataframe(frame, nlp, scorer)
    unscored = result["mindset_score"].isna()
    assert set(result.loc[unscored, "conversation_id"]) == {"lang", "vm-1"}
    assert result.loc[~unscored, "mindset"].notna().all()
    messages = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert any("(too long to tag)" in m and "'lang'" in m for m in messages)
