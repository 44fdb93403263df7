"""The APISIX profile (apisix-wasm-nginx-0.7.0) held to a real, locally built host.

The host: nginx 1.22.1 + lua-nginx-module + api7/wasm-nginx-module + libwasmtime 0.38.0, built
outside the repository by scripts/judges/build_apisix_nginx.sh, which prints the environment:
    COMPATCHECK_APISIX_NGINX        the nginx binary
    COMPATCHECK_APISIX_MODULE       the built ngx_http_wasm_module.so
    COMPATCHECK_APISIX_LUA_LIB      ':'-separated Lua dirs (resty/proxy-wasm.lua, resty/http.lua)
    COMPATCHECK_APISIX_MODULES_DIR  optional, where Debian's lua and ndk modules are
Each probe module (apisix_probes.py) runs through scripts/judges/apisix_nginx.py and through
`compatcheck check -t apisix-0.7.0 --format json`; the two must agree on the outcome (load
refused or not, with the host's own wording) and on what the filter saw.
Probes whose disagreement needs a change in compatcheck's code are strict xfails naming it.
"""

from __future__ import annotations

import os

import pytest

from apisix_probes import PROBES, build
from judges import load_runner, probe_runs, xfail

TARGET = "apisix-0.7.0"
SKIP = ("no locally built APISIX nginx (COMPATCHECK_APISIX_NGINX unset); "
        "see scripts/judges/build_apisix_nginx.sh")

# The real outcome each probe had (probed; see the profile's notes), so a broken judge cannot
# make both sides agree on nothing.
REAL = {
    "minimal": "served", "unknown_import": "load-failed", "log_wrong_type": "load-failed",
    "get_metric_sdk_signature": "load-failed", "get_metric_declared_signature": "served",
    "no_marker": "served", "marker_0_2_100_only": "served",
    "marker_0_1_0_headers_3_params": "request-failed",
    "alloc_malloc": "served", "alloc_on_memory_allocate_only": "served", "alloc_none": "served",
    "alloc_none_unused": "served", "stub_get_shared_data": "served", "stub_grpc_call": "served",
    "stub_get_current_time": "served", "wasi_fd_filestat_get_import": "served",
    "wasi_unstable_import": "served", "wasi_proc_exit_in_start": "load-failed",
    "wasi_proc_exit_1_in_start": "load-failed", "start_only": "served",
    "initialize_only": "served", "start_then_initialize": "served",
    "initialize_then_start": "served", "main_only": "served", "start_traps": "load-failed",
    "start_wrong_signature": "load-failed", "no_memory_export": "load-failed",
    "no_on_configure": "configure-failed", "configure_returns_0": "configure-failed",
    "configure_wrong_signature": "configure-failed", "headers_wrong_signature": "request-failed",
    "headers_traps": "request-failed", "context_create_wrong_signature": "configure-failed",
    "no_on_done": "served", "proposal_tail_call": "load-failed",
    "proposal_multi_memory": "load-failed", "proposal_memory64": "load-failed",
    "proposal_threads": "load-failed", "proposal_simd": "served",
    "proposal_exceptions": "load-failed",
}

CODE = "needs a compatcheck code change (see the apisix profile notes): "
# Disagreements on the outcome that data cannot fix
OUTCOME_GAPS: dict[str, str] = {}
# Outcome agrees, the host's words do not
WORDING_GAPS: dict[str, str] = {}


@pytest.fixture(scope="module")
def host():
    nginx = os.environ.get("COMPATCHECK_APISIX_NGINX")
    if not nginx:
        pytest.skip(SKIP)
    missing = [v for v in ("COMPATCHECK_APISIX_MODULE", "COMPATCHECK_APISIX_LUA_LIB")
               if not os.environ.get(v)]
    if missing:
        pytest.skip(f"COMPATCHECK_APISIX_NGINX is set but {', '.join(missing)} is not; "
                    "see scripts/judges/build_apisix_nginx.sh")
    judge = load_runner("apisix_nginx")
    kw = dict(nginx=nginx, wasm_module=os.environ["COMPATCHECK_APISIX_MODULE"],
              lua_lib=os.environ["COMPATCHECK_APISIX_LUA_LIB"],
              modules_dir=os.environ.get("COMPATCHECK_APISIX_MODULES_DIR",
                                         "/usr/lib/nginx/modules"))
    return lambda path: judge.run(path, conf='{"k":"v"}', timeout=60, **kw)


@pytest.fixture(scope="module")
def runs(host, tmp_path_factory):
    # the configuration the real host is given
    return probe_runs(tmp_path_factory.mktemp("apisix-probes"), host, build, TARGET,
                      '{"k":"v"}')


def _errors(real) -> list[str]:
    return [x[len("[error] "):] for x in real.lines if x.startswith("[error] ")]


@pytest.mark.parametrize("name", [xfail(n, OUTCOME_GAPS) for n in PROBES])
def test_outcome_agrees(runs, name):
    real, predicted = runs(name)
    assert real.outcome.split()[0] == REAL[name], real.as_text()
    if REAL[name] in ("served",):
        assert predicted["verdict"] == "loads", (real.as_text(), predicted)
    elif REAL[name] == "load-failed":
        assert predicted["verdict"] == "refused", (real.as_text(), predicted)
    else:  # configure-failed, request-failed: loads, then fails
        assert predicted["outcome"] not in ("loads",), (real.as_text(), predicted)


@pytest.mark.parametrize("name", [xfail(n, WORDING_GAPS) for n in PROBES
                                  if REAL[n] == "load-failed" and n not in OUTCOME_GAPS])
def test_refusal_wording_agrees(runs, name):
    real, predicted = runs(name)
    assert _errors(real), real.as_text()
    assert predicted["first_error"] == _errors(real)[0], (real.as_text(), predicted)


@pytest.mark.parametrize("name", ["stub_get_shared_data", "stub_grpc_call",
                                  "stub_get_current_time"])
def test_stubbed_call_returns_unimplemented_silently(runs, name):
    real, predicted = runs(name)
    assert "[info] rc=12" in real.lines and not _errors(real), real.as_text()
    assert predicted["outcome"] == "fails-when-called"
    assert [f["code"] for f in predicted["findings"]] == ["CC801"]


@pytest.mark.parametrize("name,ran", [
    ("start_only", "start-ran"), ("initialize_only", "initialize-ran"),
    ("start_then_initialize", "start-ran"), ("initialize_then_start", "start-ran"),
])
def test_startup_export_called(runs, name, ran):
    real, predicted = runs(name)
    called = [x for x in real.lines if x in ("[info] start-ran", "[info] initialize-ran")]
    assert called == [f"[info] {ran}"], real.as_text()
    cc501 = [f["message"] for f in predicted["findings"] if f["code"] == "CC501"]
    fn = "_start" if ran == "start-ran" else "_initialize"
    assert cc501 == [f"At start-up this build calls {fn}."], predicted


def test_main_not_called(runs):
    real, predicted = runs("main_only")
    assert "[info] main-ran" not in real.lines, real.as_text()
    assert "CC505" in [f["code"] for f in predicted["findings"]]


@pytest.mark.parametrize("name", ["alloc_malloc", "alloc_on_memory_allocate_only"])
def test_allocator_either_export(runs, name):
    real, predicted = runs(name)
    assert '[info] {"k":"v"}' in real.lines and "[info] rc=00" in real.lines, real.as_text()
    assert not [f for f in predicted["findings"] if f["code"].startswith("CC30")]


def test_no_allocator_fails_only_the_copying_call(runs):
    real, predicted = runs("alloc_none")
    assert _errors(real)[:2] == ["failed to malloc", "no memory"], real.as_text()
    assert "[info] rc=10" in real.lines
    assert not [f for f in predicted["findings"] if f["code"].startswith("CC30")]
