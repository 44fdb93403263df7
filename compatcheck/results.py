"""The results of compatcheck, in one place: findings, a module's result on one build, a
module's report across builds, and the whole run of `check` or `matrix`. Frozen records with a
``json()`` view; renderers read them, filter nothing, and the exit code reads the same run.

CheckRun is filtered once (``without``): the report and the status can never disagree.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from . import exitcodes
from .record import record, replace

if TYPE_CHECKING:
    from .abi import HostSpec
    from .wasm import Module


SEVERITIES = ("crash", "error", "warning", "info")
# Order in which a host meets problems while loading (it stops at the first error).
STAGES = ("runtime", "parse", "abi", "compile", "abi-late", "link", "functions", "startup",
          "callbacks", "advice")


@record
class Finding:
    code: str
    severity: str
    message: str  # in the host's own words where ``host_wording`` is set
    fix: str
    stage: str
    location: str | None = None  # e.g. "import env.proxy_get_configuration"
    offset: int | None = None
    position: int = 0  # order within a stage (e.g. import index)
    host_wording: bool = False
    unverified: bool = False  # rests on a spec fact nobody could verify
    file: str | None = None  # a manifest the finding points into (None: the module itself)
    line: int | None = None  # 1-based line in ``file``

    @property
    def blocks_load(self) -> bool:
        return self.severity in ("crash", "error")

    def sort_key(self) -> tuple:
        return (STAGES.index(self.stage), self.position, self.code)

    def json(self) -> dict:
        return {"code": self.code, "severity": self.severity, "message": self.message,
                "fix": self.fix, "stage": self.stage, "location": self.location,
                "offset": self.offset, "host_wording": self.host_wording,
                "unverified": self.unverified,
                **({"file": self.file, "line": self.line} if self.file is not None else {})}


@record
class TargetResult:
    host: HostSpec
    findings: tuple[Finding, ...]  # in the order the host meets them

    @property
    def verdict(self) -> str:
        """What the host does: it stops at the first blocking problem it meets."""
        first = self.first_error
        if first is None:
            return "loads"
        return "crash" if first.severity == "crash" else "refused"

    @property
    def outcome(self) -> str:
        """The verdict, finer: a module that loads may still fail when it calls a stubbed host
        function ("fails-when-called"); a refusal may be the platform's ("not-allowed")."""
        from .checks.codes import FAILS_WHEN_CALLED, PLATFORM  # (checks import this module)
        first = self.first_error
        if first is not None and first.code in PLATFORM:
            return "not-allowed"
        if first is None and any(f.code in FAILS_WHEN_CALLED and f.severity == "warning"
                                 for f in self.findings):
            return "fails-when-called"
        return self.verdict

    @property
    def reason(self) -> Finding | None:
        """What decides the outcome: the first blocking finding, or for a module that loads
        but fails when called, the first call known to fail."""
        from .checks.codes import FAILS_WHEN_CALLED
        first = self.first_error
        if first is not None or self.outcome != "fails-when-called":
            return first
        return next(f for f in self.findings
                    if f.code in FAILS_WHEN_CALLED and f.severity == "warning")

    @property
    def blocking(self) -> tuple[Finding, ...]:
        return tuple(f for f in self.findings if f.blocks_load)

    @property
    def first_error(self) -> Finding | None:
        """What the host would print first (it stops there; we list all)."""
        blocking = self.blocking
        return blocking[0] if blocking else None

    @property
    def unverified(self) -> bool:
        return any(f.unverified for f in self.blocking)

    def json(self) -> dict:
        first = self.first_error
        return {"target": self.host.id, "product": self.host.product,
                "versions": self.host.version_label, "verdict": self.verdict,
                "outcome": self.outcome,
                "spec_status": self.host.status,
                "first_error": None if first is None else first.message,
                "findings": [f.json() for f in self.findings]}


@record
class ModuleReport:
    name: str
    size: int
    module: Module | None
    problem: Finding | None  # not a readable/valid module: refused by every host
    results: tuple[TargetResult, ...]

    @property
    def ok(self) -> bool:
        return self.problem is None and all(r.verdict == "loads" for r in self.results)

    def json(self) -> dict:
        return {"file": self.name, "size": self.size,
                "problem": None if self.problem is None else self.problem.json(),
                "results": [r.json() for r in self.results]}


@record
class InputProblem:
    """A path that gave no module: missing, not a regular file, unreadable, over the size cap."""
    name: str
    reason: str
    internal: bool = False  # a bug of ours while checking this file (the others go on)

    def json(self) -> dict:
        return {"file": self.name, "error": self.reason}


@record
class CheckRun:
    reports: tuple[ModuleReport, ...]
    problems: tuple[InputProblem, ...]
    hosts: tuple
    fail_on: str = "error"  # or "warning"
    ignored: frozenset[str] = frozenset()
    # For each report, the index of the first report with the same bytes (its own when it is
    # the first): files with the same bytes were checked once. Empty: every file distinct.
    same_as: tuple[int, ...] = ()
    digests: tuple[str, ...] = ()  # each report's sha256 (hex), when the run recorded them

    @property
    def files(self) -> int:
        """Inputs named (every file of a directory), readable or not."""
        return len(self.reports) + len(self.problems)

    @property
    def distinct_modules(self) -> int:
        if not self.same_as:
            return len(self.reports)
        return sum(1 for i, first in enumerate(self.same_as) if i == first)

    def duplicate_of(self, index: int) -> str | None:
        """The name of an earlier report with the same bytes as ``reports[index]``, if any."""
        if not self.same_as or self.same_as[index] == index:
            return None
        return self.reports[self.same_as[index]].name

    def without(self, codes: frozenset[str]) -> CheckRun:
        """The same run with every finding of these codes removed (`--ignore`)."""
        if not codes:
            return self
        return replace(self, reports=tuple(_drop(r, codes) for r in self.reports),
                       ignored=self.ignored | codes)

    @property
    def failing_severities(self) -> frozenset[str]:
        return frozenset({"crash", "error"} | ({"warning"} if self.fail_on == "warning" else set()))

    @property
    def exit_code(self) -> int:
        if any(p.internal for p in self.problems):
            return exitcodes.INTERNAL
        if self.problems:
            return exitcodes.USAGE
        bad = self.failing_severities
        for rep in self.reports:
            if rep.problem is not None:
                return exitcodes.FAILURE
            if any(f.severity in bad for r in rep.results for f in r.findings):
                return exitcodes.FAILURE
        return exitcodes.OK


def _drop(report: ModuleReport, codes: frozenset[str]) -> ModuleReport:
    results = tuple(replace(r, findings=tuple(f for f in r.findings if f.code not in codes))
                    for r in report.results)
    problem = report.problem if report.problem is None or report.problem.code not in codes \
        else None
    return replace(report, results=results, problem=problem)
