"""The Dask engine: the same shards, scored on a dask.distributed cluster.

The client (the machine running ``klantfocus batch``) reads the inputs and submits one
task per shard; each Dask worker loads the models once, when :class:`ModelsPlugin` is
registered (and again only if the worker restarts), and writes the shard files itself.
So the output directory must be on storage that every worker can write, under the same
path as on the client (see docs/batch.md).

Dask may run a task twice (for example when a worker is lost at the wrong moment). That
is harmless: both runs write the same bytes, each through its own temporary file.
"""

from __future__ import annotations

import asyncio
import json
import uuid
from collections.abc import Collection
from typing import Any

from ..errors import KlantfocusError
from .models import ModelOptions, get_models
from .worker import ShardResult, ShardTask, model_identity, process_shard

PLUGIN_NAME = "klantfocus-models"
WORKER_WAIT_SECONDS = 120

try:
    from distributed import WorkerPlugin
except ImportError:  # dask is optional: pip install 'klantfocus[dask]'
    WorkerPlugin = object  # type: ignore[assignment,misc]


def _require_distributed() -> Any:
    try:
        import distributed
    except ImportError:
        raise KlantfocusError(
            "the Dask engine needs dask.distributed: pip install 'klantfocus[dask]'"
        ) from None
    return distributed


class ModelsPlugin(WorkerPlugin):
    """Loads the klantfocus models once on every worker, as the worker joins."""

    def __init__(self, options: ModelOptions) -> None:
        self.options = options

    async def setup(self, worker: Any) -> None:
        # In a thread: loading takes seconds and would block the worker's event loop.
        await asyncio.to_thread(get_models, self.options)


def register_models(client: Any, options: ModelOptions) -> None:
    """Make every worker of ``client`` (also those that join later) load the models once."""
    client.register_plugin(ModelsPlugin(options), name=PLUGIN_NAME)


class DaskEngine:
    """Shards as tasks on a Dask cluster: ``scheduler`` address, a ``client``, or neither.

    With neither, a local cluster of ``workers`` processes (one thread each) is started
    and closed again at the end.
    """

    def __init__(
        self,
        options: ModelOptions,
        *,
        scheduler: str | None = None,
        client: Any = None,
        workers: int | None = None,
    ) -> None:
        distributed = _require_distributed()
        self.options = options
        self._owned: list[Any] = []
        if client is None:
            if scheduler:
                client = distributed.Client(scheduler)
            else:
                cluster = distributed.LocalCluster(
                    n_workers=workers, threads_per_worker=1, processes=True
                )
                self._owned.append(cluster)
                client = distributed.Client(cluster)
            self._owned.insert(0, client)
        self.client = client
        try:
            client.wait_for_workers(1, timeout=WORKER_WAIT_SECONDS)
        except TimeoutError:
            self.close()
            raise KlantfocusError(
                f"no Dask worker joined the scheduler within {WORKER_WAIT_SECONDS} s"
            ) from None
        register_models(client, options)
        threads = sum(client.nthreads().values())
        self.max_in_flight = max(2, 2 * threads)

    def models(self) -> dict[str, Any]:
        identities: dict[str, dict[str, Any]] = self.client.run(model_identity, self.options)
        distinct = {json.dumps(i, sort_keys=True) for i in identities.values()}
        if len(distinct) != 1:
            raise KlantfocusError(
                "the Dask workers loaded different models (install the same klantfocus "
                f"version with the same models on every worker): {sorted(distinct)}"
            )
        return next(iter(identities.values()))

    def submit(self, task: ShardTask) -> Any:
        key = f"klantfocus-{task.shard.name}-{uuid.uuid4().hex[:8]}"
        return self.client.submit(process_shard, task, key=key, pure=False)

    def wait(self, handles: Collection[Any]) -> set[Any]:
        distributed = _require_distributed()
        return set(distributed.wait(list(handles), return_when="FIRST_COMPLETED").done)

    def result(self, handle: Any) -> ShardResult:
        result: ShardResult = handle.result()
        handle.release()
        return result

    def close(self) -> None:
        for owned in self._owned:
            owned.close()
        self._owned = []
