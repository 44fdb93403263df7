"""The Kong profile (kong-ngx-wasm-0.6.0, build kong-0.6) held to a real, locally built host.

The host: nginx 1.27.4 + Kong/ngx_wasm_module@c62213ba (0.6.x) + libwasmtime (the PyPI wasmtime
wheel's), built outside the repository by scripts/judges/build_kong_nginx.sh, which prints
    COMPATCHECK_KONG_NGINX    the nginx binary
Each probe module (kong_probes.py) runs through scripts/judges/kong_nginx.py (one GET / through
`proxy_wasm filter; return 200;`) and through `compatcheck check -t kong-0.6 --plugin-config ''
--format json` (start, configure and a first GET emulated, as the judge's filter is configured:
with nothing); the two must agree on the outcome (refused at load, crash, failure on the request, served) and
the prediction's first error must be in the host's own lines, word for word.
Probes whose disagreement needs a change in compatcheck's code are strict xfails naming it.
"""

from __future__ import annotations

import os

import pytest

from judges import load_runner, probe_runs, xfail
from kong_probes import NAMES, build

TARGET = "kong-0.6"
SKIP = ("no locally built Kong nginx (COMPATCHECK_KONG_NGINX unset); "
        "see scripts/judges/build_kong_nginx.sh")

# The real outcome of each probe (probed; see the profile's notes), so that a broken judge
# cannot make both sides agree on nothing.
REAL = {
    "minimal": "ok", "alloc_on_memory_allocate_only": "ok", "alloc_none": "load-failed",
    "unknown_import": "load-failed", "log_wrong_type": "load-failed",
    "get_log_level_sdk_signature": "load-failed", "get_log_level_kong_signature": "ok",
    "no_marker": "load-failed", "marker_0_2_100_only": "load-failed",
    "stub_grpc_call": "request-failed", "stub_get_status": "request-failed",
    "stub_done": "request-failed", "wasi_proc_exit": "request-failed",
    "wasi_fd_filestat_get": "ok", "wasi_path_create_directory": "ok",
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

# A gap that needs a compatcheck code change names it: CODE + what is missing
CODE = "needs a compatcheck code change (see the kong-ngx-wasm-0.6.0 profile notes): "
# Disagreements on the outcome that data cannot fix
OUTCOME_GAPS: dict[str, str] = {}
# Outcome agrees, the host's words do not
WORDING_GAPS: dict[str, str] = {}


@pytest.fixture(scope="module")
def host():
    nginx = os.environ.get("COMPATCHECK_KONG_NGINX")
    if not nginx:
        pytest.skip(SKIP)
    if not os.access(nginx, os.X_OK):
        pytest.fail(f"COMPATCHECK_KONG_NGINX={nginx} is not an executable file")
    judge = load_runner("kong_nginx")
    return lambda path: judge.run(nginx, path, timeout=30)


@pytest.fixture(scope="module")
def runs(host, tmp_path_factory):
    # the judge's filter has no configuration
    return probe_runs(tmp_path_factory.mktemp("kong-probes"), host, build, TARGET, "")


def _errors(real) -> list[str]:
    return [x for x in real.lines if x.startswith(("[error] ", "[emerg] "))]


def test_every_probe_has_a_real_outcome():
    assert sorted(REAL) == sorted(NAMES)


@pytest.mark.parametrize("name", [xfail(n, OUTCOME_GAPS) for n in NAMES])
def test_outcome_agrees(runs, name):
    real, predicted = runs(name)
    assert real.outcome == REAL[name], real.text()
    if REAL[name] == "ok":
        assert predicted["verdict"] == "loads", (real.text(), predicted)
        assert predicted["outcome"] not in ("fails-when-called", "crash"), (real.text(), predicted)
    elif REAL[name] == "load-failed":
        assert predicted["verdict"] == "refused", (real.text(), predicted)
    elif REAL[name] == "crashed":
        assert predicted["outcome"] == "crash", (real.text(), predicted)
    else:  # request-failed: loads, then fails when the callback runs
        assert predicted["outcome"] == "fails-when-called", (real.text(), predicted)


@pytest.mark.parametrize("name", [xfail(n, WORDING_GAPS) for n in NAMES
                                  if REAL[n] == "load-failed" and n not in OUTCOME_GAPS
                                  and n != "start_traps"])
def test_refusal_wording_agrees(runs, name):
    real, predicted = runs(name)
    assert _errors(real), real.text()
    assert predicted["first_error"], predicted
    assert any(predicted["first_error"] in line for line in _errors(real)), \
        (real.text(), predicted["first_error"])


@pytest.mark.parametrize("name,stub", [("stub_grpc_call", "proxy_grpc_call"),
                                       ("stub_get_status", "proxy_get_status"),
                                       ("stub_done", "proxy_done"),
                                       ("wasi_proc_exit", "proc_exit")])
def test_stubbed_call_traps_with_the_hosts_words(runs, name, stub):
    real, predicted = runs(name)
    assert real.status == 500, real.text()
    trap = [x for x in _errors(real) if "Caused by:" in x]
    want = f"host trap (function not yet implemented): {stub}"
    assert trap and want in trap[0], real.text()
    assert "[info] [proxy-wasm] filter chain failed resuming: previous error (instance trapped)" \
        in real.lines, real.text()
    cc801 = [f["message"] for f in predicted["findings"] if f["code"] == "CC801"]
    assert len(cc801) == 1 and cc801[0].startswith(want + " ("), predicted


@pytest.mark.parametrize("name,ran", [
    ("start_only", "_start"), ("initialize_only", "_initialize"),
    ("start_then_initialize", "_start"), ("initialize_then_start", "_initialize"),
])
def test_first_startup_export_in_export_order_runs_alone(runs, name, ran):
    real, predicted = runs(name)
    logged = [x for x in real.lines if "started:" in x]
    assert logged and logged[0].endswith("started:A___"), real.text()  # the first export only
    cc501 = [f["message"] for f in predicted["findings"] if f["code"] == "CC501"]
    assert cc501 == [f"At start-up this build calls {ran}."], predicted


def test_main_not_called(runs):
    real, predicted = runs("main_only")
    logged = [x for x in real.lines if "started:" in x]
    assert logged and logged[0].endswith("started:____"), real.text()
    assert "CC505" in [f["code"] for f in predicted["findings"]]


@pytest.mark.parametrize("name", ["get_log_level_sdk_signature", "log_wrong_type"])
def test_import_type_mismatch_names_both_types(runs, name):
    """wasmtime says expected (the module's type) and found (Kong's)."""
    real, predicted = runs(name)
    line = next(x for x in _errors(real) if "incompatible import type" in x)
    assert "Caused by: | types incompatible: expected type `(func" in line, real.text()
    assert [f["code"] for f in predicted["findings"]][0] == "CC202", predicted


def test_get_log_level_as_kong_declares_it_links(runs):
    real, predicted = runs("get_log_level_kong_signature")
    assert real.outcome == "ok", real.text()
    assert "CC202" not in [f["code"] for f in predicted["findings"]], predicted


def test_callbacks_are_not_type_checked(runs):
    for name in ("headers_wrong_signature", "context_create_wrong_signature"):
        real, predicted = runs(name)
        assert real.outcome == "ok" and real.status == 200, real.text()
        assert not [f for f in predicted["findings"] if f["code"] == "CC401"], predicted


def test_trap_in_the_startup_export_fails_the_start(runs):
    """Kong logs wasmtime's backtrace, then its own line with an empty reason; CC506 refuses
    (its text is compatcheck's own when static analysis sees the trap, so not compared)."""
    real, predicted = runs("start_traps")
    errors = _errors(real)
    assert any(x.startswith("[error] [wasm] error while executing at wasm backtrace:")
               and "wasm trap: wasm `unreachable` instruction executed" in x for x in errors), \
        real.text()
    assert '[error] [wasm] failed instantiating "filter" module: ' in errors, real.text()
    assert predicted["verdict"] == "refused"
    assert predicted["findings"][0]["code"] == "CC506", predicted
