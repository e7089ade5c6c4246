"""Where grading jobs run: threads on this machine, or a Dask cluster (`dask.distributed`).

Both run the same function on the same data (autograder/grading_job.py: `run(job, lesson)`),
so grading has one code path and only the executor differs:

    local            one thread per core here; each job is an nbgrader process of its own
    "local-cluster"  a Dask LocalCluster of that many single-threaded worker processes, on
                     loopback behind TLS with a certificate of its own (to measure what Dask
                     costs: `python -m autograder bench-grading`)
    tls://HOST:8786  an existing cluster's scheduler, with the instructor's certificates
                     (dask-jobqueue on SLURM, dask-kubernetes, or `dask scheduler` + `dask
                     worker` by hand: docs/grading.md); tcp:// works too, with a warning

On a cluster each lesson's shared part (source, release, reference) goes once as a task of its
own, so a worker that dies takes nothing that cannot be recomputed; a job whose worker is lost
is run again by the scheduler (Dask's allowed-failures), and one that raised is retried twice.
Whatever a job's fate, `run_all` yields one outcome per job: a Result or the exception that
ended it, and the caller (autograder/grade.py) turns either into a grade.
"""

import os
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor, as_completed

from . import grading_job
from .grading_job import Job, Lesson, Result

RETRIES = 2  # a job that raised is run again this many times (worker loss is the scheduler's)


def run_all(jobs: list[Job], lessons: dict[str, Lesson], scheduler: str | None = None,
            workers: int | None = None) -> Iterator[tuple[Job, Result | BaseException]]:
    """(job, outcome) for every job, in the order they finish."""
    if scheduler is None:
        yield from _threads(jobs, lessons, workers or os.cpu_count() or 1)
    else:
        yield from _dask(jobs, lessons, scheduler, workers or os.cpu_count() or 1)


def _threads(jobs, lessons, workers):
    pool = ThreadPoolExecutor(max_workers=workers)
    try:
        futures = {pool.submit(grading_job.run, job, lessons[job.lesson]): job for job in jobs}
        for future in as_completed(futures):
            yield futures[future], _outcome(future)
    finally:  # stopped early (Ctrl-C, an error): queued jobs are not started
        pool.shutdown(wait=True, cancel_futures=True)


def _dask(jobs, lessons, scheduler, workers):
    try:
        from distributed import as_completed as dask_completed
    except ImportError:
        raise SystemExit("grading on a Dask cluster needs `distributed`: pip install 'llmcourse[cluster]'") from None
    if scheduler == "local-cluster":
        cluster, client = local_cluster(workers)
    else:
        cluster, client = None, connect(scheduler)
    try:
        # (keys are Dask's own, unique: two batches on one cluster never share a result)
        shared = {name: client.submit(_same, lesson, pure=False) for name, lesson in lessons.items()}
        futures = {client.submit(grading_job.run, job, shared[job.lesson], pure=False, retries=RETRIES): job
                   for job in jobs}
        for future in dask_completed(futures):
            yield futures[future], _outcome(future)
    finally:
        client.close()
        if cluster is not None:
            cluster.close()


def local_cluster(workers: int):
    """(cluster, client): a LocalCluster on loopback that only this process can use. Every
    connection is TLS with a certificate made for this cluster alone and kept in memory
    (distributed's Security.temporary), presented by both ends: a process that does not hold it
    (any other local account or program) cannot connect, so cannot run code in the workers."""
    from distributed import Client, LocalCluster
    from distributed.security import Security

    security = Security.temporary()
    cluster = LocalCluster(n_workers=workers, threads_per_worker=1, processes=True, host="127.0.0.1",
                           protocol="tls://", security=security, dashboard_address=None)
    return cluster, Client(cluster, security=security)


def connect(scheduler: str):
    """A client of the instructor's cluster. `tls://` uses the certificates of Dask's configuration
    (distributed.comm.tls.*: the CA, and this client's certificate and key: docs/grading.md); a
    `tcp://` cluster is open to anyone who reaches its port, which is said here."""
    from distributed import Client
    from distributed.security import Security

    if scheduler.startswith("tls://"):
        security = Security(require_encryption=True)
        if not (security.tls_ca_file and security.tls_client_cert):
            raise SystemExit(f"{scheduler}: set the cluster's CA and this client's certificate and key "
                             "(DASK_DISTRIBUTED__COMM__TLS__CA_FILE, ...__CLIENT__CERT, ...__CLIENT__KEY; "
                             "docs/grading.md, Grading on a cluster)")
        return Client(scheduler, security=security, timeout="30s")
    print(f"warning: {scheduler} is not authenticated: anyone who reaches its port can run code on the "
          "workers and change grades. Use tls:// with certificates (docs/grading.md, Grading on a cluster).")
    return Client(scheduler, timeout="30s")


def _same(lesson: Lesson) -> Lesson:
    return lesson


def _outcome(future) -> Result | BaseException:
    try:
        return future.result()
    except BaseException as e:  # KilledWorker, a worker's import error, a cancelled future
        return e
