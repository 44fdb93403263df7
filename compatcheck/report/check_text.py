"""Human-readable report of `compatcheck check` and `compatcheck matrix`."""

from __future__ import annotations

from tabulate import tabulate

from ..checks.codes import CODES
from ..results import CheckRun
from ..results import ModuleReport
from .common import RenderOptions, group_findings, hosts_label, printable
from .summary import product_lines, summary_lines
from .style import style

_COLOURS = {"crash": "magenta", "error": "red", "warning": "yellow", "info": "cyan"}
_VERDICT_COLOURS = {"loads": "green", "refused": "red", "crash": "magenta",
                    "not-allowed": "red", "fails-when-called": "yellow"}


def _head(rep: ModuleReport) -> str:
    n_ok = sum(1 for r in rep.results if r.verdict == "loads")
    return f"{printable(rep.name)}: loads on {n_ok} of {len(rep.results)} selected builds"


def _same(run: CheckRun, index: int) -> str:
    """A note on a file whose bytes were already checked under another name."""
    same = run.duplicate_of(index)
    return "" if same is None else f" (same bytes as {printable(same)})"


def _closing(run: CheckRun, opts: RenderOptions) -> list[str]:
    """The summary across files, when there are several."""
    if run.files < 2:
        return []
    lines = summary_lines(run)
    return [style(lines[0], opts.colour, bold=True)] + lines[1:]


def _artifact_notes(run: CheckRun) -> list[str]:
    """Each image's or manifest module's digests (its CC900 finding), once, before the rest."""
    notes = []
    for rep in run.reports:
        info = next((f for r in rep.results for f in r.findings if f.code == "CC900"), None)
        if info is not None:
            notes.append(f"{rep.name}: {info.message}")
    return notes + [""] if notes else []


def render_check(run: CheckRun, opts: RenderOptions) -> str:
    out = _artifact_notes(run)
    out += [f"{printable(p.name)}: error: {printable(p.reason)}" for p in run.problems]
    for i, rep in enumerate(run.reports):
        out.append(style(_head(rep), opts.colour, bold=True) + _same(run, i))
        for g in group_findings(rep, "info" if opts.verbose else "warning"):
            f = g.finding
            tag = style(f"{f.severity.upper():7}", opts.colour, fg=_COLOURS.get(f.severity),
                        bold=True)
            where = f" [{printable(f.location)}]" if f.location else ""
            if f.file is not None:  # a manifest finding: where in the manifest
                where += f" at {printable(f.file)}:{f.line}"
            unverified = " (rests on a spec fact not verified at its source)" if f.unverified else ""
            out.append(f"  {tag} {f.code} {CODES[f.code].name}{where}{unverified}")
            out.append(f"          {printable(f.message)}")
            out.append(f"          on: {hosts_label(g.hosts, list(run.hosts))}")
            if f.fix:
                out.append(f"          fix: {printable(f.fix)}")
        for line in product_lines(rep.results):
            out.append(f"  => {line}")
        out.append("")
    out += _closing(run, opts)
    return "\n".join(out).rstrip() + "\n"


def render_quiet(run: CheckRun, opts: RenderOptions) -> str:
    """`--quiet`: one line per file (with its product verdicts when it is the only one), then
    the summary across files."""
    out = [f"{printable(p.name)}: error: {printable(p.reason)}" for p in run.problems]
    for i, rep in enumerate(run.reports):
        line = _head(rep) + _same(run, i)
        codes = list(dict.fromkeys(f"{r.first_error.code} {CODES[r.first_error.code].name}"
                                   for r in rep.results if r.first_error is not None))
        if codes:
            more = f", +{len(codes) - 3} more" if len(codes) > 3 else ""
            line += f" (fails: {', '.join(codes[:3])}{more})"
        out.append(line)
    if run.files == 1 and run.reports:
        out += [f"  => {line}" for line in product_lines(run.reports[0].results)]
    out += _closing(run, opts)
    return "\n".join(out).rstrip() + "\n"


def render_matrix(run: CheckRun, opts: RenderOptions) -> str:
    parts = [f"{printable(p.name)}: error: {printable(p.reason)}\n" for p in run.problems]
    for i, rep in enumerate(run.reports):
        parts.append(_matrix_one(rep, opts.colour, _same(run, i)))
    closing = _closing(run, opts)
    if closing:
        parts.append("\n".join(closing) + "\n")
    return "\n".join(parts)


def _matrix_one(report: ModuleReport, colour: bool, note: str = "") -> str:
    rows = []
    for r in report.results:
        first = r.reason  # the first blocking finding, or the first call that fails
        outcome = r.outcome  # the verdict, or a finer word for it (checks.TargetResult)
        verdict = outcome.upper() if outcome != "loads" else "loads"
        verdict = style(verdict, colour, fg=_VERDICT_COLOURS[outcome])
        reason = "" if first is None else printable(f"{first.code}: {first.message}")
        if len(reason) > 110:
            reason = reason[:107] + "..."
        rows.append((r.host.id, r.host.version_label, f"{r.host.runtime.engine} "
                     f"{r.host.runtime.version}", verdict, r.host.status, reason))
    table = tabulate(rows, headers=["build", "versions", "runtime", "verdict", "spec", "first reason"])
    lines = [printable(report.name) + note, table, ""] + [f"=> {line}"
                                                    for line in product_lines(report.results)]
    return "\n".join(lines) + "\n"
