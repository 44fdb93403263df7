"""A real Envoy fetching `vm_config.code.remote` from a local HTTP server: the judge of what
Envoy does with a right or a wrong sha256. Everything listens on 127.0.0.1 only; Envoy is
stopped before the function returns."""

from __future__ import annotations

import http.server
import json
import os
import subprocess
import tempfile
import threading
import time
import urllib.request

ENVOY_TEMPLATE = """\
admin:
  address: {{socket_address: {{address: 127.0.0.1, port_value: 0}}}}
static_resources:
  listeners:
  - name: main
    address: {{socket_address: {{address: 127.0.0.1, port_value: 0}}}}
    filter_chains:
    - filters:
      - name: envoy.filters.network.http_connection_manager
        typed_config:
          "@type": type.googleapis.com/envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager
          stat_prefix: main
          route_config:
            virtual_hosts:
            - name: all
              domains: ["*"]
              routes:
              - match: {{prefix: "/"}}
                direct_response: {{status: 200}}
          http_filters:
          - name: envoy.filters.http.wasm
            typed_config:
              "@type": type.googleapis.com/envoy.extensions.filters.http.wasm.v3.Wasm
              config:
                name: prime
                vm_config:
                  runtime: envoy.wasm.runtime.v8
                  code:
                    remote:
                      http_uri:
                        uri: {uri}
                        cluster: wasm_server
                        timeout: 5s
                      sha256: "{sha256}"
          - name: envoy.filters.http.router
            typed_config:
              "@type": type.googleapis.com/envoy.extensions.filters.http.router.v3.Router
  clusters:
  - name: wasm_server
    type: STATIC
    connect_timeout: 2s
    load_assignment:
      cluster_name: wasm_server
      endpoints:
      - lb_endpoints:
        - endpoint: {{address: {{socket_address: {{address: 127.0.0.1, port_value: {port}}}}}}}
"""


class ModuleServer:
    """Serves one file's bytes at /filter.wasm on 127.0.0.1."""

    def __init__(self, data: bytes):
        body = data

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self):  # noqa: N802
                self.send_response(200 if self.path == "/filter.wasm" else 404)
                self.send_header("content-length", str(len(body) if self.path == "/filter.wasm" else 0))
                self.end_headers()
                if self.path == "/filter.wasm":
                    self.wfile.write(body)

            def log_message(self, *_args):
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.port = self.server.server_address[1]
        self.url = f"http://127.0.0.1:{self.port}/filter.wasm"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self):
        self.server.shutdown()
        self.server.server_close()


def manifest(server: ModuleServer, sha256: str) -> str:
    return ENVOY_TEMPLATE.format(uri=server.url, sha256=sha256, port=server.port)


def fetch_outcome(envoy: str, config_path: str, timeout: float = 40.0) -> dict:
    """Envoy's wasm remote-load counters once it has tried the fetch."""
    with tempfile.TemporaryDirectory(prefix="cc-remote-") as tmp:
        admin_file = os.path.join(tmp, "admin")
        log = open(os.path.join(tmp, "log"), "wb")
        proc = subprocess.Popen([envoy, "-c", config_path, "--concurrency", "1",
                                 "--log-level", "warning", "--admin-address-path", admin_file,
                                 "--base-id-path", os.path.join(tmp, "base-id"),
                                 "--disable-hot-restart"], stdout=log, stderr=subprocess.STDOUT)
        try:
            outcome = _poll(proc, admin_file, timeout)
        finally:
            proc.terminate()
            try:
                proc.wait(10)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(10)
            log.close()
        with open(os.path.join(tmp, "log"), "rb") as fh:
            outcome["log"] = fh.read(1 << 20).decode("utf-8", "replace")
        return outcome


def _poll(proc, admin_file: str, timeout: float) -> dict:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            return {"exited": proc.returncode}
        try:
            with open(admin_file, encoding="utf-8") as fh:
                admin = fh.read().strip()
            with urllib.request.urlopen(f"http://{admin}/stats?format=json&filter=wasm",
                                        timeout=2) as r:
                stats = {s["name"]: s.get("value") for s in json.load(r).get("stats", [])
                         if "name" in s}
            ok = stats.get("wasm.remote_load_fetch_successes", 0)
            failed = stats.get("wasm.remote_load_fetch_failures", 0)
            if ok or failed:
                return {"successes": ok, "failures": failed}
        except (OSError, ValueError):
            pass
        time.sleep(0.1)
    return {"timeout": True}
