"""The serving judge: a real Envoy answers a real request through the filter.

One Envoy per (module, request): it listens on 127.0.0.1 only, on ports the kernel picks (port
0, read back from the admin interface, itself on 127.0.0.1:0), routes to an upstream that is a
tiny Python HTTP server on loopback answering 200 with a fixed body, and is killed (its whole
process group, compatcheck.envoy.process) before serve() returns. One request is sent with
http.client; a second request to a probe listener without the filter follows it, so that the
filter's log, done and delete callbacks of the first stream have run (one worker thread,
--concurrency 1) before the log is read. Everything is bounded: one request, 10 s per HTTP
exchange, 60 s for Envoy to become ready.
"""

from __future__ import annotations

import http.client
import http.server
import json
import os
import re
import tempfile
import threading
import time
from typing import cast

from ..record import record
from . import process
from .validate import resolve
from .bootstrap import listener, wasm_filter

UPSTREAM_BODY = b"upstream says hello\n"
UPSTREAM_HEADERS = (("content-type", "text/plain"),)
READY_SECONDS = 60.0
HTTP_SECONDS = 10.0
MAX_LINGER = 5.0
_LINE = re.compile(r"^\[(trace|debug|info|warning|error|critical)\]\[(\w+)\] (.*)$")
_WASM_LOG = re.compile(r"^wasm log[^:]*: (.*)$", re.S)
_LEVELS = ("trace", "debug", "info", "warning", "error", "critical")


@record
class LogLine:
    level: str  # trace | debug | info | warn | error | critical (Proxy-Wasm's names)
    message: str

    def json(self) -> dict:
        return {"level": self.level, "message": self.message}


@record
class Reply:
    status: int | None  # None: no HTTP response (reset, timeout)
    headers: tuple[tuple[str, str], ...]
    body: bytes
    error: str = ""

    def header(self, name: str) -> str | None:
        return next((v for k, v in self.headers if k == name.lower()), None)

    def json(self) -> dict:
        return {"status": self.status, "headers": [list(h) for h in self.headers],
                "body": self.body.decode("utf-8", "replace"), "error": self.error}


@record
class Upstreamed:
    """A request as the upstream received it (the filter may have changed it)."""
    method: str
    path: str
    headers: tuple[tuple[str, str], ...]
    body: bytes


@record(uncompared=("output",))
class Served:
    status: str  # served | refused | crashed | error (error: decides nothing)
    detail: str
    startup_logs: tuple[LogLine, ...]  # the filter's log lines before the request
    request_logs: tuple[LogLine, ...]  # ... while the request ran
    messages: tuple[str, ...]  # Envoy's own warning/error lines about Wasm (VM failures)
    reply: Reply | None
    upstream: tuple[Upstreamed, ...]
    version: str = ""
    output: str = ""

    def json(self) -> dict:
        return {"status": self.status, "detail": self.detail, "version": self.version,
                "startup_logs": [x.json() for x in self.startup_logs],
                "request_logs": [x.json() for x in self.request_logs],
                "messages": list(self.messages),
                "reply": None if self.reply is None else self.reply.json(),
                "upstream": [{"method": u.method, "path": u.path, "headers": [list(h) for h in u.headers],
                              "body": u.body.decode("utf-8", "replace")} for u in self.upstream]}


@record
class ServeRequest:
    method: str = "GET"
    path: str = "/"
    headers: tuple[tuple[str, bytes], ...] = ()
    body: bytes = b""


def _upstream_server():
    seen: list[Upstreamed] = []

    class Handler(http.server.BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def _answer(self):
            length = int(self.headers.get("content-length") or 0)
            body = self.rfile.read(min(length, 1 << 20)) if length else b""
            seen.append(Upstreamed(self.command, self.path,
                                   tuple((k.lower(), v) for k, v in self.headers.items()), body))
            try:
                self.send_response_only(200)  # no Server or Date header: only what we say
                for k, v in UPSTREAM_HEADERS:
                    self.send_header(k, v)
                self.send_header("content-length", str(len(UPSTREAM_BODY)))
                self.end_headers()
                self.wfile.write(UPSTREAM_BODY)
            except OSError:
                pass  # the proxy went away (a reset stream)

        do_GET = do_POST = do_PUT = do_DELETE = do_PATCH = do_HEAD = _answer

        def log_message(self, *_args):
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    return server, seen


def config(wasm_path: str, upstream_port: int, root_id: str = "", vm_config: str | None = None,
           plugin_config: str | None = None) -> dict:
    """Admin, the filter's listener, a probe listener without it, and the `upstream` cluster."""
    wasm = wasm_filter(wasm_path, root_id=root_id, vm_config=vm_config,
                       plugin_config=plugin_config)
    return {
        "admin": {"address": {"socket_address": {"address": "127.0.0.1", "port_value": 0}}},
        "static_resources": {
            "listeners": [listener("main", {"route": {"cluster": "upstream", "timeout": "10s"}}, [wasm]),
                          listener("probe", {"direct_response": {"status": 204}}, [])],
            "clusters": [{"name": "upstream", "type": "STATIC", "connect_timeout": "5s",
                          "load_assignment": {"cluster_name": "upstream", "endpoints": [{
                              "lb_endpoints": [{"endpoint": {"address": {"socket_address": {
                                  "address": "127.0.0.1", "port_value": upstream_port}}}}]}]}}]}}


def serve(envoy: str, wasm_path: str, request: ServeRequest | None = None, *, root_id: str = "",
          vm_config: str | None = None, plugin_config: str | None = None,
          log_level: str = "info", linger: float = 0.0) -> Served:
    """Start Envoy with the filter, send `request` (None: start only), wait `linger` seconds
    (at most MAX_LINGER: for timers), stop Envoy."""
    try:
        binary = resolve(envoy)
    except Exception as exc:  # EnvoyError: not a file
        return Served("error", f"{envoy}: {exc}", (), (), (), None, ())
    server, seen = _upstream_server()
    try:
        with process.sigterm_raises(), tempfile.TemporaryDirectory(prefix="compatcheck-serve-") as tmp:
            cfg_path = os.path.join(tmp, "envoy.json")
            with open(cfg_path, "w", encoding="utf-8") as fh:
                json.dump(config(os.path.abspath(wasm_path), server.server_address[1], root_id,
                                 vm_config, plugin_config), fh)
            cmd = (binary, "-c", cfg_path, "--concurrency", "1", "--log-level", "warning",
                   "--component-log-level", f"wasm:{log_level}", "--log-format", "[%l][%n] %v",
                   "--admin-address-path", os.path.join(tmp, "admin"),
                   "--base-id-path", os.path.join(tmp, "base-id"), "--disable-hot-restart")
            with open(os.path.join(tmp, "envoy.log"), "w+b") as out:
                state, marks, reply = _run(cmd, tmp, out, request, min(linger, MAX_LINGER))
                out.seek(0)
                raw = out.read(process.MAX_OUTPUT)
    finally:
        server.shutdown()
        server.server_close()
    return _served(state, marks, reply, raw, tuple(seen))


def _run(cmd, tmp: str, out, request, linger: float):
    """(state, (startup end, request end) offsets into the log, reply); Envoy is dead after."""
    proc, state, marks, reply = None, "error", (0, 0), None
    try:
        with process._signals_held():
            proc = process._start(cmd, tmp, out, None)
        state, ports = _wait_ready(proc, os.path.join(tmp, "admin"))
        if state == "served":
            start = os.fstat(out.fileno()).st_size
            reply = _send(ports["main"], request) if request is not None else None
            time.sleep(linger)
            if request is not None or linger:
                _send(ports["probe"], ServeRequest())  # the first stream is done once this is
            marks = (start, os.fstat(out.fileno()).st_size)
    except process.RunError as exc:
        state = f"error: {exc}"
    finally:
        if proc is not None:
            process._end(proc, grace=process.GRACE)
    if state == "exited":
        assert proc is not None  # "exited" comes from _wait_ready(proc, ...)
        state = "crashed" if proc.returncode < 0 else "refused"
    return state, marks, reply


def _wait_ready(proc, admin_file: str):
    """('served', ports) once the listeners are up; ('exited', {}) when Envoy ended first."""
    import urllib.request

    deadline = time.monotonic() + READY_SECONDS
    while time.monotonic() < deadline:
        if process._exited(proc):
            return "exited", {}
        try:
            with open(admin_file, encoding="utf-8") as fh:
                admin = fh.read().strip()
            if admin:
                with urllib.request.urlopen(f"http://{admin}/ready", timeout=2) as r:
                    if r.read().strip() == b"LIVE":
                        with urllib.request.urlopen(f"http://{admin}/listeners?format=json",
                                                    timeout=2) as lr:
                            return "served", _ports(json.load(lr))
        except (OSError, ValueError):
            pass
        time.sleep(0.05)
    return f"error: Envoy was not ready in {READY_SECONDS:g} s (undecided)", {}


def _ports(listeners: dict) -> dict:
    return {x["name"]: x["local_address"]["socket_address"]["port_value"]
            for x in listeners.get("listener_statuses", [])}


def _send(port: int, request: ServeRequest) -> Reply:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=HTTP_SECONDS)
    try:
        conn.putrequest(request.method, request.path, skip_accept_encoding=True)
        for k, v in request.headers:
            conn.putheader(k, v)
        if request.body or request.method in ("POST", "PUT", "PATCH"):
            conn.putheader("content-length", str(len(request.body)))
        conn.putheader("connection", "close")
        conn.endheaders(request.body or None)
        resp = conn.getresponse()
        body = resp.read()
        return Reply(resp.status, tuple((k.lower(), v) for k, v in resp.getheaders()), body)
    except (OSError, http.client.HTTPException) as exc:
        return Reply(None, (), b"", f"{type(exc).__name__}: {exc}")
    finally:
        conn.close()


def _records(text: str) -> list[tuple[str, str, str]]:
    """(level, logger, message) per log record; lines without a prefix continue the last."""
    out: list[list[str]] = []
    for line in text.splitlines():
        m = _LINE.match(line)
        if m:
            out.append(list(m.groups()))
        elif out:
            out[-1][2] += "\n" + line
    # each list is _LINE's three groups
    return [cast("tuple[str, str, str]", tuple(x)) for x in out]


def _filter_logs(text: str) -> tuple[LogLine, ...]:
    lines = []
    for level, logger, msg in _records(text):
        m = _WASM_LOG.match(msg) if logger == "wasm" else None
        if m:
            lines.append(LogLine("warn" if level == "warning" else level, m.group(1)))
    return tuple(lines)


def _messages(text: str) -> tuple[str, ...]:
    """Envoy's own warning and error lines about the Wasm VM ("Wasm VM failed " removed)."""
    return tuple(msg.removeprefix("Wasm VM failed ") for level, logger, msg in _records(text)
                 if level in ("warning", "error", "critical") and logger == "wasm"
                 and not _WASM_LOG.match(msg))


def _refusal(text: str) -> str:
    """The line Envoy exits with when it refuses its configuration."""
    lines = [msg for level, logger, msg in _records(text)
             if level in ("error", "critical") and logger in ("main", "config")]
    return lines[-1].splitlines()[0] if lines else ""


def _served(state: str, marks, reply, raw: bytes, seen) -> Served:
    start, end = marks
    text = raw.decode("utf-8", "replace")
    head = raw[:start].decode("utf-8", "replace") if state == "served" else text
    middle = raw[start:end].decode("utf-8", "replace")
    if state.startswith("error"):
        return Served("error", state.removeprefix("error: "), (), (), _messages(text), reply,
                      seen, output=text)
    detail = _refusal(text) if state == "refused" else ""
    return Served(state, detail, _filter_logs(head), _filter_logs(middle), _messages(text), reply,
                  seen, output=text)


# -- the same scenario for the emulator and for Envoy -------------------------------------

_ENVOY_LEVELS = {"warn": "warning"}


def judge_scenario(scenario):
    """The scenario as this setup serves it: the upstream's answer (also for the filter's HTTP
    calls, to cluster `upstream`) and the one cluster the configuration has."""
    from ..emulator import HttpResponse
    from ..record import replace

    answer = HttpResponse(200, tuple((k, v.encode()) for k, v in UPSTREAM_HEADERS), UPSTREAM_BODY)
    return replace(scenario, upstream=answer, http_reply=answer, clusters=("upstream",),
                   plugin_name="compatcheck", vm_id="compatcheck")


def serve_scenario(envoy: str, wasm_path: str, scenario) -> Served:
    """serve() with a compatcheck.emulator Scenario: its configuration, request, log level."""
    from ..emulator.model import LOG_LEVELS

    req = scenario.request
    request = None if req is None else ServeRequest(req.method, req.path, req.headers, req.body)
    level = LOG_LEVELS[scenario.log_level]
    return serve(envoy, wasm_path, request, root_id=scenario.root_id,
                 vm_config=scenario.vm_config or None,
                 plugin_config=scenario.plugin_config or None,
                 log_level=_ENVOY_LEVELS.get(level, level), linger=1.0 if scenario.ticks else 0.0)
