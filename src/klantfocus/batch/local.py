"""The local engine: shards scored in this process (one worker) or in a process pool.

With ``workers > 1`` a pool of processes scores the shards; each process loads the
models once, in the pool initializer, and keeps them for every shard it gets. The pool
forks when this process runs a single thread: the children then start at once, with
klantfocus already imported (the parent never loads the models itself). A process with
other threads (a notebook kernel, a Dask client) spawns fresh interpreters instead,
because a forked child could inherit a lock that one of those threads held.

Every engine offers the same small interface to the runner: ``models()`` (the identity
of the models the workers loaded), ``submit(task)``, ``wait(handles)`` (those done),
``result(handle)``, ``close()`` and ``max_in_flight`` (how many shards may be alive at
once, which bounds the memory of the job whatever the size of its input).
"""

from __future__ import annotations

import logging
import multiprocessing
import threading
from collections.abc import Collection
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from typing import Any

from .models import ModelOptions, get_models
from .worker import ShardResult, ShardTask, model_identity, process_shard

logger = logging.getLogger(__name__)


class SerialEngine:
    """One worker: this process. Shards are scored when submitted."""

    max_in_flight = 1

    def __init__(self, options: ModelOptions) -> None:
        self.options = options

    def models(self) -> dict[str, Any]:
        return get_models(self.options).identity

    def submit(self, task: ShardTask) -> Future[ShardResult]:
        future: Future[ShardResult] = Future()
        try:
            future.set_result(process_shard(task))
        except Exception as exc:
            future.set_exception(exc)
        return future

    def wait(self, handles: Collection[Future[ShardResult]]) -> set[Future[ShardResult]]:
        return set(handles)

    def result(self, handle: Future[ShardResult]) -> ShardResult:
        return handle.result()

    def close(self) -> None:
        pass


def _initialise_worker(options: ModelOptions) -> None:
    """Pool initializer: load the models once for the life of the worker process.

    A failure is not raised here (that would only break the pool with a message that
    hides the cause); the first task loads again and raises the real error.
    """
    try:
        get_models(options)
    except Exception as exc:
        logger.debug("worker could not load the models: %s", exc)


def _start_method() -> str:
    """``fork`` when that is safe (one thread, a platform that has it), else ``spawn``."""
    if threading.active_count() == 1 and "fork" in multiprocessing.get_all_start_methods():
        return "fork"
    return "spawn"


class ProcessPoolEngine:
    """``workers`` processes, each with its own copy of the models."""

    def __init__(self, options: ModelOptions, workers: int) -> None:
        self.options = options
        self.max_in_flight = 2 * workers  # one running and one waiting per worker
        self.pool = ProcessPoolExecutor(
            max_workers=workers,
            mp_context=multiprocessing.get_context(_start_method()),
            initializer=_initialise_worker,
            initargs=(options,),
        )

    def models(self) -> dict[str, Any]:
        return self.pool.submit(model_identity, self.options).result()

    def submit(self, task: ShardTask) -> Future[ShardResult]:
        return self.pool.submit(process_shard, task)

    def wait(self, handles: Collection[Future[ShardResult]]) -> set[Future[ShardResult]]:
        return wait(handles, return_when=FIRST_COMPLETED).done

    def result(self, handle: Future[ShardResult]) -> ShardResult:
        return handle.result()

    def close(self) -> None:
        # Shards already running finish (their files are written atomically either way).
        self.pool.shutdown(wait=True, cancel_futures=True)
