"""klantfocus batch on dask.distributed: a LocalCluster of 2 worker processes, 1 thread each."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys

import pandas as pd
import pytest

import klantfocus
import klantfocus.batch as batch
from klantfocus.batch.models import load_count

from ..conftest import EXAMPLES

distributed = pytest.importorskip("distributed")
dd = pytest.importorskip("dask.dataframe")


@pytest.fixture(scope="module")
def client():
    with (
        distributed.LocalCluster(
            n_workers=2, processes=True, threads_per_worker=1, dashboard_address=None
        ) as cluster,
        distributed.Client(cluster) as dask_client,
    ):
        yield dask_client


@pytest.fixture(scope="module")
def inputs(tmp_path_factory):
    folder = tmp_path_factory.mktemp("dask-in")
    for path in EXAMPLES.iterdir():
        shutil.copy(path, folder / path.name)
    (folder / "slecht.jsonl").write_text('{"id": "x", "utterances": []}\n', "utf-8")
    return folder


def test_dask_engine_writes_the_same_output_as_the_local_engine(client, inputs, tmp_path):
    local = batch.run([inputs], tmp_path / "local", workers=1, shard_size=2, progress="none")
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "klantfocus",
            "batch",
            str(inputs),
            "-o",
            str(tmp_path / "dask"),
            "--engine",
            "dask",
            "--scheduler",
            client.scheduler.address,
            "--shard-size",
            "2",
            "-q",
        ],
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert result.returncode == 0, result.stderr
    assert local.shards == 5
    shards = sorted(p.name for p in (tmp_path / "local").glob("part-*.parquet"))
    assert shards == sorted(p.name for p in (tmp_path / "dask").glob("part-*.parquet"))
    for name in shards:
        assert (tmp_path / "local" / name).read_bytes() == (tmp_path / "dask" / name).read_bytes()
    assert (tmp_path / "local" / "errors.jsonl").read_text() == (
        tmp_path / "dask" / "errors.jsonl"
    ).read_text()
    manifest = json.loads((tmp_path / "dask" / "_manifest.json").read_text("utf-8"))
    assert manifest["options"]["engine"] == "dask"
    assert manifest["counts"]["transcripts"] == 9
    assert client.run(load_count) == dict.fromkeys(client.scheduler_info()["workers"], 1)


def _by_conversation(frame: pd.DataFrame) -> list[pd.DataFrame]:
    ids = list(dict.fromkeys(frame["conversation_id"]))
    return [frame[frame["conversation_id"] == cid] for cid in ids]


def test_score_dask_dataframe_scores_whole_conversations_per_partition(client):
    import dask

    frame = pd.concat(
        [
            pd.read_csv(EXAMPLES / "gesprekken.csv"),
            klantfocus.to_dataframe(klantfocus.read_transcripts(EXAMPLES / "gesprekken.jsonl"))[
                ["conversation_id", "speaker", "text"]
            ],
        ],
        ignore_index=True,
    )
    parts = _by_conversation(frame)  # one conversation per partition
    ddf = dd.from_delayed([dask.delayed(p) for p in parts], meta=frame.iloc[:0])
    scored = batch.score_dask_dataframe(ddf)
    assert scored.npartitions == len(parts) == 6
    result = scored.compute()

    expected = klantfocus.score_dataframe(frame)
    assert list(result.index) == list(frame.index)
    assert list(result["text"]) == list(frame["text"])
    assert list(result.columns) == list(expected.columns)
    assert list(result["labels"]) == list(expected["labels"])
    assert [json.loads(e) for e in result["evidence"]] == list(expected["evidence"])
    assert result["mindset_score"].tolist() == pytest.approx(expected["mindset_score"].tolist())
    assert dict(result.dtypes) == dict(scored.dtypes)
    assert client.run(load_count) == dict.fromkeys(client.scheduler_info()["workers"], 1)


def test_score_dask_dataframe_refuses_a_conversation_split_over_partitions(client):
    frame = pd.read_csv(EXAMPLES / "gesprekken.csv")
    ddf = dd.from_pandas(frame, npartitions=3, sort=False)
    with pytest.raises(klantfocus.TranscriptFormatError, match="split over several partitions"):
        batch.score_dask_dataframe(ddf)


def test_score_dask_dataframe_leaves_a_conversation_without_agent_turns_unscored(client):
    import dask

    frame = pd.read_csv(EXAMPLES / "gesprekken.csv")
    voicemail = pd.DataFrame(
        {
            "conversation_id": ["vm-1"],
            "turn": [1],
            "speaker": ["Klant"],
            "text": ["Hallo, wilt u mij terugbellen?"],
            "kanaal": ["telefoon"],
        }
    )
    first, second = _by_conversation(frame)
    parts = [pd.concat([first, voicemail]), second]  # the voicemail shares a partition
    ddf = dd.from_delayed([dask.delayed(p) for p in parts], meta=frame.iloc[:0])
    scored = batch.score_dask_dataframe(ddf)
    result = scored.compute()
    assert list(result["text"]) == [t for p in parts for t in p["text"]]
    unscored = result["conversation_id"] == "vm-1"
    assert result.loc[unscored, "mindset_score"].isna().all()
    assert result.loc[unscored, "mindset"].isna().all()
    assert not result.loc[unscored, [f"tag_{t}" for t in klantfocus.TAGS]].any().any()
    expected = klantfocus.score_dataframe(frame)
    assert result.loc[~unscored, "mindset_score"].tolist() == pytest.approx(
        expected["mindset_score"].tolist()
    )
    assert dict(result.dtypes) == dict(scored.dtypes)

    strict = batch.score_dask_dataframe(ddf, errors="raise")
    with pytest.raises(klantfocus.UnprocessableTranscript, match="'vm-1': no agent utterances"):
        strict.compute()
