"""Batch scoring at scale: many transcripts into Parquet shards, resumable and parallel.

    import klantfocus.batch
    klantfocus.batch.run(["calls/", "more/*.csv"], "out/", workers=4)
    frame = klantfocus.batch.read_output("out/")

The same job runs on local processes (``engine="local"``) or a dask.distributed cluster
(``engine="dask"``) with the same output; see docs/batch.md for the output layout, the
manifest, resuming and running on a cluster.
"""

from .dataframe import check_whole_conversations, score_dask_dataframe
from .output import iter_output, read_manifest, read_output
from .runner import BatchResult, default_workers, run
from .sharding import DEFAULT_SHARD_SIZE

__all__ = [
    "DEFAULT_SHARD_SIZE",
    "BatchResult",
    "check_whole_conversations",
    "default_workers",
    "iter_output",
    "read_manifest",
    "read_output",
    "run",
    "score_dask_dataframe",
]
