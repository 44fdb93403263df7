"""An emulated Proxy-Wasm host per build: run a filter's start-up, configuration and one HTTP
stream the way that build would, and say what the client, the upstream and the log would see.

The host functions come from the build's spec (only those it registers for the module's ABI,
with its signatures), their behaviour from the proxy-wasm-cpp-host and Envoy code each module
cites. The run happens in a child process (compatcheck.emulator.child) under the smoke run's
limits (compatcheck.smoke.limits): per call into the module an instruction budget (fuel) and a
host-call budget, a memory cap, and OS backstops. A run that a budget or backstop stopped says
so ("undecided") and is never reported as answered.

A module the static checks predict the build refuses is not run: the verdict is "refused" with
the build's first message, as `compatcheck check` would print it.
"""

from __future__ import annotations

import json

from ..abi import HostSpec
from ..record import replace
from ..smoke import _not_runnable, limits, run_child
from .model import (ANSWERED, VERDICTS, CallOut, Emulation, HttpRequest, HttpResponse, Scenario,
                    Stage)

__all__ = ["ANSWERED", "VERDICTS", "CallOut", "Emulation", "HttpRequest", "HttpResponse",
           "Scenario", "Stage", "emulate", "emulate_targets", "host_facts", "run_scenarios"]


def host_facts(host: HostSpec, abi: str) -> dict:
    """What the child needs of a build, as JSON."""
    return {"id": host.id, "abi": abi, "profile": host.profile,
            "functions": {n: str(t) for n, t in host.host_functions.get(abi, {}).items()},
            "shims": {n: str(t) for n, t in host.env_shims.items()},
            "wasi_modules": list(host.wasi_modules),
            "wasi": {n: str(t) for n, t in host.wasi.items()},
            "non_function_imports": dict(host.non_function_imports),
            "allocator": list(host.allocator_any_of) + [n for n in host.allocator_all_of
                                                        if n not in host.allocator_any_of],
            "startup_allowed": None if host.startup_allowed is None else sorted(host.startup_allowed),
            "memory_cap_pages": host.memory_cap_pages, "messages": dict(host.messages),
            # stubs, call-time signature checks, lifecycle and the runtime's own wording
            "stubbed": sorted(host.stubbed_functions), "stub_behaviour": host.stub_behaviour,
            "callbacks_checked": host.callbacks_checked,
            "callback_types": {} if host.callbacks_checked else
            {n: str(t) for n, t in host.callbacks.get(abi, {}).items()},
            "lifecycle": dict(host.lifecycle), "runtime_texts": dict(host.runtime.texts),
            # what a callback is passed; the foreign functions (None: the emulator's own set)
            "callback_arguments": host.callback_arguments,
            "foreign": None if host.foreign_functions is None else
            {"names": sorted(host.foreign_functions), "unknown": host.foreign_unknown}}


def _limits_box(module) -> dict:
    memories = max(1, len(module.all_memories))
    return {"fuel": limits.FUEL, "max_calls": limits.MAX_HOST_CALLS,
            "memory_bytes": limits.MEMORY_LIMIT // memories,
            "table_elements": limits.TABLE_ELEMENTS,
            "address_space": limits.CHILD_ADDRESS_SPACE, "cpu_seconds": limits.CHILD_CPU_SECONDS}


def emulate(data: bytes, host: HostSpec, scenario: Scenario, name: str = "module") -> Emulation:
    return run_scenarios(data, host, [scenario], name)[0]


def run_scenarios(data: bytes, host: HostSpec, scenarios: list[Scenario],
                  name: str = "module") -> list[Emulation]:
    """One child process compiles the module once and runs every scenario in a fresh VM."""
    return emulate_targets(data, [host], scenarios, name)[host.id]


def emulate_targets(data: bytes, hosts: list[HostSpec], scenarios: list[Scenario],
                    name: str = "module", checked=None) -> dict[str, list[Emulation]]:
    """Every scenario on every build; builds whose emulated hosts are identical share a run.
    ``checked``: the module's report on exactly these builds when the caller has it (it is
    not checked again)."""
    from ..checks.context import CheckContext
    from ..checks.startup import startup_calls
    from ..runner import check_bytes

    report = checked if checked is not None and checked.module is not None \
        else check_bytes(name, data, hosts)
    out: dict[str, list[Emulation]] = {}
    groups: dict[str, list[HostSpec]] = {}
    for host, result in zip(hosts, report.results, strict=True):
        if result.verdict != "loads":
            first = result.first_error
            text = first.message if first is not None else "refused"
            detail = text if result.verdict == "refused" else f"the proxy crashes: {text}"
            out[host.id] = [Emulation(host.id, "refused", detail, messages=(text,))
                            for _ in scenarios]
            continue
        assert report.module is not None  # the build loads it: the module was read
        ctx = CheckContext(report.module, host)
        assert ctx.abi is not None  # the build loads it: it found the ABI (else CC101/CC102)
        facts = {**host_facts(host, ctx.abi), "id": ""}
        key = json.dumps([facts, startup_calls(ctx)], sort_keys=True)
        groups.setdefault(key, []).append(host)
    for key, members in groups.items():
        facts, startup = json.loads(key)
        runs = _run(report.module, data, {**facts, "id": members[0].id}, startup, scenarios)
        for host in members:
            extra = () if host.profile.startswith("cpp-host-") else (
                f"{host.id} runs its own in-tree host ({host.profile}); its start-up, linking, "
                "stubbed host functions, call-time signature checks and configure step are "
                "from its spec, the rest of its request-time behaviour is emulated as "
                "proxy-wasm-cpp-host and Envoy have it",)
            out[host.id] = [replace(e, host=host.id, notes=e.notes + extra) for e in runs]
    return out


def _run(module, data: bytes, facts: dict, startup: list, scenarios) -> list[Emulation]:
    why_not = _not_runnable(module)
    if why_not:
        return [Emulation(facts["id"], "undecided", why_not[1]) for _ in scenarios]
    header = {"host": facts, "startup": startup, "scenarios": [s.json() for s in scenarios],
              "limits": _limits_box(module)}
    lines, ended = run_child("compatcheck.emulator.child",
                             json.dumps(header).encode() + b"\n" + data)
    return _results(facts["id"], scenarios, lines, ended)


def _results(host_id: str, scenarios, lines: list[dict], ended: str) -> list[Emulation]:
    head = lines[0] if lines else {}
    runs = [Emulation.from_json(x) for x in lines[1:] if "verdict" in x]
    out = []
    for i, _ in enumerate(scenarios):
        if i < len(runs):
            out.append(runs[i])
        elif head.get("compile") == "failed":
            out.append(Emulation(host_id, "undecided",
                                 f"wasmtime cannot compile it: {head['detail']}"))
        else:
            stage = "while running" if head.get("compile") == "ok" else "while compiling"
            out.append(Emulation(host_id, "undecided",
                                 f"{ended or 'the sandbox process ended'} {stage}"))
    return out
