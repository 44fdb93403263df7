"""Machine-readable reports: JSON (with a published schema), SARIF 2.1.0, JUnit XML, GitHub."""

from __future__ import annotations

import json

from .. import __version__
from ..checks.codes import CODES
from ..runner import ModuleReport
from .common import group_findings, hosts_label
from .summary import product_lines

SCHEMA_VERSION = 1
_SARIF_LEVEL = {"crash": "error", "error": "error", "warning": "warning", "info": "note"}


def render_json(reports: list[ModuleReport], hosts, ignore=frozenset()) -> str:
    doc = {
        "schema_version": SCHEMA_VERSION,
        "tool": {"name": "compatcheck", "version": __version__},
        "targets": [h.json() for h in hosts],
        "modules": [],
    }
    for rep in reports:
        entry = rep.json()
        for res in entry["results"]:
            res["findings"] = [f for f in res["findings"] if f["code"] not in ignore]
        entry["summary"] = product_lines(rep.results)
        entry["loads_everywhere"] = rep.ok
        doc["modules"].append(entry)
    return json.dumps(doc, indent=2)


def render_sarif(reports: list[ModuleReport], hosts, ignore=frozenset()) -> str:
    used = set()
    results = []
    for rep in reports:
        for g in group_findings(rep, "info", ignore):
            f = g.finding
            used.add(f.code)
            region = {"byteOffset": f.offset} if f.offset is not None else None
            location = {"physicalLocation": {"artifactLocation": {"uri": rep.name}}}
            if region:
                location["physicalLocation"]["region"] = region
            if f.location:
                location["logicalLocations"] = [{"name": f.location}]
            results.append({
                "ruleId": f.code,
                "level": _SARIF_LEVEL[f.severity],
                "message": {"text": f"{f.message} (on {hosts_label(g.hosts, hosts)}). "
                                    f"Fix: {f.fix}".strip()},
                "locations": [location],
                "properties": {"severity": f.severity,
                               "targets": [h.id for h in g.hosts],
                               "unverified": f.unverified},
            })
    rules = [{
        "id": c.code, "name": c.name,
        "shortDescription": {"text": c.cause},
        "fullDescription": {"text": f"{c.cause} Host error: {c.host_text}".strip()},
        "help": {"text": c.fix or c.cause},
        "defaultConfiguration": {"level": _SARIF_LEVEL[c.severity]},
    } for c in CODES.values() if c.code in used]
    doc = {
        "$schema": "https://json.schemastore.org/sarif-2.1.0.json",
        "version": "2.1.0",
        "runs": [{
            "tool": {"driver": {"name": "compatcheck", "version": __version__,
                                "informationUri": "https://pypi.org/project/compatcheck/",
                                "rules": rules}},
            "results": results,
        }],
    }
    return json.dumps(doc, indent=2)


def render_junit(reports: list[ModuleReport], hosts, ignore=frozenset()) -> str:
    from xml.sax.saxutils import escape, quoteattr
    out = ['<?xml version="1.0" encoding="UTF-8"?>']
    total = sum(len(r.results) for r in reports)
    failures = sum(1 for r in reports for t in r.results if t.verdict != "loads")
    out.append(f'<testsuites name="compatcheck" tests="{total}" failures="{failures}">')
    for rep in reports:
        fails = sum(1 for t in rep.results if t.verdict != "loads")
        out.append(f'  <testsuite name={quoteattr(rep.name)} tests="{len(rep.results)}" '
                   f'failures="{fails}">')
        for t in rep.results:
            name = quoteattr(f"{t.host.id} ({t.host.label})")
            out.append(f'    <testcase classname={quoteattr(rep.name)} name={name}>')
            first = t.first_error
            if first is not None:
                body = "\n".join(f"{f.severity} {f.code} {f.location or ''}: {f.message}\nfix: {f.fix}"
                                 for f in t.findings if f.code not in ignore
                                 and f.severity != "info")
                out.append(f'      <failure type={quoteattr(first.code)} '
                           f'message={quoteattr(first.message)}>{escape(body)}</failure>')
            out.append('    </testcase>')
        out.append('  </testsuite>')
    out.append('</testsuites>')
    return "\n".join(out)


def _gh_escape(text: str, prop: bool = False) -> str:
    text = text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")
    if prop:
        text = text.replace(":", "%3A").replace(",", "%2C")
    return text


def render_github(reports: list[ModuleReport], hosts, ignore=frozenset()) -> str:
    lines = []
    kinds = {"crash": "error", "error": "error", "warning": "warning"}
    for rep in reports:
        for g in group_findings(rep, "warning", ignore):
            f = g.finding
            title = _gh_escape(f"{f.code} {CODES[f.code].name}", prop=True)
            msg = _gh_escape(f"{f.message} (on {hosts_label(g.hosts, hosts)}). Fix: {f.fix}")
            lines.append(f"::{kinds[f.severity]} file={_gh_escape(rep.name, prop=True)},"
                         f"title={title}::{msg}")
        for line in product_lines(rep.results):
            lines.append(f"::notice file={_gh_escape(rep.name, prop=True)},"
                         f"title=compatcheck::{_gh_escape(line)}")
    return "\n".join(lines)
