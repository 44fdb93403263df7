"""Human-readable report of `compatcheck check` and `compatcheck matrix`."""

from __future__ import annotations

from tabulate import tabulate

from ..checks.codes import CODES
from ..results import CheckRun
from ..runner import ModuleReport
from .common import RenderOptions, group_findings, hosts_label, printable
from .summary import product_lines
from .style import style

_COLOURS = {"crash": "magenta", "error": "red", "warning": "yellow", "info": "cyan"}
_VERDICT_COLOURS = {"loads": "green", "refused": "red", "crash": "magenta"}


def render_check(run: CheckRun, opts: RenderOptions) -> str:
    out = [f"{printable(p.name)}: error: {printable(p.reason)}" for p in run.problems]
    for rep in run.reports:
        n_ok = sum(1 for r in rep.results if r.verdict == "loads")
        head = f"{printable(rep.name)}: loads on {n_ok} of {len(rep.results)} selected builds"
        out.append(style(head, opts.colour, bold=True))
        for g in group_findings(rep, "info" if opts.verbose else "warning"):
            f = g.finding
            tag = style(f"{f.severity.upper():7}", opts.colour, fg=_COLOURS.get(f.severity),
                        bold=True)
            where = f" [{printable(f.location)}]" if f.location else ""
            unverified = " (rests on a spec fact not verified at its source)" if f.unverified else ""
            out.append(f"  {tag} {f.code} {CODES[f.code].name}{where}{unverified}")
            out.append(f"          {printable(f.message)}")
            out.append(f"          on: {hosts_label(g.hosts, list(run.hosts))}")
            if f.fix:
                out.append(f"          fix: {printable(f.fix)}")
        for line in product_lines(rep.results):
            out.append(f"  => {line}")
        out.append("")
    return "\n".join(out).rstrip() + "\n"


def render_matrix(run: CheckRun, opts: RenderOptions) -> str:
    parts = [f"{printable(p.name)}: error: {printable(p.reason)}\n" for p in run.problems]
    parts += [_matrix_one(rep, opts.colour) for rep in run.reports]
    return "\n".join(parts)


def _matrix_one(report: ModuleReport, colour: bool) -> str:
    rows = []
    for r in report.results:
        first = r.first_error
        verdict = r.verdict.upper() if r.verdict != "loads" else "loads"
        verdict = style(verdict, colour, fg=_VERDICT_COLOURS[r.verdict])
        reason = "" if first is None else printable(f"{first.code}: {first.message}")
        if len(reason) > 110:
            reason = reason[:107] + "..."
        rows.append((r.host.id, r.host.version_label, f"{r.host.runtime.engine} "
                     f"{r.host.runtime.version}", verdict, r.host.status, reason))
    table = tabulate(rows, headers=["build", "versions", "runtime", "verdict", "spec", "first reason"])
    lines = [printable(report.name), table, ""] + [f"=> {line}"
                                                    for line in product_lines(report.results)]
    return "\n".join(lines) + "\n"
