"""Judges: real hosts that decide what a prediction only claims.

A judge starts a host binary on a module with a configuration, bounded in time, collects its
lines and classifies the outcome (loaded, refused, crashed, or undecided: timeout, error).
`confirm` and `probe` use the Envoy judge (validate mode); the serving judge (envoy/serve.py)
starts the same binary on a listener. A second judge (a locally built cpp-host, another host)
implements the same two methods.
"""

from __future__ import annotations

import threading
from typing import Protocol

from .validate import EnvoyOutcome, identify, run_validate


class Judge(Protocol):
    binary: str

    def identify(self, timeout: float | None = None) -> str:
        """The host's version string; EnvoyError when it is not a host that answers."""
        ...

    def load(self, wasm_path: str, runtime: str, plugin_config: str | None = None,
             timeout: float = 60.0, stop: threading.Event | None = None) -> EnvoyOutcome:
        """Load the module fully, as the host does at deploy time, and say what happened."""
        ...


class EnvoyJudge:
    """Envoy in validate mode: loads the filter fully, opens no port."""

    def __init__(self, binary: str):
        self.binary = binary

    def identify(self, timeout: float | None = None) -> str:
        return identify(self.binary, timeout)

    def load(self, wasm_path: str, runtime: str = "envoy.wasm.runtime.v8",
             plugin_config: str | None = None, timeout: float = 60.0,
             stop: threading.Event | None = None) -> EnvoyOutcome:
        return run_validate(self.binary, wasm_path, runtime, plugin_config, timeout, stop)
