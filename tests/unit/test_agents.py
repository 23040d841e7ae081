import math

import pytest

from klantfocus import Transcript
from klantfocus.agents import agent_table, mean_confidence_interval
from klantfocus.errors import KlantfocusError


def _scored(tid, agent, score, labels):
    return Transcript.from_dict(
        {
            "id": tid,
            "meta": {"agent_id": agent},
            "mindset": "klantgericht" if score >= 50 else "innerlijk",
            "mindset_score": score,
            "explanation": [{"feature": "rate_jargon", "effect": "-", "text": "x", "turns": []}],
            "utterances": [
                {"speaker": "customer", "text": "Hoi."},
                {"speaker": "agent", "text": "Dag.", "labels": labels},
            ],
        }
    )


def test_confidence_interval():
    mean, low, high = mean_confidence_interval([40, 50, 60])
    assert mean == 50 and low < 50 < high
    assert math.isnan(mean_confidence_interval([70])[1])


def test_agent_table():
    table = agent_table(
        [
            _scored("1", "a", 20, ["jargon"]),
            _scored("2", "a", 30, []),
            _scored("3", "b", 90, ["open_question"]),
        ]
    )
    assert list(table["agent_id"]) == ["a", "b"]
    row = table.iloc[0]
    assert row["calls"] == 2 and row["mean_score"] == 25.0
    assert row["rate_jargon"] == 0.5
    assert row["most_frequent_theme"] == "gebruikt vaktaal"


def test_agent_table_needs_scores():
    unscored = Transcript.from_dict(
        {"id": "1", "utterances": [{"speaker": "agent", "text": "Dag."}]}
    )
    with pytest.raises(ValueError, match="not scored"):
        agent_table([unscored])
    with pytest.raises(KlantfocusError, match="'1': transcript is not scored"):
        agent_table([unscored])


def test_agent_table_ignores_incomplete_explanation_items():
    call = _scored("1", "a", 20, ["jargon"])
    call.explanation = [{"text": "zonder feature"}]
    assert agent_table([call]).iloc[0]["most_frequent_theme"] == ""
