"""The CLI on bad input and bad output paths, run in-process with the session's models."""

from __future__ import annotations

import json
import logging

import pytest

import klantfocus.pipeline.loading
import klantfocus.scoring.model
from klantfocus.cli import main

from ..conftest import EXAMPLES

AGENT_CALL = {
    "id": "a1",
    "utterances": [
        {"speaker": "klant", "text": "Mijn internet doet het al drie dagen niet."},
        {"speaker": "agent", "text": "Wat merkt u daar precies van?"},
    ],
}
CUSTOMER_ONLY = {
    "id": "n1",
    "utterances": [
        {"speaker": "klant", "text": "Hallo?"},
        {"speaker": "klant", "text": "Is daar iemand?"},
    ],
}
TOO_LONG = {
    "id": "lang-1",
    "utterances": [
        {"speaker": "agent", "text": "woord " * 170_000},
        {"speaker": "klant", "text": "ja"},
    ],
}


def _jsonl(path, *records):
    path.write_text("".join(json.dumps(r) + "\n" for r in records), "utf-8")
    return str(path)


@pytest.fixture
def models(monkeypatch, nlp, scorer):
    """The CLI loads the session's models instead of loading them again."""
    monkeypatch.setattr(klantfocus.pipeline.loading, "load", lambda *a, **k: nlp)
    monkeypatch.setattr(klantfocus.scoring.model, "load_scorer", lambda *a, **k: scorer)


@pytest.fixture
def no_models(monkeypatch):
    """The command must fail before it loads a model."""

    def refuse(*args, **kwargs):
        raise AssertionError("a model was loaded")

    monkeypatch.setattr(klantfocus.pipeline.loading, "load", refuse)
    monkeypatch.setattr(klantfocus.scoring.model, "load_scorer", refuse)


def _ids(path):
    return [json.loads(line)["id"] for line in path.read_text("utf-8").splitlines()]


def _errors(path):
    return [json.loads(line) for line in path.read_text("utf-8").splitlines()]


# 1. no agent utterances -----------------------------------------------------------------


def test_score_refuses_transcript_without_agent_utterances(tmp_path, models, capsys):
    calls = _jsonl(tmp_path / "calls.jsonl", AGENT_CALL, CUSTOMER_ONLY)
    out = tmp_path / "out.jsonl"
    assert main(["score", calls, "-o", str(out)]) == 2
    err = capsys.readouterr().err.strip()
    assert err == (
        f"klantfocus: error: {calls}, line 2 (transcript n1): no agent utterances; "
        "speakers found: customer"
    )
    assert not out.exists()


def test_score_skip_invalid_skips_transcript_without_agent_utterances(tmp_path, models, capsys):
    calls = _jsonl(tmp_path / "calls.jsonl", CUSTOMER_ONLY, AGENT_CALL)
    out = tmp_path / "out.jsonl"
    assert main(["score", calls, "-o", str(out), "--skip-invalid"]) == 0
    assert _ids(out) == ["a1"]
    (error,) = _errors(tmp_path / "out.jsonl.errors.jsonl")
    assert error["position"] == "line 1" and error["transcript_id"] == "n1"
    assert error["reason"].startswith("no agent utterances")
    captured = capsys.readouterr()
    assert "skipped 1" in captured.err and "n1" not in captured.out


def test_agents_refuses_transcript_without_agent_utterances(tmp_path, models, capsys):
    calls = _jsonl(tmp_path / "calls.jsonl", CUSTOMER_ONLY)
    assert main(["agents", calls]) == 2
    assert "(transcript n1): no agent utterances" in capsys.readouterr().err


# 2. a transcript over spaCy's max_length -----------------------------------------------------


@pytest.mark.parametrize("command", ["tag", "score"])
def test_too_long_transcript_is_a_transcript_error(tmp_path, models, capsys, command):
    calls = _jsonl(tmp_path / "calls.jsonl", AGENT_CALL, TOO_LONG)
    out = tmp_path / "out.jsonl"
    assert main([command, calls, "-o", str(out)]) == 2
    err = capsys.readouterr().err
    assert f"{calls}, line 2 (transcript lang-1): too long to tag" in err
    assert "Traceback" not in err and not out.exists()

    assert main([command, calls, "-o", str(out), "--skip-invalid"]) == 0
    assert _ids(out) == ["a1"]
    (error,) = _errors(tmp_path / "out.jsonl.errors.jsonl")
    assert (error["position"], error["transcript_id"]) == ("line 2", "lang-1")


# 3. --skip-invalid goes on after an unreadable file ------------------------------------------


@pytest.mark.parametrize("command", ["tag", "score"])
def test_skip_invalid_goes_on_after_an_unreadable_file(tmp_path, models, capsys, command):
    empty = tmp_path / "empty.jsonl"
    empty.write_text("")
    calls = _jsonl(tmp_path / "calls.jsonl", AGENT_CALL)
    out = tmp_path / "out.jsonl"
    argv = [command, str(empty), str(tmp_path / "missing.jsonl"), calls, "-o", str(out)]
    assert main([*argv, "--skip-invalid"]) == 0
    assert _ids(out) == ["a1"]
    errors = _errors(tmp_path / "out.jsonl.errors.jsonl")
    assert [(e["source"], e["reason"]) for e in errors] == [
        (str(empty), "file is empty"),
        (str(tmp_path / "missing.jsonl"), "file not found"),
    ]
    assert "empty.jsonl: file is empty; skipping the file" in capsys.readouterr().err
    assert main(argv) == 2  # without --skip-invalid the first one still stops the run


# 4. output paths that cannot be written --------------------------------------------------------


@pytest.mark.parametrize(
    "command", [["tag"], ["score"], ["agents"], ["report"], ["agents", "--scored"]]
)
def test_unwritable_output_fails_before_any_work(tmp_path, no_models, capsys, command):
    calls = _jsonl(tmp_path / "calls.jsonl", AGENT_CALL)
    blocker = tmp_path / "a-file"
    blocker.write_text("x")
    suffix = {"report": ".html", "agents": ".csv"}.get(command[0], ".jsonl")
    target = blocker / f"out{suffix}"
    assert main([*command, calls, "-o", str(target)]) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith(f"klantfocus: error: {target}: ") and "not a directory" in err
    assert len(err.splitlines()) == 1

    folder = tmp_path / f"folder{suffix}"
    folder.mkdir()
    assert main([*command, calls, "-o", str(folder)]) == 2
    assert "is a directory" in capsys.readouterr().err


def test_batch_output_that_is_a_file(tmp_path, no_models, capsys):
    calls = _jsonl(tmp_path / "calls.jsonl", AGENT_CALL)
    existing = tmp_path / "scored"
    existing.write_text("x")
    assert main(["batch", calls, "-o", str(existing), "-q"]) == 2
    err = capsys.readouterr().err
    assert f"{existing}: exists and is not a directory" in err and "Traceback" not in err


def test_unknown_output_extension_names_the_output_format_option(tmp_path, no_models, capsys):
    calls = _jsonl(tmp_path / "calls.jsonl", AGENT_CALL)
    assert main(["score", calls, "-o", str(tmp_path / "out.txt")]) == 2
    err = capsys.readouterr().err
    assert "use --output-format with one of ['csv', 'jsonl', 'parquet']" in err
    assert "--format " not in err


# 6. agents --scored and bad scores -----------------------------------------------------------


def test_agents_scored_on_tag_output(tmp_path, no_models, capsys):
    calls = _jsonl(tmp_path / "tagged.jsonl", AGENT_CALL)
    assert main(["agents", calls, "--scored"]) == 2
    err = capsys.readouterr().err
    assert f"{calls}, line 1 (transcript a1): transcript is not scored" in err
    assert "CSV and Parquet score output" in err and "Traceback" not in err


def test_agents_scored_on_csv_score_output(tmp_path, no_models, capsys):
    assert main(["agents", str(EXAMPLES / "gesprekken.csv"), "--scored"]) == 2
    err = capsys.readouterr().err
    assert "(transcript csv-001): transcript is not scored" in err
    assert "CSV and Parquet" in err


def test_agents_scored_rejects_a_score_that_is_no_number(tmp_path, no_models, capsys):
    calls = _jsonl(tmp_path / "scored.jsonl", {**AGENT_CALL, "mindset_score": "hoog"})
    assert main(["agents", calls, "--scored"]) == 2
    err = capsys.readouterr().err
    assert f"{calls}, line 1 (transcript a1): mindset_score must be a number" in err


def test_agents_help_is_clean(capsys):
    with pytest.raises(SystemExit):
        main(["agents", "--help"])
    out = capsys.readouterr().out
    assert "95% confidence" in out and "%%" not in out
    assert "CSV and Parquet score output" in " ".join(out.split())


# 7. evaluate --------------------------------------------------------------------------------------

GOLD = [
    {
        "id": "g1",
        "mindset": "klantgericht",
        "utterances": [
            {"speaker": "klant", "text": "Mijn internet doet het niet.", "labels": []},
            {
                "speaker": "agent",
                "text": "Wat merkt u daar precies van?",
                "labels": ["open_question"],
            },
        ],
    },
    {
        "id": "g2",
        "mindset": "innerlijk",
        "utterances": [
            {"speaker": "klant", "text": "Mijn internet doet het niet.", "labels": []},
            {"speaker": "agent", "text": "Ik escaleer het.", "labels": ["premature_solution"]},
        ],
    },
]


def test_evaluate_missing_prediction(tmp_path, no_models, capsys):
    gold = _jsonl(tmp_path / "gold.jsonl", *GOLD)
    predictions = _jsonl(tmp_path / "pred.jsonl", {**GOLD[0], "mindset_score": 90.0})
    assert main(["evaluate", gold, "--predictions", predictions]) == 2
    err = capsys.readouterr().err.strip()
    assert err == (
        f"klantfocus: error: {predictions} (transcript g2): no prediction for this gold transcript"
    )


def test_evaluate_without_gold_annotations(tmp_path, no_models, capsys):
    gold = _jsonl(tmp_path / "gold.jsonl", AGENT_CALL)
    assert main(["evaluate", gold]) == 2
    captured = capsys.readouterr()
    assert f"{gold}: no gold annotations found" in captured.err and not captured.out


def test_evaluate_csv_predictions_warn_about_mindset(tmp_path, no_models, capsys):
    gold = _jsonl(tmp_path / "gold.jsonl", *GOLD)
    predictions = tmp_path / "pred.csv"
    predictions.write_text(
        "conversation_id,speaker,text,labels\n"
        + "".join(
            f'{g["id"]},{u["speaker"]},"{u["text"]}",{";".join(u["labels"])}\n'
            for g in GOLD
            for u in g["utterances"]
        ),
        "utf-8",
    )
    assert main(["evaluate", gold, "--predictions", str(predictions)]) == 0
    captured = capsys.readouterr()
    assert "holds no mindset scores, so the mindset metrics are left out" in captured.err
    assert "macro" in captured.out


# 8. -v -----------------------------------------------------------------------------------------------


def test_verbose_keeps_library_loggers_quiet(tmp_path, models, monkeypatch):
    # Let basicConfig configure the root logger as in a fresh process.
    monkeypatch.setattr(logging.root, "handlers", [])
    monkeypatch.setattr(logging.root, "level", logging.WARNING)
    klantfocus_logger = logging.getLogger("klantfocus")
    monkeypatch.setattr(klantfocus_logger, "level", logging.NOTSET)
    assert main(["-v", "score", str(tmp_path / "missing.jsonl")]) == 2
    assert klantfocus_logger.getEffectiveLevel() == logging.DEBUG
    for name in ("matplotlib", "matplotlib.font_manager", "PIL", "fontTools"):
        assert logging.getLogger(name).getEffectiveLevel() == logging.WARNING


# report: the same per-transcript and per-file handling as score -------------------------


def test_report_refuses_transcript_without_agent_utterances(tmp_path, models, capsys):
    calls = _jsonl(tmp_path / "calls.jsonl", AGENT_CALL, CUSTOMER_ONLY)
    assert main(["report", calls, "-o", str(tmp_path / "r.html")]) == 2
    err = capsys.readouterr().err
    assert f"{calls}, line 2 (transcript n1): no agent utterances" in err
    assert not (tmp_path / "r.html").exists()


def test_report_skip_invalid_goes_on_after_bad_transcripts_and_files(tmp_path, models, capsys):
    empty = tmp_path / "empty.jsonl"
    empty.write_text("", "utf-8")
    calls = _jsonl(tmp_path / "calls.jsonl", AGENT_CALL, CUSTOMER_ONLY, TOO_LONG)
    out = tmp_path / "r.html"
    argv = ["report", str(empty), calls, "-o", str(out), "--skip-invalid"]
    assert main(argv) == 0
    assert "1 conversation(s)" in capsys.readouterr().out
    rejected = _errors(tmp_path / "r.html.errors.jsonl")
    assert [(e["source"], e["transcript_id"]) for e in rejected] == [
        (str(empty), None),
        (calls, "n1"),
        (calls, "lang-1"),
    ]
    assert [e["position"] for e in rejected[1:]] == ["line 2", "line 3"]


# ids repeated across input files; errors files in new folders; nothing processed ---------


def test_score_refuses_an_id_that_an_earlier_file_had(tmp_path, models, capsys):
    day1 = _jsonl(tmp_path / "day1.jsonl", AGENT_CALL)
    day2 = _jsonl(
        tmp_path / "day2.jsonl", {**AGENT_CALL, "utterances": AGENT_CALL["utterances"][::-1]}
    )
    out = tmp_path / "out.jsonl"
    assert main(["score", day1, day2, "-o", str(out)]) == 2
    err = capsys.readouterr().err
    assert f"{day2}, line 1 (transcript a1): transcript id 'a1' is also in {day1}" in err
    assert not out.exists()


def test_tag_skip_invalid_rejects_the_repeated_id_and_keeps_the_first(tmp_path, models, capsys):
    day1 = _jsonl(tmp_path / "day1.jsonl", AGENT_CALL)
    day2 = _jsonl(tmp_path / "day2.jsonl", AGENT_CALL, {**AGENT_CALL, "id": "a2"})
    out = tmp_path / "out.jsonl"
    errors = tmp_path / "new" / "folder" / "errors.jsonl"
    argv = ["tag", day1, day2, "-o", str(out), "--skip-invalid", "--errors", str(errors)]
    assert main(argv) == 0
    assert _ids(out) == ["a1", "a2"]
    (rejected,) = _errors(errors)
    assert (rejected["source"], rejected["position"], rejected["transcript_id"]) == (
        day2,
        "line 1",
        "a1",
    )


def test_score_exits_2_when_every_transcript_was_rejected(tmp_path, models, capsys):
    empty = tmp_path / "empty.jsonl"
    empty.write_text("", "utf-8")
    calls = _jsonl(tmp_path / "calls.jsonl", CUSTOMER_ONLY)
    out = tmp_path / "out.jsonl"
    assert main(["score", str(empty), calls, "-o", str(out), "--skip-invalid", "-q"]) == 2
    assert "no transcript could be processed" in capsys.readouterr().err
    assert len(_errors(tmp_path / "out.jsonl.errors.jsonl")) == 2


def test_agents_writes_into_a_new_folder(tmp_path, models, capsys):
    out = tmp_path / "new" / "agents.csv"
    assert main(["agents", str(EXAMPLES / "gesprekken.jsonl"), "-o", str(out)]) == 0
    assert out.read_text("utf-8").startswith("agent_id")


def test_evaluate_warns_about_predictions_without_tags(tmp_path, capsys):
    gold = EXAMPLES.parent / "annotated" / "dev.jsonl"
    raw = tmp_path / "raw.jsonl"
    records = [json.loads(line) for line in gold.read_text("utf-8").splitlines()[:3]]
    for record in records:
        for utterance in record["utterances"]:
            utterance.pop("labels", None)
            utterance.pop("spans", None)
    _jsonl(raw, *records)
    small_gold = _jsonl(
        tmp_path / "gold.jsonl",
        *[json.loads(line) for line in gold.read_text("utf-8").splitlines()[:3]],
    )
    assert main(["evaluate", small_gold, "--predictions", str(raw)]) == 0
    assert "holds no tags at all" in capsys.readouterr().err


# CSV and Parquet: a transcript rejected after reading is named by its rows ----------------

TABLE_ROWS = [  # row 3-5: a call without agent turns between two good ones
    ("c1", "klant", "Mijn internet doet het al drie dagen niet."),
    ("c1", "agent", "Wat merkt u daar precies van?"),
    ("n1", "klant", "Hallo?"),
    ("n1", "klant", "Is daar\niemand?"),  # a quoted field over two lines in CSV
    ("n1", "klant", "Ik bel later terug."),
    ("c2", "klant", "Ik wil mijn abonnement opzeggen."),
    ("c2", "agent", "Waarom wilt u opzeggen?"),
]


def _table(path):
    import pandas as pd

    frame = pd.DataFrame(TABLE_ROWS, columns=["conversation_id", "speaker", "text"])
    if path.suffix == ".csv":
        frame.to_csv(path, index=False, lineterminator="\n")
    else:
        frame.to_parquet(path)
    return str(path)


@pytest.mark.parametrize(
    ("name", "position"), [("calls.csv", "rows 3-5 (lines 4-7)"), ("calls.parquet", "rows 3-5")]
)
def test_score_names_the_rows_of_a_rejected_table_transcript(
    tmp_path, models, capsys, name, position
):
    calls = _table(tmp_path / name)
    out = tmp_path / "out.jsonl"
    assert main(["score", calls, "-o", str(out)]) == 2
    err = capsys.readouterr().err.strip()
    assert err == (
        f"klantfocus: error: {calls}, {position} (transcript n1): no agent utterances; "
        "speakers found: customer"
    )

    assert main(["score", calls, "-o", str(out), "--skip-invalid"]) == 0
    assert _ids(out) == ["c1", "c2"]
    (error,) = _errors(tmp_path / "out.jsonl.errors.jsonl")
    assert (error["source"], error["position"], error["transcript_id"]) == (calls, position, "n1")


def test_a_repeated_id_in_a_table_is_named_by_its_rows(tmp_path, models):
    day1 = _jsonl(tmp_path / "day1.jsonl", {**AGENT_CALL, "id": "c2"})
    day2 = _table(tmp_path / "day2.csv")
    out = tmp_path / "out.jsonl"
    argv = ["tag", day1, day2, "-o", str(out), "--skip-invalid"]
    assert main(argv) == 0
    assert _ids(out) == ["c2", "c1", "n1"]
    (rejected,) = _errors(tmp_path / "out.jsonl.errors.jsonl")
    assert (rejected["position"], rejected["transcript_id"]) == ("rows 6-7 (lines 8-9)", "c2")
