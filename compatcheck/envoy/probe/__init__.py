"""Derive a host-build spec from an Envoy binary alone, by loading crafted probe modules.

Each fact is measured with `envoy --mode validate` on small modules that change one thing from
a module that loads (prober.py). Where a host stops at the first failure (imports, start-up
calls), sets are measured by bisection. Each fact family is one step (steps.py); spec_out.py
writes the facts as a spec directory and compares them with a committed build.
"""

from __future__ import annotations

from typing import Callable

from ..process import sigterm_raises
from ..validate import identify
from . import steps
from .prober import ProbeModule, Prober, _host_type
from .spec_out import compare, to_toml

__all__ = ["ProbeModule", "Prober", "_host_type", "compare", "probe", "to_toml"]

# One line of progress per step, from what it measured.
_SAY: dict[str, Callable[[dict], str]] = {
    "markers": lambda f: f"ABI markers: {', '.join(f['markers'].values())} ({f['marker_rule']})",
    "host_functions": lambda f: "host functions: " + ", ".join(
        f"{a}: {len(v)}" for a, v in f["host_functions"].items()),
    "wasi": lambda f: "WASI: " + ", ".join(f"{m}: {len(v)}" for m, v in f["wasi"].items()),
    "callbacks_checked": lambda f: "checked callbacks: " + ", ".join(
        f"{a}: {len(v)}" for a, v in f["callbacks_checked"].items()),
    "startup_sequence": lambda f: f"start-up: {f['startup_sequence']} "
                                  f"(observed {f['startup_observed']})",
    "startup_allowed": lambda f: f"allowed during start-up: "
                                 f"{len(f['startup_allowed'] or [])}; restricted: "
                                 f"{f['_restricted_count']}",
}


def probe(envoy: str, name: str | None = None, jobs: int = 2,
          log: Callable[[str], None] | None = None, timeout: float = 60.0) -> dict:
    """Measure the binary; returns the facts as plain data (see to_toml).

    EnvoyError (a RuntimeError) when the binary is not an Envoy that answers or a run times out.
    """
    log = log or (lambda _m: None)
    with sigterm_raises():
        version = identify(envoy, timeout)  # fails early unless an Envoy answers --version
        p = Prober(envoy, jobs, log, timeout)
        try:
            return _measure(p, version, log)
        finally:
            p.close()


def _measure(p: Prober, version: str, log: Callable[[str], None]) -> dict:
    from ...abi import get_specs

    specs = get_specs()
    hc = specs.hostcalls
    # candidates for the checked-callback step: every callback a cpp-host build looks up
    tables = [t for b in specs.builds if b.profile.startswith("cpp-host")
              for t in b.callbacks.values()]
    facts: dict = {"version_string": version, "messages": {}, "_callback_tables": tables}
    _merge(facts, steps.runtimes(p, hc, facts))
    log(f"runtimes compiled in: {', '.join(facts['runtimes_compiled']) or 'none'}")
    if facts["runtime"] is not None:
        for step in steps.STEPS:
            _merge(facts, step(p, hc, facts))
            if step.__name__ in _SAY:
                log(_SAY[step.__name__](facts))
    facts["runs"] = p.runs
    return {k: v for k, v in facts.items() if not k.startswith("_")}


def _merge(facts: dict, measured: dict) -> None:
    facts["messages"].update(measured.pop("messages", {}))
    facts.update(measured)
