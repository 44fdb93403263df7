"""Wrong types in configuration and spec files: one line naming file, key and problem (exit 2),
never a TypeError, AttributeError, KeyError or ValueError from inside compatcheck."""

import datetime
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from compatcheck.abi import SpecError, load_specs
from compatcheck.abi import loader
from compatcheck.config import ConfigError, load_config
from compatcheck.tomlfile import read_toml
from helpers import GOOD_BUILD

GOOD_PROFILE = '''id = "acme"
extends = "cpp-host-c4d7bb0f"
sources = ["probed from acme"]
'''


def _cli(cwd, *args):
    env = dict(os.environ, XDG_CACHE_HOME=str(cwd / "xdg"))
    return subprocess.run([sys.executable, "-m", "compatcheck", *args], capture_output=True,
                          text=True, cwd=cwd, env=env, timeout=120)


def _one_line(r, *needles):
    assert r.returncode == 2, (r.returncode, r.stderr)
    lines = r.stderr.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in r.stderr, r.stderr
    for n in needles:
        assert n in lines[0], lines[0]


# --- configuration -------------------------------------------------------------------

@pytest.mark.parametrize("text, needle", [
    ("tool = 5", "pyproject.toml: tool: expected a table, got integer"),
    ("tool = []", "pyproject.toml: tool: expected a table, got array"),
    ("[tool]\ncompatcheck = 5", "[tool.compatcheck]: expected a table, got integer"),
    ("[tool]\ncompatcheck = [1]", "[tool.compatcheck]: expected a table, got array"),
    ("[tool.compatcheck]\ntargets = 5", "targets: expected a list of strings, got integer"),
    ("[tool.compatcheck]\ntargets = [1]", "targets: expected a list of strings, got an array with integer"),
    ("[tool.compatcheck]\nignore = {a = 1}", "ignore: expected a list of strings, got table"),
    ("[tool.compatcheck]\nspec-dir = 5", "spec-dir: expected a list of strings"),
    ("[tool.compatcheck]\nspec-dir = \"a\\u0000b\"", "spec-dir: 'a\\x00b' is not a directory name"),
    ("[tool.compatcheck]\nfail-on = 5", "fail-on: expected one of error, warning, got 5"),
    ("[tool.compatcheck]\nfail-on = []", "fail-on: expected one of error, warning"),
    ("[tool.compatcheck]\nmax-size = true", "max-size: expected a positive integer (bytes), got True"),
    ("[tool.compatcheck]\nmax-size = 1.5", "max-size: expected a positive integer"),
    ("[tool.compatcheck]\nmax-size = \"1\"", "max-size: expected a positive integer"),
    ("[tool.compatcheck]\ncolour = 1", "unknown key(s) colour"),
    ("[tool.compatcheck\n", "not valid TOML"),
    ("a = " + "[" * 5000 + "]" * 5000, "nested too deeply"),
])
def test_bad_pyproject(tmp_path, text, needle):
    (tmp_path / ".git").mkdir()
    (tmp_path / "pyproject.toml").write_text(text + "\n")
    with pytest.raises(ConfigError) as info:
        load_config(tmp_path)
    assert needle in str(info.value) and str(tmp_path / "pyproject.toml") in str(info.value)
    assert "\n" not in str(info.value)


def test_bad_pyproject_through_the_cli(tmp_path):
    (tmp_path / ".git").mkdir()
    (tmp_path / "pyproject.toml").write_text("tool = 5\n")
    _one_line(_cli(tmp_path, "targets"), "pyproject.toml: tool: expected a table, got integer")
    (tmp_path / "pyproject.toml").write_text("[tool]\ncompatcheck = 5\n")
    _one_line(_cli(tmp_path, "targets"), "[tool.compatcheck]: expected a table")


def test_not_utf8_config(tmp_path):
    (tmp_path / ".git").mkdir()
    (tmp_path / ".compatcheck.toml").write_bytes(b"targets = ['\xff']\n")
    with pytest.raises(ConfigError, match=r"\.compatcheck\.toml: not valid TOML: not UTF-8"):
        load_config(tmp_path)


@pytest.mark.parametrize("kind", ["fifo", "directory", "device"])
def test_config_that_is_not_a_file(tmp_path, kind):
    (tmp_path / ".git").mkdir()
    dotfile = tmp_path / ".compatcheck.toml"
    {"fifo": os.mkfifo, "directory": os.mkdir,
     "device": lambda p: p.symlink_to("/dev/zero")}[kind](dotfile)
    r = _cli(tmp_path, "targets")
    _one_line(r, ".compatcheck.toml: cannot read:")


def test_good_config_still_reads(tmp_path):
    (tmp_path / ".git").mkdir()
    (tmp_path / ".compatcheck.toml").write_text(
        'targets = "envoy>=1.33"\nignore = ["cc402"]\nfail-on = "warning"\nmax-size = 10\n'
        'spec-dir = ["specs"]\n')
    c = load_config(tmp_path)
    assert c.targets == ("envoy>=1.33",) and c.ignore == {"CC402"} and c.fail_on == "warning"
    assert c.max_size == 10 and c.spec_dirs == (str(tmp_path / "specs"),)


# --- spec files: hand-picked wrong types --------------------------------------------------

def _spec_dir(tmp_path, build=GOOD_BUILD, profile=None, runtimes=None) -> Path:
    d = tmp_path / "specs"
    (d / "builds").mkdir(parents=True, exist_ok=True)
    (d / "builds" / "acme.toml").write_text(build)
    if profile is not None:
        (d / "profiles").mkdir(exist_ok=True)
        (d / "profiles" / "acme.toml").write_text(profile)
    if runtimes is not None:
        (d / "runtimes.toml").write_text(runtimes)
    return d


def _refused(d: Path, *needles) -> str:
    with pytest.raises(SpecError) as info:
        load_specs([d])
    text = str(info.value)
    assert "\n" not in text
    for n in needles:
        assert n in text, text
    return text


@pytest.mark.parametrize("extra, needle", [
    ('pins = "x"', "build 'acme-envoy-1.36'.pins: expected a table, got string"),
    ("pins = { a = [1] }", "pins.a: expected a string, got array"),
    ('notes = "x"', "notes: expected an array of strings, got string"),
    ("notes = [1]", "notes[0]: expected a string, got integer"),
    ('current = "yes"', "current: expected a boolean, got string"),
    ("runtimes_compiled = 5", "runtimes_compiled: expected an array of strings"),
    ("unverified = [{}]", "unverified[0]: expected a string, got table"),
    ("overrides = 5", "overrides: expected a table, got integer"),
    ("overrides = { wasi = [] }", "overrides.wasi: expected a table, got array"),
    ('overrides = { messages = { trap = "{" } }', "overrides.messages.trap: not a valid message template"),
    ('overrides = { messages = { missing_import = "{name}" } }',
     "placeholder {name} is not allowed here (allowed: {import}"),
    ("title = 1979-05-27", "title: expected a string, got date/time"),
    ('status = "great"', "status: 'great' not one of"),
])
def test_wrong_build_value(tmp_path, extra, needle):
    _refused(_spec_dir(tmp_path, GOOD_BUILD + extra + "\n"), "acme.toml", needle)


@pytest.mark.parametrize("text, needle", [
    ("build = 5", "build: expected [[build]] tables, got integer"),
    ("build = [1]", "build[0]: expected a table, got integer"),
    ("build = [{ id = 5 }]", "build[0].id: expected a string, got integer"),
    ('[[build]]\nid = "x"', "build 'x'.product: required"),
    ('first = "1"', "first: unknown key"),
    (GOOD_BUILD.replace('"1.36.0"', '"' + "1" * 5000 + '"'), "build 'acme-envoy-1.36': "),
    ("a = " + "1" * 5000, "not valid TOML: Exceeds the limit"),
])
def test_wrong_builds_file(tmp_path, text, needle):
    _refused(_spec_dir(tmp_path, text + "\n"), "acme.toml", needle)


@pytest.mark.parametrize("extra, needle", [
    ('[messages]\ntrap = "{"', "messages.trap: not a valid message template (Single '{'"),
    ('[messages]\ntrap = "}"', "messages.trap: not a valid message template"),
    ('[messages]\ntrap = "{bogus}"', "placeholder {bogus} is not allowed here (allowed: {function}, {trap}"),
    ('[messages]\ntrap = "{function.__class__}"', "placeholder {function.__class__}"),
    ('[messages]\ntrap = "{0}"', "placeholder {0}"),
    ('[messages]\ntrap = "{}"', "placeholder {}"),
    ('[messages]\ntrap = "{function!r}"', "placeholder {function!r}"),
    ('[messages]\ntrap = "{function:>{trap}}"', "placeholder {function:>{trap}}"),
    ('[messages]\nload_failed = "{import}"', "(allowed: none;"),
    ("[messages]\ntrap = 5", "messages.trap: expected a string, got integer"),
    ('[messages]\ncolour = "x"', "messages.colour: unknown key"),
    ("wasi = []", "wasi: expected a table, got array"),
    ('[wasi]\nfunctions = "fd_write"', "wasi.functions: expected an array of strings"),
    ('[wasi]\nfunctions_add = "fd_write"', "wasi.functions_add: expected an array of strings"),
    ('[abi]\nrule_add = ["none"]', "abi.rule_add: unknown key"),
    ("[abi]\nmarkers = []", "abi.markers: expected a table, got array"),
    ("[host_functions.signatures]\nproxy_log = 5", "host_functions.signatures.proxy_log: expected a string"),
    ("[memory]\nlargest_loaded_pages = -1", "largest_loaded_pages: expected a non-negative integer"),
    ('[memory]\nlargest_loaded_pages = "x"', "largest_loaded_pages: expected a non-negative integer"),
    ('[callbacks]\nchecked = "no"', "callbacks.checked: expected a boolean, got string"),
    ('[callbacks.overrides."9.9.9"]\nx = "() -> ()"', "callbacks.overrides.9.9.9: unknown key"),
    ('[callbacks.overrides."0.2.1"]\nx = 5', "callbacks.overrides.0.2.1.x: expected a string"),
    ("crashes = 5", "crashes: expected an array of strings, got integer"),
    ("extends = 5", "extends: expected a string, got integer"),
])
def test_wrong_profile_value(tmp_path, extra, needle):
    d = _spec_dir(tmp_path, GOOD_BUILD.replace("cpp-host-c4d7bb0f", "acme"),
                  GOOD_PROFILE.replace('extends = "cpp-host-c4d7bb0f"\n', "") + extra + "\n"
                  if extra.startswith("extends") else GOOD_PROFILE + extra + "\n")
    _refused(d, str(d / "profiles" / "acme.toml"), needle)


@pytest.mark.parametrize("text, needle", [
    ("runtime = 5", "runtime: expected [[runtime]] tables, got integer"),
    ("v8_shipped = []", "v8_shipped: expected a table, got array"),
    ('v8_shipped = { simd = "soon" }', "v8_shipped.simd: 'soon' is not a V8 version"),
    ('[[runtime]]\nid = "r"\nengine = "v8"\nversion = "abc"\nsources = ["probed from x"]',
     "runtime[0].version: 'abc' is not a V8 version"),
    ('[[runtime]]\nid = "r"\nengine = "v8"\nsources = ["probed from x"]', "runtime[0].version: required"),
    ('[[runtime]]\nid = "r"\nengine = "v8"\nversion = "1.2"\nfeatures = "simd"',
     "runtime[0].features: expected an array of strings"),
    ("colour = 1", "colour: unknown key"),
])
def test_wrong_runtimes_value(tmp_path, text, needle):
    d = _spec_dir(tmp_path, runtimes=text + "\n")
    _refused(d, "runtimes.toml", needle)


def test_wrong_spec_values_through_the_cli(tmp_path):
    d = _spec_dir(tmp_path, GOOD_BUILD + 'pins = "x"\n')
    _one_line(_cli(tmp_path, "targets", "--spec-dir", str(d)),
              "bad spec:", "acme.toml: build 'acme-envoy-1.36'.pins: expected a table, got string")
    d = _spec_dir(tmp_path, GOOD_BUILD.replace("cpp-host-c4d7bb0f", "acme"),
                  GOOD_PROFILE + '[messages]\ntrap = "{"\n')
    _one_line(_cli(tmp_path, "check", "--spec-dir", str(d), "-t", "acme-envoy-1.36",
                   str(Path(__file__).resolve().parents[2] / "samples" / "prime-authorizer.wasm")),
              "bad spec:", "profiles/acme.toml: messages.trap: not a valid message template")


def test_shipped_messages_format_with_every_value():
    values = {"import": "env.x", "want": "i32", "have": "i64", "name": "malloc",
              "function": "_start", "trap": "unreachable", "error": "x", "feature": "simd"}
    for b in load_specs().builds:
        for key in b.messages:
            assert "{" not in b.message(key, **values).replace("{{", ""), (b.id, key)


# --- fuzzing: any value of a wrong type, anywhere in any shipped spec file -----------------

def _toml(value) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return repr(value)
    if isinstance(value, (datetime.date, datetime.datetime)):
        return value.isoformat()
    if isinstance(value, str):
        return json.dumps(value, ensure_ascii=False)
    if isinstance(value, list):
        return "[" + ", ".join(_toml(v) for v in value) + "]"
    return "{" + ", ".join(f"{json.dumps(k)} = {_toml(v)}" for k, v in value.items()) + "}"


def _paths(value, prefix=()):
    if prefix:
        yield prefix
    if isinstance(value, dict):
        for k, v in value.items():
            yield from _paths(v, prefix + (k,))
    elif isinstance(value, list):
        for i, v in enumerate(value[:2]):
            yield from _paths(v, prefix + (i,))


WRONG = st.one_of(
    st.sampled_from([5, -1, 0, 1.5, True, "", "x", "{", "}", "{bogus}", "{import}", "1.2.3",
                     "v8", "none", [], [5], ["x"], [[]], [{}], {}, {"a": 1}, {"a": "x"},
                     {"0.2.1": {}}, datetime.date(2020, 1, 1)]),
    st.integers(), st.text(alphabet="abc{}!:.0123456789 ", max_size=12),
    st.lists(st.integers(), max_size=2), st.dictionaries(st.sampled_from(["a", "0.1.0"]),
                                                         st.integers(), max_size=2))


@pytest.fixture(scope="module")
def spec_copy(tmp_path_factory):
    dst = tmp_path_factory.mktemp("fuzz") / "abi_specs"
    shutil.copytree(loader.default_spec_dir(), dst)
    files = sorted(p for p in dst.rglob("*.toml"))
    return dst, {p: (p.read_bytes(), read_toml(p)) for p in files}


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_fuzz_wrong_types_give_spec_errors_only(spec_copy, monkeypatch, data):
    root, files = spec_copy
    monkeypatch.setattr(loader, "default_spec_dir", lambda: root)
    path = data.draw(st.sampled_from(sorted(files)), label="file")
    original, parsed = files[path]
    doc = json.loads(json.dumps(parsed, default=str))  # a deep copy
    key = data.draw(st.sampled_from(list(_paths(doc))), label="key")
    parent = doc
    for k in key[:-1]:
        parent = parent[k]
    if data.draw(st.booleans(), label="delete"):
        del parent[key[-1]]
    else:
        parent[key[-1]] = data.draw(WRONG, label="value")
    path.write_text("".join(f"{json.dumps(k)} = {_toml(v)}\n" for k, v in doc.items()))
    try:
        load_specs()
    except SpecError as exc:
        assert "\n" not in str(exc)
    finally:
        path.write_bytes(original)
