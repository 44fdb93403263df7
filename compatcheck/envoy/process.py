"""Running a binary in its own session so that it, and anything it spawns, can always be killed.

Envoy runs in a new session (its own process group). Whatever ends a run, the whole group is
killed before the run returns: at once when the leader exits (a wrapper's background children),
SIGTERM then SIGKILL after a grace on timeout, on KeyboardInterrupt and when compatcheck gets
SIGTERM. The leader is reaped only after its group was killed, so the group id cannot be reused
by an unrelated process in between. Output goes to an unnamed file, not a pipe: a child that
keeps the pipe open cannot make a run wait for EOF.
"""

from __future__ import annotations

import contextlib
import os
import select
import signal
import subprocess
import tempfile
import threading
import time

GRACE = 1.0  # seconds between SIGTERM and SIGKILL
MAX_OUTPUT = 16 << 20  # bytes; a binary printing more is not an Envoy in validate mode
_SLICE = 0.25  # seconds between checks of the output size while waiting

_live_lock = threading.Lock()
_live: dict[subprocess.Popen, threading.Event | None] = {}  # unreaped leaders -> their stop event


class RunError(RuntimeError):
    """The binary printed too much, or was stopped before it started."""


class CannotRun(RunError):
    """The binary could not be started (missing, not executable, bad format)."""


@contextlib.contextmanager
def sigterm_raises():
    """SIGTERM raises SystemExit in the main thread while this is active, so `finally` blocks run.

    Installed only by the main thread and only over the default action (a caller's own handler
    is left alone). After the first SIGTERM further ones are ignored: they must not cut short
    the cleanup the first one started.
    """
    if (threading.current_thread() is not threading.main_thread()
            or signal.getsignal(signal.SIGTERM) is not signal.SIG_DFL):
        yield
        return
    signal.signal(signal.SIGTERM, _on_sigterm)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, signal.SIG_DFL)


def _on_sigterm(signum, _frame):
    signal.signal(signum, signal.SIG_IGN)
    raise SystemExit(128 + signum)


def run(cmd: tuple[str, ...], timeout: float, cwd: str | None = None,
        stop: threading.Event | None = None) -> tuple[int | None, str]:
    """(exit status, or None when it timed out; output). Negative status: killed by a signal."""
    with sigterm_raises(), tempfile.TemporaryFile() as out:
        proc, state = None, "interrupted"
        try:
            with _signals_held():  # no KeyboardInterrupt between fork and `proc` being set
                proc = _start(cmd, cwd, out, stop)
            state = _wait(proc, out, time.monotonic() + timeout)
        finally:
            if proc is not None:
                _end(proc, grace=GRACE if state != "exited" else 0.0)
        if state == "overflow":
            raise RunError(f"printed more than {MAX_OUTPUT >> 20} MiB")
        out.seek(0)
        text = out.read(MAX_OUTPUT).decode("utf-8", "replace")
    return (proc.returncode if state == "exited" else None), text


@contextlib.contextmanager
def _signals_held():
    """SIGINT and SIGTERM that arrive in the block are acted on (re-raised) when it ends."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    held: list[int] = []
    old = {s: signal.getsignal(s) for s in (signal.SIGINT, signal.SIGTERM)}
    old = {s: h for s, h in old.items() if h is not None}  # None: set outside Python, keep it
    for s in old:
        signal.signal(s, lambda signum, _frame: held.append(signum))
    try:
        yield
    finally:
        for s, h in old.items():
            signal.signal(s, h)
        for s in held:
            signal.raise_signal(s)


def stop_all(stop: threading.Event) -> None:
    """Start no more runs under `stop`; kill the groups of those running (from another thread)."""
    with _live_lock:
        stop.set()
        mine = [p for p, s in _live.items() if s is stop]
        for proc in mine:
            _signal(proc, signal.SIGTERM)
    deadline = time.monotonic() + GRACE
    while time.monotonic() < deadline and any(p in _live for p in mine):
        time.sleep(0.02)  # their own threads reap them and leave _live
    with _live_lock:
        for proc in mine:
            if proc in _live:
                _signal(proc, signal.SIGKILL)


def _start(cmd, cwd, out, stop) -> subprocess.Popen:
    with _live_lock:
        if stop is not None and stop.is_set():
            raise RunError("stopped")
        try:
            proc = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=out,
                                    stderr=subprocess.STDOUT, cwd=cwd, start_new_session=True)
        except OSError as exc:
            raise CannotRun(f"cannot run: {exc.strerror or exc}") from None
        _live[proc] = stop
    return proc


def _wait(proc: subprocess.Popen, out, deadline: float) -> str:
    """'exited' (leader left unreaped), 'timeout' or 'overflow'."""
    fd = _pidfd(proc.pid)
    poller = select.poll()
    if fd is not None:
        poller.register(fd, select.POLLIN)  # readable once the leader exits
    try:
        while not _exited(proc):
            left = deadline - time.monotonic()
            if left <= 0:
                return "timeout"
            if os.fstat(out.fileno()).st_size > MAX_OUTPUT:
                return "overflow"
            if fd is not None:
                poller.poll(min(left, _SLICE) * 1000)
            else:
                time.sleep(min(left, 0.01))
        return "exited"
    finally:
        if fd is not None:
            os.close(fd)


def _end(proc: subprocess.Popen, grace: float) -> None:
    """Kill the group (politely first when grace > 0), then reap the leader."""
    try:
        if grace > 0:
            _signal(proc, signal.SIGTERM)
            deadline = time.monotonic() + grace
            while not _exited(proc) and time.monotonic() < deadline:
                time.sleep(0.02)
    finally:
        with _live_lock:
            _signal(proc, signal.SIGKILL)  # also whatever the leader left behind
            _live.pop(proc, None)
        proc.wait()


def _exited(proc: subprocess.Popen) -> bool:
    try:
        return os.waitid(os.P_PID, proc.pid, os.WEXITED | os.WNOHANG | os.WNOWAIT) is not None
    except ChildProcessError:
        return True


def _signal(proc: subprocess.Popen, sig: int) -> None:
    try:
        os.killpg(proc.pid, sig)
    except (ProcessLookupError, PermissionError):
        pass


def _pidfd(pid: int) -> int | None:
    try:
        return os.pidfd_open(pid)
    except (AttributeError, OSError):
        return None
