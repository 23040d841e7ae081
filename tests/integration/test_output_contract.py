"""Every output holds exactly the input's transcripts and utterances, in order, with the
same ids and texts, and unknown fields come back unchanged: for every reader and writer."""

from __future__ import annotations

import json

import pandas as pd
import pytest

import klantfocus
from klantfocus.io import write_transcripts

from ..conftest import EXAMPLES

INPUTS = {
    "jsonl": EXAMPLES / "gesprekken.jsonl",
    "csv": EXAMPLES / "gesprekken.csv",
    "txt": EXAMPLES / "gesprek.txt",
    "vtt": EXAMPLES / "gesprek.vtt",
}


@pytest.fixture(scope="module")
def parquet_input(tmp_path_factory):
    path = tmp_path_factory.mktemp("in") / "gesprekken.parquet"
    pd.read_csv(EXAMPLES / "gesprekken.csv").to_parquet(path)
    return path


def _inputs(parquet_input):
    return {**INPUTS, "parquet": parquet_input}


def _outline(transcripts):
    return [(t.id, [(u.speaker, u.text) for u in t.utterances]) for t in transcripts]


@pytest.mark.parametrize("reader", ["jsonl", "csv", "parquet", "txt", "vtt"])
@pytest.mark.parametrize("writer", ["jsonl", "csv", "parquet"])
def test_tagged_output_matches_input(reader, writer, parquet_input, nlp, tmp_path):
    source = _inputs(parquet_input)[reader]
    original = klantfocus.read_transcripts(source)
    tagged = klantfocus.tag(original, nlp)
    out = tmp_path / f"out.{writer}"
    assert write_transcripts(tagged, out) == len(original)
    back = klantfocus.read_transcripts(out)
    assert _outline(back) == _outline(original)
    for before, after in zip(original, back, strict=True):
        for u_before, u_after in zip(before.utterances, after.utterances, strict=True):
            for key, value in u_before.extra.items():
                assert u_after.extra[key] == value, (reader, writer, key)
            assert u_after.labels is not None
            if not u_after.is_agent:
                assert u_after.labels == []


def test_jsonl_keeps_transcript_level_unknown_fields(nlp, tmp_path, conversation):
    (tagged,) = klantfocus.tag([conversation], nlp)
    out = tmp_path / "out.jsonl"
    write_transcripts([tagged], out)
    record = json.loads(out.read_text("utf-8"))
    assert record["kanaal"] == "telefoon"
    assert record["meta"] == {"agent_id": "a-1"}
    assert record["utterances"][2]["emotie"] == "boos"
    assert record["utterances"][1]["start"] == 4.2


def test_tagging_does_not_mutate_input(nlp, conversation):
    before = conversation.to_dict()
    klantfocus.tag([conversation], nlp)
    assert conversation.to_dict() == before
