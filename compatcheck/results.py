"""The result of one `check` or `matrix` run: filtered once, read by every renderer and by the
exit code alike, so the report and the status can never disagree."""

from __future__ import annotations

from . import exitcodes
from .record import record, replace
from .runner import ModuleReport


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
