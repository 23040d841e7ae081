import json

import pandas as pd
import pytest

from klantfocus import TranscriptFormatError, read_transcripts
from klantfocus.io import detect_format

GOOD = {
    "id": "t-1",
    "utterances": [
        {"speaker": "klant", "text": "Mijn pakket is niet aangekomen."},
        {"speaker": "agent", "text": "Wat ziet u in de track-en-trace?"},
    ],
}


def write_lines(path, *records):
    path.write_text(
        "\n".join(r if isinstance(r, str) else json.dumps(r) for r in records) + "\n", "utf-8"
    )
    return path


def test_jsonl(tmp_path):
    path = write_lines(tmp_path / "a.jsonl", GOOD, {**GOOD, "id": "t-2"})
    transcripts = read_transcripts(path)
    assert [t.id for t in transcripts] == ["t-1", "t-2"]
    assert transcripts[0].utterances[0].speaker == "customer"


def test_malformed_json_names_file_and_line(tmp_path):
    path = write_lines(
        tmp_path / "a.jsonl", GOOD, '{"id": "t-2", "utterances": [', {**GOOD, "id": "t-3"}
    )
    with pytest.raises(TranscriptFormatError) as info:
        read_transcripts(path)
    assert info.value.position == "line 2"
    assert "a.jsonl" in str(info.value) and "malformed JSON" in str(info.value)


def test_skip_invalid_collects_and_keeps_the_rest(tmp_path):
    bad_speaker = {"id": "t-2", "utterances": [{"speaker": "robot", "text": "hoi"}]}
    path = write_lines(tmp_path / "a.jsonl", GOOD, "{nope", bad_speaker, {**GOOD, "id": "t-4"})
    rejected = []
    transcripts = read_transcripts(path, on_invalid=rejected.append)
    assert [t.id for t in transcripts] == ["t-1", "t-4"]
    assert [r.position for r in rejected] == ["line 2", "line 3"]
    assert "unknown speaker 'robot'" in rejected[1].reason
    assert rejected[1].transcript_id == "t-2"


def test_duplicate_ids_are_rejected(tmp_path):
    path = write_lines(tmp_path / "a.jsonl", GOOD, GOOD)
    with pytest.raises(TranscriptFormatError, match="duplicate transcript id"):
        read_transcripts(path)


def test_empty_file(tmp_path):
    path = tmp_path / "leeg.jsonl"
    path.write_text("")
    with pytest.raises(TranscriptFormatError, match="empty"):
        read_transcripts(path)


def test_missing_file(tmp_path):
    with pytest.raises(TranscriptFormatError, match="not found"):
        read_transcripts(tmp_path / "nope.jsonl")


def test_wrong_encoding_names_the_line(tmp_path):
    path = tmp_path / "latin.jsonl"
    good = json.dumps(GOOD).encode()
    bad = (
        json.dumps({**GOOD, "id": "t-2"}, ensure_ascii=False)
        .replace("aangekomen", "aangekomen café")
        .encode("latin-1")
    )
    path.write_bytes(good + b"\n" + bad + b"\n")
    with pytest.raises(TranscriptFormatError) as info:
        read_transcripts(path)
    assert info.value.position == "line 2"
    assert "UTF-8" in info.value.reason


def test_csv_layout_keeps_extra_columns(tmp_path):
    path = tmp_path / "a.csv"
    path.write_text(
        "conversation_id,turn,speaker,text,start,kanaal\n"
        'c1,1,Klant,"Hallo, mijn pas doet het niet.",0.5,tel\n'
        "c1,2,Medewerker,Wat gebeurt er als u pint?,2,tel\n"
        "c2,1,klant,Ik wil opzeggen.,,chat\n",
        "utf-8",
    )
    transcripts = read_transcripts(path)
    assert [t.id for t in transcripts] == ["c1", "c2"]
    first = transcripts[0].utterances[0]
    assert first.text == "Hallo, mijn pas doet het niet."
    assert first.start == 0.5 and first.extra == {"turn": 1, "kanaal": "tel"}
    assert transcripts[1].utterances[0].start is None


def test_csv_without_required_columns(tmp_path):
    path = tmp_path / "a.csv"
    path.write_text("id,wie,tekst\n1,klant,hoi\n", "utf-8")
    with pytest.raises(TranscriptFormatError) as info:
        read_transcripts(path)
    assert info.value.position == "header"
    assert "conversation_id" in info.value.reason


def test_csv_bad_row_names_the_row(tmp_path):
    path = tmp_path / "a.csv"
    path.write_text(
        "conversation_id,speaker,text\nc1,klant,hoi\nc1,buurman,hallo\nc2,klant,dag\n", "utf-8"
    )
    rejected = []
    transcripts = read_transcripts(path, on_invalid=rejected.append)
    assert [t.id for t in transcripts] == ["c2"]
    assert rejected[0].position.startswith("row 2")
    assert "buurman" in rejected[0].reason


def test_csv_conversation_must_be_contiguous(tmp_path):
    path = tmp_path / "a.csv"
    path.write_text(
        "conversation_id,speaker,text\nc1,klant,hoi\nc2,klant,dag\nc1,agent,hallo\n", "utf-8"
    )
    with pytest.raises(TranscriptFormatError, match="not contiguous"):
        read_transcripts(path)


def test_parquet(tmp_path):
    path = tmp_path / "a.parquet"
    pd.DataFrame(
        {
            "conversation_id": ["c1", "c1"],
            "speaker": ["customer", "agent"],
            "text": ["Hoi", "Waarmee kan ik helpen?"],
            "score_qa": [1.5, None],
        }
    ).to_parquet(path)
    (transcript,) = read_transcripts(path)
    assert transcript.utterances[0].extra == {"score_qa": 1.5}


def test_txt_blocks_and_prefixes(tmp_path):
    path = tmp_path / "gesprekken.txt"
    path.write_text(
        "Klant: Hallo.\nmedewerker: Goedemiddag, vertel.\n\nCUSTOMER: Nog een gesprek.\n---\nAgent: Derde.\n",
        "utf-8",
    )
    transcripts = read_transcripts(path)
    assert [t.id for t in transcripts] == ["gesprekken-1", "gesprekken-2", "gesprekken-3"]
    assert [u.speaker for u in transcripts[0].utterances] == ["customer", "agent"]
    assert transcripts[0].utterances[1].text == "Goedemiddag, vertel."


def test_txt_line_without_prefix(tmp_path):
    path = tmp_path / "a.txt"
    path.write_text("Klant: Hallo.\nDit is geen regel met spreker.\n", "utf-8")
    with pytest.raises(TranscriptFormatError) as info:
        read_transcripts(path)
    assert info.value.position == "line 2"


VTT = """WEBVTT

NOTE gemaakt door een spraakherkenner

1
00:00:00.000 --> 00:00:02.000
<v Anna>goedemorgen met anna

00:00:02.000 --> 00:00:04.000
<v Piet>hoi ik bel over mijn factuur

00:00:04.000 --> 00:00:05.500
<v Piet>die klopt niet

00:00:05.500 --> 00:00:07.000
Anna: wat klopt er niet aan
"""


def test_vtt_with_agent_speaker(tmp_path):
    path = tmp_path / "call-9.vtt"
    path.write_text(VTT, "utf-8")
    (transcript,) = read_transcripts(path, agent_speaker="anna")
    assert transcript.id == "call-9"
    assert [u.speaker for u in transcript.utterances] == ["agent", "customer", "agent"]
    assert transcript.utterances[1].text == "hoi ik bel over mijn factuur die klopt niet"
    assert (transcript.utterances[1].start, transcript.utterances[1].end) == (2.0, 5.5)
    assert transcript.utterances[2].text == "wat klopt er niet aan"


def test_vtt_unknown_voice_asks_for_agent_speaker(tmp_path):
    path = tmp_path / "call.vtt"
    path.write_text(VTT, "utf-8")
    with pytest.raises(TranscriptFormatError, match="--agent-speaker"):
        read_transcripts(path)


def test_vtt_without_header(tmp_path):
    path = tmp_path / "call.vtt"
    path.write_text("00:00:00.000 --> 00:00:02.000\nhoi\n", "utf-8")
    with pytest.raises(TranscriptFormatError, match="WEBVTT"):
        read_transcripts(path)


def test_format_override_and_unknown_extension(tmp_path):
    path = write_lines(tmp_path / "a.data", GOOD)
    with pytest.raises(TranscriptFormatError, match="--format"):
        read_transcripts(path)
    assert read_transcripts(path, format="jsonl")[0].id == "t-1"
    assert detect_format("x.NDJSON") == "jsonl"


def test_duplicate_id_names_its_line_and_the_first(tmp_path):
    path = write_lines(tmp_path / "a.jsonl", GOOD, {**GOOD, "id": "t-2"}, GOOD)
    rejected = []
    transcripts = read_transcripts(path, on_invalid=rejected.append)
    assert [t.id for t in transcripts] == ["t-1", "t-2"]
    assert [(r.position, r.transcript_id) for r in rejected] == [("line 3", "t-1")]
    assert rejected[0].reason == "duplicate transcript id 't-1' (first on line 1)"


@pytest.mark.parametrize(
    "line", ['{"id": "t-2", "utterances": [', '{"id": "t-2", "utterances": [{"speaker": "kla']
)
def test_truncated_json_line(tmp_path, line):
    path = write_lines(tmp_path / "a.jsonl", GOOD, line)
    with pytest.raises(TranscriptFormatError) as info:
        read_transcripts(path)
    assert info.value.position == "line 2"
    assert "line ends in the middle of the JSON" in info.value.reason


def test_malformed_json_column(tmp_path):
    path = write_lines(tmp_path / "a.jsonl", '{"id" "t-1"}')
    with pytest.raises(TranscriptFormatError) as info:
        read_transcripts(path)
    assert info.value.reason == "malformed JSON: Expecting ':' delimiter (column 7)"


def test_directory_is_named_as_such(tmp_path):
    (tmp_path / "gesprekken").mkdir()
    for path in (tmp_path / "gesprekken", tmp_path):
        with pytest.raises(TranscriptFormatError, match="is a directory, not a file"):
            read_transcripts(path)
    with pytest.raises(TranscriptFormatError, match="is a directory, not a file"):
        detect_format(tmp_path / "gesprekken")


def test_vtt_agent_speaker_that_is_not_a_voice(tmp_path):
    path = tmp_path / "call.vtt"
    path.write_text(VTT, "utf-8")
    with pytest.raises(TranscriptFormatError) as info:
        read_transcripts(path, agent_speaker="Lisa")
    assert info.value.source == str(path) and info.value.transcript_id == "call"
    assert "'Lisa'" in info.value.reason and "'Anna', 'Piet'" in info.value.reason
    rejected = []
    assert read_transcripts(path, agent_speaker="Lisa", on_invalid=rejected.append) == []
    assert len(rejected) == 1
