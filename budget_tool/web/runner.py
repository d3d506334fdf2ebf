"""Where the checks run: a pool of worker processes, so that concurrent requests use every core
(a check is pure Python: threads would wait on each other under the GIL).

Workers are forked from a server process that has already imported and warmed the library
(``forkserver`` with a preload), and replaced after a number of tasks so that the memory of a long
running service does not grow. ``workers=0`` runs the jobs in a thread of the web process instead
(for tests).
"""

from __future__ import annotations

import asyncio
import multiprocessing
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from typing import Any

TASKS_PER_WORKER = 200


class Runner:
    def __init__(self, workers: int) -> None:
        self.workers = workers
        self.pool: ProcessPoolExecutor | None = None

    def start(self) -> None:
        if self.workers <= 0:
            return
        context = multiprocessing.get_context("forkserver")
        context.set_forkserver_preload(["budget_tool.web.preload"])
        self.pool = ProcessPoolExecutor(
            self.workers, mp_context=context, max_tasks_per_child=TASKS_PER_WORKER
        )
        from budget_tool.web.jobs import warm

        for future in [self.pool.submit(warm) for _ in range(self.workers)]:
            future.result()

    def stop(self) -> None:
        if self.pool is not None:
            self.pool.shutdown(wait=True, cancel_futures=True)
            self.pool = None

    async def run(self, job: Callable[..., Any], *args: Any) -> Any:
        if self.pool is None:
            from starlette.concurrency import run_in_threadpool

            return await run_in_threadpool(job, *args)
        loop = asyncio.get_running_loop()
        try:
            return await loop.run_in_executor(self.pool, job, *args)
        except BrokenProcessPool:
            self.pool = None  # a worker died (killed, out of memory): start afresh, then say so
            self.start()
            raise
