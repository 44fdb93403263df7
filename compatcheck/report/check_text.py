"""Human-readable report of `compatcheck check` and `compatcheck matrix`."""

from __future__ import annotations

import click
from tabulate import tabulate

from ..checks.codes import CODES
from ..runner import ModuleReport
from .common import group_findings, hosts_label
from .summary import product_lines

_COLOURS = {"crash": "magenta", "error": "red", "warning": "yellow", "info": "cyan"}
_VERDICT_COLOURS = {"loads": "green", "refused": "red", "crash": "magenta"}


def _sev(text: str, severity: str, colour: bool) -> str:
    return click.style(text, fg=_COLOURS.get(severity), bold=True) if colour else text


def render_check(reports: list[ModuleReport], hosts, colour: bool = False,
                 verbose: bool = False, ignore: frozenset[str] = frozenset()) -> str:
    out = []
    for rep in reports:
        n_ok = sum(1 for r in rep.results if r.verdict == "loads")
        head = f"{rep.name}: loads on {n_ok} of {len(rep.results)} selected builds"
        out.append(click.style(head, bold=True) if colour else head)
        for g in group_findings(rep, "info" if verbose else "warning", ignore):
            f = g.finding
            tag = _sev(f"{f.severity.upper():7}", f.severity, colour)
            where = f" [{f.location}]" if f.location else ""
            unverified = " (rests on a spec fact not verified at its source)" if f.unverified else ""
            out.append(f"  {tag} {f.code} {CODES[f.code].name}{where}{unverified}")
            out.append(f"          {f.message}")
            out.append(f"          on: {hosts_label(g.hosts, hosts)}")
            if f.fix:
                out.append(f"          fix: {f.fix}")
        for line in product_lines(rep.results):
            out.append(f"  => {line}")
        out.append("")
    return "\n".join(out).rstrip() + "\n"


def render_matrix(report: ModuleReport, colour: bool = False) -> str:
    rows = []
    for r in report.results:
        first = r.first_error
        verdict = r.verdict.upper() if r.verdict != "loads" else "loads"
        if colour:
            verdict = click.style(verdict, fg=_VERDICT_COLOURS[r.verdict])
        reason = "" if first is None else f"{first.code}: {first.message}"
        if len(reason) > 110:
            reason = reason[:107] + "..."
        rows.append((r.host.id, r.host.version_label, f"{r.host.runtime.engine} "
                     f"{r.host.runtime.version}", verdict, r.host.status, reason))
    table = tabulate(rows, headers=["build", "versions", "runtime", "verdict", "spec", "first reason"])
    lines = [f"{report.name}", table, ""] + [f"=> {line}" for line in product_lines(report.results)]
    return "\n".join(lines) + "\n"
