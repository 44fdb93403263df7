"""The emulator's child process: compile a module once, run each scenario in a fresh VM,
print one JSON line per scenario as soon as it ends.

    python -m compatcheck.emulator.child < (header line, JSON) + (module bytes)

Started only by compatcheck.emulator.run_scenarios, with the smoke child's OS limits set first
thing (address space, CPU seconds, no files written, no core dumps).
"""

from __future__ import annotations

import sys

from ..smoke.child import serve
from .lifecycle import emulate
from .model import Emulation, Scenario


def _run_one(wasmtime, engine, compiled, module, header: dict, scenario: Scenario) -> dict:
    from .session import Session

    facts = header["host"]
    try:
        session = Session(wasmtime, engine, compiled, module, facts, scenario, header["limits"])
        return emulate(session, header["startup"], scenario).json()
    except MemoryError:
        return Emulation(facts["id"], "undecided", "memory backstop (address space)").json()
    except Exception as exc:  # the bindings refused something: the run decides nothing
        return Emulation(facts["id"], "undecided", f"the sandbox cannot run it "
                                                   f"({type(exc).__name__}: {exc})").json()


def main() -> int:
    return serve("scenarios", lambda wasmtime, engine, compiled, module, header, raw:
                 _run_one(wasmtime, engine, compiled, module, header, Scenario.from_json(raw)))


if __name__ == "__main__":
    sys.exit(main())
