"""What the emulated host holds between calls: contexts, the HTTP stream's header maps and
bodies, shared data and queues, metrics, timers, calls out, the log.

Each piece follows the host code it stands for, cited where it is defined. Return codes are
Proxy-Wasm's proxy_status_t (proxy-wasm/proxy-wasm-cpp-sdk@7465dee8b2953beebff99f6dc3720ad0c79bab99:
proxy_wasm_common.h WasmResult).
"""

from __future__ import annotations

from collections import deque
from typing import TYPE_CHECKING

from .model import CallOut

if TYPE_CHECKING:
    from .guest import Guest

OK, NOT_FOUND, BAD_ARGUMENT, SERIALIZATION_FAILURE, PARSE_FAILURE = 0, 1, 2, 3, 4
INVALID_MEMORY_ACCESS, EMPTY, CAS_MISMATCH, INTERNAL_FAILURE, UNIMPLEMENTED = 6, 7, 8, 10, 12
STATUS_NAMES = {0: "Ok", 1: "NotFound", 2: "BadArgument", 3: "SerializationFailure",
                4: "ParseFailure", 5: "BadExpression", 6: "InvalidMemoryAccess", 7: "Empty",
                8: "CasMismatch", 9: "ResultMismatch", 10: "InternalFailure",
                11: "BrokenConnection", 12: "Unimplemented"}

# Enumerations of the same header (WasmHeaderMapType, WasmBufferType, WasmStreamType).
REQUEST_HEADERS, REQUEST_TRAILERS, RESPONSE_HEADERS, RESPONSE_TRAILERS = 0, 1, 2, 3
HTTP_CALL_RESPONSE_HEADERS, HTTP_CALL_RESPONSE_TRAILERS, HEADER_MAP_MAX = 6, 7, 7
REQUEST_BODY, RESPONSE_BODY, HTTP_CALL_RESPONSE_BODY = 0, 1, 4
VM_CONFIGURATION, PLUGIN_CONFIGURATION, BUFFER_MAX = 6, 7, 8
STREAM_REQUEST, STREAM_RESPONSE, STREAM_DOWNSTREAM, STREAM_UPSTREAM, STREAM_MAX = 0, 1, 2, 3, 3


class HeaderMap:
    """Envoy's HeaderMapImpl as a filter sees it (envoyproxy/envoy@d026e913427989a8d1542de03ba50f2af814e728:
    source/common/http/header_map_impl.cc): keys lower-cased by the Wasm host, pseudo-headers
    kept before the others, setCopy = remove + add, byteSize = sum of key and value sizes."""

    def __init__(self, pairs=()):
        self.pairs: list[tuple[bytes, bytes]] = []
        for k, v in pairs:
            self.add(k, v)

    def add(self, key: bytes, value: bytes) -> None:
        key = key.lower()
        if key.startswith(b":"):
            at = sum(1 for k, _ in self.pairs if k.startswith(b":"))
            self.pairs.insert(at, (key, value))
        else:
            self.pairs.append((key, value))

    def get(self, key: bytes) -> bytes | None:
        key = key.lower()
        return next((v for k, v in self.pairs if k == key), None)

    def remove(self, key: bytes) -> None:
        key = key.lower()
        self.pairs = [(k, v) for k, v in self.pairs if k != key]

    def set(self, key: bytes, value: bytes) -> None:
        self.remove(key)
        self.add(key, value)

    def byte_size(self) -> int:
        return sum(len(k) + len(v) for k, v in self.pairs)

    def __len__(self) -> int:
        return len(self.pairs)


class Stream:
    """One HTTP stream (Envoy's Context as an HTTP filter): what is reachable when."""

    def __init__(self, context_id: int):
        self.context_id = context_id
        self.request_headers: HeaderMap | None = None  # set while decodeHeaders may see them
        self.request_trailers: HeaderMap | None = None
        self.request_body: bytearray | None = None
        self.response_headers: HeaderMap | None = None
        self.response_trailers: HeaderMap | None = None
        self.response_body: bytearray | None = None
        self.end_of_stream = False
        self.access_log = False  # in proxy_on_log: the maps are the final ones, read-only
        self.final_request: HeaderMap | None = None
        self.final_response: HeaderMap | None = None
        self.local_response = None  # (status, body, headers, grpc status, details)
        self.continued = {STREAM_REQUEST: 0, STREAM_RESPONSE: 0}
        self.closed: list[int] = []


class HostState:
    guest: Guest  # the module's memory and allocator, set by the Session right after creating it

    def __init__(self, scenario, facts: dict):
        self.scenario = scenario
        self.facts = facts
        self.abi = facts["abi"]
        self.contexts: dict[int, int] = {}  # context id -> parent id (0: a root context)
        self.next_context_id = 1  # 0 is the VM context (WasmBase::next_context_id_)
        self.current = 0  # the context of the running VM call
        self.effective = 0  # proxy_set_effective_context; reset on every VM call
        self.plugin_visible = False  # temp_plugin_: the plugin configuration is readable
        self.stream: Stream | None = None
        self.stop_iteration = False  # set by a local response (WasmBase::stopNextIteration)
        self.after_call: list = []  # deferred host actions (addAfterVmCallAction)
        self.logs: list[tuple[str, str]] = []
        self.tick_period: dict[int, int] = {}
        self.shared: dict[bytes, tuple[bytes, int]] = {}
        self.next_cas = 1  # SharedData::cas_ (src/shared_data.h)
        self.queues: dict[int, deque] = {}
        self.queue_owner: dict[int, int] = {}
        self.queue_tokens: dict[bytes, int] = {}
        self.ready_queues: list[int] = []
        self.metrics: dict[int, list] = {}  # id -> [type, name, value]
        self.metric_ids = {0: 0, 1: 1, 2: 2}  # next_*_metric_id_ (include/proxy-wasm/wasm.h)
        self.calls_out: list[CallOut] = []
        self.pending_http: dict[int, tuple[int, int]] = {}  # token -> (calls_out index, root)
        self.pending_grpc: set[int] = set()
        self.next_callout = {0: 0, 1: 1, 2: 2}  # next_http_call_id_ etc. (wasm.h)
        self.http_call_response = None  # (HeaderMap, bytes, HeaderMap) during the callback
        self.status = (0, b"")
        self.filter_state: dict[bytes, bytes] = {}  # set_property: "wasm.<path>"
        self.clock_ns = 1_700_000_000 * 10**9  # a fixed start: runs are repeatable
        self.dns_token = 0
        self.notes: list[str] = []
        self.reads: list[str] = []  # request header names looked up; "(body)"

    # -- contexts -------------------------------------------------------------------------
    def new_context(self, parent: int) -> int:
        cid = self.next_context_id
        self.next_context_id += 1
        self.contexts[cid] = parent
        return cid

    def context(self) -> int:
        """contextOrEffectiveContext() (src/exports.cc)."""
        if self.effective and self.effective in self.contexts:
            return self.effective
        return self.current

    def root_of(self, cid: int) -> int:
        while self.contexts.get(cid, 0):
            cid = self.contexts[cid]
        return cid

    def stream_here(self) -> Stream | None:
        """The HTTP stream of the calling context, if it is one."""
        s = self.stream
        return s if s is not None and s.context_id == self.context() else None

    def read(self, what: str) -> None:
        if what not in self.reads:
            self.reads.append(what)

    def note(self, text: str) -> None:
        if text not in self.notes:
            self.notes.append(text)

    def log(self, level: int, message: bytes) -> None:
        from .model import LOG_LEVELS
        if level >= self.scenario.log_level:
            self.logs.append((LOG_LEVELS[level], message.decode("utf-8", "replace")))
