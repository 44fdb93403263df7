"""A `check` or `matrix` run from paths to one CheckRun: read, check each distinct module once
(on every core when there is enough work), settle per file, filter once. Knows no command line;
errors are exceptions."""

from __future__ import annotations

import os
import sys
from typing import TYPE_CHECKING

from .inputs import DEFAULT_MAX_BYTES, load
from .results import CheckRun, InputProblem

if TYPE_CHECKING:
    from .results import ModuleReport

# When to check in worker processes, from measurements on 2 cores (benchmarks/run.py): a forked
# pool costs ~40 ms to start (imports and forking; the workers inherit the loaded specs); a small
# filter takes 5-15 ms to check, one whose start-up must be run (a child process) 0.1-5 s, so
# the pool pays for itself from a few real filters on, or from many tiny modules. Where workers
# must be spawned (a fresh interpreter each, ~150 ms), only larger batches do. Decided by counts
# and sizes only, never by timing.
PARALLEL_MIN_MODULES_FORK = 3
PARALLEL_MIN_BYTES_FORK = 256 << 10  # ...of distinct modules together, or:
PARALLEL_MANY_MODULES = 16  # however small
PARALLEL_MIN_MODULES_SPAWN = 8
# From this much input, even two modules are worth a worker each.
PARALLEL_MIN_BYTES = 4 << 20


class UnknownCodeError(ValueError):
    """A finding code to ignore that does not exist (a usage error)."""


def ignored_codes(codes) -> frozenset[str]:
    from .checks.codes import CODES
    wanted = frozenset(c.strip().upper() for c in codes)
    unknown = sorted(wanted - set(CODES))
    if unknown:
        raise UnknownCodeError(f"--ignore / ignore: unknown finding code(s) "
                               f"{', '.join(unknown)} (`compatcheck explain` lists them)")
    return wanted


def available_cores() -> int:
    """The cores this process may run on (a container's CPU set, not the machine's)."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except (AttributeError, OSError):
        return max(1, os.cpu_count() or 1)


def run_checks(paths, hosts, spec_dirs: tuple, selectors: tuple, *, max_size: int | None = None,
               validate: bool = False, smoke: bool = True, ignored: frozenset[str] = frozenset(),
               fail_on: str = "error", jobs: int | None = None, progress=None,
               hashes: bool = True, manifests=(), artifacts=None,
               lifecycle: dict | None = None) -> CheckRun:
    """Every path checked against ``hosts`` (chosen by ``selectors`` in ``spec_dirs``, which
    worker processes use to choose them again from the spec cache).

    Files with the same bytes (sha256) are checked once; each still gets its own report.
    ``jobs``: worker processes at most (None or 0: every core; 1: none). ``progress``, if
    given, is called as ``progress(files_done, files_total, duplicates)`` while modules finish
    (for display only: the result never depends on the order they finish in). ``hashes``:
    record every file's sha256 in the run's ``digests`` (otherwise only files that share a
    size are hashed, to find copies).
    """
    from .manifests.run import extra_reports, split_images
    paths, images = split_images(paths)  # oci://, OCI layouts and archives: artifacts/
    items, problems = [], []
    for item in load(list(paths), max_size or DEFAULT_MAX_BYTES, recurse_dirs=True):
        if item.error is not None:
            problems.append(InputProblem(item.name, str(item.error)))
        else:
            items.append(item)
    keys = _content_keys(items, hashes)
    distinct: dict = {}  # content key -> the first item with those bytes
    for item, key in zip(items, keys, strict=True):
        distinct.setdefault(key, item)
    duplicates = len(items) - len(distinct)
    outcomes = _check_distinct(distinct, keys, hosts, spec_dirs, selectors, validate, smoke,
                               jobs, progress)
    if lifecycle is not None:  # `check --plugin-config`: start and configure, emulated
        outcomes = _with_lifecycle(outcomes, distinct, lifecycle)
    reports: list[ModuleReport]
    first_report: dict[tuple[int, bytes], int]  # content key -> index of its first report
    reports, first_report, same_as, digests = [], {}, [], []
    for item, key in zip(items, keys, strict=True):
        outcome = _renamed(outcomes[key], item.name)
        if isinstance(outcome, InputProblem):
            problems.append(outcome)
        else:
            same_as.append(first_report.setdefault(key, len(reports)))
            reports.append(outcome)
            digests.append(key[1].hex())
    # image artifacts and `--manifest` plugins (manifests/run.py), each its own report
    more, more_problems = extra_reports(images, manifests, artifacts, hosts,
                                        max_size or DEFAULT_MAX_BYTES, validate, smoke)
    problems += more_problems
    for report, digest in more:
        same_as.append(len(reports))
        reports.append(report)
        digests.append(digest)
    return CheckRun(tuple(reports), tuple(problems), tuple(hosts), fail_on,
                    same_as=tuple(same_as) if duplicates else (),
                    digests=tuple(digests) if hashes else ()).without(ignored)


def _check_distinct(distinct: dict, keys: list, hosts, spec_dirs, selectors, validate: bool,
                    smoke: bool, jobs, progress) -> dict:
    """Content key -> report (or InputProblem) for each distinct module, in worker processes
    when that pays; ``progress`` counts the files (copies included) done so far."""
    copies: dict = {}
    for key in keys:
        copies[key] = copies.get(key, 0) + 1
    done = 0

    def finished(key) -> None:
        nonlocal done
        done += copies[key]
        if progress is not None:
            progress(done, len(keys), len(keys) - len(distinct))

    if progress is not None and keys:
        progress(0, len(keys), len(keys) - len(distinct))
    workers = _workers(jobs, list(distinct.values()))
    if workers > 1:
        return _check_in_workers(distinct, workers, hosts, spec_dirs, selectors, validate,
                                 smoke, finished)
    from .runner import check_bytes
    outcomes = {}
    for key, item in distinct.items():
        outcomes[key] = _settle(item.name, lambda i=item: check_bytes(
            i.name, i.data, hosts, validate, smoke))
        finished(key)
    return outcomes


def _with_lifecycle(outcomes: dict, distinct: dict, lifecycle: dict) -> dict:
    """Each distinct module's report with the emulated start and configure added (keys
    ``plugin_config``, ``vm_config``, ``root_id``)."""
    from .emulator.checking import with_lifecycle
    return {key: o if isinstance(o, InputProblem) else
            _settle(distinct[key].name, lambda o=o, key=key: with_lifecycle(
                o, data=distinct[key].data, **lifecycle))
            for key, o in outcomes.items()}


def _content_keys(items, hashes: bool) -> list[tuple[int, bytes]]:
    """Equal keys for equal bytes: (size, sha256). Without ``hashes`` only files that share
    their size with another are hashed: a file of a size no other has cannot be a copy."""
    sizes: dict[int, int] = {}
    for item in items:
        sizes[len(item.data)] = sizes.get(len(item.data), 0) + 1
    if not hashes and all(n == 1 for n in sizes.values()):
        return [(len(i.data), b"") for i in items]
    from hashlib import sha256  # (OpenSSL: a few ms to load, so only when needed)
    return [(len(i.data), sha256(i.data).digest() if hashes or sizes[len(i.data)] > 1 else b"")
            for i in items]


def _renamed(outcome, name: str):
    from .record import replace
    return outcome if outcome.name == name else replace(outcome, name=name)


def _workers(jobs: int | None, modules: list) -> int:
    """How many worker processes: decided by counts and sizes, never by timing."""
    cores = available_cores() if not jobs else jobs
    workers = min(cores, len(modules))
    if workers <= 1:
        return 1
    n, size = len(modules), sum(len(m.data) for m in modules)
    if size >= PARALLEL_MIN_BYTES or n >= PARALLEL_MANY_MODULES:
        return workers
    if _fork_context() is not None:
        enough = n >= PARALLEL_MIN_MODULES_FORK and size >= PARALLEL_MIN_BYTES_FORK
    else:
        enough = n >= PARALLEL_MIN_MODULES_SPAWN and size >= PARALLEL_MIN_BYTES_FORK
    return workers if enough else 1


def _fork_context():
    """fork where it is safe and cheap: on Linux, in a process with one thread (the workers
    inherit the loaded specs). A process that already ran wasmtime's validator has its thread
    pool, which a forked child would wait on for ever; it spawns its workers instead."""
    if not sys.platform.startswith("linux"):
        return None
    try:
        if len(os.listdir("/proc/self/task")) != 1:
            return None
    except OSError:
        return None
    import multiprocessing
    try:
        return multiprocessing.get_context("fork")
    except ValueError:
        return None


def _check_in_workers(distinct: dict, workers: int, hosts, spec_dirs, selectors, validate,
                      smoke, finished) -> dict:
    from concurrent.futures import FIRST_COMPLETED, ProcessPoolExecutor, wait

    import multiprocessing

    by_id = {h.id: h for h in hosts}
    ctx = _fork_context()
    if ctx is not None:
        _preload()  # once here rather than once in every forked worker
    else:
        ctx = multiprocessing.get_context("spawn")
    # Largest first: the batch ends sooner when the long jobs do not start last.
    queue = sorted(distinct.items(), key=lambda kv: -len(kv[1].data))
    outcomes: dict = {}
    from .envoy.process import sigterm_raises

    pool = ProcessPoolExecutor(workers, mp_context=ctx, initializer=_init_worker,
                               initargs=(tuple(spec_dirs), tuple(selectors)))
    with sigterm_raises():  # SIGTERM too must stop the workers, not leave them behind
        try:
            jobs = {pool.submit(_check_one, item.name, item.data, validate, smoke): (key, item)
                    for key, item in queue}
            pending = set(jobs)
            while pending:
                ready, pending = wait(pending, return_when=FIRST_COMPLETED)
                for job in ready:
                    key, item = jobs[job]
                    outcomes[key] = _settle(item.name,
                                            lambda j=job: _rebuild(j.result(), by_id))
                    finished(key)
        except BaseException:  # Ctrl-C, SIGTERM: stop the workers and their start-up runs
            _stop(pool)
            raise
    pool.shutdown(wait=True)
    return outcomes


def _stop(pool) -> None:
    """Stop a pool at once: no new job, running ones ended (SIGTERM: each worker ends its
    start-up run's process group before it exits; see _init_worker)."""
    processes = list((getattr(pool, "_processes", None) or {}).values())
    pool.shutdown(wait=False, cancel_futures=True)
    for process in processes:
        process.terminate()
    for process in processes:
        process.join(5)
        if process.is_alive():
            process.kill()


def _preload() -> None:
    """What every check imports (importing starts no thread: forking after it is safe)."""
    import wasmtime  # noqa: F401

    from . import runner, smoke  # noqa: F401
    from .checks import startup  # noqa: F401
    from .wasm import callgraph, features, validate  # noqa: F401


def _settle(name, get):
    """A report, or for a bug of ours on this one file an internal problem: the batch goes on."""
    try:
        return get()
    except Exception as exc:  # noqa: BLE001 (reported, exit 3)
        if os.environ.get("COMPATCHECK_DEBUG"):
            raise
        return InputProblem(name, f"internal error: {type(exc).__name__}: {exc} (set "
                                  "COMPATCHECK_DEBUG=1 for the traceback, and please report it)",
                            internal=True)


_WORKER_HOSTS: list | None = None


def _init_worker(spec_dirs, selectors) -> None:
    """Worker process: specs come from the verified cache (or, forked, from memory), not over
    the pipe. Ctrl-C is the parent's to handle; SIGTERM (the parent stopping the pool, or
    dying: see _die_with_parent) ends a running check through Python, so that a start-up run's
    process is killed on the way out."""
    import signal

    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, _on_sigterm)
    _die_with_parent()
    global _WORKER_HOSTS
    from .abi import get_specs
    from .abi.select import select
    _WORKER_HOSTS = select(get_specs(spec_dirs), list(selectors))


def _die_with_parent() -> None:
    """Linux: SIGTERM to this worker when the process that started it dies (even by SIGKILL);
    otherwise a worker waits for jobs for ever."""
    if not sys.platform.startswith("linux"):
        return
    try:
        import ctypes
        import signal

        ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG
    except (OSError, AttributeError):
        pass


_RUNNING = False


def _on_sigterm(signum, frame):
    if not _RUNNING:
        os._exit(128 + signum)  # idle: nothing to clean up
    raise SystemExit(128 + signum)


def _check_one(name, data, validate, smoke):
    """Worker process: the report without its module and hosts (the parent has both)."""
    from .record import replace
    from .runner import check_bytes

    global _RUNNING
    _RUNNING = True
    try:
        report = check_bytes(name, data, _WORKER_HOSTS, validate, smoke)
    except SystemExit as exc:  # stopped: a start-up run was killed on the way here
        os._exit(exc.code if isinstance(exc.code, int) else 143)
    finally:
        _RUNNING = False
    findings = tuple((r.host.id, r.findings) for r in report.results)
    return replace(report, module=None, results=()), findings


def _rebuild(outcome, by_id: dict):
    from .checks import TargetResult
    from .record import replace

    report, findings = outcome
    return replace(report, results=tuple(TargetResult(by_id[h], f) for h, f in findings))
