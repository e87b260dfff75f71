"""The mail queue: e-mail goes out from a worker thread, never during the request.

A password reset for an address with an account used to send its mail in the request,
and answered 6 to 7 times slower than one for an unknown address. Now the request only
puts a job in this queue, the same job whatever the address; the thread finds the
account, makes the link and sends the mail.

Why a thread and not a table with a worker command: a reset mail is worth little later
(its link expires in AUTH_RESET_MAX_AGE, and the user can ask again), and a separate
worker process is one more thing a deployment must remember to run, or no mail ever
goes out. What it costs, honestly: the queue lives in the process's memory. Jobs still
queued when the process ends are lost (at a normal exit, a gunicorn worker's graceful
stop included, the queue is given SHUTDOWN_WAIT seconds to empty); a full queue
(AUTH_MAIL_QUEUE_SIZE jobs waiting) drops new jobs, with an error in the log. Each
process (each gunicorn worker) has its own queue and thread, started with its first job.
"""

from __future__ import annotations

import atexit
import logging
import os
import queue
import threading
import time
from collections.abc import Callable

from flask import Flask

__all__ = ["SHUTDOWN_WAIT", "Job", "Outbox"]

logger = logging.getLogger("flask_plugboard.plugins.auth")

#: What the worker runs, inside an app context of the app that queued it.
Job = Callable[[], None]
#: Seconds a process that exits waits for its queued mail to go out.
SHUTDOWN_WAIT = 10.0


class Outbox:
    """A bounded queue of mail jobs of one app, served by one thread per process."""

    def __init__(self, size: int) -> None:
        self._size = size
        self._jobs: queue.Queue[Job] = queue.Queue(size)
        self._lock = threading.Lock()
        self._worker: threading.Thread | None = None
        self._pid = 0
        self._at_exit = False

    def put(self, app: Flask, job: Job) -> bool:
        """Queue ``job``, to run with ``app``'s context; False when the queue is full."""
        self._start(app)
        try:
            self._jobs.put_nowait(job)
        except queue.Full:
            return False
        return True

    def flush(self, timeout: float) -> bool:
        """Wait up to ``timeout`` seconds for every queued job to be done; whether it was."""
        deadline = time.monotonic() + timeout
        jobs = self._jobs
        with jobs.all_tasks_done:
            while jobs.unfinished_tasks:
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    return False
                jobs.all_tasks_done.wait(remaining)
        return True

    def _start(self, app: Flask) -> None:
        with self._lock:
            pid = os.getpid()
            if self._worker is not None and self._worker.is_alive() and self._pid == pid:
                return
            if self._pid != pid:
                # A forked child (gunicorn --preload) has the parent's queue but not its
                # thread: start afresh.
                self._jobs = queue.Queue(self._size)
            self._pid = pid
            self._worker = threading.Thread(
                target=self._run, args=(app, self._jobs), name="plugboard-auth-mail", daemon=True
            )
            self._worker.start()
            if not self._at_exit:
                self._at_exit = True
                atexit.register(self._drain)

    def _drain(self) -> None:
        if not self.flush(SHUTDOWN_WAIT):
            logger.error(
                "the process ends with %d e-mail(s) still queued: they are lost",
                self._jobs.unfinished_tasks,
            )

    @staticmethod
    def _run(app: Flask, jobs: queue.Queue[Job]) -> None:
        while True:
            job = jobs.get()
            try:
                with app.app_context():
                    job()
            # The worker must outlive any job's failure (each logs its own reasons).
            except Exception:
                logger.exception("a queued e-mail job failed")
            finally:
                jobs.task_done()
