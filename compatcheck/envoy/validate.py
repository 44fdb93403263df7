"""`envoy --mode validate` on one module: loads it fully, opens no port, prints the host's error."""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import tempfile
from ..record import record

_LINE = re.compile(r"^\[[^\]]*\]\[\d+\]\[(\w+)\]\[(\w+)\] (?:\[([^\]]+)\] )?(.*)$")
_BOILERPLATE = ("Plugin ", "error initializing configuration", "Unable to create Wasm",
                "Plugin configured to fail closed")
_FAILSTATE_PREFIX = "Wasm VM failed "


@record(uncompared=("output",))
class EnvoyOutcome:
    status: str  # loaded | refused | crashed | timeout | error
    exit_code: int | None
    signal_name: str | None
    messages: tuple[str, ...]  # Wasm-related warning/error lines, in order, prefixes removed
    command: tuple[str, ...]
    output: str = ""

    @property
    def first_error(self) -> str | None:
        return self.messages[0] if self.messages else None

    def json(self) -> dict:
        return {"status": self.status, "exit_code": self.exit_code, "signal": self.signal_name,
                "first_error": self.first_error, "messages": list(self.messages)}


def _config(wasm_path: str, runtime: str, plugin_config: str | None) -> dict:
    wasm_cfg: dict = {
        "name": "compatcheck",
        "root_id": "",
        "vm_config": {"vm_id": "compatcheck", "runtime": runtime,
                      "code": {"local": {"filename": wasm_path}}},
    }
    if plugin_config is not None:
        wasm_cfg["configuration"] = {"@type": "type.googleapis.com/google.protobuf.StringValue",
                                     "value": plugin_config}
    return {"static_resources": {"listeners": [{
        "name": "compatcheck",
        "address": {"socket_address": {"address": "127.0.0.1", "port_value": 0}},
        "filter_chains": [{"filters": [{
            "name": "envoy.filters.network.http_connection_manager",
            "typed_config": {
                "@type": "type.googleapis.com/envoy.extensions.filters.network."
                         "http_connection_manager.v3.HttpConnectionManager",
                "stat_prefix": "compatcheck",
                "route_config": {"name": "r", "virtual_hosts": [{
                    "name": "vh", "domains": ["*"],
                    "routes": [{"match": {"prefix": "/"}, "direct_response": {"status": 200}}]}]},
                "http_filters": [
                    {"name": "envoy.filters.http.wasm",
                     "typed_config": {"@type": "type.googleapis.com/envoy.extensions.filters."
                                               "http.wasm.v3.Wasm", "config": wasm_cfg}},
                    {"name": "envoy.filters.http.router",
                     "typed_config": {"@type": "type.googleapis.com/envoy.extensions.filters."
                                               "http.router.v3.Router"}},
                ]}}]}]}]}}


def _messages(output: str) -> tuple[str, ...]:
    out = []
    for line in output.splitlines():
        m = _LINE.match(line)
        if m is None:
            # V8 prints a start-section trap and fatal errors raw.
            text = line.strip()
            if text.startswith(("wasm://", "# Fatal error", "Caught ")):
                out.append(text)
            continue
        level, component, _src, msg = m.groups()
        if level not in ("warning", "error", "critical") or component not in ("wasm", "main"):
            continue
        if msg.startswith(_BOILERPLATE):
            continue
        if msg.startswith(_FAILSTATE_PREFIX):
            msg = msg[len(_FAILSTATE_PREFIX):]
        out.append(msg)
    return tuple(out)


def run_validate(envoy: str, wasm_path: str, runtime: str = "envoy.wasm.runtime.v8",
                 plugin_config: str | None = None, timeout: float = 60.0) -> EnvoyOutcome:
    """Run one validate pass. Nothing but loopback is configured; temp files are removed."""
    with tempfile.TemporaryDirectory(prefix="compatcheck-envoy-") as tmp:
        cfg_path = os.path.join(tmp, "validate.json")
        with open(cfg_path, "w", encoding="utf-8") as fh:
            json.dump(_config(os.path.abspath(wasm_path), runtime, plugin_config), fh)
        cmd = (envoy, "--mode", "validate", "-c", cfg_path, "--concurrency", "1",
               "--log-level", "warning", "--base-id-path", os.path.join(tmp, "base-id"),
               "--disable-hot-restart")
        try:
            proc = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                                  timeout=timeout, cwd=tmp, stdin=subprocess.DEVNULL)
        except subprocess.TimeoutExpired as exc:
            text = (exc.stdout or b"").decode("utf-8", "replace")
            return EnvoyOutcome("timeout", None, None, _messages(text), cmd, text)
        except OSError as exc:
            return EnvoyOutcome("error", None, None, (f"cannot run {envoy}: {exc}",), cmd, "")
    text = proc.stdout.decode("utf-8", "replace")
    rc = proc.returncode
    if rc < 0:
        name = signal.Signals(-rc).name if -rc in signal.Signals._value2member_map_ else str(-rc)
        return EnvoyOutcome("crashed", rc, name, _messages(text), cmd, text)
    status = "loaded" if rc == 0 else "refused"
    return EnvoyOutcome(status, rc, None, _messages(text), cmd, text)


def envoy_version(envoy: str) -> str | None:
    """The build's version string, e.g. 'dc2d30.../1.36.2/Clean/RELEASE/BoringSSL'."""
    try:
        proc = subprocess.run([envoy, "--version"], stdout=subprocess.PIPE,
                              stderr=subprocess.STDOUT, timeout=30, stdin=subprocess.DEVNULL)
    except (OSError, subprocess.TimeoutExpired):
        return None
    m = re.search(r"version: (\S+)", proc.stdout.decode("utf-8", "replace"))
    return m.group(1) if m else None
