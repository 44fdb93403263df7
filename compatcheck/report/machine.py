"""Machine-readable reports: JSON (with a published schema), JUnit XML, GitHub annotations.

SARIF is in sarif.py, GitLab code quality in gitlab.py."""

from __future__ import annotations

import json
from typing import Any

from .. import __version__
from ..checks.codes import CODES
from ..results import CheckRun
from .common import RenderOptions, group_findings, hosts_label, printable
from .summary import product_lines, run_summary

SCHEMA_VERSION = 1


def render_json(run: CheckRun, opts: RenderOptions) -> str:
    doc: dict[str, Any] = {
        "schema_version": SCHEMA_VERSION,
        "tool": {"name": "compatcheck", "version": __version__},
        "targets": [h.json() for h in run.hosts],
        "ignored": sorted(run.ignored),
        "problems": [p.json() for p in run.problems],
        "modules": [],
    }
    for rep in run.reports:
        entry = rep.json()
        entry["summary"] = product_lines(rep.results)
        entry["loads_everywhere"] = rep.ok
        doc["modules"].append(entry)
    doc["summary"] = run_summary(run)
    return json.dumps(doc, indent=2)


def render_junit(run: CheckRun, opts: RenderOptions) -> str:
    from xml.sax.saxutils import escape, quoteattr

    def attr(text: str) -> str:
        return quoteattr(printable(text))

    reports = run.reports
    out = ['<?xml version="1.0" encoding="UTF-8"?>']
    total = sum(len(r.results) for r in reports) + len(run.problems)
    failures = sum(1 for r in reports for t in r.results if t.verdict != "loads")
    out.append(f'<testsuites name="compatcheck" tests="{total}" failures="{failures}" '
               f'errors="{len(run.problems)}">')
    for p in run.problems:
        out.append(f'  <testsuite name={attr(p.name)} tests="1" failures="0" errors="1">')
        out.append(f'    <testcase classname={attr(p.name)} name="read">')
        out.append(f'      <error type="CC000" message={attr(p.reason)}/>')
        out.append('    </testcase>')
        out.append('  </testsuite>')
    for rep in reports:
        fails = sum(1 for t in rep.results if t.verdict != "loads")
        out.append(f'  <testsuite name={attr(rep.name)} tests="{len(rep.results)}" '
                   f'failures="{fails}">')
        for t in rep.results:
            out.append(f'    <testcase classname={attr(rep.name)} '
                       f'name={attr(f"{t.host.id} ({t.host.label})")}>')
            first = t.first_error
            if first is not None:
                body = "\n".join(f"{f.severity} {f.code} {f.location or ''}: {f.message}\nfix: {f.fix}"
                                 for f in t.findings if f.severity != "info")
                out.append(f'      <failure type={attr(first.code)} '
                           f'message={attr(first.message)}>{escape(printable_lines(body))}'
                           '</failure>')
            out.append('    </testcase>')
        out.append('  </testsuite>')
    out.append('</testsuites>')
    return "\n".join(out)


def printable_lines(text: str) -> str:
    """printable(), keeping the line breaks this renderer put there itself."""
    return "\n".join(printable(line) for line in text.split("\n"))


def _gh_escape(text: str, prop: bool = False) -> str:
    text = printable(text.replace("%", "%25")).replace("\\x0d", "%0D").replace("\\x0a", "%0A")
    if prop:
        text = text.replace(":", "%3A").replace(",", "%2C")
    return text


def render_github(run: CheckRun, opts: RenderOptions) -> str:
    lines = [f"::error file={_gh_escape(p.name, prop=True)},title=CC000 unreadable-input::"
             f"{_gh_escape(p.reason)}" for p in run.problems]
    kinds = {"crash": "error", "error": "error", "warning": "warning"}
    hosts = list(run.hosts)
    for rep in run.reports:
        for g in group_findings(rep, "warning"):
            f = g.finding
            title = _gh_escape(f"{f.code} {CODES[f.code].name}", prop=True)
            msg = _gh_escape(f"{f.message} (on {hosts_label(g.hosts, hosts)}). Fix: {f.fix}")
            lines.append(f"::{kinds[f.severity]} file={_gh_escape(rep.name, prop=True)},"
                         f"title={title}::{msg}")
        for line in product_lines(rep.results):
            lines.append(f"::notice file={_gh_escape(rep.name, prop=True)},"
                         f"title=compatcheck::{_gh_escape(line)}")
    return "\n".join(lines)
