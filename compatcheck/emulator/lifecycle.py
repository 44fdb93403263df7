"""The lifecycle as the build runs it, up to the HTTP stream (stream.py).

proxy-wasm/proxy-wasm-cpp-host@f2db56af443571e92a31c0b877106d9ea96e19ef: src/wasm.cc (startVm: the
start-up functions with the restricted set; WasmHandleBase::canary: start the plugin, then
configure it, "Failed to start base Wasm" / "Failed to configure base Wasm plugin") and
src/context.cc (ContextBase::onStart: proxy_on_context_create(root, 0) with the plugin's
configuration readable, then proxy_on_vm_start(root, VM configuration size), both called even
on a VM that already failed; onConfigure: skipped (true) on a failed VM, else
proxy_on_configure(root, plugin configuration size); onTick). Context ids come from
WasmBase::allocContextId (the root context is 1, the first stream 2). Envoy's worker VM runs
the same sequence again; it is deterministic, so it is run once here.
"""

from __future__ import annotations

from ..abi.vocabulary import CPP_HOST_LIFECYCLE
from .model import Emulation
from .session import LinkError
from .state import HeaderMap

# cpp-host's own texts (src/wasm.cc at the commit above); the specs have no key for them.
START_FAILED = "Failed to start base Wasm"
CONFIGURE_FAILED = "Failed to configure base Wasm plugin"


def emulate(session, startup: list[str], scenario) -> Emulation:
    h = session.host
    verdict = _start(session, startup)
    if verdict is None:
        verdict = _configure(session)
    if verdict is None and scenario.ticks:
        _ticks(session, scenario.ticks)
    if verdict is None and session.stopped:
        verdict = ("undecided", session.stopped)
    result: dict = {}
    if verdict is None and scenario.request is not None:
        from .stream import run_stream
        verdict, result = run_stream(session, scenario)
    if verdict is None:
        verdict = ("undecided", session.stopped) if session.stopped else ("configured", "")
    return Emulation(session.facts["id"], verdict[0], verdict[1], tuple(session.stages),
                     tuple(session.messages), result.get("response"), result.get("forwarded"),
                     tuple(h.calls_out), tuple(h.notes), tuple(h.reads))


def _start(session, startup: list[str]):
    """Instantiate, start-up functions, root context and proxy_on_vm_start."""
    try:
        stage = session.instantiate()
    except LinkError as exc:
        session.messages.append(str(exc))
        return "refused", str(exc)
    if stage.outcome == "stopped":
        return "undecided", stage.detail
    if stage.outcome == "trapped":
        session.messages.append(stage.detail)
        return "refused", f"the start section traps: {stage.detail}"
    allowed = session.facts["startup_allowed"]
    for name in startup:
        stage = session.call("start", name, 0, *_startup_args(name), allowed=allowed)
        if stage is not None and stage.outcome == "stopped":
            return "undecided", stage.detail
        if session.failed:
            wrapper = session.facts["messages"].get("wrapper")
            if wrapper:
                session.messages.append(wrapper)
            return "start-failed", f"{name} fails at start-up"
    return _vm_start(session)


def _startup_args(name: str) -> tuple[int, ...]:
    return (0, 0) if name == "main" else ()


def _lifecycle(session) -> dict:
    """The build's [lifecycle] (HostSpec.lifecycle): cpp-host's unless its spec says."""
    return {**CPP_HOST_LIFECYCLE, **session.facts.get("lifecycle", {})}


def _vm_start(session):
    h = session.host
    root = h.new_context(0)
    h.root = root
    if not _lifecycle(session)["vm_start"]:
        return None  # the root context is created when the plugin is configured
    h.plugin_visible = True
    session.call("start", "proxy_on_context_create", root, root, 0)
    h.plugin_visible = False
    stage = session.call("start", "proxy_on_vm_start", root, root,
                         len(h.scenario.vm_config.encode()))
    if stage is not None and stage.outcome == "stopped":
        return "undecided", stage.detail
    if stage is not None and (stage.outcome != "returned" or stage.result == 0):
        session.messages.append(session.facts["messages"].get("vm_start_failed") or START_FAILED)
        why = "traps" if stage.outcome == "trapped" else "returns false"
        return "start-failed", f"proxy_on_vm_start {why}"
    return None


def _configure(session):
    h = session.host
    if session.failed:
        return None  # onConfigure answers true on a failed VM; every request will fail
    life = _lifecycle(session)
    failed_text = session.facts["messages"].get("configure_failed") or CONFIGURE_FAILED
    h.plugin_visible = True
    if not life["vm_start"]:  # the root context is created as the plugin is configured
        stage = session.call("configure", "proxy_on_context_create", h.root, h.root, 0)
        if stage is not None and stage.outcome == "stopped":
            h.plugin_visible = False
            return "undecided", stage.detail
        if stage is not None and stage.outcome == "trapped":
            h.plugin_visible = False
            session.messages.append(failed_text)
            return "configure-failed", "proxy_on_context_create of the root context fails"
    stage = session.call("configure", "proxy_on_configure", h.root, h.root,
                         len(h.scenario.plugin_config.encode()))
    h.plugin_visible = False
    if stage is None:
        if life["configure_required"]:
            session.messages.append(failed_text)
            return "configure-failed", "the module does not export proxy_on_configure, " \
                                       "which this build requires"
        return None
    if stage.outcome == "stopped":
        return "undecided", stage.detail
    if stage.outcome == "trapped" or stage.result == 0:
        session.messages.append(failed_text)
        why = "traps" if stage.outcome == "trapped" else "returns false"
        empty = "" if h.scenario.plugin_config else " (no plugin configuration was given)"
        return "configure-failed", f"proxy_on_configure {why}{empty}"
    deliver_events(session, "configure")
    return None


def _ticks(session, count: int) -> None:
    h = session.host
    for _ in range(count):
        for root, period in list(h.tick_period.items()):
            if period and not session.failed and not session.stopped:
                session.call("tick", "proxy_on_tick", root, root)
                deliver_events(session, "tick")


def deliver_events(session, phase: str) -> None:
    """What the dispatcher delivers after a VM call: queue-ready and scripted HTTP replies."""
    h = session.host
    while h.ready_queues and not session.failed and not session.stopped:
        token = h.ready_queues.pop(0)
        owner = h.queue_owner.get(token, h.root)
        session.call(phase, "proxy_on_queue_ready", owner, owner, token)
    reply = h.scenario.http_reply
    while reply is not None and h.pending_http and not session.failed and not session.stopped:
        token, (index, root) = next(iter(h.pending_http.items()))
        del h.pending_http[token]
        call = h.calls_out[index]
        h.calls_out[index] = type(call)(call.kind, call.target, call.headers, call.body,
                                        call.result, True)
        headers = HeaderMap([(b":status", str(reply.status).encode()),
                             *((k.encode(), v) for k, v in reply.headers)])
        if headers.get(b"content-length") is None:
            headers.add(b"content-length", str(len(reply.body)).encode())
        h.http_call_response = (headers, reply.body, HeaderMap())
        session.call(phase, "proxy_on_http_call_response", root, root, token, len(headers),
                     len(reply.body), 0)
        h.http_call_response = None
