"""Smoke mode: run a module's start-up in a sandbox to see which imports it really calls.

Static reachability cannot tell whether a start-up function calls, say, `proc_exit`: that
depends on values (`main` returning non-zero) or on indirect calls (Go's runtime). Here the
start-up sequences the selected hosts would run are executed in wasmtime with every import
replaced by a recording stub. The run happens in a child process (compiled once per module,
whatever the number of targets) with OS limits on top of wasmtime's own; see ``limits``.

Only a run that ends by itself (``completed``, ``exited``) settles anything. A run that was
``stopped`` by a limit, ``trapped`` or ``not-run`` decides nothing, and the checks say so.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from pathlib import Path

from ..record import record
from . import limits

DECISIVE = ("completed", "exited")


@record
class SmokeRun:
    sequence: tuple[str, ...]  # exports called, in order
    calls: tuple[tuple[str, str], ...]  # (export running, "module.name" called), in order
    outcome: str  # completed | exited | trapped | stopped | not-run
    detail: str = ""  # the exit status, the trap, or the limit that stopped the run

    @property
    def decisive(self) -> bool:
        return self.outcome in DECISIVE


def run_startup(module, sequence: tuple[str, ...]) -> SmokeRun:
    return run_startups(module, [sequence])[tuple(sequence)]


def run_startups(module, sequences) -> dict[tuple[str, ...], SmokeRun]:
    """One child process compiles ``module`` once and runs each sequence in a fresh instance."""
    sequences = list(dict.fromkeys(tuple(s) for s in sequences))
    why_not = _not_runnable(module)
    if why_not:
        outcome, detail = why_not
        return {s: SmokeRun(s, (), outcome, detail) for s in sequences}
    memories = [m.limits for m in module.all_memories]
    box = {"fuel": limits.FUEL, "max_calls": limits.MAX_HOST_CALLS,
           "memory_bytes": limits.MEMORY_LIMIT // max(1, len(memories)),
           "address_space": limits.CHILD_ADDRESS_SPACE, "cpu_seconds": limits.CHILD_CPU_SECONDS}
    header = {"sequences": [list(s) for s in sequences], "limits": box}
    lines, ended = run_child("compatcheck.smoke.child",
                             json.dumps(header).encode() + b"\n" + module.data)
    return _results(sequences, lines, ended)


def _not_runnable(module) -> tuple[str, str] | None:
    """Deterministic reasons not to start a run at all: (outcome, detail)."""
    if sum(module.code_sizes) > limits.MAX_CODE_BYTES:
        return "not-run", f"module too large for a smoke run (over {limits.MAX_CODE_BYTES >> 20} " \
                          "MiB of code)"
    if len(module.code_sizes) > limits.MAX_FUNCTIONS:
        return "not-run", f"module too large for a smoke run (over {limits.MAX_FUNCTIONS:,} " \
                          "functions)"
    for imp in module.imports:
        if imp.kind == "func" and any(t not in ("i32", "i64", "f32", "f64")
                                      for t in imp.type.params + imp.type.results):
            return "not-run", f"cannot stub {imp.qualified_name}"
        if imp.kind in ("global", "tag"):
            return "not-run", f"cannot stub {imp.kind} imports"
        if imp.kind == "memory" and imp.type.limits.shared:
            return "not-run", "cannot provide an imported shared memory"
    memories = [m.limits for m in module.all_memories]
    declared = sum(m.minimum for m in memories) * limits.PAGE
    if declared > limits.MEMORY_LIMIT:
        return "stopped", f"memory limit (the module declares {declared // limits.PAGE:,} " \
                          f"pages of initial memory; the cap is " \
                          f"{limits.MEMORY_LIMIT // limits.PAGE:,} pages)"
    share = limits.MEMORY_LIMIT // max(1, len(memories))
    for m in (x.limits for x in module.memories):
        # wasmtime's store limits do not govern shared memories: bound them by their type
        if m.shared and (m.maximum or 0) * limits.PAGE > share:
            return "stopped", f"memory limit (a shared memory may grow to " \
                              f"{((m.maximum or 0) * limits.PAGE) >> 20} MiB; the cap is " \
                              f"{share >> 20} MiB)"
    return None


def _child_env() -> dict:
    env = {k: v for k, v in os.environ.items() if k in ("PATH", "LANG", "LC_ALL", "HOME")}
    root = str(Path(__file__).resolve().parents[2])
    env["PYTHONPATH"] = os.pathsep.join([root, os.environ.get("PYTHONPATH", "")]).rstrip(os.pathsep)
    return env


def run_child(child: str, payload: bytes) -> tuple[list[dict], str]:
    """Run a sandbox child module (smoke or emulator) on the payload: (JSON lines it printed,
    how it ended: '' for a clean exit, else the limit)."""
    proc = subprocess.Popen([sys.executable, "-m", child],
                            stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, start_new_session=True, env=_child_env())
    ended = ""
    try:
        out, err = proc.communicate(payload, timeout=limits.WALL_SECONDS)
    except subprocess.TimeoutExpired:
        _kill_group(proc)
        out, err = proc.communicate()
        ended = f"wall-clock backstop ({limits.WALL_SECONDS:.0f} s)"
    except BaseException:
        _kill_group(proc)
        proc.wait()
        raise
    if not ended and proc.returncode != 0:
        ended = _how_it_died(proc.returncode, err)
    lines = []
    for raw in out.splitlines():
        try:
            lines.append(json.loads(raw))
        except ValueError:
            break  # cut off mid-line by a kill
    return lines, ended


def _kill_group(proc) -> None:
    try:
        os.killpg(proc.pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass


def _how_it_died(returncode: int, err: bytes) -> str:
    if returncode == -signal.SIGXCPU or returncode == -signal.SIGKILL:
        return f"CPU time backstop ({limits.CHILD_CPU_SECONDS} s)"
    text = err.decode("utf-8", "replace")
    if "MemoryError" in text or "memory allocation" in text or returncode == -signal.SIGABRT:
        return f"memory backstop ({limits.CHILD_ADDRESS_SPACE >> 20} MiB address space)"
    last = next((ln for ln in reversed(text.strip().splitlines()) if ln.strip()), "")
    return f"the sandbox process failed (exit {returncode}: {last[:160]})"


def _results(sequences, lines: list[dict], ended: str) -> dict:
    head = lines[0] if lines else {}
    runs = {tuple(x["sequence"]): x for x in lines[1:] if "sequence" in x}
    out = {}
    for s in sequences:
        x = runs.get(s)
        if x is not None:
            out[s] = SmokeRun(s, tuple((a, b) for a, b in x["calls"]), x["outcome"], x["detail"])
        elif head.get("compile") == "failed":
            out[s] = SmokeRun(s, (), "not-run", f"wasmtime cannot compile it: {head['detail']}")
        elif head.get("compile") == "stopped":
            out[s] = SmokeRun(s, (), "stopped", head["detail"])
        else:
            stage = "while running" if head.get("compile") == "ok" else "while compiling"
            out[s] = SmokeRun(s, (), "stopped", f"{ended or 'the sandbox process ended'} "
                                                f"{stage}")
    return out
