#!/usr/bin/env python3
"""Run one Proxy-Wasm filter in a locally built nginx + Kong/ngx_wasm_module and report.

    kong_nginx.py --nginx PATH [--timeout S] [--level info|debug] [--json] [--raw] FILTER.wasm

PATH is an nginx binary built with scripts/judges/build_kong_nginx.sh (or any nginx with
ngx_wasm_module compiled in). The filter is loaded as `wasm { module filter FILE; }` and
attached as `location / { proxy_wasm filter; return 200; }` on a free loopback port, nginx
runs in the foreground (daemon off; master_process off) in a temporary prefix, one GET / is
sent, and nginx is killed (SIGKILL after the timeout at the latest).

The first line printed is the outcome:
    load-failed       nginx refused the module (it exited by itself, at start-up or when
                      its worker instantiated the module)
    request-failed    nginx started but the request did not answer 200 (status or error given)
    ok                nginx started and the request answered 200
    crashed           nginx died of a signal (SIGSEGV, SIGABRT) at start-up or on the request
    timeout           nginx neither listened nor exited within the timeout
then the host's own lines from the error log at [emerg]/[alert]/[crit]/[error]/[warn], its
[notice]/[info] lines about Wasm (the filter's proxy_log lines among them), and what nginx
wrote to stderr (a failed assertion); a message of several lines is one, joined by " | ".
--json prints one JSON object {"outcome", "status", "detail", "lines"} instead; --raw adds the
whole error log. Exit code: 0 once nginx ran, whatever the outcome; 2 for bad usage.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import re
import signal
import socket
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

CONF = """\
daemon off;
master_process off;
worker_processes 1;
error_log {log} {level};
pid {prefix}/nginx.pid;
events {{ worker_connections 64; }}
wasm {{
    module filter {module};
}}
http {{
    access_log off;
    client_body_temp_path {prefix}/tmp;
    server {{
        listen 127.0.0.1:{port};
        location / {{
            proxy_wasm filter;
            return 200;
        }}
    }}
}}
"""

# An error-log line: "2026/11/30 10:00:00 [error] 123#0: *1 [wasm] message, client: ..."
LINE = re.compile(r"^\d{4}/\d\d/\d\d \d\d:\d\d:\d\d \[(\w+)\] \d+#\d+: (?:\*\d+ )?(.*)$")
KEPT_LEVELS = ("emerg", "alert", "crit", "error", "warn")


@dataclass
class Outcome:
    outcome: str
    status: int | None = None
    detail: str = ""
    lines: list[str] = field(default_factory=list)
    raw: str = ""  # the whole error log and nginx's own output

    def text(self) -> str:
        head = self.outcome
        if self.status is not None:
            head += f" (HTTP {self.status})"
        if self.detail:
            head += f" ({self.detail})"
        return "\n".join([head, *self.lines])


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def host_lines(log_text: str) -> list[str]:
    """The host's own lines (level and message, no time/pid/connection/client suffix).

    A message that spans several lines (wasmtime's "error while executing at wasm backtrace:"
    then the frames, then "Caused by:" and the trap) is kept whole, its lines joined by " | ".
    """
    out: list[str] = []
    keep = False
    for raw in log_text.splitlines():
        m = LINE.match(raw)
        if not m:
            if keep and out and raw.strip():
                out[-1] += " | " + raw.strip()
            continue
        level, msg = m.groups()
        keep = level in KEPT_LEVELS or (level in ("notice", "info") and "wasm" in msg)
        if keep:
            msg = re.sub(r", client: .*$", "", msg)
            out.append(f"[{level}] {msg}")
    return out


def _wait_listening(port: int, proc: subprocess.Popen, deadline: float) -> bool:
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            return False
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                return True
        except OSError:
            time.sleep(0.05)
    return False


def run(nginx: str, module: str | os.PathLike, timeout: float = 20.0, level: str = "info",
        path: str = "/") -> Outcome:
    module = Path(module).resolve()
    with tempfile.TemporaryDirectory(prefix="kong-judge-") as prefix:
        os.makedirs(f"{prefix}/logs")
        os.makedirs(f"{prefix}/tmp")
        log = f"{prefix}/logs/error.log"
        port = _free_port()
        conf = f"{prefix}/nginx.conf"
        Path(conf).write_text(CONF.format(log=log, level=level, prefix=prefix, module=module,
                                          port=port))
        deadline = time.monotonic() + timeout
        proc = subprocess.Popen([nginx, "-p", prefix, "-c", conf], stdin=subprocess.DEVNULL,
                                stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                                start_new_session=True)
        status = None
        detail = ""
        try:
            listening = _wait_listening(port, proc, deadline)
            if listening:
                try:
                    c = http.client.HTTPConnection("127.0.0.1", port,
                                                   timeout=max(1.0, deadline - time.monotonic()))
                    c.request("GET", path)
                    status = c.getresponse().status
                    c.close()
                except (OSError, http.client.HTTPException) as e:
                    detail = f"{type(e).__name__}: {e}"
                time.sleep(0.3)  # let the log lines of the request's end be written
        finally:
            if proc.poll() is None:
                os.killpg(proc.pid, signal.SIGKILL)
                exited = None
            else:
                exited = proc.returncode
            try:
                out_b, _ = proc.communicate(timeout=10)
            except subprocess.TimeoutExpired:
                out_b = b""
        out = out_b.decode(errors="replace")
        text = Path(log).read_text(errors="replace") if Path(log).exists() else ""
        lines = host_lines(text)
        # nginx repeats start-up errors on stderr ("nginx: [emerg] ..."); a failed C assertion
        # or another message of the process itself only shows there
        entries: list[str] = []
        for raw in out.splitlines():
            if raw.startswith("nginx: ") or not entries:
                entries.append(raw[7:] if raw.startswith("nginx: ") else raw)
            elif raw.strip():
                entries[-1] += " | " + raw.strip()
        for body in entries:
            if body.strip() and not any(body in line for line in lines):
                lines.append(body if body.startswith("[") else f"[stderr] {body}")
        if exited is not None and exited < 0:
            outcome = "crashed"
            detail = f"nginx killed by signal {-exited} ({signal.Signals(-exited).name})"
        elif exited is not None:
            outcome, detail = "load-failed", f"nginx exited with {exited}"
        elif not listening:
            outcome, detail = "timeout", f"no listener within {timeout:g}s"
        elif status == 200:
            outcome = "ok"
        else:
            outcome = "request-failed"
        return Outcome(outcome, status, detail, lines, text + out)


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--nginx", default=os.environ.get("COMPATCHECK_KONG_NGINX"),
                   help="the built nginx binary (default: $COMPATCHECK_KONG_NGINX)")
    p.add_argument("--timeout", type=float, default=20.0)
    p.add_argument("--level", default="info", choices=["debug", "info", "notice", "warn"])
    p.add_argument("--json", action="store_true")
    p.add_argument("--raw", action="store_true", help="print the whole error log as well")
    p.add_argument("filter")
    a = p.parse_args(argv)
    if not a.nginx:
        p.error("--nginx or COMPATCHECK_KONG_NGINX is required")
    r = run(a.nginx, a.filter, a.timeout, a.level)
    if a.json:
        print(json.dumps({"outcome": r.outcome, "status": r.status, "detail": r.detail,
                          "lines": r.lines}, indent=1))
    else:
        print(r.text())
    if a.raw:
        print("--- error log ---\n" + r.raw)
    return 0


if __name__ == "__main__":
    sys.exit(main())
