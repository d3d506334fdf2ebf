"""Where the checks run: a pool of worker processes, so that concurrent requests use every core
(a check is pure Python: threads would wait on each other under the GIL).

Workers are forked from a server process that has already imported and warmed the library
(``forkserver`` with a preload). After ``TASKS_PER_POOL`` jobs the pool is replaced by a fresh
one (the old one finishes its jobs, then exits), so that the memory of a long-running service
does not grow. (Python 3.11's own ``max_tasks_per_child`` can hang when a worker is replaced: it
is not used.) ``workers=0`` runs the jobs in a thread of the web process instead (for tests).
"""

from __future__ import annotations

import asyncio
import multiprocessing
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from typing import Any

TASKS_PER_POOL = 500


class Runner:
    def __init__(self, workers: int, tasks_per_pool: int = TASKS_PER_POOL) -> None:
        self.workers = workers
        self.tasks_per_pool = tasks_per_pool
        self.pool: ProcessPoolExecutor | None = None
        self.tasks = 0
        self.retired: list[ProcessPoolExecutor] = []

    def start(self) -> None:
        if self.workers <= 0:
            return
        self.pool = self._new_pool()
        from budget_tool.web.jobs import warm

        for future in [self.pool.submit(warm) for _ in range(self.workers)]:
            future.result()

    def _new_pool(self) -> ProcessPoolExecutor:
        context = multiprocessing.get_context("forkserver")
        context.set_forkserver_preload(["budget_tool.web.preload"])
        self.tasks = 0
        return ProcessPoolExecutor(self.workers, mp_context=context)

    def stop(self) -> None:
        """Stop every worker: a worker left waiting on its queue would keep the fork server
        (and its resource tracker) alive after the web process has gone."""
        pools, self.pool, self.retired = [self.pool, *self.retired], None, []
        for pool in (p for p in pools if p is not None):
            processes = list((pool._processes or {}).values())
            pool.shutdown(wait=False, cancel_futures=True)
            for process in processes:
                process.terminate()
            for process in processes:
                process.join(5)

    async def run(self, job: Callable[..., Any], *args: Any) -> Any:
        if self.workers <= 0:
            from starlette.concurrency import run_in_threadpool

            return await run_in_threadpool(job, *args)
        if self.pool is None or self.tasks >= self.tasks_per_pool:
            old, self.pool = self.pool, self._new_pool()
            if old is not None:
                old.shutdown(wait=False)  # its running jobs finish, then its workers exit
                self.retired = [p for p in self.retired if p._processes] + [old]
        self.tasks += 1
        pool = self.pool
        loop = asyncio.get_running_loop()
        try:
            return await loop.run_in_executor(pool, job, *args)
        except BrokenProcessPool:
            if (
                self.pool is pool
            ):  # a worker died (killed, out of memory): the next job starts afresh
                self.pool = None
            raise
