"""The writers on awkward data and failing output paths."""

from __future__ import annotations

import json

import pandas as pd
import pytest

from klantfocus import Transcript
from klantfocus.io import TranscriptWriter, read_transcripts, write_transcripts
from klantfocus.io.writers import OutputError, check_output_path


def _mixed_confidence():
    return Transcript.from_dict(
        {
            "id": "m1",
            "utterances": [
                {"speaker": "agent", "text": "Wat kan ik voor u doen?", "confidence": 0.9},
                {"speaker": "klant", "text": "Mijn internet doet het niet.", "confidence": "hoog"},
                {"speaker": "agent", "text": "Sinds wanneer?"},
            ],
        }
    )


@pytest.mark.parametrize("suffix", [".parquet", ".csv", ".jsonl"])
def test_extra_field_with_mixed_types(tmp_path, suffix):
    out = tmp_path / f"out{suffix}"
    assert write_transcripts([_mixed_confidence()], out) == 1
    assert [p.name for p in tmp_path.iterdir()] == [out.name]
    if suffix == ".parquet":
        frame = pd.read_parquet(out)
        # No common type: the column holds JSON text, which keeps 0.9 apart from "0.9".
        assert [None if pd.isna(v) else json.loads(v) for v in frame["confidence"]] == [
            0.9,
            "hoog",
            None,
        ]
        assert frame["text"].iloc[0] == "Wat kan ik voor u doen?"
    (back,) = read_transcripts(out)
    assert [u.text for u in back.utterances] == [u.text for u in _mixed_confidence().utterances]


def test_parquet_with_consistent_types_is_unchanged(tmp_path):
    record = _mixed_confidence().to_dict()
    record["utterances"][1]["confidence"] = 0.4
    out = tmp_path / "out.parquet"
    write_transcripts([Transcript.from_dict(record)], out)
    assert pd.read_parquet(out)["confidence"].tolist()[:2] == [0.9, 0.4]


def test_failed_close_removes_the_temporary_file(tmp_path, monkeypatch):
    out = tmp_path / "out.parquet"

    def fail(self):
        raise RuntimeError("disk on fire")

    monkeypatch.setattr(TranscriptWriter, "_write_parquet", fail)
    with pytest.raises(RuntimeError, match="disk on fire"):
        write_transcripts([_mixed_confidence()], out)
    assert list(tmp_path.iterdir()) == []


def test_unwritable_output_paths(tmp_path):
    blocker = tmp_path / "a-file"
    blocker.write_text("x")
    with pytest.raises(OutputError, match="not a directory"):
        check_output_path(blocker / "out.jsonl")
    with pytest.raises(OutputError, match="is a directory"):
        check_output_path(tmp_path)
    with pytest.raises(OutputError, match="exists and is not a directory"):
        check_output_path(blocker, directory=True)
    with pytest.raises(OutputError, match="a-file"):
        TranscriptWriter(blocker / "out.jsonl")
    check_output_path(tmp_path / "new" / "deeper" / "out.jsonl")  # created by the writer
    check_output_path(tmp_path / "new-dir", directory=True)
    assert [p.name for p in tmp_path.iterdir()] == ["a-file"]


@pytest.mark.parametrize("value", [{}, [{}], {"a": {}}])
def test_parquet_holds_empty_objects_as_json_text(tmp_path, value):
    record = _mixed_confidence().to_dict()
    for utterance in record["utterances"]:
        utterance["confidence"] = value
    out = tmp_path / "out.parquet"
    assert write_transcripts([Transcript.from_dict(record)], out) == 1
    stored = pd.read_parquet(out)["confidence"].tolist()
    assert all(json.loads(v) == value for v in stored)
    assert [p.name for p in tmp_path.iterdir()] == [out.name]
