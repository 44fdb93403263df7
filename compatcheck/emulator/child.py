"""The emulator's child process: compile a module once, run each scenario in a fresh VM,
print one JSON line per scenario as soon as it ends.

    python -m compatcheck.emulator.child < (header line, JSON) + (module bytes)

Started only by compatcheck.emulator.run_scenarios, with the smoke child's OS limits set first
thing (address space, CPU seconds, no files written, no core dumps).
"""

from __future__ import annotations

import json
import sys

from ..smoke.child import _engine, _set_os_limits
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
    header = json.loads(sys.stdin.buffer.readline())
    box = header["limits"]
    _set_os_limits(box)
    data = sys.stdin.buffer.read()
    import wasmtime

    from ..wasm import read_module

    module = read_module(data)
    engine = _engine(wasmtime)
    out = sys.stdout
    try:
        compiled = wasmtime.Module(engine, data)
    except MemoryError:
        out.write(json.dumps({"compile": "stopped", "detail": "memory backstop while compiling"}))
        return 0
    except wasmtime.WasmtimeError as exc:
        from ..smoke.child import trap_reason
        out.write(json.dumps({"compile": "failed", "detail": trap_reason(str(exc))}) + "\n")
        return 0
    out.write(json.dumps({"compile": "ok"}) + "\n")
    out.flush()
    for raw in header["scenarios"]:
        scenario = Scenario.from_json(raw)
        out.write(json.dumps(_run_one(wasmtime, engine, compiled, module, header, scenario)) + "\n")
        out.flush()
    return 0


if __name__ == "__main__":
    sys.exit(main())
