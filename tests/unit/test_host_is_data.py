"""A host is data: the published spec schema, ABI versions and start-up sequences read from
abi_specs/, and a new host product added with spec files alone."""

from __future__ import annotations

import json
import tomllib
from importlib import resources
from pathlib import Path

import jsonschema
import pytest

from compatcheck.abi import SpecError, load_specs
from compatcheck.abi.spec_files import default_spec_dir
from compatcheck.abi.vocabulary import MESSAGE_FIELDS
from compatcheck.checks import check_module
from compatcheck.checks.context import CheckContext
from compatcheck.checks.startup import startup_calls
from compatcheck.wasm import read_module
from helpers import BASE_EXPORTS, host, wat

SPECS = default_spec_dir()


def _schema() -> dict:
    return json.loads(resources.files("compatcheck").joinpath(
        "schemas/abi-specs.schema.json").read_text())


def _validator(definition: str):
    schema = _schema()
    return jsonschema.Draft202012Validator({**schema, "$ref": f"#/$defs/{definition}"})


def _kind_of(path: Path) -> str:
    return {"profiles": "profile", "builds": "buildsFile"}.get(path.parent.name) or {
        "runtimes.toml": "runtimesFile", "startup.toml": "startupFile",
        "hostcalls.toml": "hostcallsFile", "callbacks.toml": "callbacksFile",
        "abi_versions.toml": "abiVersionsFile"}[path.name]


# meta.toml (release facts for --version) and consumers/ are not host specs
SPEC_FILES = sorted(p for p in SPECS.rglob("*.toml")
                    if p.parent.name != "consumers" and p.name != "meta.toml")


def test_the_published_schema_is_a_valid_json_schema():
    jsonschema.Draft202012Validator.check_schema(_schema())


@pytest.mark.parametrize("path", SPEC_FILES, ids=lambda p: p.relative_to(SPECS).as_posix())
def test_every_bundled_spec_file_validates_against_the_published_schema(path):
    data = tomllib.loads(path.read_text())
    errors = list(_validator(_kind_of(path)).iter_errors(data))
    assert not errors, [e.message for e in errors]
    if path.parent.name == "builds":
        for build in data["build"]:
            assert not list(_validator("build").iter_errors(build)), build["id"]


def test_message_placeholders_in_the_schema_are_the_ones_the_checks_fill_in():
    messages = _schema()["$defs"]["profile"]["properties"]["messages"]["properties"]
    published = {k: tuple(v["x-placeholders"]) for k, v in messages.items()
                 if "x-placeholders" in v}
    assert published == MESSAGE_FIELDS


PROFILE = '''
id = "acme"
extends = "cpp-host-f2db56af"
sources = ["probed from acme-proxy 2.0"]
'''
BUILD = '''
[[build]]
id = "acme-2.0"
product = "acme-proxy"
first = "2.0.0"
profile = "acme"
runtime = "wasmtime-26.0.0-kong"
sources = ["probed from acme-proxy 2.0"]
'''


def _dir(tmp_path, profile_extra="", build=BUILD, startup=None) -> Path:
    d = tmp_path / "specs"
    (d / "builds").mkdir(parents=True)
    (d / "profiles").mkdir()
    (d / "builds" / "acme.toml").write_text(build)
    (d / "profiles" / "acme.toml").write_text(PROFILE + profile_extra)
    if startup is not None:
        (d / "startup.toml").write_text(startup)
    return d


# The same wrong file, refused by the loader (one line, naming file and key) and by any
# JSON Schema validator reading the published file: the loader really uses that file.
@pytest.mark.parametrize("extra, key", [
    ('\n[wasi]\nfunctions = "fd_write"\n', "wasi.functions: expected an array of strings"),
    ('\n[startup]\nsequnce = "x"\n', "startup.sequnce: unknown key"),
    ('\n[memory]\ncap_pages = -1\n', "memory.cap_pages: expected a non-negative integer"),
    ('\nstatus = "sure"\n', "status: 'sure' not one of"),
    ('\n[platform.limits]\ncpu_hours = 1\n', "platform.limits.cpu_hours: unknown key"),
])
def test_loader_and_json_schema_refuse_the_same_profiles(tmp_path, extra, key):
    d = _dir(tmp_path, extra)
    with pytest.raises(SpecError) as info:
        load_specs([d])
    assert key in str(info.value) and "acme.toml" in str(info.value)
    data = tomllib.loads((d / "profiles" / "acme.toml").read_text())
    assert list(_validator("profile").iter_errors(data))


def test_abi_versions_come_from_abi_versions_toml(tmp_path):
    versions = [v["id"] for v in tomllib.loads((SPECS / "abi_versions.toml").read_text())["version"]
                if v.get("marker")]
    assert "0.2.100" in versions  # Higress's marker: data, not code
    d = _dir(tmp_path, '\n[abi]\nmarkers = { proxy_abi_version_9_9_9 = "9.9.9" }\n')
    with pytest.raises(SpecError, match=r"acme.toml: .*abi.markers.proxy_abi_version_9_9_9: "
                       r"unknown ABI version '9.9.9' \(abi_versions.toml has 0.1.0, 0.2.0"):
        load_specs([d])
    d2 = _dir(tmp_path / "2", '\n[host_functions]\n"9.9.9" = ["proxy_log"]\n')
    with pytest.raises(SpecError, match=r"profiles/acme.toml: host_functions.9.9.9: unknown key"):
        load_specs([d2])


def _calls(build_id: str, exports: str) -> list[str]:
    module = read_module(wat(f"(module {exports} {BASE_EXPORTS})"))
    return startup_calls(CheckContext(module, host(build_id)))


F = '(func (export "{}"))'
MAIN = '(func (export "main") (param i32 i32) (result i32) (i32.const 0))'


@pytest.mark.parametrize("build_id, exports, called", [
    # cpp-host f2db56af (Envoy 1.36+): _initialize then main; _start only without _initialize
    ("envoy-1.40", F.format("_start") + F.format("_initialize") + MAIN, ["_initialize", "main"]),
    ("envoy-1.40", F.format("_start") + F.format("__wasm_call_ctors"), ["_start"]),
    ("envoy-1.40", F.format("__wasm_call_ctors"), []),
    # Kong: whichever of _start / _initialize comes first in the export section, nothing else
    ("kong-0.6", F.format("_start") + F.format("_initialize") + MAIN, ["_start"]),
    ("kong-0.6", F.format("_initialize") + F.format("_start") + MAIN, ["_initialize"]),
    ("kong-0.6", MAIN + F.format("__wasm_call_ctors"), []),
    # APISIX: _start if exported, else _initialize, whatever the order
    ("apisix-0.7.0", F.format("_initialize") + F.format("_start"), ["_start"]),
    ("apisix-0.7.0", F.format("_initialize") + MAIN, ["_initialize"]),
])
def test_start_up_sequences_follow_the_data(build_id, exports, called):
    assert _calls(build_id, exports) == called


SEQUENCE = '''
[sequence.acme-ctors-then-initialize]
summary = "acme calls __wasm_call_ctors, then _initialize"
sources = ["probed from acme-proxy 2.0"]
alternatives = [[["__wasm_call_ctors"], ["_initialize"]]]
'''


def test_a_new_start_up_sequence_is_data_in_a_user_directory(tmp_path):
    d = _dir(tmp_path, '\n[startup]\nsequence = "acme-ctors-then-initialize"\n',
             startup=SEQUENCE)
    spec = load_specs([d]).by_id("acme-2.0")
    assert spec.startup_sequence == "acme-ctors-then-initialize"
    module = read_module(wat(f'(module {F.format("_initialize")} {F.format("__wasm_call_ctors")} '
                             f'(func $bad (export "_start") (param i32)) {BASE_EXPORTS})'))
    assert startup_calls(CheckContext(module, spec)) == ["__wasm_call_ctors", "_initialize"]
    result = check_module(module, spec)
    cc501 = [f for f in result.findings if f.code == "CC501"]
    assert cc501 and "__wasm_call_ctors, then _initialize" in cc501[0].message


@pytest.mark.parametrize("startup, profile_extra, needle", [
    (None, '\n[startup]\nsequence = "acme-nope"\n',
     "startup.sequence: 'acme-nope' is none of the sequences of startup.toml"),
    (SEQUENCE.replace('["_initialize"]', '["_init"]'), "",
     "sequence.acme-ctors-then-initialize.alternatives: ['_init'] are not start functions"),
    (SEQUENCE.replace("alternatives = [[", "alternatives = [[[]], ["), "",
     "alternatives[0][0]: expected at least 1 item"),
    (SEQUENCE + 'pick = "random"\n', "", "pick: 'random' not one of"),
    (SEQUENCE.replace("[sequence.acme-ctors-then-initialize]", "[sequence.start-or-ctors]"), "",
     "sequence.start-or-ctors: duplicate sequence"),
])
def test_wrong_start_up_sequences_are_one_line_errors(tmp_path, startup, profile_extra, needle):
    d = _dir(tmp_path, profile_extra, startup=startup)
    with pytest.raises(SpecError) as info:
        load_specs([d])
    assert needle in str(info.value) and "\n" not in str(info.value)


def test_targets_show_names_the_source_of_each_fact(tmp_path):
    """A section's own sources name its fact; a section only inherited keeps its origin; a
    section holding only sources states nothing (the inherited table stays whole)."""
    d = _dir(tmp_path, '\n[wasi]\nsources = ["probed from acme-proxy 2.0 wasi run"]\n'
             'functions_remove = ["sock_accept"]\n'
             '\n[messages]\nsources = ["probed from acme-proxy 2.0 log"]\n')
    spec = load_specs([d]).by_id("acme-2.0")
    wasi = spec.fact_sources["wasi"]
    assert wasi[0][0] == "profile acme"
    assert [s.ref for s in wasi[0][1]] == ["probed from acme-proxy 2.0 wasi run"]
    assert wasi[1][0] == "profile cpp-host-f2db56af"  # the table it edits
    assert "sock_accept" not in spec.wasi and "fd_write" in spec.wasi
    assert spec.messages == host("envoy-1.40").messages  # not wiped by a sources-only table
    assert spec.fact_sources["messages"] == host("envoy-1.40").fact_sources["messages"]
    assert spec.fact_sources["startup"][0][0] == "profile cpp-host-f2db56af"


def test_targets_show_cli_prints_fact_sources():
    from click.testing import CliRunner

    from compatcheck.cli import main
    out = CliRunner().invoke(main, ["targets", "--show", "apisix-0.7.0", "--format", "json"])
    assert out.exit_code == 0, out.output
    facts = json.loads(out.output)["build"]["fact_sources"]
    startup = facts["startup"]
    assert startup[0]["from"] == "startup.toml sequence start-or-initialize"
    assert any("ngx_http_wasm_module.c" in s["ref"] for s in startup[0]["sources"])
    text = CliRunner().invoke(main, ["targets", "--show", "apisix-0.7.0"]).output
    assert "from startup.toml sequence start-or-initialize" in text
    # every fact a check reads is shown: lifecycle, the memory export, the runtime's words
    assert "lifecycle: vm_start = false, configure_required = true" in text
    assert 'memory: the memory must be exported as "memory"' in text
    assert "refuses tail-call with: WebAssembly translation error" in text
    assert "; none read: ABI 0.2.1" in text
    kong = CliRunner().invoke(main, ["targets", "--show", "kong-0.6"]).output
    assert "foreign functions: resolve_lua; any other name: trap" in kong
    assert "required at load: proxy_on_context_create, proxy_on_vm_start" in kong


@pytest.mark.parametrize("observed, sequence", [
    ((["_initialize", "main"], ["_start"], ["_initialize", "__main_void"]),
     "initialize-main-mainvoid-or-start"),
    ((["_initialize", "main"], ["_start"], ["_initialize"]), "initialize-main-or-start"),
    ((["_initialize"], ["_start"], ["_initialize"]), "initialize-or-start-or-ctors"),
    ((["_start"], ["_start"], ["_initialize"]), "start-or-initialize"),
    ((["main"], ["_start"], ["_initialize"]), "unknown"),
])
def test_probe_names_the_sequence_of_startup_toml_envoy_followed(observed, sequence):
    """`compatcheck probe` runs three start-up modules on a real Envoy; the sequence it writes
    down is the one of startup.toml that calls exactly what Envoy called."""
    from compatcheck.envoy.probe.steps import _START_NAMES, _matching_sequence
    exports = [_START_NAMES, _START_NAMES[1:], ["_initialize", "__main_void"]]
    assert _matching_sequence(list(zip(exports, observed, strict=True))) == sequence
