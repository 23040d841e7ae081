"""Bad rows in the tabular layout (CSV, Parquet): each costs only its own conversation."""

import numpy as np
import pandas as pd
import pytest

from klantfocus import TranscriptFormatError, read_transcripts
from klantfocus.io import frame_to_transcripts

HEADER = b"conversation_id,turn,speaker,text\n"
C1 = b"c1,1,Klant,Mijn pakket is niet gekomen.\nc1,2,Medewerker,Wat ziet u in de track-en-trace?\n"
C2_REST = b"c2,2,Medewerker,Waarom wilt u opzeggen?\n"


def read_with_rejects(path):
    rejected = []
    transcripts = read_transcripts(path, on_invalid=rejected.append)
    return transcripts, rejected


@pytest.mark.parametrize(
    ("bad_row", "reason"),
    [
        (b"c2,1,Klant,Ik wil opzeggen caf\xe9.\n", "not valid UTF-8"),
        (b"c2,1,Klant,Ik wil opzeggen,nu\n", "has 5 fields, the header has 4"),
    ],
)
def test_csv_bad_row_rejects_its_own_conversation(tmp_path, bad_row, reason):
    path = tmp_path / "a.csv"
    path.write_bytes(HEADER + C1 + bad_row + C2_REST)
    transcripts, rejected = read_with_rejects(path)
    assert [(t.id, len(t.utterances)) for t in transcripts] == [("c1", 2)]
    assert [(r.transcript_id, r.position) for r in rejected] == [("c2", "row 3 (line 4)")]
    assert reason in rejected[0].reason


def test_csv_bad_byte_in_a_multiline_field_keeps_the_rows_apart(tmp_path):
    path = tmp_path / "a.csv"
    path.write_bytes(HEADER + C1 + b'c2,1,Klant,"Ik wil\nopzeggen caf\xe9."\n' + C2_REST)
    transcripts, rejected = read_with_rejects(path)
    assert [(t.id, len(t.utterances)) for t in transcripts] == [("c1", 2)]
    assert [(r.transcript_id, r.position) for r in rejected] == [("c2", "row 3 (line 5)")]


def test_csv_row_of_unknown_conversation_rejects_both_neighbours(tmp_path):
    path = tmp_path / "a.csv"
    path.write_bytes(
        HEADER + C1 + b"c\xe92,1,Klant,Ik wil opzeggen.\n" + C2_REST + b"c3,1,Klant,Hallo.\n"
    )
    transcripts, rejected = read_with_rejects(path)
    assert [(t.id, len(t.utterances)) for t in transcripts] == [("c3", 1)]
    assert [(r.transcript_id, r.position) for r in rejected] == [
        ("c1", "row 3 (line 4)"),
        ("c2", "row 3 (line 4)"),
    ]
    assert "cannot be told" in rejected[0].reason


def test_csv_row_of_unknown_conversation_inside_one_conversation(tmp_path):
    path = tmp_path / "a.csv"
    path.write_bytes(HEADER + C1 + b",3,Klant,Ja.\nc1,4,Medewerker,Dank u.\n" + C2_REST)
    transcripts, rejected = read_with_rejects(path)
    assert [(t.id, len(t.utterances)) for t in transcripts] == [("c2", 1)]
    assert [(r.transcript_id, r.position) for r in rejected] == [("c1", "row 3 (line 4)")]
    assert "'conversation_id' is empty" in rejected[0].reason


def test_csv_first_row_of_unknown_conversation_rejects_the_next(tmp_path):
    path = tmp_path / "a.csv"
    path.write_bytes(HEADER + b"\xe9,1,Klant,Hallo.\n" + C1 + C2_REST)
    transcripts, rejected = read_with_rejects(path)
    assert [(t.id, len(t.utterances)) for t in transcripts] == [("c2", 1)]
    assert [(r.transcript_id, r.position) for r in rejected] == [("c1", "row 1 (line 2)")]


def test_csv_extra_field_when_conversation_id_is_not_first(tmp_path):
    # The extra comma may come before conversation_id, so the row's id is not trusted.
    path = tmp_path / "a.csv"
    path.write_bytes(
        b"speaker,conversation_id,text\nKlant,c1,Hallo.\nMedewerker,c1,Dag,mevrouw.\n"
        b"Klant,c2,Opzeggen.\n"
    )
    transcripts, rejected = read_with_rejects(path)
    assert transcripts == []
    assert [r.transcript_id for r in rejected] == ["c1", "c2"]


@pytest.mark.parametrize(
    ("column", "cell", "reason"),
    [
        ("spans", "5", "'spans' must be a list"),
        ("spans", '"{""start"": 0, ""end"": 3, ""label"": ""jargon""}"', "'spans' must be a list"),
        ("spans", "[{", "'spans' is not valid JSON"),
        ("spans", '"[{""start"": 0}]"', "span is missing 'end' in 'spans'"),
        ("spans", '"[5]"', "in 'spans'"),
        ("labels", '"[{""a"": 1}]"', "'labels' must be a list of tag names"),
        ("labels", "[nope", "'labels' is not valid JSON"),
    ],
)
def test_csv_malformed_spans_or_labels_cell_is_an_invalid_record(tmp_path, column, cell, reason):
    path = tmp_path / "a.csv"
    path.write_text(
        f"conversation_id,speaker,text,{column}\n"
        f"c1,agent,Wat is er gebeurd?,{cell}\n"
        f"c2,agent,Waarmee kan ik helpen?,\n",
        "utf-8",
    )
    transcripts, rejected = read_with_rejects(path)
    assert [t.id for t in transcripts] == ["c2"]
    assert [(r.transcript_id, r.position) for r in rejected] == [("c1", "row 1 (line 2)")]
    assert reason in rejected[0].reason


def test_parquet_malformed_spans_cell_is_an_invalid_record(tmp_path):
    path = tmp_path / "a.parquet"
    pd.DataFrame(
        {
            "conversation_id": ["c1", "c2"],
            "speaker": ["agent", "agent"],
            "text": ["Wat is er gebeurd?", "Waarmee kan ik helpen?"],
            "spans": [5, None],
        }
    ).to_parquet(path)
    transcripts, rejected = read_with_rejects(path)
    assert [t.id for t in transcripts] == ["c2"]
    assert [(r.transcript_id, r.position) for r in rejected] == [("c1", "row 1")]
    assert "'spans' must be a list" in rejected[0].reason


@pytest.mark.parametrize(
    ("texts", "type_name"),
    [([["Goedendag."], ["Waarmee kan ik helpen?"]], "list"), ([0, 1], "int")],
)
def test_parquet_text_must_be_a_string(tmp_path, texts, type_name):
    path = tmp_path / "a.parquet"
    pd.DataFrame(
        {"conversation_id": ["c1", "c1"], "speaker": ["klant", "agent"], "text": texts}
    ).to_parquet(path)
    with pytest.raises(TranscriptFormatError) as info:
        read_transcripts(path)
    assert info.value.position == "row 1"
    assert info.value.reason == f"'text' must be a string, not {type_name}"


def test_parquet_integer_conversation_ids_stay_accepted(tmp_path):
    path = tmp_path / "a.parquet"
    pd.DataFrame(
        {"conversation_id": [7, 7], "speaker": ["klant", "agent"], "text": ["Hoi.", "Dag."]}
    ).to_parquet(path)
    (transcript,) = read_transcripts(path)
    assert transcript.id == "7"


def test_frame_with_array_labels(tmp_path):
    # pandas.read_parquet gives numpy arrays for list columns.
    frame = pd.DataFrame(
        {
            "conversation_id": ["c1", "c1"],
            "speaker": ["klant", "agent"],
            "text": ["Hoi.", "Wat is er gebeurd?"],
            "labels": [np.array([], dtype=object), np.array(["open_question"], dtype=object)],
        }
    )
    (transcript,) = frame_to_transcripts(frame)
    assert [u.labels for u in transcript.utterances] == [[], ["open_question"]]


def test_transcripts_know_their_rows_but_do_not_write_them(tmp_path):
    """The rows name a conversation in an error found after reading (no agent turns...)."""
    path = tmp_path / "a.csv"
    path.write_bytes(HEADER + C1 + b'\nc2,1,Klant,"Ik wil\nopzeggen."\n' + C2_REST)
    transcripts = read_transcripts(path)
    assert [(t.id, t.position) for t in transcripts] == [
        ("c1", "rows 1-2 (lines 2-3)"),
        ("c2", "rows 4-5 (lines 5-7)"),  # row 3 is the blank line 4
    ]
    parquet = tmp_path / "a.parquet"
    pd.read_csv(path).to_parquet(parquet)
    from_parquet = read_transcripts(parquet)
    assert [(t.id, t.position) for t in from_parquet] == [("c1", "rows 1-2"), ("c2", "rows 3-4")]
    assert from_parquet == transcripts  # not part of equality
    assert "position" not in repr(transcripts[0]) and "position" not in transcripts[0].to_dict()
    assert frame_to_transcripts(pd.read_csv(path))[1].position == "rows 2-3"
