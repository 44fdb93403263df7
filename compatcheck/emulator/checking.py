"""`check --plugin-config`: start, configure and a first plain GET request, emulated, added to
the load verdict.

A build that loads a module still refuses the plugin when proxy_on_vm_start or
proxy_on_configure returns false or traps (cpp-host's canary: "Failed to start base Wasm",
"Failed to configure base Wasm plugin"), and a plugin that needs a configuration and gets none
is refused the same way. For every build that loads the module, this runs the emulated start
and configure with the given configuration and turns a failure into an error finding (the
host's messages, in order), and a run a budget stopped into a warning that says nothing was
decided. A plugin that starts and configures then gets one timer tick when it set a tick period (hosts
fire the timer within the period; `compatcheck run --ticks 1`) and one plain GET / (as
`compatcheck run --request` sends it); a tick that traps fails the VM and so every request
after it, and is reported like a failed request (CC513, "the first timer tick: ..."); a
failed stream (a trap, a callback the runtime refuses to call with the
ABI's arguments, a stubbed host function that traps) is a request-failed warning in the host's
words: the module loads, and fails when called. The codes' texts are in
compatcheck/checks/codes.py.
"""

from __future__ import annotations

from ..checks._build import finding
from ..checks.codes import CODES
from ..checks.finding import Finding
from ..record import replace
from . import HttpRequest, Scenario, emulate_targets

START_FAILED, CONFIGURE_FAILED, UNDECIDED = "CC510", "CC511", "CC512"  # checks/codes.py
REQUEST_FAILED = "CC513"


def _request_failed(e) -> Finding:
    """The failed stream in the host's words: its error line, and the trap when the line does
    not carry it (Kong's wasmtime backtrace head)."""
    failed = next((s for s in reversed(e.stages) if s.phase in ("request", "tick")
                   and s.outcome in ("trapped", "exited")), None)
    first = e.messages[0].splitlines()[0] if e.messages else ""
    detail = failed.detail if failed is not None else ""
    message = first if detail in first else (f"{first}: {detail}" if first else detail)
    where = failed.name if failed is not None else "the HTTP callbacks"
    if failed is not None and failed.phase == "tick":
        sent = ("The emulated host delivered the first timer tick after start and configure "
                "(the filter set a tick period; the host's timer fires within it); "
                f"{where} failed ({detail}), the VM is failed and every request after it "
                f"fails ({e.detail})")
        message = f"the first timer tick: {message}" if message else message
    else:
        sent = f"The emulated host sent GET / after start and configure; {where} failed ({e.detail})"
    return finding(REQUEST_FAILED, message or e.detail, "advice",
                   location=f"export {where}" if failed is not None else None,
                   position=1_001, host_wording=bool(first) and detail in first,
                   fix=f"{sent}. {CODES[REQUEST_FAILED].fix}")


def _finding(e) -> Finding | None:
    if e.verdict in ("start-failed", "configure-failed"):
        code = START_FAILED if e.verdict == "start-failed" else CONFIGURE_FAILED
        message = " / ".join(m.splitlines()[0] for m in e.messages) or e.detail
        return finding(code, message, "startup", fix=f"{e.detail}. {CODES[code].fix}",
                       location="export proxy_on_vm_start" if code == START_FAILED
                       else "export proxy_on_configure", position=1_000, host_wording=True)
    if e.verdict == "failed-stream":
        return _request_failed(e)
    if e.verdict == "undecided":
        what = "The first request" if any(s.phase == "request" for s in e.stages) else \
            "The first timer tick" if any(s.phase == "tick" for s in e.stages) else \
            "Start and configuration"
        return finding(UNDECIDED, f"{what} could not be emulated to the end: "
                                  f"{e.detail}", "startup", position=1_000)
    return None


STUB_CALLED = "CC801"  # a stubbed host function, here called by the emulated host


def stub_calls(e, host) -> list[tuple[str, str, str, int | None]]:
    """(host function, phase, export running, last result) of every stubbed host function the
    run called, first call of each first; none for a run a budget stopped (it decides
    nothing)."""
    if e.verdict in ("undecided", "refused"):
        return []
    stubbed = {f"env.{n}" if not n.startswith("wasi.") else n: n for n in host.stubbed_functions}
    wasi = {f"{m}.{n.removeprefix('wasi.')}": n for m in host.wasi_modules
            for n in host.stubbed_functions if n.startswith("wasi.")}
    out, seen = [], set()
    for stage in e.stages:
        for qname, _times, result in stage.calls:
            fn = stubbed.get(qname) or wasi.get(qname)
            if fn is not None and fn not in seen:
                seen.add(fn)
                out.append((qname, stage.phase, stage.name, result))
    return out


def _stub_findings(e, host) -> list[Finding]:
    """A stubbed call the emulated host made, certain: an error where it failed the stage
    (a trapping stub, or a start / configure that failed after it), else a warning."""
    out = []
    failed = e.verdict in ("start-failed", "configure-failed")
    for qname, phase, export, result in stub_calls(e, host):
        trap = host.stub_behaviour == "trap"
        # a stub that fails the start or the configuration refuses the plugin; one the first
        # request calls fails that request (it loads, and fails when called)
        stage_failed = (trap and phase in ("start", "configure")) or (
            failed and phase == ("start" if e.verdict == "start-failed" else "configure"))
        text = host.message("stub_call", **{"import": qname.partition(".")[2]}) or \
            f"{qname} is not implemented by this build"
        answer = "trapped" if trap else f"returned {result}"
        if trap and phase == "request":
            answer += ", and the request failed"
        out.append(finding(
            STUB_CALLED, f"{text} ({qname}: called by {export} during {phase}, by the "
                         "emulated host)", "advice", severity="error" if stage_failed else "warning",
            location=f"import {qname}", position=1_000, host_wording=False,
            unverified=host.is_unverified("host_functions.stubbed"),
            fix=f"The emulated {host.label} called {export}, which called {qname}; the stub "
                f"{answer}" + (f", and {phase} failed ({e.detail})." if stage_failed else ".")
                + " Avoid the call on this host, or pick a host that implements it "
                "(`compatcheck matrix`)."))
    return out


def lifecycle_findings(data: bytes, hosts, plugin_config: str = "", vm_config: str = "",
                       root_id: str = "", name: str = "module",
                       checked=None) -> dict[str, list[Finding]]:
    """Build id -> the findings start, configure and the first request add (none for a build
    that refuses the module anyway: the emulator does not run it). ``checked``: the module's
    report on exactly these builds, if the caller has it."""
    scenario = Scenario(vm_config=vm_config, plugin_config=plugin_config, root_id=root_id,
                        request=HttpRequest(), ticks=1)
    runs = emulate_targets(data, hosts, [scenario], name, checked)
    out = {}
    for host in hosts:
        e = runs[host.id][0]
        f = None if e.verdict == "refused" else _finding(e)
        out[host.id] = ([f] if f is not None else []) + _stub_findings(e, host)
    return out


def _without_settled(findings, extra) -> tuple:
    """The static findings, less a CC801 the emulated host settled (same import)."""
    settled = {f.location for f in extra if f.code == STUB_CALLED}
    return tuple(f for f in findings if not (f.code == STUB_CALLED and f.location in settled))


def with_lifecycle(report, plugin_config: str = "", vm_config: str = "", root_id: str = "",
                   data: bytes | None = None):
    """A ModuleReport (compatcheck.runner) with the start and configure findings added;
    ``data``: the module's bytes when the report no longer carries the module."""
    if data is None and report.module is not None:
        data = report.module.data
    if data is None or report.problem is not None:
        return report
    loading = tuple(r for r in report.results if r.verdict == "loads")
    if not loading:
        return report
    # the static checks already ran: the emulator takes their verdicts, not a second check
    extra = lifecycle_findings(data, [r.host for r in loading], plugin_config, vm_config,
                               root_id, report.name, replace(report, results=loading))
    results = tuple(replace(r, findings=tuple(sorted(
        _without_settled(r.findings, extra.get(r.host.id, ())) + tuple(extra.get(r.host.id, ())),
        key=Finding.sort_key))) for r in report.results)
    return replace(report, results=results)
