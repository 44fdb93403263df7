"""GitLab code quality (a subset of the Code Climate issue format): a JSON array of issues for
`artifacts: reports: codequality:`. A module has no lines; every issue points at line 1."""

from __future__ import annotations

import json

from ..checks.codes import CODES
from ..results import CheckRun
from .ci import issues
from .common import RenderOptions

SEVERITIES = {"crash": "blocker", "error": "critical", "warning": "major", "info": "info"}


def render_gitlab(run: CheckRun, opts: RenderOptions) -> str:
    """Unreadable inputs and every distinct finding; info findings with -v only."""
    doc = []
    for issue in issues(run, "info" if opts.verbose else "warning"):
        where = f" [{issue.location}]" if issue.location else ""
        doc.append({
            "type": "issue",
            "check_name": issue.code,
            "description": f"{issue.code} {CODES[issue.code].name}{where}: {issue.text}",
            "categories": ["Compatibility"],
            "severity": SEVERITIES[issue.severity],
            "fingerprint": issue.fingerprint,
            "location": {"path": issue.path, "lines": {"begin": issue.line or 1}},
        })
    return json.dumps(doc, indent=2)
