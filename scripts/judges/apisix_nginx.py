#!/usr/bin/env python3
"""Run one Proxy-Wasm module in a locally built APISIX wasm-nginx-module host; print the outcome.

The host is nginx with lua-nginx-module and api7/wasm-nginx-module (built as a dynamic module
by scripts/judges/build_apisix_nginx.sh, outside the repository). The module is driven the way
APISIX and the module's own t/*.t tests drive it, from Lua (lib/resty/proxy-wasm.lua, FFI):

    wasm.load(name, path)                 -> "load-failed" when it returns nil
    wasm.on_configure(plugin, conf)       -> "configure-failed" when it returns nil
    wasm.on_http_request_headers(ctx)     -> "request-failed" when it returns nil,
                                             "local-response <status>" when the filter answers,
                                             "served" otherwise

One nginx (daemon off, master_process off, temporary prefix, loopback port) serves one request
and is then killed (also on timeout): "timeout" if no answer came, "crashed" if nginx died.
Printed: the one-line outcome, then the host's error.log lines at info level and above that
come from the module or the filter (the nginx start-up notices are left out).

Usage:
    scripts/judges/apisix_nginx.py FILTER.wasm [--conf TEXT] [--json] [--all-lines]
        [--nginx PATH] [--wasm-module PATH] [--lua-lib DIR] [--modules-dir DIR] [--timeout S]

Defaults come from the environment (see build_apisix_nginx.sh, which prints them):
    COMPATCHECK_APISIX_NGINX        the nginx binary (Debian bookworm's /usr/sbin/nginx 1.22.1)
    COMPATCHECK_APISIX_MODULE       the built ngx_http_wasm_module.so
    COMPATCHECK_APISIX_LUA_LIB      Lua directories, ':'-separated: the wasm-nginx-module checkout's
                                    lib/ (resty/proxy-wasm.lua) and lua-resty-http's lib/
                                    (resty/http.lua, not packaged by Debian); lua-resty-core
                                    comes from Debian's default path
    COMPATCHECK_APISIX_MODULES_DIR  where ngx_http_lua_module.so and ndk_http_module.so are
                                    (default /usr/lib/nginx/modules)
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from dataclasses import asdict, dataclass, field
from pathlib import Path

# error.log line: "2024/01/01 00:00:00 [error] 123#0: *1 message, client: ..., server: ..."
_LINE = re.compile(r"^\d{4}/\d\d/\d\d \d\d:\d\d:\d\d \[(\w+)\] \d+#\d+: (?:\*\d+ )?(.*)$")
_CONTEXT = re.compile(r", (?:client|server|request|host|subrequest|upstream): .*$")
_LEVELS = ["debug", "info", "notice", "warn", "error", "crit", "alert", "emerg"]
# nginx's own start-up and shutdown notices, not the module's or the filter's
_NGINX_NOISE = re.compile(
    r"^(using the \"|nginx/|built by|OS: |getrlimit|start worker|signal |exiting|exit$|"
    r"init wasm vm|cleanup wasm vm|client closed connection while waiting for request|"
    r"\[lua\] |lua ngx\.|http file cache|client \d|"
    r"\w+\(\) failed \(\d+: .*(?:Resource temporarily|Connection reset))")


@dataclass
class Outcome:
    outcome: str
    lines: list[str] = field(default_factory=list)  # "[level] message", context stripped
    body: str = ""

    def as_text(self) -> str:
        return "\n".join([self.outcome, *("  " + x for x in self.lines)])


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _lua_quote(text: str) -> str:
    return "[==[" + text + "]==]"


def _config(prefix: Path, port: int, wasm: Path, conf: str, wasm_module: Path,
            lua_lib: list[Path], modules_dir: Path, level: str) -> str:
    lua = f'''
        local wasm = require("resty.proxy-wasm")
        local plugin, err = wasm.load("probe", {_lua_quote(str(wasm))})
        if not plugin then
            ngx.say("OUTCOME load-failed ", err)
            return
        end
        local ctx, err = wasm.on_configure(plugin, {_lua_quote(conf)})
        if not ctx then
            ngx.say("OUTCOME configure-failed ", err)
            return
        end
        local ok, err = wasm.on_http_request_headers(ctx)
        if not ok then
            ngx.say("OUTCOME request-failed ", err)
            return
        end
        ngx.say("OUTCOME served")
    '''
    temp = "\n".join(f"    {k}_temp_path {prefix}/{k};"
                     for k in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi"))
    return f'''
daemon off;
master_process off;
worker_processes 1;
error_log {prefix}/error.log {level};
pid {prefix}/nginx.pid;
load_module {modules_dir}/ndk_http_module.so;
load_module {modules_dir}/ngx_http_lua_module.so;
load_module {wasm_module};
events {{ worker_connections 64; }}
http {{
    access_log off;
{temp}
    lua_package_path "{"".join(f"{d}/?.lua;" for d in lua_lib)};";
    wasm_vm wasmtime;
    server {{
        listen 127.0.0.1:{port};
        location /t {{
            content_by_lua_block {{
{lua}
            }}
        }}
    }}
}}
'''


def _host_lines(log: str, all_lines: bool) -> list[str]:
    out = []
    for raw in log.splitlines():
        m = _LINE.match(raw)
        if not m:
            if out and raw and not all_lines:
                continue
            if all_lines and raw:
                out.append(raw)
            continue
        level, text = m.groups()
        text = _CONTEXT.sub("", text)
        if not all_lines:
            if level == "debug" or _NGINX_NOISE.match(text):
                continue
        out.append(f"[{level}] {text}")
    return out


def _settle(log: Path, proc: subprocess.Popen, quiet: float = 0.3, limit: float = 3.0) -> None:
    end, size, since = time.monotonic() + limit, -1, time.monotonic()
    while time.monotonic() < end and proc.poll() is None:
        now = log.stat().st_size if log.exists() else 0
        if now != size:
            size, since = now, time.monotonic()
        elif time.monotonic() - since >= quiet:
            return
        time.sleep(0.05)


def run(wasm: Path, *, nginx: str, wasm_module: str, lua_lib: str,
        modules_dir: str = "/usr/lib/nginx/modules", conf: str = "{}", timeout: float = 30.0,
        all_lines: bool = False, level: str = "info") -> Outcome:
    wasm = Path(wasm).resolve()
    prefix = Path(tempfile.mkdtemp(prefix="apisix-judge-"))
    proc = None
    try:
        for k in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi", "logs"):
            (prefix / k).mkdir()
        port = _free_port()
        (prefix / "nginx.conf").write_text(_config(
            prefix, port, wasm, conf, Path(wasm_module).resolve(),
            [Path(d).resolve() for d in lua_lib.split(os.pathsep) if d],
            Path(modules_dir), level))
        proc = subprocess.Popen(
            [nginx, "-p", str(prefix), "-c", str(prefix / "nginx.conf")],
            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, start_new_session=True)
        deadline = time.monotonic() + timeout
        body, outcome = "", None
        while time.monotonic() < deadline:
            if proc.poll() is not None:
                break
            try:
                with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                    break
            except OSError:
                time.sleep(0.05)
        if proc.poll() is None:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/t",
                                            timeout=max(1.0, deadline - time.monotonic())) as r:
                    body = r.read().decode("utf-8", "replace")
                    status = r.status
            except urllib.error.HTTPError as e:
                body = e.read().decode("utf-8", "replace")
                status = e.code
            except (OSError, TimeoutError):
                status = None
            if status is None:
                outcome = "crashed" if proc.poll() is not None else "timeout"
            else:
                m = re.search(r"^OUTCOME (.*)$", body, re.M)
                if m:
                    outcome = m.group(1).strip()
                elif status >= 500 and "OUTCOME" not in body:
                    # content_by_lua raised, or the worker answered 500 itself
                    outcome = f"http-{status}"
                else:
                    outcome = f"local-response {status}"
            # the request's clean-up lines (free http context ...) come after the answer:
            # wait until error.log stops growing (at most 3 s)
            _settle(prefix / "error.log", proc)
        else:
            outcome = "nginx-exited"
    finally:
        if proc is not None and proc.poll() is None:
            try:
                os.killpg(proc.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
            proc.wait(timeout=10)
        if proc is not None and proc.returncode not in (None, 0) and outcome is None:
            outcome = "crashed"
        log = (prefix / "error.log").read_text("utf-8", "replace") \
            if (prefix / "error.log").exists() else ""
        stderr = proc.stderr.read().decode("utf-8", "replace") if proc and proc.stderr else ""
        if proc and proc.stderr:
            proc.stderr.close()
        shutil.rmtree(prefix, ignore_errors=True)
    lines = _host_lines(log + ("\n" + stderr if outcome == "nginx-exited" else ""), all_lines)
    if outcome == "nginx-exited" and stderr.strip():
        lines.append(stderr.strip())
    return Outcome(outcome or "unknown", lines, body)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("wasm", type=Path)
    ap.add_argument("--conf", default="{}", help="plugin configuration (default '{}')")
    ap.add_argument("--nginx", default=os.environ.get("COMPATCHECK_APISIX_NGINX"))
    ap.add_argument("--wasm-module", default=os.environ.get("COMPATCHECK_APISIX_MODULE"))
    ap.add_argument("--lua-lib", default=os.environ.get("COMPATCHECK_APISIX_LUA_LIB"))
    ap.add_argument("--modules-dir", default=os.environ.get(
        "COMPATCHECK_APISIX_MODULES_DIR", "/usr/lib/nginx/modules"))
    ap.add_argument("--timeout", type=float, default=30.0)
    ap.add_argument("--json", action="store_true")
    ap.add_argument("--all-lines", action="store_true", help="keep every error.log line")
    ap.add_argument("--level", default="info", choices=_LEVELS)
    a = ap.parse_args(argv)
    missing = [n for n in ("nginx", "wasm_module", "lua_lib") if not getattr(a, n)]
    if missing:
        ap.error("missing " + ", ".join("--" + m.replace("_", "-") for m in missing)
                 + " (or the COMPATCHECK_APISIX_* environment variables)")
    res = run(a.wasm, nginx=a.nginx, wasm_module=a.wasm_module, lua_lib=a.lua_lib,
              modules_dir=a.modules_dir, conf=a.conf, timeout=a.timeout,
              all_lines=a.all_lines, level=a.level)
    print(json.dumps(asdict(res), indent=1) if a.json else res.as_text())
    return 0


if __name__ == "__main__":
    sys.exit(main())
