"""Pieces of the Envoy configurations the judges start: a Wasm HTTP filter and a loopback
listener (validate mode loads it, the serving judge also sends traffic through it)."""

from __future__ import annotations

_STRING = "type.googleapis.com/google.protobuf.StringValue"


def wasm_filter(wasm_path: str, runtime: str = "envoy.wasm.runtime.v8", root_id: str = "",
                vm_config: str | None = None, plugin_config: str | None = None) -> dict:
    """envoy.filters.http.wasm loading a local file; configurations as StringValue."""
    vm: dict = {"vm_id": "compatcheck", "runtime": runtime,
                "code": {"local": {"filename": wasm_path}}}
    if vm_config is not None:
        vm["configuration"] = {"@type": _STRING, "value": vm_config}
    cfg: dict = {"name": "compatcheck", "root_id": root_id, "vm_config": vm}
    if plugin_config is not None:
        cfg["configuration"] = {"@type": _STRING, "value": plugin_config}
    return {"name": "envoy.filters.http.wasm",
            "typed_config": {"@type": "type.googleapis.com/envoy.extensions.filters.http.wasm.v3.Wasm",
                             "config": cfg}}


def listener(name: str, route: dict, filters: list) -> dict:
    """An HTTP listener on a free loopback port: ``filters``, then the router, one route."""
    router = {"name": "envoy.filters.http.router",
              "typed_config": {"@type": "type.googleapis.com/envoy.extensions.filters.http.router.v3.Router"}}
    return {"name": name,
            "address": {"socket_address": {"address": "127.0.0.1", "port_value": 0}},
            "filter_chains": [{"filters": [{
                "name": "envoy.filters.network.http_connection_manager",
                "typed_config": {
                    "@type": "type.googleapis.com/envoy.extensions.filters.network."
                             "http_connection_manager.v3.HttpConnectionManager",
                    "stat_prefix": name,
                    "route_config": {"name": name, "virtual_hosts": [{
                        "name": name, "domains": ["*"],
                        "routes": [{"match": {"prefix": "/"}, **route}]}]},
                    "http_filters": [*filters, router]}}]}]}
