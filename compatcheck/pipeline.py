"""A `check` or `matrix` run from paths to one CheckRun: read, check (in parallel for large
input), settle per file, filter once. Knows no command line; errors are exceptions."""

from __future__ import annotations

import os

from .inputs import DEFAULT_MAX_BYTES, load
from .results import CheckRun, InputProblem

# Below this much input, starting worker processes costs more than it saves.
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


def run_checks(paths, hosts, spec_dirs: tuple, selectors: tuple, *, max_size: int | None = None,
               validate: bool = False, smoke: bool = True, ignored: frozenset[str] = frozenset(),
               fail_on: str = "error") -> CheckRun:
    """Every path checked against ``hosts`` (chosen by ``selectors`` in ``spec_dirs``, which
    worker processes use to choose them again from the spec cache)."""
    from .runner import check_bytes

    items, problems = [], []
    for item in load(list(paths), max_size or DEFAULT_MAX_BYTES, recurse_dirs=True):
        if item.error is not None:
            problems.append(InputProblem(item.name, str(item.error)))
        else:
            items.append(item)
    workers = min(os.cpu_count() or 1, len(items))
    if workers > 1 and sum(len(i.data) for i in items) >= PARALLEL_MIN_BYTES:
        from concurrent.futures import ProcessPoolExecutor
        with ProcessPoolExecutor(workers) as pool:
            jobs = [pool.submit(_check_one, i.name, i.data, spec_dirs, selectors, validate,
                                smoke) for i in items]
            outcomes = [_settle(i.name, j.result) for i, j in zip(items, jobs)]
    else:
        outcomes = [_settle(i.name, lambda i=i: check_bytes(i.name, i.data, hosts, validate,
                                                             smoke)) for i in items]
    reports = [o for o in outcomes if not isinstance(o, InputProblem)]
    problems += [o for o in outcomes if isinstance(o, InputProblem)]
    return CheckRun(tuple(reports), tuple(problems), tuple(hosts), fail_on).without(ignored)


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


def _check_one(name, data, spec_dirs, selectors, validate, smoke):
    """Worker process: specs come from the verified cache, not over the pipe."""
    from .abi import get_specs
    from .abi.select import select
    from .record import replace
    from .runner import check_bytes

    report = check_bytes(name, data, select(get_specs(spec_dirs), list(selectors)), validate,
                         smoke)
    return replace(report, module=None)  # the renderers need no module; keep the pipe light
