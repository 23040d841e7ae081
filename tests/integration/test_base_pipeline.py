"""Integration tests for the shipped Dutch base pipeline, models/nl_klantfocus_base.

Build it with `make base-model` (python scripts/train_base.py); see docs/base-pipeline.md.
"""

from __future__ import annotations

import hashlib
import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

spacy = pytest.importorskip("spacy")

ROOT = Path(__file__).resolve().parents[2]
MODEL_DIR = ROOT / "models" / "nl_klantfocus_base"
CONVERSATIONAL = ROOT / "tests" / "data" / "conversational_pos.jsonl"

EXPECTED_PIPELINE = ["tok2vec", "tagger", "morphologizer", "trainable_lemmatizer", "parser"]
METRICS = ["pos_acc", "tag_acc", "morph_acc", "lemma_acc", "dep_uas", "dep_las", "sents_f"]
TARGETS = {"pos_acc": 0.93, "dep_las": 0.72}
CONVERSATIONAL_TARGET = 0.90


@pytest.fixture(scope="module")
def nlp():
    if not (MODEL_DIR / "meta.json").is_file():
        pytest.fail(f"{MODEL_DIR} is missing: build it with `make base-model`")
    return spacy.load(MODEL_DIR)


@pytest.fixture(scope="module")
def meta():
    return json.loads((MODEL_DIR / "meta.json").read_text(encoding="utf-8"))


def test_components(nlp):
    assert nlp.pipe_names == EXPECTED_PIPELINE
    assert nlp.lang == "nl"
    assert nlp.get_pipe_meta("trainable_lemmatizer").factory == "trainable_lemmatizer"
    assert nlp.get_pipe_meta("morphologizer").factory == "morphologizer"
    assert nlp.get_pipe_meta("parser").factory == "parser"
    assert nlp.vocab.vectors.shape[0] == 0, "the base pipeline ships no static vectors"
    size = sum(p.stat().st_size for p in MODEL_DIR.rglob("*") if p.is_file())
    assert size < 25_000_000, f"model folder is {size / 1e6:.1f} MB"


def test_loads_in_fresh_python():
    code = "import spacy, sys; nlp = spacy.load(sys.argv[1]); print(','.join(nlp.pipe_names))"
    out = subprocess.run(
        [sys.executable, "-c", code, str(MODEL_DIR)], capture_output=True, text=True
    )
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == ",".join(EXPECTED_PIPELINE)


def test_meta(meta):
    assert meta["name"] == "nl_klantfocus_base"
    assert meta["lang"] == "nl"
    assert re.fullmatch(r"\d+\.\d+\.\d+", meta["version"])
    assert meta["description"]
    assert meta["license"] == "CC BY-SA 4.0"
    # annotated training data; raw text used only to pretrain the tok2vec is listed apart
    annotated = [
        s for s in meta["sources"] if not all("pretraining" in f["use"] for f in s["files"])
    ]
    names = {s["name"] for s in annotated}
    assert names == {"UD_Dutch-Alpino", "UD_Dutch-LassySmall", "klantfocus conversational treebank"}
    authors = " ".join(s["author"] for s in annotated)
    for person in ("Gosse Bouma", "Gertjan van Noord", "Daniel Zeman", "Žabokrtský"):
        assert person in authors
    assert all(s["license"] == "CC BY-SA 4.0" for s in annotated)
    assert all(s["license"] and s["author"] for s in meta["sources"])
    hashes = meta["input_sha256"]
    treebank = sorted((ROOT / "data" / "ud-conversational").glob("*.conllu"))
    assert set(hashes) == {
        "nl_alpino-ud-dev.conllu",
        "nl_alpino-ud-test.conllu",
        "nl_lassysmall-ud-dev.conllu",
        "nl_lassysmall-ud-test.conllu",
        *(str(path.relative_to(ROOT)) for path in treebank),
    }
    assert all(re.fullmatch(r"[0-9a-f]{64}", h) for h in hashes.values())
    # the shipped model was trained on the conversational treebank as it is in the repo
    for path in treebank:
        digest = hashlib.sha256(path.read_bytes()).hexdigest()
        assert hashes[str(path.relative_to(ROOT))] == digest, f"{path.name} changed since training"


KNOWN_SHORTFALL = (
    "the shipped base pipeline (models/nl_klantfocus_base) misses this issue-3 target; measured "
    "figures and what stands in the way are in docs/base-pipeline.md"
)


def test_meta_performance_is_recorded(meta):
    perf = meta["performance"]
    for split in ("test", "dev"):
        for key in METRICS:
            value = perf[split][key]
            assert isinstance(value, float) and 0.0 < value <= 1.0, (split, key, value)
    for key in METRICS:  # top level = held-out test, spaCy's convention for meta.json
        assert perf[key] == perf["test"][key]
    assert "nl_alpino-ud-test" in perf["evaluated_on"]


def test_held_out_pos_meets_target(meta):
    assert meta["performance"]["test"]["pos_acc"] >= TARGETS["pos_acc"]


@pytest.mark.xfail(strict=True, reason=KNOWN_SHORTFALL + ": held-out LAS 0.716")
def test_held_out_las_meets_target(meta):
    assert meta["performance"]["test"]["dep_las"] >= TARGETS["dep_las"]


def _conversational_examples():
    with CONVERSATIONAL.open(encoding="utf-8") as f:
        return [json.loads(line) for line in f if line.strip()]


def test_conversational_data_is_consistent():
    """Every expected word sits at its token index under spaCy's Dutch tokenizer."""
    records = _conversational_examples()
    assert len(records) >= 70
    blank = spacy.blank("nl")
    for rec in records:
        doc = blank(rec["text"])
        assert 1 <= len(rec["expect"]) <= 3, rec
        for exp in rec["expect"]:
            assert doc[exp["i"]].text == exp["word"], (rec["text"], exp)


def test_conversational_pos_accuracy(nlp):
    records = _conversational_examples()
    total = correct = 0
    misses = []
    for rec, doc in zip(records, nlp.pipe(r["text"] for r in records), strict=True):
        for exp in rec["expect"]:
            tok = doc[exp["i"]]
            total += 1
            if tok.pos_ == exp["pos"]:
                correct += 1
            else:
                misses.append(
                    f"  {exp['word']!r} expected {exp['pos']}, got {tok.pos_}  in {rec['text']!r}"
                )
    acc = correct / total
    assert acc >= CONVERSATIONAL_TARGET, (
        f"conversational UPOS accuracy {acc:.3f} ({correct}/{total}) < {CONVERSATIONAL_TARGET}; misses:\n"
        + "\n".join(misses)
    )


def test_sentences_split_in_long_turn(nlp):
    """One agent turn, four sentences: the parser must find the three later boundaries and
    must not split inside those sentences (the greeting may come out as its own sentence)."""
    text = (
        "Goedemiddag, u spreekt met Mark van de klantenservice. "
        "Ik zie dat uw internet sinds gisteren niet meer werkt. "
        "Heeft u de router al opnieuw opgestart? "
        "Als dat niet helpt, stuur ik morgen een monteur langs."
    )
    doc = nlp(text)
    sents = [s.text for s in doc.sents]
    expected = [t.i for t in doc if t.text in ("Ik", "Heeft", "Als")]
    assert len(expected) == 3
    starts = {s.start for s in doc.sents}
    assert set(expected) <= starts, sents
    assert {i for i in starts if i > expected[0]} == set(expected[1:]), sents
    assert sents[-3:] == [
        "Ik zie dat uw internet sinds gisteren niet meer werkt.",
        "Heeft u de router al opnieuw opgestart?",
        "Als dat niet helpt, stuur ik morgen een monteur langs.",
    ]


@pytest.mark.parametrize(
    "text, expected",
    [
        (
            "De monteurs hebben gisteren alle kabels vervangen.",
            {
                "monteurs": "monteur",
                "hebben": "hebben",
                "kabels": "kabel",
                "vervangen": "vervangen",
            },
        ),
        pytest.param(
            "Ik heb twee facturen ontvangen en die klopten niet.",
            {
                "heb": "hebben",
                "facturen": "factuur",
                "ontvangen": "ontvangen",
                "klopten": "kloppen",
            },
            marks=pytest.mark.xfail(
                strict=True,
                reason=KNOWN_SHORTFALL + ": lemmas of irregular plurals and past tenses",
            ),
        ),
        (
            "Mijn buren werden vorige week ook al gebeld.",
            {"buren": "buur", "werden": "worden", "gebeld": "bellen"},
        ),
        pytest.param(
            "Ze zei dat de storingen bij ons vaker voorkwamen.",
            {"zei": "zeggen", "storingen": "storing", "voorkwamen": "voorkomen"},
            marks=pytest.mark.xfail(
                strict=True,
                reason=KNOWN_SHORTFALL + ": lemmas of irregular plurals and past tenses",
            ),
        ),
    ],
)
def test_lemmas_of_inflected_words(nlp, text, expected):
    doc = nlp(text)
    got = {t.text: t.lemma_ for t in doc if t.text in expected}
    assert got == expected
