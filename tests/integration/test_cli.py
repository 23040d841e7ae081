"""The CLI, run as a subprocess on the example files."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from ..conftest import EXAMPLES

EXAMPLE_FILES = [
    str(EXAMPLES / n) for n in ("gesprekken.jsonl", "gesprekken.csv", "gesprek.txt", "gesprek.vtt")
]


def run(*args, check=True):
    result = subprocess.run(
        [sys.executable, "-m", "klantfocus", *args], capture_output=True, text=True, timeout=600
    )
    if check and result.returncode != 0:
        raise AssertionError(f"exit {result.returncode}\n{result.stdout}\n{result.stderr}")
    return result


@pytest.mark.parametrize("command", [[], ["tag"], ["score"], ["evaluate"], ["agents"]])
def test_help(command):
    result = run(*command, "--help")
    assert "usage: klantfocus" in result.stdout


def test_score_prints_table_and_writes(tmp_path):
    out = tmp_path / "scored.jsonl"
    result = run("score", *EXAMPLE_FILES, "-o", str(out))
    lines = result.stdout.strip().splitlines()
    assert lines[0].split()[:3] == ["transcript", "mindset", "score"]
    records = [json.loads(line) for line in out.read_text("utf-8").splitlines()]
    assert len(records) == len(lines) - 2 == 9
    for record in records:
        assert record["mindset"] in ("klantgericht", "innerlijk")
        assert 0 <= record["mindset_score"] <= 100
        assert record["explanation"]


def test_tag_to_csv(tmp_path):
    out = tmp_path / "tagged.csv"
    run("tag", EXAMPLE_FILES[0], "-o", str(out))
    header = out.read_text("utf-8").splitlines()[0].split(",")
    assert {"conversation_id", "speaker", "text", "labels", "tag_jargon"} <= set(header)


def test_bad_input_exit_code_and_message(tmp_path):
    bad = tmp_path / "bad.jsonl"
    bad.write_text(
        '{"id": "a", "utterances": [{"speaker": "agent", "text": "hoi"}]}\n{"id": "b", "utterances": [{"speaker": "agent"}]}\n',
        "utf-8",
    )
    result = run("tag", str(bad), "-o", str(tmp_path / "out.jsonl"), check=False)
    assert result.returncode == 2
    assert "bad.jsonl, line 2" in result.stderr and "no 'text'" in result.stderr
    assert not (tmp_path / "out.jsonl").exists()


def test_skip_invalid_writes_errors_file(tmp_path):
    bad = tmp_path / "bad.jsonl"
    bad.write_text(
        '{"id": "a", "utterances": [{"speaker": "agent", "text": "hoi"}]}\nnot json\n'
        '{"id": "c", "utterances": [{"speaker": "klant", "text": "dag"}]}\n',
        "utf-8",
    )
    out = tmp_path / "out.jsonl"
    result = run("tag", str(bad), "-o", str(out), "--skip-invalid")
    assert [json.loads(x)["id"] for x in out.read_text("utf-8").splitlines()] == ["a", "c"]
    errors = [
        json.loads(x) for x in (tmp_path / "out.jsonl.errors.jsonl").read_text("utf-8").splitlines()
    ]
    assert errors == [
        {
            "source": str(bad),
            "position": "line 2",
            "reason": errors[0]["reason"],
            "transcript_id": None,
        }
    ]
    assert "malformed JSON" in errors[0]["reason"]
    assert "skipped 1" in result.stderr


def test_skip_invalid_reports_unreadable_files_and_unscorable_transcripts(tmp_path):
    empty = tmp_path / "leeg.jsonl"
    empty.write_text("")
    calls = tmp_path / "calls.jsonl"
    calls.write_text(
        '{"id": "n1", "utterances": [{"speaker": "klant", "text": "Hallo?"}]}\n'
        '{"id": "a1", "utterances": [{"speaker": "klant", "text": "Mijn internet doet het niet."}, '
        '{"speaker": "agent", "text": "Wat merkt u daar precies van?"}]}\n',
        "utf-8",
    )
    out = tmp_path / "out.jsonl"
    result = run("score", str(empty), str(calls), "-o", str(out), "--skip-invalid")
    assert [json.loads(x)["id"] for x in out.read_text("utf-8").splitlines()] == ["a1"]
    errors = [
        json.loads(x) for x in (tmp_path / "out.jsonl.errors.jsonl").read_text("utf-8").splitlines()
    ]
    assert [(e["position"], e["transcript_id"]) for e in errors] == [("", None), ("line 1", "n1")]
    assert "no agent utterances; speakers found: customer" in errors[1]["reason"]
    assert "Traceback" not in result.stderr and "skipped 2" in result.stderr

    result = run("score", str(calls), check=False)
    assert result.returncode == 2
    assert result.stderr.strip().splitlines() == [
        f"klantfocus: error: {calls}, line 1 (transcript n1): no agent utterances; "
        "speakers found: customer"
    ]


def test_empty_file_exit_code(tmp_path):
    empty = tmp_path / "leeg.csv"
    empty.write_text("")
    result = run("score", str(empty), check=False)
    assert result.returncode == 2 and "leeg.csv" in result.stderr and "empty" in result.stderr


def test_evaluate_json(tmp_path):
    gold = tmp_path / "gold.jsonl"
    gold.write_text(
        json.dumps(
            {
                "id": "g1",
                "mindset": "innerlijk",
                "mindset_rating": 2,
                "utterances": [
                    {"speaker": "customer", "text": "Mijn internet doet het niet.", "labels": []},
                    {
                        "speaker": "agent",
                        "text": "Ik escaleer het naar de tweede lijn.",
                        "labels": ["premature_solution", "jargon"],
                        "spans": [{"start": 23, "end": 35, "label": "jargon"}],
                    },
                ],
            }
        )
        + "\n"
        + json.dumps(
            {
                "id": "g2",
                "mindset": "klantgericht",
                "mindset_rating": 5,
                "utterances": [
                    {"speaker": "customer", "text": "Mijn internet doet het niet.", "labels": []},
                    {
                        "speaker": "agent",
                        "text": "Wat merkt u daar precies van?",
                        "labels": ["open_question"],
                    },
                ],
            }
        )
        + "\n",
        "utf-8",
    )
    report = json.loads(run("evaluate", str(gold), "--json").stdout)
    assert set(report["per_tag"]) == {
        "open_question",
        "summary",
        "premature_solution",
        "jargon",
        "opinion",
    }
    assert {"precision", "recall", "f1", "support"} <= set(report["per_tag"]["jargon"])
    assert report["per_tag"]["jargon"]["support"] == 1
    assert "macro_f1" in report and "jargon_span" in report
    assert {"accuracy", "roc_auc", "spearman_rating"} <= set(report["mindset"]) or report[
        "mindset"
    ]["n"] == 2
