"""HTTP-side host functions: header maps, buffers, stream control, local responses, callouts.

Argument checks and return codes follow proxy-wasm/proxy-wasm-cpp-host@f2db56af443571e92a31c0b877106d9ea96e19ef:
src/exports.cc; what a map or buffer holds at each moment follows Envoy's Context
(envoyproxy/envoy@d026e913427989a8d1542de03ba50f2af814e728: source/extensions/common/wasm/context.cc:
getMap, getConstMap, getHeaderMapValue, getBuffer, continueStream, closeStream,
sendLocalResponse, httpCall, grpcCall). Each function takes the HostState first, then the Wasm
arguments, and returns the status the module sees.
"""

from __future__ import annotations

from .guest import marshal_pairs, to_pairs
from .model import CallOut
from .state import (BAD_ARGUMENT, BUFFER_MAX, HEADER_MAP_MAX, HTTP_CALL_RESPONSE_BODY,
                    HTTP_CALL_RESPONSE_HEADERS, HTTP_CALL_RESPONSE_TRAILERS, INVALID_MEMORY_ACCESS,
                    NOT_FOUND, OK, PARSE_FAILURE, PLUGIN_CONFIGURATION, REQUEST_BODY, REQUEST_HEADERS,
                    REQUEST_TRAILERS, RESPONSE_BODY, RESPONSE_HEADERS, RESPONSE_TRAILERS,
                    STREAM_MAX, STREAM_REQUEST, STREAM_RESPONSE, STREAM_UPSTREAM,
                    UNIMPLEMENTED, VM_CONFIGURATION, HeaderMap)


def _map(h, kind: int, mutable: bool) -> HeaderMap | None:
    """getMap (mutable) / getConstMap: None where Envoy has a null map."""
    if kind in (HTTP_CALL_RESPONSE_HEADERS, HTTP_CALL_RESPONSE_TRAILERS):
        r = h.http_call_response
        if mutable or r is None:
            return None
        return r[0] if kind == HTTP_CALL_RESPONSE_HEADERS else r[2]
    s = h.stream_here()
    if s is None:
        return None
    if s.access_log:
        if mutable:
            return None
        return {REQUEST_HEADERS: s.final_request, RESPONSE_HEADERS: s.final_response}.get(kind)
    if kind == REQUEST_TRAILERS and mutable and s.request_trailers is None \
            and s.request_body is not None and s.end_of_stream:
        s.request_trailers = HeaderMap()  # decoder_callbacks_->addDecodedTrailers()
    if kind == RESPONSE_TRAILERS and mutable and s.response_trailers is None \
            and s.response_body is not None and s.end_of_stream:
        s.response_trailers = HeaderMap()
    return {REQUEST_HEADERS: s.request_headers, REQUEST_TRAILERS: s.request_trailers,
            RESPONSE_HEADERS: s.response_headers,
            RESPONSE_TRAILERS: s.response_trailers}.get(kind)


def get_header_map_value(h, kind, key_ptr, key_size, value_ptr_ptr, value_size_ptr):
    if kind > HEADER_MAP_MAX:
        return BAD_ARGUMENT
    key = h.guest.read(key_ptr, key_size)
    if key is None:
        return INVALID_MEMORY_ACCESS
    m = _map(h, kind, mutable=False)
    s = h.stream_here()
    if kind == REQUEST_HEADERS:
        h.read(key.decode("latin-1").lower())
    if m is None:
        if s is not None and s.access_log:
            value = b"" if h.abi == "0.1.0" else None
            if value is None:
                return NOT_FOUND
            return OK if h.guest.copy_out(value, value_ptr_ptr, value_size_ptr) else INVALID_MEMORY_ACCESS
        return BAD_ARGUMENT  # "Requested map type is not currently available."
    value = m.get(key)
    if value is None:
        if h.abi != "0.1.0":
            return NOT_FOUND
        value = b""  # ABI 0.1.0: a missing header reads as empty
    return OK if h.guest.copy_out(value, value_ptr_ptr, value_size_ptr) else INVALID_MEMORY_ACCESS


def get_header_map_pairs(h, kind, ptr_ptr, size_ptr):
    if kind > HEADER_MAP_MAX:
        return BAD_ARGUMENT
    m = _map(h, kind, mutable=False)
    data = marshal_pairs(m.pairs) if m is not None and len(m) else b""
    return OK if h.guest.copy_out(data, ptr_ptr, size_ptr) else INVALID_MEMORY_ACCESS


def set_header_map_pairs(h, kind, ptr, size):
    if kind > HEADER_MAP_MAX:
        return BAD_ARGUMENT
    data = h.guest.read(ptr, size)
    if data is None:
        return INVALID_MEMORY_ACCESS
    m = _map(h, kind, mutable=True)
    if m is None:
        return BAD_ARGUMENT
    m.pairs = []
    for k, v in to_pairs(data):
        m.add(k, v)
    return OK


def _edit(h, kind, key_ptr, key_size, value_ptr=0, value_size=0):
    """(map, key, value) for add/replace/remove, or the status to return."""
    if kind > HEADER_MAP_MAX:
        return BAD_ARGUMENT
    key = h.guest.read(key_ptr, key_size)
    value = h.guest.read(value_ptr, value_size)
    if key is None or value is None:
        return INVALID_MEMORY_ACCESS
    m = _map(h, kind, mutable=True)
    return BAD_ARGUMENT if m is None else (m, key, value)


def add_header_map_value(h, kind, key_ptr, key_size, value_ptr, value_size):
    r = _edit(h, kind, key_ptr, key_size, value_ptr, value_size)
    if isinstance(r, int):
        return r
    r[0].add(r[1], r[2])
    return OK


def replace_header_map_value(h, kind, key_ptr, key_size, value_ptr, value_size):
    r = _edit(h, kind, key_ptr, key_size, value_ptr, value_size)
    if isinstance(r, int):
        return r
    r[0].set(r[1], r[2])
    return OK


def remove_header_map_value(h, kind, key_ptr, key_size):
    r = _edit(h, kind, key_ptr, key_size)
    if isinstance(r, int):
        return r
    r[0].remove(r[1])
    return OK


def get_header_map_size(h, kind, result_ptr):
    if kind > HEADER_MAP_MAX:
        return BAD_ARGUMENT
    m = _map(h, kind, mutable=True)
    if m is None:
        return BAD_ARGUMENT
    return OK if h.guest.set_u32(result_ptr, m.byte_size()) else INVALID_MEMORY_ACCESS


# -- buffers ------------------------------------------------------------------------------

def _buffer(h, kind):
    """getBuffer: bytes, a bytearray for a body the filter may change, None = nullptr."""
    if kind == VM_CONFIGURATION:
        return h.scenario.vm_config.encode()
    if kind == PLUGIN_CONFIGURATION:
        return h.scenario.plugin_config.encode() if h.plugin_visible else None
    if kind == HTTP_CALL_RESPONSE_BODY:
        return None if h.http_call_response is None else h.http_call_response[1]
    if kind in (REQUEST_BODY, RESPONSE_BODY):
        s = h.stream_here()
        if kind == REQUEST_BODY:
            h.read("(body)")
        body = None if s is None else (s.request_body if kind == REQUEST_BODY else s.response_body)
        return b"" if body is None else body  # buffer_.set(nullptr): an empty buffer
    return b""  # network data, gRPC receive buffer, call data: empty outside their callbacks


def get_buffer_bytes(h, kind, start, length, ptr_ptr, size_ptr):
    if kind > BUFFER_MAX:
        return BAD_ARGUMENT
    buf = _buffer(h, kind)
    if buf is None:
        return NOT_FOUND
    if start > len(buf):
        length = 0
    elif start + length > len(buf):
        length = len(buf) - start
    if length == 0:
        ok = h.guest.set_u32(ptr_ptr, 0) and h.guest.set_u32(size_ptr, 0)
        return OK if ok else INVALID_MEMORY_ACCESS
    data = bytes(buf[start:start + length])
    return OK if h.guest.copy_out(data, ptr_ptr, size_ptr) else INVALID_MEMORY_ACCESS


def get_buffer_status(h, kind, length_ptr, flags_ptr):
    if kind > BUFFER_MAX:
        return BAD_ARGUMENT
    buf = _buffer(h, kind)
    if buf is None:
        return NOT_FOUND
    ok = h.guest.set_u32(length_ptr, len(buf)) and h.guest.set_u32(flags_ptr, 0)
    return OK if ok else INVALID_MEMORY_ACCESS


def set_buffer_bytes(h, kind, start, length, data_ptr, data_size):
    if kind > BUFFER_MAX:
        return BAD_ARGUMENT
    buf = _buffer(h, kind)
    if buf is None:
        return NOT_FOUND
    data = h.guest.read(data_ptr, data_size)
    if data is None:
        return INVALID_MEMORY_ACCESS
    if not isinstance(buf, bytearray):
        return BAD_ARGUMENT  # not a mutable body (Buffer::copyFrom)
    if start == 0 and length == 0:
        buf[0:0] = data  # prepend
    elif start == 0 and length >= len(buf):
        buf[:] = data  # replace
    elif start >= len(buf) and start > 0:
        buf.extend(data)  # append
    else:
        return BAD_ARGUMENT
    return OK


# -- stream control -----------------------------------------------------------------------

def continue_stream(h, kind):
    if kind > STREAM_MAX:
        return BAD_ARGUMENT
    if kind == STREAM_UPSTREAM:
        return UNIMPLEMENTED
    s = h.stream_here()
    if kind in (STREAM_REQUEST, STREAM_RESPONSE) and s is not None:
        s.continued[kind] += 1  # decoder/encoder callbacks continue after the VM call
        s.request_headers = s.request_body = s.request_trailers = None
    return OK


def continue_request(h):
    return continue_stream(h, STREAM_REQUEST)


def continue_response(h):
    return continue_stream(h, STREAM_RESPONSE)


def close_stream(h, kind):
    if kind > STREAM_MAX:
        return BAD_ARGUMENT
    s = h.stream_here()
    if s is not None and kind in (STREAM_REQUEST, STREAM_RESPONSE):
        s.closed.append(kind)  # resetStream() after the VM call
    return OK


def send_local_response(h, code, details_ptr, details_size, body_ptr, body_size,
                        headers_ptr, headers_size, grpc_status):
    details = h.guest.read(details_ptr, details_size)
    body = h.guest.read(body_ptr, body_size)
    headers = h.guest.read(headers_ptr, headers_size)
    if details is None or body is None or headers is None:
        return INVALID_MEMORY_ACCESS
    s = h.stream_here()
    if s is not None and s.local_response is None:  # only a stream has decoder callbacks
        s.local_response = (code, body, to_pairs(headers), grpc_status, details)
    h.stop_iteration = True
    return OK


def clear_route_cache(h):
    return OK


# -- callouts -----------------------------------------------------------------------------

def _cluster_known(h, name: str) -> bool:
    clusters = h.scenario.clusters
    if clusters is None:
        h.note(f"assumed the host has a cluster named {name!r} (pass --cluster to say which)")
        return True
    return name in clusters


def http_call(h, uri_ptr, uri_size, hp, hs, bp, bs, tp, ts, timeout_ms, token_ptr):
    uri, headers = h.guest.read(uri_ptr, uri_size), h.guest.read(hp, hs)
    body, trailers = h.guest.read(bp, bs), h.guest.read(tp, ts)
    if uri is None or headers is None or body is None or trailers is None:
        return INVALID_MEMORY_ACCESS
    pairs = to_pairs(headers)
    if not h.guest.set_u32(token_ptr, 0):
        return INVALID_MEMORY_ACCESS
    cluster = uri.decode("utf-8", "replace")
    names = {k.lower() for k, _ in pairs}
    status = OK
    if timeout_ms >= 1 << 31 or not _cluster_known(h, cluster):
        status = BAD_ARGUMENT  # negative timeout, or no such cluster
    elif not {b":path", b":method", b":authority"} <= names:
        status = BAD_ARGUMENT  # Envoy requires :path, :method and :authority
    h.calls_out.append(CallOut("http", cluster, tuple((k.decode("latin-1"), v) for k, v in pairs),
                               body, status))
    if status != OK:
        return status
    h.next_callout[0] += 4  # nextHttpCallId (include/proxy-wasm/wasm.h)
    token = h.next_callout[0]
    h.pending_http[token] = (len(h.calls_out) - 1, h.root_of(h.context()))
    h.guest.set_u32(token_ptr, token)
    return OK


def grpc_call(h, *args):
    """12 arguments (cpp-host), or 10 without initial metadata (Istio 1.5's in-tree host)."""
    spans = [(args[i], args[i + 1]) for i in range(0, len(args) - 2, 2)]
    parts = [h.guest.read(p, n) for p, n in spans]
    if any(x is None for x in parts):
        return INVALID_MEMORY_ACCESS
    return _grpc_start(h, parts[0], parts[-1], args[-1], kind=1)


def grpc_stream(h, *args):
    spans = [(args[i], args[i + 1]) for i in range(0, len(args) - 1, 2)]
    parts = [h.guest.read(p, n) for p, n in spans]
    if any(x is None for x in parts):
        return INVALID_MEMORY_ACCESS
    return _grpc_start(h, parts[0], b"", args[-1], kind=2)


def _grpc_start(h, service: bytes, request: bytes, token_ptr: int, kind: int):
    cluster = service.decode("utf-8", "replace")
    if not _cluster_known(h, cluster):
        h.calls_out.append(CallOut("grpc", cluster, (), request, PARSE_FAILURE))
        return PARSE_FAILURE  # not a GrpcService and no such cluster
    h.next_callout[kind] += 4
    token = h.next_callout[kind]
    h.calls_out.append(CallOut("grpc", cluster, (), request, OK))
    h.pending_grpc.add(token)
    h.note("gRPC calls are recorded, never answered")
    return OK if h.guest.set_u32(token_ptr, token) else INVALID_MEMORY_ACCESS


def grpc_close(h, token):
    if token not in h.pending_grpc:
        return NOT_FOUND if token & 3 in (1, 2) else BAD_ARGUMENT
    h.pending_grpc.discard(token)
    return OK


grpc_cancel = grpc_close


def grpc_send(h, token, message_ptr, message_size, end_stream):
    if h.guest.read(message_ptr, message_size) is None:
        return INVALID_MEMORY_ACCESS
    if token & 3 != 2:
        return BAD_ARGUMENT
    return OK if token in h.pending_grpc else NOT_FOUND
