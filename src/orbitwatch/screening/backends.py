"""Where the chunks run: in-process, a local process pool, or a Dask cluster.

All backends call :func:`orbitwatch.screening.engine.run_chunk` on the same
picklable :class:`~orbitwatch.screening.engine.Job`, so they return exactly the
same events; work is split by time chunks, so N workers divide the wall time
by about N (each worker propagates the whole catalog for its chunks).
"""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor, as_completed

from orbitwatch.screening.engine import ChunkResult, Job, run_chunk

Progress = Callable[[int, int], None] | None

_WORKER_JOB: Job | None = None


def _init_worker(job: Job) -> None:
    global _WORKER_JOB
    _WORKER_JOB = job


def _pool_chunk(k0: int, k1: int) -> ChunkResult:
    assert _WORKER_JOB is not None
    return run_chunk(_WORKER_JOB, k0, k1)


def run_local(job: Job, workers: int | None = None, progress: Progress = None) -> list[ChunkResult]:
    """Run every chunk here (``workers`` <= 1) or in a process pool of ``workers``."""
    chunks = job.chunks()
    total = len(chunks)
    results: list[ChunkResult | None] = [None] * total
    if not workers or workers <= 1 or total <= 1:
        for n, (k0, k1) in enumerate(chunks):
            results[n] = run_chunk(job, k0, k1)
            if progress:
                progress(n + 1, total)
        return results  # type: ignore[return-value]
    with ProcessPoolExecutor(max_workers=workers, initializer=_init_worker, initargs=(job,)) as ex:
        futs = {ex.submit(_pool_chunk, k0, k1): n for n, (k0, k1) in enumerate(chunks)}
        done = 0
        for fut in as_completed(futs):
            results[futs[fut]] = fut.result()
            done += 1
            if progress:
                progress(done, total)
    return results  # type: ignore[return-value]


def _dask_chunk(job: Job, k0: int, k1: int) -> ChunkResult:
    return run_chunk(job, k0, k1)


def run_dask(
    job: Job,
    scheduler=None,
    workers: int | None = None,
    progress: Progress = None,
) -> list[ChunkResult]:
    """Run the chunks on a Dask cluster.

    ``scheduler``: a ``distributed.Client``, a scheduler address
    (``tcp://host:8786``), or ``None`` for a temporary ``LocalCluster`` with
    ``workers`` (default 2) single-threaded worker processes.
    """
    from distributed import Client, LocalCluster
    from distributed import as_completed as dask_as_completed

    own_client = None
    own_cluster = None
    if isinstance(scheduler, Client):
        client = scheduler
    elif scheduler:
        client = own_client = Client(scheduler)
    else:
        own_cluster = LocalCluster(
            n_workers=workers or 2, threads_per_worker=1, processes=True,
            dashboard_address=None,
        )
        client = own_client = Client(own_cluster)
    try:
        chunks = job.chunks()
        total = len(chunks)
        [job_f] = client.scatter([job], broadcast=True)
        futs = [client.submit(_dask_chunk, job_f, k0, k1, pure=False) for k0, k1 in chunks]
        index = {f.key: n for n, f in enumerate(futs)}
        results: list[ChunkResult | None] = [None] * total
        done = 0
        for fut in dask_as_completed(futs):
            results[index[fut.key]] = fut.result()
            done += 1
            if progress:
                progress(done, total)
        return results  # type: ignore[return-value]
    finally:
        if own_client is not None:
            own_client.close()
        if own_cluster is not None:
            own_cluster.close()
