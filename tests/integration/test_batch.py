"""klantfocus batch: inputs, shards, manifest, errors, workers, progress, resuming after a kill.

The tests run on small inputs and do not care which pipeline ``klantfocus.load()`` gives.
"""

from __future__ import annotations

import contextlib
import hashlib
import io
import json
import logging
import os
import re
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd
import pyarrow.parquet as pq
import pytest

import klantfocus
import klantfocus.batch as batch
from klantfocus import cli as klantfocus_cli
from klantfocus.batch import runner as batch_runner
from klantfocus.batch import sharding, worker
from klantfocus.batch.inputs import resolve_inputs
from klantfocus.batch.local import SerialEngine
from klantfocus.batch.models import ModelOptions, get_models
from klantfocus.batch.output import METADATA_KEY, read_shard_record
from klantfocus.batch.progress import choose_mode
from klantfocus.errors import KlantfocusError

from ..conftest import EXAMPLES, ROOT

TRAIN = ROOT / "data" / "annotated" / "train.jsonl"
CONTRACT_COLUMNS = [
    "conversation_id",
    "utterance_index",
    "speaker",
    "text",
    "start",
    "end",
    "labels",
    *(f"tag_{t}" for t in klantfocus.TAGS),
    "mindset",
    "mindset_score",
    "explanation",
    "evidence",
]


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "klantfocus", "batch", *args],
        capture_output=True,
        text=True,
        timeout=600,
    )


def shard_bytes(output: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(output.glob("part-*.parquet"))}


def read_errors(output: Path) -> list[dict]:
    return [json.loads(line) for line in (output / "errors.jsonl").read_text("utf-8").splitlines()]


@pytest.fixture(scope="module")
def mixed_inputs(tmp_path_factory) -> Path:
    """Every input format, a nested folder, bad transcripts, an unreadable file, a README."""
    folder = tmp_path_factory.mktemp("mixed")
    for name in ("gesprekken.jsonl", "gesprekken.csv", "gesprek.txt", "gesprek.vtt"):
        shutil.copy(EXAMPLES / name, folder / name)
    (folder / "sub").mkdir()
    table = pd.read_csv(EXAMPLES / "gesprekken.csv")
    table["conversation_id"] = "pq-" + table["conversation_id"]
    table.to_parquet(folder / "sub" / "tabel.parquet", index=False)
    good = json.loads((EXAMPLES / "gesprekken.jsonl").read_text("utf-8").splitlines()[0])
    (folder / "bad.jsonl").write_text(
        "\n".join(
            [
                json.dumps({**good, "id": "goed-1"}),
                json.dumps({"id": "leeg", "utterances": []}),
                "{dit is geen json",
                json.dumps({**good, "id": "goed-2"}),
            ]
        )
        + "\n",
        "utf-8",
    )
    (folder / "broken.parquet").write_bytes(b"dit is geen parquet")
    (folder / "README.md").write_text("geen transcript", "utf-8")
    return folder


def expected_transcripts(folder: Path) -> list[klantfocus.Transcript]:
    """What the batch should score: every readable transcript, files in sorted path order."""
    transcripts = []
    for entry in resolve_inputs([folder]):
        with contextlib.suppress(klantfocus.TranscriptFormatError):  # broken.parquet
            transcripts += klantfocus.read_transcripts(entry.path, on_invalid=lambda r: None)
    return transcripts


def expected_sources(folder: Path) -> list[tuple[str, klantfocus.Transcript]]:
    """Each transcript of :func:`expected_transcripts` with its input file."""
    pairs = []
    for entry in resolve_inputs([folder]):
        with contextlib.suppress(klantfocus.TranscriptFormatError):
            pairs += [
                (entry.path, t)
                for t in klantfocus.read_transcripts(entry.path, on_invalid=lambda r: None)
            ]
    return pairs


def test_cli_batch_scores_every_format_into_shards_manifest_and_errors(mixed_inputs, tmp_path):
    out = tmp_path / "out"
    missing = tmp_path / "ontbreekt.csv"
    result = cli(
        str(mixed_inputs / "*.jsonl"),  # a glob that overlaps the folder: read once
        str(mixed_inputs),
        str(missing),
        "-o",
        str(out),
        "--workers",
        "2",
        "--shard-size",
        "3",
        "--log-interval",
        "0",
        "--errors",
        str(tmp_path / "kopie.jsonl"),
    )
    assert result.returncode == 0, result.stderr
    expected = expected_transcripts(mixed_inputs)
    manifest = json.loads((out / "_manifest.json").read_text("utf-8"))

    inputs = {entry["path"]: entry for entry in manifest["inputs"]}
    readable = [
        "gesprekken.jsonl",
        "gesprekken.csv",
        "gesprek.txt",
        "gesprek.vtt",
        "sub/tabel.parquet",
        "bad.jsonl",
        "broken.parquet",
    ]
    for name in readable:
        path = (mixed_inputs / name).resolve()
        assert inputs[str(path)]["size"] == path.stat().st_size
        assert inputs[str(path)]["sha256"] == sha256(path)
    assert inputs[str(missing.absolute())]["error"] == "file not found"
    assert str((mixed_inputs / "README.md").resolve()) not in inputs
    assert [e["path"] for e in manifest["inputs"]] == sorted(inputs)

    models = manifest["models"]
    assert models["klantfocus_version"] == klantfocus.__version__
    assert models["pipeline"]["name"] and "version" in models["pipeline"]
    assert models["scorer"]["sha256"] == sha256(
        ROOT / "models" / "mindset_scorer" / "scorer.joblib"
    )

    utterances = sum(len(t.utterances) for t in expected)
    assert manifest["counts"]["transcripts"] == len(expected) == 13
    assert manifest["counts"]["utterances"] == utterances
    assert manifest["counts"]["rejected"] == 4
    assert manifest["counts"]["shards"] == len(manifest["shards"]) == 5
    assert [s["file"] for s in manifest["shards"]] == [f"part-{i:05d}.parquet" for i in range(5)]
    assert sorted(p.name for p in out.glob("part-*.parquet")) == [
        s["file"] for s in manifest["shards"]
    ]

    errors = read_errors(out)
    bad = str((mixed_inputs / "bad.jsonl").resolve())
    assert [(e["source"], e["position"], e["transcript_id"]) for e in errors] == [
        (bad, "line 2", "leeg"),
        (bad, "line 3", None),
        (str((mixed_inputs / "broken.parquet").resolve()), "", None),
        (str(missing.absolute()), "", None),
    ]
    assert all(e["reason"] for e in errors)
    assert (tmp_path / "kopie.jsonl").read_text("utf-8") == (out / "errors.jsonl").read_text(
        "utf-8"
    )

    frame = batch.read_output(out)
    assert list(frame.columns[:6]) == CONTRACT_COLUMNS[:6]
    assert set(CONTRACT_COLUMNS) | {"agent_id", "date", "domain", "turn", "kanaal"} <= set(frame)
    assert len(frame) == utterances
    assert list(frame.drop_duplicates("conversation_id")["conversation_id"]) == [
        t.id for t in expected
    ]
    assert all(
        pq.read_schema(path).names[-1] == "input_file" for path in out.glob("part-*.parquet")
    )
    assert list(frame.drop_duplicates("conversation_id")["input_file"]) == [
        source for source, t in expected_sources(mixed_inputs)
    ]
    reference = klantfocus.to_dataframe(klantfocus.score(expected))
    assert list(frame["text"]) == list(reference["text"])
    assert list(frame["labels"]) == [list(x) for x in reference["labels"]]
    assert [json.loads(e) for e in frame["evidence"]] == list(reference["evidence"])
    assert frame["mindset_score"].tolist() == pytest.approx(reference["mindset_score"].tolist())
    assert set(frame["mindset"]) <= {"klantgericht", "innerlijk"}
    assert all(isinstance(json.loads(e), list) for e in frame["explanation"])

    # Not a terminal: periodic log lines with rates, never utterance text.
    assert re.search(r"transcripts done.*transcripts/s.*ETA", result.stderr)
    assert not any(len(text) > 25 and text in result.stderr for text in frame["text"])


def test_workers_write_identical_shards(mixed_inputs, tmp_path):
    one = batch.run([mixed_inputs], tmp_path / "one", workers=1, shard_size=2, progress="none")
    two = batch.run([mixed_inputs], tmp_path / "two", workers=2, shard_size=2, progress="none")
    assert one.shards == two.shards == 7
    assert one.transcripts == two.transcripts == 13
    assert shard_bytes(tmp_path / "one") == shard_bytes(tmp_path / "two")
    assert (tmp_path / "one" / "errors.jsonl").read_bytes() == (
        tmp_path / "two" / "errors.jsonl"
    ).read_bytes()
    pd.testing.assert_frame_equal(
        batch.read_output(tmp_path / "one"), batch.read_output(tmp_path / "two")
    )


@pytest.fixture(scope="module")
def many_shards_input(tmp_path_factory) -> Path:
    """30 short training conversations and two bad lines: 15 shards of 2, quick to score."""
    records = [json.loads(line) for line in TRAIN.read_text("utf-8").splitlines()[:30]]
    lines = [json.dumps({**r, "utterances": r["utterances"][:6]}) for r in records]
    lines.insert(5, json.dumps({"id": "kapot", "utterances": []}))
    lines.insert(20, "geen json")
    path = tmp_path_factory.mktemp("many") / "gesprekken.jsonl"
    path.write_text("\n".join(lines) + "\n", "utf-8")
    return path


#: ``klantfocus batch`` with every shard slowed down by 0.3 s, so that the test can kill
#: it part-way whatever the speed of the pipeline. The workers are forked from this
#: process (it runs one thread), so they inherit the slowed-down function.
SLOW_BATCH = """
import sys, time
import klantfocus.batch.worker as worker
score_shard = worker.score_shard
def slow_score_shard(models, shard):
    time.sleep(0.3)
    return score_shard(models, shard)
worker.score_shard = slow_score_shard
from klantfocus.cli import main
sys.exit(main(["batch", *sys.argv[1:]]))
"""


def test_sigkill_and_restart_finishes_without_duplicates_or_losses(many_shards_input, tmp_path):
    reference = batch.run(
        [many_shards_input], tmp_path / "reference", workers=1, shard_size=2, progress="none"
    )
    out = tmp_path / "killed"
    arguments = [str(many_shards_input), "-o", str(out), "--workers", "2", "--shard-size", "2"]
    process = subprocess.Popen(
        [sys.executable, "-c", SLOW_BATCH, *arguments, "-q"],
        start_new_session=True,  # its own process group: the kill takes the workers too
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 300
        while len(list(out.glob("part-*.parquet"))) < 3:
            assert process.poll() is None, "the run ended before it could be killed"
            assert time.monotonic() < deadline
            time.sleep(0.01)
        os.killpg(process.pid, signal.SIGKILL)
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGKILL)
        process.wait()
    assert not (out / "_manifest.json").exists()
    assert len(list(out.glob("part-*.parquet"))) < reference.shards

    # Started again with the same arguments (in this process, to save an interpreter start).
    assert klantfocus_cli.main(["batch", *arguments, "-q"]) == 0
    manifest = json.loads((out / "_manifest.json").read_text("utf-8"))
    assert manifest["counts"]["resumed_shards"] >= 3
    assert not list(out.glob(".*.tmp"))
    assert shard_bytes(out) == shard_bytes(tmp_path / "reference")
    assert read_errors(out) == read_errors(tmp_path / "reference")
    assert [e["transcript_id"] for e in read_errors(out)] == ["kapot", None]
    frame = batch.read_output(out)
    pd.testing.assert_frame_equal(frame, batch.read_output(tmp_path / "reference"))
    assert not frame.duplicated(["conversation_id", "utterance_index"]).any()
    assert frame["conversation_id"].nunique() == reference.transcripts == 30


def test_restart_keeps_good_shards_and_redoes_torn_foreign_model_and_temp_files(
    mixed_inputs, tmp_path
):
    out = tmp_path / "out"
    first = batch.run([mixed_inputs], out, workers=1, shard_size=2, progress="none")
    good = shard_bytes(out)
    errors = (out / "errors.jsonl").read_bytes()
    # A torn file (what a non-atomic writer leaves), a temporary file of a killed writer,
    # and a shard that other models made.
    (out / "part-00001.parquet").write_bytes(good["part-00001.parquet"][:200])
    (out / ".part-00002.parquet.999-dead.tmp").write_bytes(b"half")
    table = pq.read_table(out / "part-00003.parquet")
    record = read_shard_record(out / "part-00003.parquet")
    record["models"]["scorer"]["sha256"] = "0" * 64
    pq.write_table(
        table.replace_schema_metadata({METADATA_KEY: json.dumps(record).encode()}),
        out / "part-00003.parquet",
    )

    second = batch.run([mixed_inputs], out, workers=1, shard_size=2, progress="none")
    assert second.resumed_shards == first.shards - 2
    assert shard_bytes(out) == good
    assert (out / "errors.jsonl").read_bytes() == errors
    assert not list(out.glob(".*.tmp"))

    third = batch.run([mixed_inputs], out, workers=1, shard_size=2, progress="none")
    assert third.resumed_shards == first.shards


def test_output_of_another_job_is_refused_unless_overwrite(tmp_path):
    source = tmp_path / "gesprekken.jsonl"
    shutil.copy(EXAMPLES / "gesprekken.jsonl", source)
    out = tmp_path / "out"
    batch.run([source], out, workers=1, progress="none")
    with pytest.raises(KlantfocusError, match="another batch job"):
        batch.run([source], out, workers=1, shard_size=1, progress="none")
    source.write_text(source.read_text("utf-8").replace("Goedemorgen", "Goedemiddag"), "utf-8")
    with pytest.raises(KlantfocusError, match="another batch job"):
        batch.run([source], out, workers=1, progress="none")
    result = batch.run([source], out, workers=1, shard_size=1, overwrite=True, progress="none")
    assert result.shards == 4
    assert len(list(out.glob("part-*.parquet"))) == 4


def two_days(folder: Path) -> Path:
    """days/day1.csv and days/day2.csv: both with conversations 1 and 2, other agents."""
    days = folder / "days"
    days.mkdir()
    table = pd.read_csv(EXAMPLES / "gesprekken.csv")
    table["conversation_id"] = table["conversation_id"].str.replace("csv-00", "")
    for day, agent in (("day1", "mw-A"), ("day2", "mw-B")):
        copy = table.assign(agent_id=agent, text=table["text"] + f" ({day})")
        copy.to_csv(days / f"{day}.csv", index=False)
    return days


def test_same_conversation_id_in_two_files_is_kept_apart_by_input_file(tmp_path):
    """QA: ids 1 and 2 in day1.csv and day2.csv were two calls each, merged by the report."""
    from klantfocus.agents import agent_table
    from klantfocus.report import transcripts_from_frame

    days = two_days(tmp_path)
    out = tmp_path / "out"
    # shard size 3: the two calls with id 1 land in one shard, the calls with id 2 in two
    result = batch.run([days], out, workers=1, shard_size=3, progress="none")
    assert (result.transcripts, result.rejected, result.shards) == (4, 0, 2)
    frame = batch.read_output(out)
    day1, day2 = str((days / "day1.csv").resolve()), str((days / "day2.csv").resolve())
    assert frame.groupby(["input_file", "conversation_id"], sort=False).size().to_dict() == {
        (day1, "1"): 6,
        (day1, "2"): 6,
        (day2, "1"): 6,
        (day2, "2"): 6,
    }
    assert read_shard_record(out / "part-00000.parquet")["layout"] == sharding.SHARD_LAYOUT
    assert batch.read_manifest(out)["shard_layout"] == sharding.SHARD_LAYOUT

    calls = transcripts_from_frame(frame)
    assert [(t.id, t.agent_id, t.meta["input_file"], len(t.utterances)) for t in calls] == [
        ("1", "mw-A", day1, 6),
        ("2", "mw-A", day1, 6),
        ("1", "mw-B", day2, 6),
        ("2", "mw-B", day2, 6),
    ]
    for call in calls:
        day = "day1" if call.agent_id == "mw-A" else "day2"
        assert all(u.text.endswith(f"({day})") for u in call.utterances)
        assert [u.extra["turn"] for u in call.utterances] == [1, 2, 3, 4, 5, 6]
    assert agent_table(calls).set_index("agent_id")["calls"].to_dict() == {"mw-A": 2, "mw-B": 2}


def test_shards_of_an_older_layout_are_redone(tmp_path):
    """A shard written before the input_file column existed is scored again on resume."""
    source = tmp_path / "gesprekken.jsonl"
    shutil.copy(EXAMPLES / "gesprekken.jsonl", source)
    out = tmp_path / "out"
    first = batch.run([source], out, workers=1, shard_size=2, progress="none")
    good = shard_bytes(out)
    path = out / "part-00000.parquet"
    table = pq.read_table(path).drop_columns(["input_file"])
    record = {**read_shard_record(path), "layout": 1}
    pq.write_table(table.replace_schema_metadata({METADATA_KEY: json.dumps(record).encode()}), path)
    second = batch.run([source], out, workers=1, shard_size=2, progress="none")
    assert (first.shards, second.resumed_shards) == (2, 1)
    assert shard_bytes(out) == good
    assert set(batch.read_output(out)["input_file"]) == {str(source.resolve())}


def test_read_output_needs_a_finished_run(tmp_path):
    with pytest.raises(KlantfocusError, match="has not finished"):
        batch.read_output(tmp_path)


def test_inputs_are_sorted_deduplicated_and_skip_the_output_dir(tmp_path):
    (tmp_path / "b").mkdir()
    shutil.copy(EXAMPLES / "gesprekken.csv", tmp_path / "b" / "z.csv")
    shutil.copy(EXAMPLES / "gesprekken.jsonl", tmp_path / "a.jsonl")
    (tmp_path / ".verborgen.jsonl").write_text("{}", "utf-8")
    (tmp_path / "out").mkdir()
    (tmp_path / "out" / "_manifest.json").write_text("{}", "utf-8")
    files = resolve_inputs(
        [tmp_path / "b" / "z.csv", str(tmp_path / "*.jsonl"), tmp_path], exclude=tmp_path / "out"
    )
    assert [Path(f.path).relative_to(tmp_path.resolve()).as_posix() for f in files] == [
        "a.jsonl",
        "b/z.csv",
    ]
    assert [f.transcripts_estimate for f in files] == [4, 2]
    assert files[1].sha256 == sha256(tmp_path / "b" / "z.csv")


def test_shards_are_planned_lazily_with_bounded_read_ahead(tmp_path, monkeypatch):
    good = json.loads((EXAMPLES / "gesprekken.jsonl").read_text("utf-8").splitlines()[0])
    short = {**good, "utterances": good["utterances"][:2]}
    lines = ['{"id": "x", "utterances": []}'] * 1000  # a long run of bad transcripts
    lines += [json.dumps({**short, "id": f"g-{i}"}) for i in range(1000)]
    path = tmp_path / "veel.jsonl"
    path.write_text("\n".join(lines) + "\n", "utf-8")
    pulled: list[str] = []
    real = sharding.iter_transcripts

    def counting(*args, on_invalid, **kwargs):
        def reject(item):
            pulled.append("error")
            on_invalid(item)

        for transcript in real(*args, on_invalid=reject, **kwargs):
            pulled.append(transcript.id)
            yield transcript

    monkeypatch.setattr(sharding, "iter_transcripts", counting)
    monkeypatch.setattr(sharding, "MAX_ERRORS_PER_SHARD", 100)
    plan = sharding.plan_shards(resolve_inputs([path]), 5)
    first = next(plan)
    assert (len(first.input_errors), first.transcripts) == (100, [])  # errors do not pile up
    time.sleep(0.2)  # give the reader thread time to read ahead as far as it may
    assert len(pulled) <= 100 + sharding.HANDOVER_ITEMS + 2
    shards = [first, *plan]
    assert [s.index for s in shards] == list(range(10 + 200))
    assert [t.id for t in shards[10].transcripts] == [f"g-{i}" for i in range(5)]
    assert sum(len(s.transcripts) for s in shards) == 1000


def test_runner_keeps_no_more_than_max_in_flight_shards_alive(tmp_path, monkeypatch):
    class LaggingEngine(SerialEngine):
        """Finishes the oldest shard only when asked, and records how many were alive."""

        max_in_flight = 3

        def __init__(self, options):
            super().__init__(options)
            self.alive = self.peak = 0

        def submit(self, task):
            self.alive += 1
            self.peak = max(self.peak, self.alive)
            return super().submit(task)

        def wait(self, handles):
            return {next(iter(handles))}

        def result(self, handle):
            self.alive -= 1
            return handle.result()

    engines = []

    def make_engine(engine, options, **kwargs):
        engines.append(LaggingEngine(options))
        return engines[-1]

    monkeypatch.setattr(batch_runner, "_make_engine", make_engine)
    result = batch.run(
        [EXAMPLES / "gesprekken.jsonl", EXAMPLES / "gesprek.txt"],
        tmp_path / "out",
        shard_size=1,
        progress="none",
    )
    assert result.shards == 6
    assert engines[0].peak == 3


def test_a_transcript_that_fails_to_score_becomes_an_error_entry(tmp_path, monkeypatch):
    real = worker.iter_tagged

    def failing(transcripts, nlp, **kwargs):
        transcripts = list(transcripts)
        if any(t.id == "voorbeeld-002" for t in transcripts):
            raise RuntimeError("kapot")
        return real(transcripts, nlp, **kwargs)

    monkeypatch.setattr(worker, "iter_tagged", failing)
    source = EXAMPLES / "gesprekken.jsonl"
    result = batch.run([source], tmp_path / "out", workers=1, progress="none")
    assert result.transcripts == 3
    assert read_errors(tmp_path / "out") == [
        {
            "source": str(source.resolve()),
            "position": "transcript 2",
            "reason": "scoring failed: RuntimeError: kapot",
            "transcript_id": "voorbeeld-002",
            "shard": "part-00000.parquet",
        }
    ]
    frame = batch.read_output(tmp_path / "out")
    assert list(frame["conversation_id"].unique()) == [
        "voorbeeld-001",
        "voorbeeld-003",
        "voorbeeld-004",
    ]


class _Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_progress_mode_follows_the_terminal():
    assert choose_mode("auto", _Terminal()) == "bar"
    assert choose_mode("auto", io.StringIO()) == "log"
    assert choose_mode(False) == choose_mode("none") == "none"


def test_progress_bar_shows_rate_and_eta(tmp_path, capsys):
    batch.run([EXAMPLES], tmp_path / "out", workers=1, shard_size=2, progress="bar")
    err = capsys.readouterr().err
    assert re.search(r"9/9 \[\d\d:\d\d<\d\d:\d\d, +[\d.]+ transcripts/s", err), err


def test_progress_log_lines_hold_no_text_and_quiet_holds_nothing(tmp_path, caplog):
    caplog.set_level(logging.INFO, logger="klantfocus.batch.progress")
    batch.run([EXAMPLES], tmp_path / "log", workers=1, shard_size=2, progress="log", log_interval=0)
    messages = [r.getMessage() for r in caplog.records if r.name == "klantfocus.batch.progress"]
    assert any(re.search(r"\d+ of ~9 transcripts done .*transcripts/s.*ETA", m) for m in messages)
    texts = batch.read_output(tmp_path / "log")["text"]
    assert not any(text in message for text in texts for message in messages)

    caplog.clear()
    batch.run([EXAMPLES], tmp_path / "quiet", workers=1, shard_size=2, progress="none")
    assert not [r for r in caplog.records if r.name == "klantfocus.batch.progress"]


def test_cli_exit_code_2_when_nothing_can_be_read(tmp_path, capsys):
    arguments = [
        str(tmp_path / "nergens-*.jsonl"),
        "-o",
        str(tmp_path / "out"),
        "--workers",
        "1",
        "-q",
    ]
    assert klantfocus_cli.main(["batch", *arguments]) == 2
    assert "no transcript could be scored" in capsys.readouterr().err
    assert read_errors(tmp_path / "out")[0]["reason"] == "no files match this pattern"


def test_unprocessable_transcripts_are_errors_and_the_rest_of_the_shard_is_tagged_once(
    tmp_path, monkeypatch, caplog
):
    """A voicemail (no agent turns) or an over-long call no longer sends its shard down the
    slow path of scoring every transcript alone: it is found before tagging."""
    records = [
        json.loads(line) for line in (EXAMPLES / "gesprekken.jsonl").read_text("utf-8").splitlines()
    ]
    voicemail = {
        "id": "voicemail",
        "utterances": [{"speaker": "customer", "text": "Hallo, bel me even terug aub."}],
    }
    long_call = {**records[0], "id": "lang"}
    long_call["utterances"] = [
        *records[0]["utterances"],
        {"speaker": "agent", "text": "ja " * 2000},
    ]
    records[1:1] = [voicemail]
    records.append(long_call)
    source = tmp_path / "gesprekken.jsonl"
    source.write_text("\n".join(json.dumps(r) for r in records) + "\n", "utf-8")

    nlp = get_models(ModelOptions()).nlp  # the models of the serial engine (workers=1)
    monkeypatch.setattr(nlp, "max_length", 5000)
    calls: list[list[str]] = []
    real = worker.iter_tagged

    def counting(transcripts, nlp, **kwargs):
        transcripts = list(transcripts)
        calls.append([t.id for t in transcripts])
        return real(transcripts, nlp, **kwargs)

    monkeypatch.setattr(worker, "iter_tagged", counting)
    caplog.set_level(logging.WARNING, logger="klantfocus.batch")
    result = batch.run([source], tmp_path / "out", workers=1, progress="none")

    good = ["voorbeeld-001", "voorbeeld-002", "voorbeeld-003", "voorbeeld-004"]
    assert calls == [good]  # the whole shard tagged once, without the two bad ones
    assert not [r for r in caplog.records if "failed as a whole" in r.getMessage()]
    assert (result.shards, result.transcripts, result.rejected) == (1, 4, 2)
    errors = read_errors(tmp_path / "out")
    assert errors == [
        {
            "source": str(source.resolve()),
            "position": "transcript 2",
            "reason": "no agent utterances; speakers found: customer",
            "transcript_id": "voicemail",
            "shard": "part-00000.parquet",
        },
        {
            "source": str(source.resolve()),
            "position": "transcript 6",
            "reason": errors[1]["reason"],
            "transcript_id": "lang",
            "shard": "part-00000.parquet",
        },
    ]
    assert errors[1]["reason"].startswith("too long to tag: ")
    frame = batch.read_output(tmp_path / "out")
    assert list(frame["conversation_id"].unique()) == good
    reference = klantfocus.to_dataframe(
        klantfocus.score(klantfocus.read_transcripts(EXAMPLES / "gesprekken.jsonl"))
    )
    assert frame["mindset_score"].tolist() == pytest.approx(reference["mindset_score"].tolist())


def test_an_unprocessable_table_transcript_is_named_by_its_rows(tmp_path):
    """In CSV and Parquet the error names the conversation's rows, not its number."""
    frame = pd.DataFrame(
        [
            ("c1", "klant", "Mijn internet doet het al drie dagen niet."),
            ("c1", "agent", "Wat merkt u daar precies van?"),
            ("voicemail", "klant", "Hallo,\nbel me even terug aub."),  # 2 lines in CSV
            ("voicemail", "klant", "Dank u."),
            ("c2", "klant", "Ik wil opzeggen."),
            ("c2", "agent", "Waarom wilt u opzeggen?"),
        ],
        columns=["conversation_id", "speaker", "text"],
    )
    frame.to_csv(tmp_path / "calls.csv", index=False, lineterminator="\n")
    frame.to_parquet(tmp_path / "calls.parquet")
    result = batch.run(
        [tmp_path / "calls.csv", tmp_path / "calls.parquet"],
        tmp_path / "out",
        workers=1,
        progress="none",
    )
    assert (result.transcripts, result.rejected) == (4, 2)
    assert [
        (e["source"], e["position"], e["transcript_id"]) for e in read_errors(tmp_path / "out")
    ] == [
        (str((tmp_path / "calls.csv").resolve()), "rows 3-4 (lines 4-6)", "voicemail"),
        (str((tmp_path / "calls.parquet").resolve()), "rows 3-4", "voicemail"),
    ]


def test_object_list_and_mixed_utterance_fields_are_stored_as_json_text(tmp_path):
    """An utterance field that is always {} crashed the shard writer (Parquet has no
    struct without fields), and a rerun failed again."""
    records = [
        json.loads(line) for line in (EXAMPLES / "gesprekken.jsonl").read_text("utf-8").splitlines()
    ]
    for record in records:
        for number, utterance in enumerate(record["utterances"]):
            utterance["leeg"] = {}
            utterance["nested"] = {"a": number} if number % 2 else {"b": [1, {}], "c": "é"}
            utterance["lijst"] = [] if number else ["x", 2]
            utterance["mix"] = "drie" if number == 1 else 3
            if number == 2:
                del utterance["nested"]
    source = tmp_path / "velden.jsonl"
    source.write_text("\n".join(json.dumps(r) for r in records) + "\n", "utf-8")
    out = tmp_path / "out"
    result = batch.run([source], out, workers=1, shard_size=2, progress="none")
    assert (result.shards, result.transcripts, result.rejected) == (2, 4, 0)
    for path in sorted(out.glob("part-*.parquet")):
        schema = pq.read_schema(path)
        for name in ("leeg", "nested", "lijst", "mix"):
            assert str(schema.field(name).type) == "string", (path.name, name)
    frame = batch.read_output(out)
    expected = [u for r in records for u in r["utterances"]]
    assert [json.loads(v) for v in frame["leeg"]] == [{}] * len(expected)
    assert [json.loads(v) if isinstance(v, str) else None for v in frame["nested"]] == [
        u.get("nested") for u in expected
    ]
    assert [json.loads(v) for v in frame["lijst"]] == [u["lijst"] for u in expected]
    assert [json.loads(v) for v in frame["mix"]] == [u["mix"] for u in expected]
    assert batch.run([source], out, workers=1, shard_size=2, progress="none").resumed_shards == 2
