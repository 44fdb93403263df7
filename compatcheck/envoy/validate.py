"""`envoy --mode validate` on one module: loads it fully, opens no port, prints the host's error."""

from __future__ import annotations

import json
import os
import re
import signal
import tempfile
import threading

from ..record import record
from .bootstrap import listener, wasm_filter
from .process import CannotRun, RunError, run, sigterm_raises

_LINE = re.compile(r"^\[[^\]]*\]\[\d+\]\[(\w+)\]\[(\w+)\] (?:\[([^\]]+)\] )?(.*)$")
_BOILERPLATE = ("Plugin ", "error initializing configuration", "Unable to create Wasm",
                "Plugin configured to fail closed")
_FAILSTATE_PREFIX = "Wasm VM failed "
_VERSION = re.compile(r"version: (\S+/\d+\.\d+\S*)")  # <commit>/<number>/<state>/<mode>/<ssl>
ANSWER_TIMEOUT = 30.0  # seconds an Envoy gets to answer --version (real ones take < 1 s)


class EnvoyError(RuntimeError):
    """The binary cannot be run or is not an Envoy that answers (the CLI's exit 2)."""


@record(uncompared=("output",))
class EnvoyOutcome:
    status: str  # loaded | refused | crashed | timeout | error (timeout, error: undecided)
    exit_code: int | None
    signal_name: str | None
    messages: tuple[str, ...]  # Wasm-related warning/error lines, in order, prefixes removed
    command: tuple[str, ...]
    output: str = ""
    detail: str = ""  # why a timeout or error outcome decides nothing, in one line

    @property
    def first_error(self) -> str | None:
        return self.messages[0] if self.messages else None

    def json(self) -> dict:
        return {"status": self.status, "exit_code": self.exit_code, "signal": self.signal_name,
                "first_error": self.first_error, "messages": list(self.messages)}


def _config(wasm_path: str, runtime: str, plugin_config: str | None) -> dict:
    wasm = wasm_filter(wasm_path, runtime, plugin_config=plugin_config)
    return {"static_resources": {"listeners": [
        listener("compatcheck", {"direct_response": {"status": 200}}, [wasm])]}}


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


def resolve(envoy: str) -> str:
    """Absolute path of the file named: never a PATH look-up, and valid under another cwd."""
    path = os.path.abspath(envoy)
    if not os.path.isfile(path):
        raise EnvoyError("no such file" if not os.path.exists(path) else "not a file")
    return path


def run_validate(envoy: str, wasm_path: str, runtime: str = "envoy.wasm.runtime.v8",
                 plugin_config: str | None = None, timeout: float = 60.0,
                 stop: threading.Event | None = None) -> EnvoyOutcome:
    """Run one validate pass. Nothing but loopback is configured; temp files are removed.

    Output that is not Envoy's gives status "error"; `stop` (see process.stop_all) ends the run.
    """
    try:
        binary = resolve(envoy)
    except EnvoyError as exc:
        return EnvoyOutcome("error", None, None, (f"{envoy}: {exc}",), (envoy,), "", str(exc))
    with sigterm_raises(), tempfile.TemporaryDirectory(prefix="compatcheck-envoy-") as tmp:
        cfg_path = os.path.join(tmp, "validate.json")
        with open(cfg_path, "w", encoding="utf-8") as fh:
            json.dump(_config(os.path.abspath(wasm_path), runtime, plugin_config), fh)
        cmd = (binary, "--mode", "validate", "-c", cfg_path, "--concurrency", "1",
               "--log-level", "warning", "--base-id-path", os.path.join(tmp, "base-id"),
               "--disable-hot-restart")
        try:
            rc, text = run(cmd, timeout, cwd=tmp, stop=stop)
        except RunError as exc:
            return EnvoyOutcome("error", None, None, (f"{envoy}: {exc}",), cmd, "", str(exc))
    return _outcome(cmd, rc, text, cfg_path, timeout)


def _outcome(cmd: tuple[str, ...], rc: int | None, text: str, cfg_path: str,
             timeout: float) -> EnvoyOutcome:
    messages = _messages(text)
    if rc is None:
        return EnvoyOutcome("timeout", None, None, messages, cmd, text,
                            f"the validate run gave no answer in {timeout:g} s (undecided)")
    if rc < 0:
        name = signal.Signals(-rc).name if -rc in signal.Signals._value2member_map_ else str(-rc)
        return EnvoyOutcome("crashed", rc, name, messages, cmd, text)
    # Envoy says "configuration '<file>' OK" when it accepts; it refuses in its log format.
    if rc == 0 and f"configuration '{cfg_path}' OK" in text:
        return EnvoyOutcome("loaded", rc, None, messages, cmd, text)
    if rc != 0 and (messages or any(_LINE.match(line) for line in text.splitlines())):
        return EnvoyOutcome("refused", rc, None, messages, cmd, text)
    why = f"not an Envoy that answers: the validate run gave no Envoy outcome (exit {rc}{_excerpt(text)})"
    return EnvoyOutcome("error", rc, None, (f"{cmd[0]}: {why}",), cmd, text, why)


def _excerpt(text: str) -> str:
    line = next((ln.strip() for ln in text.splitlines() if ln.strip()), "")
    if not line:
        return ", no output"
    return ": " + repr(line[:60] + ("..." if len(line) > 60 else ""))


def identify(envoy: str, timeout: float | None = None) -> str:
    """The version string of an Envoy that answers `--version`, else EnvoyError saying why.

    `timeout` is capped at ANSWER_TIMEOUT: whatever takes longer is not an Envoy that answers.
    """
    limit = ANSWER_TIMEOUT if timeout is None else min(timeout, ANSWER_TIMEOUT)
    binary = resolve(envoy)
    try:
        rc, text = run((binary, "--version"), limit)
    except CannotRun as exc:
        raise EnvoyError(str(exc)) from None
    except RunError as exc:
        raise EnvoyError(f"not an Envoy that answers: --version {exc}") from None
    m = _VERSION.search(text)
    if m:
        return m.group(1)
    if rc is None and not text.strip():
        why = f"--version gave no output in {limit:g} s"
    elif rc is None:
        why = f"--version printed no Envoy version in {limit:g} s{_excerpt(text)}"
    else:
        why = f"--version printed no Envoy version (exit {rc}{_excerpt(text)})"
    raise EnvoyError(f"not an Envoy that answers: {why}")


def envoy_version(envoy: str) -> str | None:
    """The build's version string, e.g. 'dc2d30.../1.36.2/Clean/RELEASE/BoringSSL'."""
    try:
        return identify(envoy)
    except EnvoyError:
        return None
