"""The Kong profiles held to real, locally built hosts: kong-ngx-wasm-0.6.0 (build kong-0.6) and
kong-ngx-wasm-0.5.0 (build kong-0.5).

The hosts: nginx + Kong/ngx_wasm_module + libwasmtime (the PyPI wasmtime wheel's), built outside
the repository by scripts/judges/build_kong_nginx.sh, which prints
    COMPATCHECK_KONG_NGINX       nginx 1.27.4 + Kong/ngx_wasm_module@c62213ba (0.6.x), judges kong-0.6
    COMPATCHECK_KONG_NGINX_05    nginx 1.27.2 + Kong/ngx_wasm_module@070f3710 (0.5.0), judges kong-0.5
                                 (KONG_COMMIT=070f3710c7182f7681c3e05631995af3039a8eac)
The tests run for each build whose variable is set. Each probe module (kong_probes.py) runs
through scripts/judges/kong_nginx.py (one GET / through `proxy_wasm filter; return 200;`) and
through `compatcheck check -t <build> --plugin-config '' --format json` (start, configure and a
first GET emulated, as the judge's filter is configured: with nothing); the two must agree on the
outcome (refused at load, crash, failure on the request, served) and the prediction's first error
must be in the host's own lines, word for word.
Probes whose disagreement needs a change in compatcheck's code are strict xfails naming it.
"""

from __future__ import annotations

import os

import pytest

from judges import load_runner, probe_runs
from kong_probes import NAMES, build

# build -> the variable naming its judge binary
BUILDS = {"kong-0.6": "COMPATCHECK_KONG_NGINX", "kong-0.5": "COMPATCHECK_KONG_NGINX_05"}
SKIP = ("no locally built Kong nginx (COMPATCHECK_KONG_NGINX / COMPATCHECK_KONG_NGINX_05 unset); "
        "see scripts/judges/build_kong_nginx.sh")
# the builds whose judge is present; with none, every test skips (SKIP)
TARGETS = [t for t, var in BUILDS.items() if os.environ.get(var)] or list(BUILDS)

# The real outcome of each probe on each build (probed; see the profiles' notes), so that a broken
# judge cannot make both sides agree on nothing.
REAL_06 = {
    "minimal": "ok", "alloc_on_memory_allocate_only": "ok", "alloc_none": "load-failed",
    "unknown_import": "load-failed", "log_wrong_type": "load-failed",
    "get_log_level_sdk_signature": "load-failed", "get_log_level_kong_signature": "ok",
    "no_marker": "load-failed", "marker_0_2_100_only": "load-failed",
    "stub_grpc_call": "request-failed", "stub_get_status": "request-failed",
    "stub_done": "request-failed", "wasi_proc_exit": "request-failed",
    "wasi_fd_filestat_get": "ok", "wasi_path_create_directory": "ok",
    "wasi_sched_yield": "ok", "wasi_fd_fdstat_set_flags": "ok",
    "foreign_call_unknown": "request-failed",
    "wasi_unknown": "load-failed", "start_only": "ok", "initialize_only": "ok",
    "start_then_initialize": "ok", "initialize_then_start": "ok", "main_only": "ok",
    "start_traps": "load-failed", "start_calls_proxy_log": "crashed",
    "initialize_calls_proxy_log": "crashed", "start_section_calls_proxy_log": "crashed",
    "start_calls_wasi_random_get": "ok", "vm_start_calls_proxy_log": "ok",
    "headers_wrong_signature": "ok", "context_create_wrong_signature": "ok",
    "no_on_configure": "load-failed", "vm_start_returns_0": "load-failed",
    "configure_returns_0": "load-failed", "no_on_request_headers": "crashed",
    "no_on_response_headers": "crashed", "no_on_log_done_delete": "crashed",
    "headers_traps": "request-failed", "no_memory_export": "ok",
    "proposal_tail_call": "ok", "proposal_extended_const": "ok", "proposal_multi_memory": "ok",
    "proposal_relaxed_simd": "ok", "proposal_threads": "ok", "proposal_memory64": "load-failed",
    "proposal_exceptions": "load-failed", "proposal_function_references": "load-failed",
    "proposal_gc": "load-failed", "corrupt_section": "load-failed", "not_wasm": "load-failed",
}
# 0.5.0: the same outcome for every probe (probed); where it differs is the trap's words:
# foreign_call_unknown traps as a NYI stub (STUBS below), 0.6's as 'unknown foreign function'.
REAL = {"kong-0.6": REAL_06, "kong-0.5": {**REAL_06}}

# A gap that needs a compatcheck code change names it: CODE + what is missing
CODE = "needs a compatcheck code change (see the build's profile notes): "
# (build, probe) -> reason: disagreements on the outcome that data cannot fix
OUTCOME_GAPS: dict[tuple[str, str], str] = {}
# Outcome agrees, the host's words do not
WORDING_GAPS: dict[tuple[str, str], str] = {}


def each(cases, gaps=None):
    """pytest params (build, probe, ...) for every present build, strict xfails from gaps."""
    out = []
    for case in cases:
        marks = ()
        if gaps and case[:2] in gaps:
            marks = pytest.mark.xfail(reason=gaps[case[:2]], strict=True)
        out.append(pytest.param(*case, marks=marks, id="-".join(map(str, case[:2]))))
    return out


@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    """(build, probe) -> (the real host's outcome, compatcheck's JSON result), run once each."""
    getters = {}

    def get(target, name):
        if target not in getters:
            nginx = os.environ.get(BUILDS[target])
            if not nginx:
                pytest.skip(SKIP)
            if not os.access(nginx, os.X_OK):
                pytest.fail(f"{BUILDS[target]}={nginx} is not an executable file")
            judge = load_runner("kong_nginx")
            # the judge's filter has no configuration
            getters[target] = probe_runs(
                tmp_path_factory.mktemp(f"{target}-probes"),
                lambda path, nginx=nginx: judge.run(nginx, path, timeout=30), build, target, "")
        return getters[target](name)
    return get


def _errors(real) -> list[str]:
    return [x for x in real.lines if x.startswith(("[error] ", "[emerg] "))]


def test_every_probe_has_a_real_outcome():
    for target in BUILDS:
        assert sorted(REAL[target]) == sorted(NAMES), target


@pytest.mark.parametrize("target,name", each([(t, n) for t in TARGETS for n in NAMES],
                                             OUTCOME_GAPS))
def test_outcome_agrees(runs, target, name):
    real, predicted = runs(target, name)
    want = REAL[target][name]
    assert real.outcome == want, real.text()
    if want == "ok":
        assert predicted["verdict"] == "loads", (real.text(), predicted)
        assert predicted["outcome"] not in ("fails-when-called", "crash"), (real.text(), predicted)
    elif want == "load-failed":
        assert predicted["verdict"] == "refused", (real.text(), predicted)
    elif want == "crashed":
        assert predicted["outcome"] == "crash", (real.text(), predicted)
    else:  # request-failed: loads, then fails when the callback runs
        assert predicted["outcome"] == "fails-when-called", (real.text(), predicted)


@pytest.mark.parametrize("target,name", each(
    [(t, n) for t in TARGETS for n in NAMES
     if REAL[t][n] == "load-failed" and (t, n) not in OUTCOME_GAPS and n != "start_traps"],
    WORDING_GAPS))
def test_refusal_wording_agrees(runs, target, name):
    real, predicted = runs(target, name)
    assert _errors(real), real.text()
    assert predicted["first_error"], predicted
    assert any(predicted["first_error"] in line for line in _errors(real)), \
        (real.text(), predicted["first_error"])


# the stubs (NYI host functions) each build's probes call
STUBS = {
    "kong-0.6": [("stub_grpc_call", "proxy_grpc_call"), ("stub_get_status", "proxy_get_status"),
                 ("stub_done", "proxy_done"), ("wasi_proc_exit", "proc_exit")],
}
STUBS["kong-0.5"] = [*STUBS["kong-0.6"], ("foreign_call_unknown", "proxy_call_foreign_function")]


@pytest.mark.parametrize("target,name,stub", each([(t, n, f) for t in TARGETS
                                                   for n, f in STUBS[t]]))
def test_stubbed_call_traps_with_the_hosts_words(runs, target, name, stub):
    real, predicted = runs(target, name)
    assert real.status == 500, real.text()
    trap = [x for x in _errors(real) if "Caused by:" in x]
    want = f"host trap (function not yet implemented): {stub}"
    assert trap and want in trap[0], real.text()
    assert "[info] [proxy-wasm] filter chain failed resuming: previous error (instance trapped)" \
        in real.lines, real.text()
    cc801 = [f["message"] for f in predicted["findings"] if f["code"] == "CC801"]
    assert len(cc801) == 1 and cc801[0].startswith(want + " ("), predicted


@pytest.mark.parametrize("target,name", each([(t, "foreign_call_unknown") for t in TARGETS
                                              if t != "kong-0.5"]))
def test_unknown_foreign_function_traps(runs, target, name):
    """0.6: proxy_call_foreign_function implements resolve_lua only; another name traps."""
    real, predicted = runs(target, name)
    assert real.status == 500, real.text()
    trap = [x for x in _errors(real) if "Caused by:" in x]
    assert trap and "host trap (internal error): unknown foreign function" in trap[0], real.text()
    assert "CC801" not in [f["code"] for f in predicted["findings"]], predicted


@pytest.mark.parametrize("target,name,ran", each([
    (t, n, r) for t in TARGETS
    for n, r in [("start_only", "_start"), ("initialize_only", "_initialize"),
                 ("start_then_initialize", "_start"), ("initialize_then_start", "_initialize")]]))
def test_first_startup_export_in_export_order_runs_alone(runs, target, name, ran):
    real, predicted = runs(target, name)
    logged = [x for x in real.lines if "started:" in x]
    assert logged and logged[0].endswith("started:A___"), real.text()  # the first export only
    cc501 = [f["message"] for f in predicted["findings"] if f["code"] == "CC501"]
    assert cc501 == [f"At start-up this build calls {ran}."], predicted


@pytest.mark.parametrize("target", TARGETS)
def test_main_not_called(runs, target):
    real, predicted = runs(target, "main_only")
    logged = [x for x in real.lines if "started:" in x]
    assert logged and logged[0].endswith("started:____"), real.text()
    assert "CC505" in [f["code"] for f in predicted["findings"]]


@pytest.mark.parametrize("target,name", each([(t, n) for t in TARGETS for n in
                                              ["get_log_level_sdk_signature", "log_wrong_type"]]))
def test_import_type_mismatch_names_both_types(runs, target, name):
    """wasmtime says expected (the module's type) and found (Kong's)."""
    real, predicted = runs(target, name)
    line = next(x for x in _errors(real) if "incompatible import type" in x)
    assert "Caused by: | types incompatible: expected type `(func" in line, real.text()
    assert [f["code"] for f in predicted["findings"]][0] == "CC202", predicted


@pytest.mark.parametrize("target", TARGETS)
def test_get_log_level_as_kong_declares_it_links(runs, target):
    real, predicted = runs(target, "get_log_level_kong_signature")
    assert real.outcome == "ok", real.text()
    assert "CC202" not in [f["code"] for f in predicted["findings"]], predicted


@pytest.mark.parametrize("target", TARGETS)
def test_callbacks_are_not_type_checked(runs, target):
    for name in ("headers_wrong_signature", "context_create_wrong_signature"):
        real, predicted = runs(target, name)
        assert real.outcome == "ok" and real.status == 200, real.text()
        assert not [f for f in predicted["findings"] if f["code"] == "CC401"], predicted


@pytest.mark.parametrize("target", TARGETS)
def test_trap_in_the_startup_export_fails_the_start(runs, target):
    """Kong logs wasmtime's backtrace, then its own line with an empty reason; CC506 refuses
    (its text is compatcheck's own when static analysis sees the trap, so not compared)."""
    real, predicted = runs(target, "start_traps")
    errors = _errors(real)
    assert any(x.startswith("[error] [wasm] error while executing at wasm backtrace:")
               and "wasm trap: wasm `unreachable` instruction executed" in x for x in errors), \
        real.text()
    assert '[error] [wasm] failed instantiating "filter" module: ' in errors, real.text()
    assert predicted["verdict"] == "refused"
    assert predicted["findings"][0]["code"] == "CC506", predicted
