"""The bounds of a smoke run, in one place (README "Smoke mode" documents them).

The verdict-deciding budgets are counted, not timed, so a busy machine gets the same answer as
an idle one: instructions (wasmtime fuel), host calls, memory pages. The OS limits on the child
process (address space, CPU seconds) and the wall-clock deadline are backstops against a runtime
or compiler that misbehaves; when one fires, the run says so and decides nothing.
"""

from __future__ import annotations

FUEL = 200_000_000  # wasmtime fuel (about one unit per instruction), per start-up sequence
MAX_HOST_CALLS = 200_000  # calls into the recording stubs, per sequence
MEMORY_LIMIT = 1 << 30  # bytes of linear memory, across all of a module's memories
TABLE_ELEMENTS = 1_000_000
MAX_CODE_BYTES = 8 << 20  # larger modules are not compiled for a smoke run
MAX_FUNCTIONS = 200_000  # likewise: compile time and memory grow with the function count

# Backstops (the child is one process per module; its compile time counts).
CHILD_ADDRESS_SPACE = 3 << 30  # RLIMIT_AS: Python + wasmtime + compiled code + MEMORY_LIMIT
CHILD_CPU_SECONDS = 120  # RLIMIT_CPU
WALL_SECONDS = 300.0  # the parent kills the child's process group after this

PAGE = 65536


def describe() -> str:
    return (f"{FUEL:,} instructions and {MAX_HOST_CALLS:,} host calls per start-up sequence, "
            f"{MEMORY_LIMIT >> 20} MiB of linear memory in all, modules up to "
            f"{MAX_CODE_BYTES >> 20} MiB of code and {MAX_FUNCTIONS:,} functions; backstops: "
            f"{CHILD_ADDRESS_SPACE >> 30} GiB address space, {CHILD_CPU_SECONDS} s CPU, "
            f"{WALL_SECONDS:.0f} s wall clock")
