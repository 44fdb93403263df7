"""SARIF 2.1.0 for GitHub code scanning and other SARIF readers.

A module is a binary artifact: a finding's place in it is a byte offset. GitHub wants a line
in every result, so each region is line 1, column 1 of the artifact, plus the byte offset where
the finding has one. Fingerprints do not depend on the file's bytes (GitHub's own would hash
line 1 of the binary, which changes with every rebuild), so an alert stays one alert while the
module is rebuilt.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

from .. import __version__
from ..checks.codes import CODES
from ..results import CheckRun
from .ci import Issue, artifact_location, issues, repo_path
from .common import RenderOptions

SARIF_SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"
LEVELS = {"crash": "error", "error": "error", "warning": "warning", "info": "note"}
FINGERPRINT_KEY = "compatcheck/v1"


def render_sarif(run: CheckRun, opts: RenderOptions) -> str:
    found = issues(run, "info")
    rules = _rules(found)
    rule_index = {r["id"]: i for i, r in enumerate(rules)}
    artifacts, artifact_index = _artifacts(run)
    for issue in found:  # manifests that findings point into (`check --manifest`)
        if issue.path not in artifact_index:
            artifact_index[issue.path] = len(artifacts)
            artifacts.append({"location": artifact_location(issue.path),
                              "roles": ["analysisTarget"]})
    doc = {
        "$schema": SARIF_SCHEMA,
        "version": "2.1.0",
        "runs": [{
            "tool": {"driver": {"name": "compatcheck", "version": __version__,
                                "semanticVersion": __version__,
                                "informationUri": "https://pypi.org/project/compatcheck/",
                                "rules": rules}},
            "originalUriBaseIds": {"%SRCROOT%": {"uri": Path(os.getcwd()).as_uri().rstrip("/") + "/"}},
            "artifacts": artifacts,
            "columnKind": "utf16CodeUnits",
            "results": [_result(i, rule_index, artifact_index) for i in found],
        }],
    }
    return json.dumps(doc, indent=2)


def _rules(found: list[Issue]) -> list[dict]:
    used = {i.code for i in found}
    return [{
        "id": c.code,
        "name": c.name,
        "shortDescription": {"text": f"{c.code} {c.name}"},
        "fullDescription": {"text": f"{c.cause} Host error: {c.host_text}" if c.host_text
                            else c.cause},
        "help": {"text": f"{c.fix or c.cause}\n\n`compatcheck explain {c.code}` shows the cause, "
                         "the host's error text and the fix."},
        "defaultConfiguration": {"level": LEVELS[c.severity]},
        "properties": {"tags": ["proxy-wasm", "compatibility"] + (["crash"] if c.severity == "crash"
                                                                  else [])},
    } for c in CODES.values() if c.code in used]


def _artifacts(run: CheckRun) -> tuple[list[dict], dict[str, int]]:
    """Every input named on the command line, readable or not, once."""
    artifacts: list[dict] = []
    index: dict[str, int] = {}
    digests = getattr(run, "digests", ()) or (None,) * len(run.reports)
    entries: list[tuple[str, int | None, str | None]] = [(p.name, None, None) for p in run.problems]
    entries += [(r.name, r.size, d) for r, d in zip(run.reports, digests, strict=False)
                if not _in_manifest(r)]  # a manifest's plugin: the manifest is the artifact
    for name, size, digest in entries:
        path = repo_path(name)
        if path in index:
            continue
        index[path] = len(artifacts)
        entry: dict = {"location": artifact_location(path), "roles": ["analysisTarget"]}
        if size is not None:
            entry.update(length=size, mimeType="application/wasm")
        if digest:
            entry["hashes"] = {"sha-256": digest}
        artifacts.append(entry)
    return artifacts, index


def _in_manifest(report) -> bool:
    """A report of `check --manifest`: its findings point into the manifest file."""
    return any(f.file is not None for r in report.results for f in r.findings)


def _result(issue: Issue, rule_index: dict[str, int], artifact_index: dict[str, int]) -> dict:
    region = {"startLine": issue.line or 1, "startColumn": 1}
    if issue.offset is not None:
        region["byteOffset"] = issue.offset
    location: dict = {"physicalLocation": {
        "artifactLocation": {**artifact_location(issue.path), "index": artifact_index[issue.path]},
        "region": region,
    }}
    if issue.location:
        location["logicalLocations"] = [{"name": issue.location}]
    return {
        "ruleId": issue.code,
        "ruleIndex": rule_index[issue.code],
        "level": LEVELS[issue.severity],
        "message": {"text": issue.text},
        "locations": [location],
        "partialFingerprints": {
            FINGERPRINT_KEY: issue.fingerprint,
            # the key GitHub reads: ours, so that upload-sarif does not hash the binary
            "primaryLocationLineHash": f"{issue.identity[:16]}:{issue.occurrence}",
        },
        "properties": {"severity": issue.severity, "targets": list(issue.targets),
                       "unverified": issue.unverified},
    }
