"""What the code-scanning formats (SARIF, GitLab code quality) share: one issue per distinct
finding or unreadable input, the file as a path relative to the working directory (the
repository root in CI), and a fingerprint that stays the same from run to run."""

from __future__ import annotations

import hashlib
import os
from urllib.parse import quote

from ..record import record, replace
from ..results import CheckRun
from .common import group_findings, hosts_label

STDIN = "<stdin>"


@record
class Issue:
    file: str  # the name every other format shows
    path: str  # relative to the working directory, "/"-separated; absolute outside it
    code: str
    severity: str
    text: str
    location: str | None = None
    offset: int | None = None
    targets: tuple[str, ...] = ()
    unverified: bool = False
    occurrence: int = 1  # 1 + the issues before it with the same code, location and path
    line: int | None = None  # a manifest finding's line in ``file`` (None: the module itself)

    @property
    def identity(self) -> str:
        """What makes an issue the same one in the next run: not the builds, not the words."""
        key = "\0".join((self.code, self.location or "", self.path))
        return hashlib.sha256(key.encode("utf-8", "surrogatepass")).hexdigest()

    @property
    def fingerprint(self) -> str:
        """Unique within a run, stable across runs."""
        return hashlib.sha256(f"{self.identity}:{self.occurrence}".encode()).hexdigest()


def repo_path(name: str, cwd: str | None = None) -> str:
    """`name` relative to the working directory when it lies below it, else absolute."""
    if name == STDIN:
        return name
    cwd = cwd or os.getcwd()
    full = os.path.normpath(os.path.join(cwd, name))
    try:
        rel = os.path.relpath(full, cwd)
    except ValueError:  # another drive
        return full.replace(os.sep, "/")
    if rel == os.pardir or rel.startswith(os.pardir + os.sep):
        return full.replace(os.sep, "/")
    return rel.replace(os.sep, "/")


def is_absolute(path: str) -> bool:
    return path.startswith("/") or (len(path) > 2 and path[1] == ":" and path[2] == "/")


def artifact_location(path: str) -> dict:
    """A SARIF artifactLocation: a relative, percent-encoded URI against %SRCROOT%, or a
    file: URI for a file outside the working directory."""
    encoded = quote(path.encode("utf-8", "surrogatepass"), safe="/")
    if is_absolute(path):
        return {"uri": "file://" + ("" if path.startswith("/") else "/") + encoded}
    return {"uri": encoded, "uriBaseId": "%SRCROOT%"}


def issues(run: CheckRun, min_severity: str = "info") -> list[Issue]:
    """Unreadable inputs first (CC000), then each module's distinct findings, worst first."""
    out = [Issue(p.name, repo_path(p.name), "CC000", "error", f"{p.name}: {p.reason}")
           for p in run.problems]
    hosts = list(run.hosts)
    for rep in run.reports:
        path = repo_path(rep.name)
        for g in group_findings(rep, min_severity):
            f = g.finding
            text = f"{f.message} (on {hosts_label(g.hosts, hosts)}). Fix: {f.fix}".strip()
            where = (f.file, repo_path(f.file)) if f.file is not None else (rep.name, path)
            out.append(Issue(where[0], where[1], f.code, f.severity, text, f.location, f.offset,
                             tuple(h.id for h in g.hosts), f.unverified, line=f.line))
    return _numbered(out)


def _numbered(found: list[Issue]) -> list[Issue]:
    seen: dict[str, int] = {}
    out = []
    for issue in found:
        n = seen[issue.identity] = seen.get(issue.identity, 0) + 1
        out.append(issue if n == 1 else replace(issue, occurrence=n))
    return out
