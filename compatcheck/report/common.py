"""Shared by the renderers: grouping the same finding across many builds."""

from __future__ import annotations

import re


from ..abi import HostSpec
from ..checks.finding import SEVERITIES, Finding
from ..results import ModuleReport


class RenderOptions:
    """What a renderer may be told besides the results."""

    def __init__(self, colour: bool = False, verbose: bool = False):
        self.colour = colour
        self.verbose = verbose


class FindingGroup:
    """One distinct finding and every build it applies to."""

    def __init__(self, finding: Finding, hosts: list[HostSpec]):
        self.finding = finding
        self.hosts = hosts


# C0/C1 controls, line and paragraph separators, bidi overrides: a module's import and export
# names reach the report, and must not forge lines, colours or the order of characters.
_UNPRINTABLE = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069]")


def printable(text: str) -> str:
    """Text safe for a terminal, a log line or XML: control characters become escapes."""
    return _UNPRINTABLE.sub(lambda m: f"\\x{ord(m.group()):02x}" if ord(m.group()) < 0x100
                            else f"\\u{ord(m.group()):04x}", text)


def group_findings(report: ModuleReport, min_severity: str = "warning") -> list[FindingGroup]:
    """One entry per distinct finding, with every build it applies to."""
    limit = SEVERITIES.index(min_severity)
    groups: dict[tuple, FindingGroup] = {}
    for result in report.results:
        for f in result.findings:
            if SEVERITIES.index(f.severity) > limit:
                continue
            key = (f.code, f.severity, f.message, f.location, f.fix)
            if key not in groups:
                groups[key] = FindingGroup(f, [])
            groups[key].hosts.append(result.host)
    return sorted(groups.values(), key=lambda g: (SEVERITIES.index(g.finding.severity),
                                                  g.finding.sort_key()))


def hosts_label(hosts: list[HostSpec], all_hosts: list[HostSpec]) -> str:
    """'envoy 1.17.0–1.20.x, istio 1.10–1.12.x' — runs of consecutive selected builds."""
    selected = {h.id for h in hosts}
    parts = []
    by_product: dict[str, list[HostSpec]] = {}
    h: HostSpec | None  # None: the end marker of the runs loop below
    for h in all_hosts:
        by_product.setdefault(h.product, []).append(h)
    for product, items in by_product.items():
        items.sort(key=lambda h: h.first)
        if all(h.id in selected for h in items) and len(items) > 1:
            parts.append(f"all {product}")
            continue
        run: list[HostSpec] = []
        for h in items + [None]:
            if h is not None and h.id in selected:
                run.append(h)
                continue
            if run:
                lo, hi = run[0], run[-1]
                if lo is hi:
                    parts.append(f"{product} {lo.version_label}")
                else:
                    parts.append(f"{product} {lo.first}–{hi.version_label.split('–')[-1]}")
                run = []
    return ", ".join(parts)
