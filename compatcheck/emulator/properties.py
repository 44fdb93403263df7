"""proxy_get_property: the attribute paths Envoy answers, as far as a scenario determines them.

Envoy's Context::getProperty (envoyproxy/envoy@d026e913427989a8d1542de03ba50f2af814e728:
source/extensions/common/wasm/context.cc) splits the path at NUL bytes, looks the first part up
in its CEL activation (request, response, connection, source, destination, upstream, ...),
then plugin_name, plugin_root_id, plugin_vm_id, connection_id, then filter state
"wasm.<name>" (what proxy_set_property stored); a missing part is NotFound. Values are
serialized as serializeValue does: strings and bytes raw, integers as 8 little-endian bytes,
maps as pairs. Request attributes exist while the request headers are reachable (they are
read through the same pointer as the header map). Values that depend on the real connection
(addresses, ids, times) are answered with placeholders, and the run says that it read them.
"""

from __future__ import annotations

import struct

from .guest import marshal_pairs
from .state import NOT_FOUND, OK

_PLACEHOLDERS = {
    ("request", "id"): b"00000000-0000-4000-8000-000000000000",
    ("request", "time"): struct.pack("<q", 1_700_000_000 * 10**9),
    ("request", "duration"): struct.pack("<q", 0),
    ("connection", "id"): struct.pack("<Q", 0),
    ("connection_id",): struct.pack("<Q", 0),
    ("source", "address"): b"127.0.0.1:40000",
    ("source", "port"): struct.pack("<q", 40000),
    ("destination", "address"): b"127.0.0.1:10000",
    ("destination", "port"): struct.pack("<q", 10000),
}


def _request(s) -> dict:
    headers = s.request_headers or (s.final_request if s.access_log else None)
    out: dict = {"protocol": b"HTTP/1.1"}
    if headers is None:
        return out
    path = headers.get(b":path") or b""
    out.update({"path": path, "url_path": path.split(b"?", 1)[0],
                "host": headers.get(b":authority") or b"", "scheme": headers.get(b":scheme") or b"",
                "method": headers.get(b":method") or b"",
                "headers": {k: v for k, v in headers.pairs}})
    for name, header in (("referer", b"referer"), ("useragent", b"user-agent")):
        if headers.get(header) is not None:
            out[name] = headers.get(header)
    out["id"] = None
    return out


def _tree(h) -> dict:
    sc = h.scenario
    tree: dict = {"plugin_name": sc.plugin_name.encode(), "plugin_root_id": sc.root_id.encode(),
                  "plugin_vm_id": sc.vm_id.encode()}
    s = h.stream_here()
    if s is not None:
        tree["request"] = _request(s)
        response = s.response_headers or (s.final_response if s.access_log else None)
        if response is not None:
            code = int(response.get(b":status") or 0)
            tree["response"] = {"code": struct.pack("<q", code),
                                "headers": {k: v for k, v in response.pairs}}
        for top in ("connection", "source", "destination"):
            tree[top] = {k[1]: None for k in _PLACEHOLDERS if k[0] == top and len(k) == 2}
        tree["connection_id"] = None
    return tree


def _serialize(value) -> bytes:
    if isinstance(value, dict):
        return marshal_pairs([(k if isinstance(k, bytes) else k.encode(), v)
                              for k, v in value.items()])
    return value


def get_property(h, path: bytes) -> tuple[int, bytes]:
    parts = path.split(b"\0")
    if parts and parts[-1] == b"":
        parts = parts[:-1]  # a trailing NUL ends the path
    if not parts:
        return NOT_FOUND, b""
    value = _tree(h)
    names: list[str] = []
    for part in parts:
        bytes_keys = isinstance(value, dict) and any(isinstance(k, bytes) for k in value)
        key = part if bytes_keys else part.decode("utf-8", "replace")
        if not isinstance(value, dict) or key not in value:
            if not names:
                stored = h.filter_state.get(b"wasm." + part)
                return (OK, stored) if stored is not None and len(parts) == 1 else (NOT_FOUND, b"")
            return NOT_FOUND, b""
        names.append(part.decode("utf-8", "replace"))
        value = value[key]
    if value is None:
        h.note(f"read property {'.'.join(names)}, which depends on the real connection; "
               "the emulator answered a placeholder")
        value = _PLACEHOLDERS[tuple(names)]
    return OK, _serialize(value)
