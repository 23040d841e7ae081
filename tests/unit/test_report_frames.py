"""transcripts_from_frame never merges two calls that share a conversation id.

Conversation ids are unique within an input file only. Batch output of two files that both
use ids ``1`` and ``2`` once came back as two conversations of twice the length, all
credited to the first file's agent. These tests build the batch layout by hand (no models).
"""

from __future__ import annotations

import json

import pandas as pd
import pytest

import klantfocus
from klantfocus import Transcript
from klantfocus.agents import agent_table
from klantfocus.report import render_report, transcripts_from_frame
from klantfocus.report.document import file_labels, repeated_ids

DAY1 = "/data/days/day1.csv"
DAY2 = "/data/days/day2.csv"


def _call(cid: str, agent: str, score: float, day: str) -> Transcript:
    return Transcript.from_dict(
        {
            "id": cid,
            "meta": {"agent_id": agent, "date": day},
            "mindset": "klantgericht" if score >= 50 else "innerlijk",
            "mindset_score": score,
            "explanation": [],
            "utterances": [
                {"speaker": "customer", "text": f"Vraag {cid} van {day}."},
                {"speaker": "agent", "text": f"Antwoord {cid} van {agent}.", "labels": []},
                {"speaker": "customer", "text": f"Dank {cid} van {day}."},
            ],
        }
    )


CALLS = [
    (_call("1", "mw-A", 80.0, "2026-05-01"), DAY1),
    (_call("2", "mw-A", 70.0, "2026-05-01"), DAY1),
    (_call("1", "mw-B", 30.0, "2026-05-02"), DAY2),
    (_call("2", "mw-B", 20.0, "2026-05-02"), DAY2),
]


def batch_frame(*, input_file: bool = True) -> pd.DataFrame:
    """The rows of a batch output of day1.csv and day2.csv, in input order."""
    frame = klantfocus.to_dataframe([t for t, _ in CALLS])
    frame["evidence"] = [json.dumps(e) for e in frame["evidence"]]
    if input_file:
        frame["input_file"] = [f for t, f in CALLS for _ in t.utterances]
    return frame


def _summary(transcripts: list[Transcript]) -> list[tuple]:
    return [
        (t.id, t.agent_id, (t.meta or {}).get("input_file"), [u.text for u in t.utterances])
        for t in transcripts
    ]


EXPECTED = [(t.id, t.agent_id, source, [u.text for u in t.utterances]) for t, source in CALLS]


def test_same_id_in_two_input_files_is_two_calls():
    back = transcripts_from_frame(batch_frame())
    assert _summary(back) == EXPECTED
    assert [t.mindset_score for t in back] == [80.0, 70.0, 30.0, 20.0]
    assert all("input_file" not in u.extra for t in back for u in t.utterances)

    table = agent_table(back).set_index("agent_id")
    assert table.loc["mw-A", "calls"] == 2 and table.loc["mw-B", "calls"] == 2
    assert table.loc["mw-A", "mean_score"] == 75.0 and table.loc["mw-B", "mean_score"] == 25.0


def test_rows_of_two_files_in_any_order_are_grouped_by_file_and_id():
    shuffled = batch_frame().sample(frac=1.0, random_state=3)
    back = transcripts_from_frame(shuffled)
    assert sorted(_summary(back)) == sorted(EXPECTED)


def test_without_input_file_repeated_calls_are_split_where_the_index_restarts():
    """Batch output of older versions, or to_dataframe of transcripts of several files."""
    back = transcripts_from_frame(batch_frame(input_file=False))
    assert [(t.id, t.agent_id, [u.text for u in t.utterances]) for t in back] == [
        (i, a, texts) for i, a, _, texts in EXPECTED
    ]


def test_without_input_file_calls_that_cannot_be_told_apart_are_refused():
    frame = batch_frame(input_file=False).sort_values("speaker", kind="stable")
    with pytest.raises(ValueError, match=r"conversation '1' holds more than one call"):
        transcripts_from_frame(frame)


def test_one_call_in_any_row_order_is_still_one_call():
    frame = batch_frame().iloc[:3].iloc[::-1]
    (back,) = transcripts_from_frame(frame)
    assert [u.text for u in back.utterances] == [u.text for u in CALLS[0][0].utterances]


def test_report_names_the_file_of_each_call_and_warns_about_repeated_ids():
    back = transcripts_from_frame(batch_frame())
    assert repeated_ids(back) == ["1", "2"]
    html = render_report(back)
    assert html.count('class="kf-conv"') == 4
    assert html.count("bestand day1.csv") == 2 and html.count("bestand day2.csv") == 2
    assert 'class="kf-note kf-repeated-ids"' in html
    # one file: nothing to tell apart, no file names and no note
    single = render_report(back[:2])
    assert "bestand " not in single and "kf-repeated-ids" not in single


def test_file_labels_keep_equal_names_in_different_folders_apart():
    calls = [
        Transcript.from_dict({**c.to_dict(), "meta": {"input_file": f}})
        for c, f in zip(
            [t for t, _ in CALLS[:2]], ["/x/mei/calls.csv", "/x/juni/calls.csv"], strict=True
        )
    ]
    assert file_labels(calls) == {
        "/x/mei/calls.csv": "mei/calls.csv",
        "/x/juni/calls.csv": "juni/calls.csv",
    }
    assert file_labels(calls[:1]) == {}
