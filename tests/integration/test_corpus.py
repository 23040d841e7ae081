"""The annotated corpus: format, codebook constraints, size and the frozen test split."""

from __future__ import annotations

import collections
import hashlib
import json
import re

import pytest

import klantfocus
from klantfocus import TAGS

from ..conftest import ROOT, load_script

ANNOTATED = ROOT / "data" / "annotated"
SPLITS = ("train", "dev", "test")


@pytest.fixture(scope="module")
def corpus():
    return {split: klantfocus.read_transcripts(ANNOTATED / f"{split}.jsonl") for split in SPLITS}


@pytest.fixture(scope="module")
def raw():
    return {
        split: [
            json.loads(line)
            for line in (ANNOTATED / f"{split}.jsonl").read_text("utf-8").splitlines()
        ]
        for split in SPLITS
    }


def test_test_split_is_frozen():
    datasheet = (ANNOTATED / "README.md").read_text("utf-8")
    match = re.search(r"test\.jsonl[^\n]*?([0-9a-f]{64})", datasheet)
    assert match, "the datasheet must record the SHA-256 of test.jsonl"
    assert hashlib.sha256((ANNOTATED / "test.jsonl").read_bytes()).hexdigest() == match.group(1)


def test_splits_are_disjoint(corpus):
    ids = [t.id for split in SPLITS for t in corpus[split]]
    assert len(ids) == len(set(ids))


def test_codebook_constraints(corpus, raw):
    for split in SPLITS:
        for transcript, record in zip(corpus[split], raw[split], strict=True):
            assert transcript.mindset in ("klantgericht", "innerlijk"), transcript.id
            rating = transcript.mindset_rating
            assert rating is not None and 1 <= rating <= 5
            assert not (rating <= 2 and transcript.mindset != "innerlijk"), transcript.id
            assert not (rating >= 4 and transcript.mindset != "klantgericht"), transcript.id
            for i, utterance in enumerate(transcript.utterances):
                where = f"{transcript.id} utterance {i}"
                assert utterance.labels is not None, where
                assert set(utterance.labels) <= set(TAGS), where
                if not utterance.is_agent:
                    assert utterance.labels == [] and not utterance.spans, where
                jargon_spans = [s for s in utterance.spans if s.label == "jargon"]
                assert ("jargon" in utterance.labels) == bool(jargon_spans), where
                for span in utterance.spans:
                    assert 0 <= span.start < span.end <= len(utterance.text), where
                    piece = utterance.text[span.start : span.end]
                    assert piece == piece.strip() and piece, where
                assert record["utterances"][i]["text"] == utterance.text


def test_size_and_spread(raw):
    records = [r for split in SPLITS for r in raw[split]]
    assert len(records) >= 400
    assert sum(len(r["utterances"]) for r in records) >= 8000
    assert len({r["domain"] for r in records}) >= 14
    lengths = [len(r["utterances"]) for r in records]
    assert min(lengths) <= 10 and max(lengths) > 40
    styles = collections.Counter(r["style"] for r in records)
    assert styles["stt"] >= 0.25 * len(records) and styles["spoken"] >= 0.25 * len(records)
    assert any(r.get("variant") == "be" for r in records)
    tags = collections.Counter(t for r in records for u in r["utterances"] for t in u["labels"])
    assert all(tags[t] >= 600 for t in TAGS), tags
    klantgericht = sum(r["mindset"] == "klantgericht" for r in records) / len(records)
    assert 0.4 <= klantgericht <= 0.6
    ratings = collections.Counter(r["mindset_rating"] for r in records)
    assert set(ratings) == {1, 2, 3, 4, 5} and ratings[3] >= 0.1 * len(records)


FIRST_WAVE = {f"b{i}" for i in range(1, 8)}  # written before the test split was frozen


def test_splits_are_stratified(raw):
    first = {s: [r for r in raw[s] if r["id"].split("-")[0] in FIRST_WAVE] for s in SPLITS}
    total = sum(len(first[s]) for s in SPLITS)
    assert 0.65 <= len(first["train"]) / total <= 0.75
    for split in ("dev", "test"):
        assert 0.12 <= len(first[split]) / total <= 0.18
        domains = {r["domain"] for r in first[split]}
        assert len(domains) >= 14
    # later waves: train and dev only (80/20), never test
    later = {s: [r for r in raw[s] if r["id"].split("-")[0] not in FIRST_WAVE] for s in SPLITS}
    assert later["test"] == []
    if later["train"] or later["dev"]:
        assert 0.15 <= len(later["dev"]) / (len(later["train"]) + len(later["dev"])) <= 0.25


def test_stt_style_has_no_punctuation(raw):
    for split in SPLITS:
        for record in raw[split]:
            if record["style"] == "stt":
                for utterance in record["utterances"]:
                    assert not re.search(r"[.,?!;]", utterance["text"]), record["id"]


def test_transcripts_added_after_the_freeze_never_enter_test():
    build_corpus = load_script("build_corpus")
    existing = {"old-1": "train", "old-2": "dev", "old-3": "test"}
    records = [{"id": f"old-{i}", "domain": "d", "mindset": "innerlijk"} for i in (1, 2, 3)]
    records += [
        {
            "id": f"new-{i:02d}",
            "domain": f"d{i % 3}",
            "mindset": ("innerlijk", "klantgericht")[i % 2],
        }
        for i in range(40)
    ]
    assignment = build_corpus.assign_splits(records, existing)
    assert {k: assignment[k] for k in existing} == existing
    new = [assignment[f"new-{i:02d}"] for i in range(40)]
    assert "test" not in new
    assert 6 <= new.count("dev") <= 10  # 20% of 40, per stratum rounding


def test_a_first_split_has_a_test_share():
    build_corpus = load_script("build_corpus")
    records = [{"id": f"t{i:02d}", "domain": "d", "mindset": "innerlijk"} for i in range(20)]
    assignment = build_corpus.assign_splits(records, {})
    assert list(assignment.values()).count("test") == 3
