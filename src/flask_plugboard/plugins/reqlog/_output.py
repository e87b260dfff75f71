"""Where request log lines go: stderr, a rotating file, or a logger.

stderr and the file are written directly, not through :mod:`logging`: a
``logging.Logger`` call with a ``RotatingFileHandler`` costs about 15 us a line here (a
``LogRecord``, caller lookup, ``tell()`` on a text stream). stderr gets one ``write`` per
line under a lock. The file buffers its lines in memory: a request appends its line to
a list (atomic under the GIL, no lock) and a flusher thread, one per process, started at
the first line, writes them in one ``write`` every ``flush_interval`` seconds, at
interpreter exit and in :meth:`RotatingFile.close`; when 64 KiB wait, the request that
adds the line past it writes them. The ``write`` system call per line cost about 4 us
of the request. The file rotates the way
:class:`logging.handlers.RotatingFileHandler` does (``app.log`` -> ``app.log.1`` ...).
The ``logger`` output is there for apps that route everything through their own
logging configuration, and pays that price.
"""

from __future__ import annotations

import logging
import os
import stat
import sys
import threading
import weakref
from collections.abc import Callable
from typing import IO

__all__ = ["BUFFER_BYTES", "RotatingFile", "write_stderr"]

logger = logging.getLogger("flask_plugboard")

#: Characters of waiting lines from which the flusher writes at once, whatever the interval.
BUFFER_BYTES = 64 * 1024


class _FailureReport:
    """Reports the first of a run of write failures, not every request's."""

    def __init__(self, where: str) -> None:
        self.where = where
        self.failing = False

    def failed(self, exc: OSError) -> None:
        if not self.failing:
            self.failing = True
            logger.error(
                "reqlog cannot write to %s (%s); request lines are lost until it can",
                self.where,
                exc,
            )

    def ok(self) -> None:
        self.failing = False


_stderr_report = _FailureReport("stderr")
_stderr_lock = threading.Lock()


def write_stderr(line: str) -> None:
    """Write one line to the current ``sys.stderr`` (looked up per line: it may be swapped)."""
    try:
        with _stderr_lock:
            sys.stderr.write(line)
            sys.stderr.flush()
    except OSError as exc:
        _stderr_report.failed(exc)
    else:
        if _stderr_report.failing:
            _stderr_report.ok()


def file_path(template: str, pid: int | None = None) -> str:
    """The file's path: ``{pid}`` replaced by the process id (one file per worker)."""
    return template.replace("{pid}", str(os.getpid() if pid is None else pid))


#: Pending size that sends the next line down the slow path, which starts the flusher.
_NOT_RUNNING = 1 << 62


class RotatingFile:
    """An append-only log file, rotated at ``max_bytes`` keeping ``backup_count`` old ones.

    Rotation is off when either is 0. With ``flush_interval`` > 0, :meth:`write` only
    appends the line to a list; a flusher thread of this process, started at the first
    line, writes the waiting lines every ``flush_interval`` seconds; the line that takes
    them past :data:`BUFFER_BYTES` writes them at once; :meth:`flush`, :meth:`close`,
    the end of the process and the collection of this object write them too. With 0,
    each line is written at once.
    The file is opened at the first write of each process, so ``{pid}`` in the path
    names the process that writes (gunicorn forks its workers after loading the app);
    a forked child drops its parent's file, waiting lines and thread (``os.fork`` hook:
    no ``getpid()`` system call per line). Each batch is one ``write`` to a file opened
    with ``O_APPEND``, so lines of several processes sharing one file do not mix;
    rotating such a file from several processes does not work (see the docs).
    """

    def __init__(
        self,
        path: str,
        max_bytes: int = 0,
        backup_count: int = 0,
        flush_interval: float = 0.0,
    ) -> None:
        self.template = path
        self.flush_interval = flush_interval
        sink = self._sink = _Sink(path, max_bytes if backup_count > 0 else 0, backup_count)
        if flush_interval > 0:
            append, limit, kick = sink.lines.append, BUFFER_BYTES, self._kick

            def buffered(line: str) -> None:
                append(line)
                # Not atomic against the flusher's reset: the count is approximate.
                sink.pending += len(line)
                if sink.pending > limit:
                    kick()

            self.write: Callable[[str], None] = buffered
        else:
            self.write = sink.write_now
        # Writes what waits and closes the file when this object goes, or at exit.
        weakref.finalize(self, sink.close)
        _live.add(self)

    @property
    def path(self) -> str:
        """The path this process writes to."""
        return file_path(self.template)

    @property
    def max_bytes(self) -> int:
        """Size from which the file rotates (0: never)."""
        return self._sink.max_bytes

    def flush(self) -> None:
        """Write the lines waiting in memory now."""
        self._sink.flush()

    def close(self) -> None:
        """Write what waits, stop the flusher and close the file (the next line opens it)."""
        self._sink.close()

    def _kick(self) -> None:
        # The first line of this process (or since close()): start the flusher. After
        # that, a full buffer: the request writes it itself. Waking the flusher instead
        # measured 15 us a request more: it waits for the GIL while requests keep
        # adding lines and waking it.
        sink = self._sink
        if sink.thread is None:
            sink.start(self.flush_interval)
        else:
            sink.flush()

    def _forked(self) -> None:
        self._sink.forked()


class _Sink:
    """The file and the lines waiting for it; holds no reference to its RotatingFile,
    so the finalizer and the flusher thread can hold it."""

    def __init__(self, template: str, max_bytes: int, backup_count: int) -> None:
        self.template = template
        self.max_bytes = max_bytes
        self.backup_count = backup_count
        #: Lines waiting: the same list for the object's life (the writer holds its append).
        self.lines: list[str] = []
        self.pending = _NOT_RUNNING
        self.lock = threading.Lock()
        self.wake = threading.Event()
        self.thread: threading.Thread | None = None
        self.stopping = False
        self.stream: IO[bytes] | None = None
        self.size = 0
        self.report = _FailureReport(template)

    def start(self, interval: float) -> None:
        """Start this process's flusher thread, unless another request just did."""
        with self.lock:
            if self.thread is not None:
                return
            self.pending = 0
            self.stopping = False
            self.wake = threading.Event()
            self.thread = threading.Thread(
                target=self.run,
                args=(self.wake, interval),
                name=f"reqlog-flusher {self.template}",
                daemon=True,
            )
            self.thread.start()

    def run(self, wake: threading.Event, interval: float) -> None:
        """The flusher thread: write what waits every ``interval`` s or when woken."""
        while not self.stopping:
            wake.wait(interval)
            wake.clear()
            try:
                self.flush()
            except Exception:  # keep flushing later lines whatever happened to these
                logger.exception("reqlog could not write its waiting lines")

    def write_now(self, line: str) -> None:
        """Write one line at once (``flush_interval`` 0)."""
        with self.lock:
            self._write([line])

    def flush(self) -> None:
        lines = self.lines
        if not lines:
            return
        with self.lock:
            self.pending = 0 if self.thread is not None else _NOT_RUNNING
            batch = lines[:]
            # Requests may append meanwhile: remove only what was taken.
            del lines[: len(batch)]
            if batch:
                self._write(batch)

    def close(self) -> None:
        thread = self.thread
        if thread is not None:
            self.stopping = True
            self.wake.set()
            if thread is not threading.current_thread():
                thread.join(timeout=5)
        self.flush()
        with self.lock:
            self.thread = None
            self.pending = _NOT_RUNNING
            self._close_stream()

    def forked(self) -> None:
        """In a forked child: a lock, lines and file of its own, no flusher yet."""
        # The parent's thread may have held the lock, and its lines are the parent's.
        self.lock = threading.Lock()
        self.wake = threading.Event()
        self.thread = None
        self.stopping = False
        self.lines.clear()
        self.pending = _NOT_RUNNING
        stream, self.stream, self.size = self.stream, None, 0
        if stream is not None:
            try:
                stream.close()  # the child's copy of the descriptor only
            except OSError as exc:
                logger.debug("reqlog: closing the parent's file in a child: %s", exc)

    # -- under the lock -----------------------------------------------------------------

    def _write(self, batch: list[str]) -> None:
        try:
            if self.stream is None:
                self._open()
            data = "".join(batch).encode("utf-8", "backslashreplace")
            if not self.max_bytes or self.size + len(data) <= self.max_bytes:
                self._put(data)
                self.size += len(data)
            else:
                self._write_rotating(batch)
        except OSError as exc:
            self.report.failed(exc)
        else:
            if self.report.failing:
                self.report.ok()

    def _write_rotating(self, batch: list[str]) -> None:
        # The batch would not fit: write it in groups, rotating between them.
        group = bytearray()
        for line in batch:
            data = line.encode("utf-8", "backslashreplace")
            if self.size and self.size + len(data) > self.max_bytes:
                if group:
                    self._put(bytes(group))
                    group.clear()
                self._rotate()
            group += data
            self.size += len(data)
        if group:
            self._put(bytes(group))

    def _put(self, data: bytes) -> None:
        """One ``write`` (more only if the system writes part of it)."""
        stream = self.stream
        assert stream is not None  # noqa: S101 - opened by _write
        view = memoryview(data)
        while view:
            written = stream.write(view)
            view = view[written or 0 :]

    def _open(self) -> None:
        # Unbuffered: each batch is one write() system call, appended atomically.
        stream = open(file_path(self.template), "ab", buffering=0)  # noqa: SIM115 - closed by close()
        self.stream = stream
        info = os.fstat(stream.fileno())
        self.size = info.st_size
        if not stat.S_ISREG(info.st_mode):
            self.max_bytes = 0  # /dev/stdout, a pipe: nothing to rotate

    def _close_stream(self) -> None:
        stream, self.stream = self.stream, None
        if stream is not None:
            stream.close()

    def _rotate(self) -> None:
        self._close_stream()
        path = file_path(self.template)
        try:
            for i in range(self.backup_count - 1, 0, -1):
                older = f"{path}.{i}"
                if os.path.exists(older):
                    os.replace(older, f"{path}.{i + 1}")
            if os.path.exists(path):
                os.replace(path, f"{path}.1")
        except OSError as exc:
            self.report.failed(exc)
            self._open()
            self.size = 0  # try again max_bytes later, not on every line
            return
        self._open()
        self.size = 0


#: Every RotatingFile of this process, for the fork hook.
_live: weakref.WeakSet[RotatingFile] = weakref.WeakSet()


def _after_fork() -> None:
    for output in list(_live):
        output._forked()


if hasattr(os, "register_at_fork"):  # not on Windows, which does not fork
    os.register_at_fork(after_in_child=_after_fork)
