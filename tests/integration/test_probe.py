"""The out-of-domain probe sets (data/annotated/probe/, probe2/ to probe4/) and their evaluation script."""

from __future__ import annotations

import json
import shutil

import pytest

from ..conftest import ROOT, load_script

ANNOTATED = ROOT / "data" / "annotated"
PROBES = [ANNOTATED / f"probe{n}" for n in ("", "2", "3", "4")]


def _read(path):
    return [json.loads(line) for line in path.read_text("utf-8").splitlines() if line.strip()]


@pytest.fixture(scope="module")
def evaluate_probe():
    return load_script("evaluate_probe")


def _first(probe):
    return [r for path in sorted((probe / "source").glob("*.jsonl")) for r in _read(path)]


@pytest.fixture(scope="module", params=PROBES, ids=lambda p: p.name)
def probe(request):
    return request.param


@pytest.fixture(scope="module")
def first(probe):
    return _first(probe)


def test_sources_pass_the_draft_check(probe, capsys):
    check = load_script("check_draft_corpus").check
    sources = sorted((probe / "source").glob("*.jsonl"))
    assert sources
    for path in sources:
        assert check(str(path)) == 0, capsys.readouterr().out


def test_probe_file_is_the_converted_sources(probe, first):
    convert = load_script("build_corpus").convert
    assert _read(probe / "probe.jsonl") == [convert(r) for r in first]


def test_probes_share_no_domain_or_id():
    probes = [_first(p) for p in PROBES]
    for i, one in enumerate(probes):
        for other in probes[i + 1 :]:
            assert not {r["domain"] for r in one} & {r["domain"] for r in other}
            assert not {r["id"] for r in one} & {r["id"] for r in other}


def test_probe_is_disjoint_from_the_corpus(first):
    corpus_ids, corpus_texts = set(), set()
    for split in ("train", "dev", "test"):
        for record in _read(ROOT / "data" / "annotated" / f"{split}.jsonl"):
            corpus_ids.add(record["id"])
            corpus_texts.update(u["text"] for u in record["utterances"] if len(u["text"]) > 40)
    assert not {r["id"] for r in first} & corpus_ids
    probe_texts = [u["text"] for r in first for u in r["utterances"]]
    # Independent writers may hit the same stock question now and then (probe2 shares
    # "Wat maakt dat u zich daar zorgen over maakt?" with one corpus call); copying would
    # show as many shared texts.
    shared = [text for text in probe_texts if text in corpus_texts]
    assert len(shared) <= 0.01 * len(probe_texts), shared
    corpus_domains = {
        r["domain"]
        for split in ("train", "dev", "test")
        for r in _read(ANNOTATED / f"{split}.jsonl")
        if "domain" in r
    }
    assert not {r["domain"] for r in first} & corpus_domains


def test_agreement_of_identical_annotations_is_perfect(evaluate_probe, first):
    result = evaluate_probe.agreement(first, first)
    assert result["agent_utterances"] == sum(
        u["speaker"] == "agent" for r in first for u in r["utterances"]
    )
    assert set(result["kappa"].values()) == {1.0}
    assert result["mindset_agreement"] == 1.0


def test_agreement_refuses_a_second_pass_with_other_texts(evaluate_probe, first):
    changed = json.loads(json.dumps(first))
    agent = next(u for u in changed[0]["utterances"] if u["speaker"] == "agent")
    agent["text"] += " extra"
    with pytest.raises(SystemExit, match="changed the text"):
        evaluate_probe.agreement(first, changed)


def test_agreement_notices_a_disagreement(evaluate_probe, first):
    changed = json.loads(json.dumps(first))
    for record in changed:
        for utterance in record["utterances"]:
            if utterance["speaker"] == "agent":
                utterance["labels"] = []
    result = evaluate_probe.agreement(first, changed)
    assert all(k < 1.0 for k in result["kappa"].values())


def test_recorded_evaluation_reproduces(evaluate_probe, probe, tmp_path):
    """evaluation.json is what the shipped models give on the probe today."""
    shutil.copytree(probe, tmp_path / "probe")
    assert evaluate_probe.main(["--probe", str(tmp_path / "probe")]) == 0
    fresh = json.loads((tmp_path / "probe" / "evaluation.json").read_text("utf-8"))
    recorded = json.loads((probe / "evaluation.json").read_text("utf-8"))
    assert fresh["shipped"]["macro_f1"] == recorded["shipped"]["macro_f1"]
    assert fresh["shipped"]["per_tag"] == recorded["shipped"]["per_tag"]
    assert fresh["shipped"]["mindset"]["roc_auc"] == recorded["shipped"]["mindset"]["roc_auc"]
    assert fresh["agreement"] == recorded["agreement"]
