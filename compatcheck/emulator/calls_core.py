"""Host functions that are not about the HTTP stream: log, configuration, time, timers,
shared data and queues, metrics, effective context, foreign functions, and the env shims.

Argument checks and return codes: proxy-wasm/proxy-wasm-cpp-host@f2db56af443571e92a31c0b877106d9ea96e19ef:
src/exports.cc, src/context.cc, src/shared_data.cc, src/shared_queue.cc; Envoy's side:
envoyproxy/envoy@d026e913427989a8d1542de03ba50f2af814e728: source/extensions/common/wasm/context.cc
(log, getConfiguration, defineMetric, incrementMetric, recordMetric, getMetric).
"""

from __future__ import annotations

from collections import deque

from ..abi.vocabulary import fill_message
from .properties import get_property as _get_property
from .state import (BAD_ARGUMENT, CAS_MISMATCH, EMPTY, INVALID_MEMORY_ACCESS, NOT_FOUND, OK)

CLOCK_STEP_NS = 1_000_000  # each reading is 1 ms after the one before
LOG_LEVEL_MAX = 5  # LogLevel::Max = critical


def log(h, level, ptr, size):
    if level > LOG_LEVEL_MAX:
        return BAD_ARGUMENT
    message = h.guest.read(ptr, size)
    if message is None:
        return INVALID_MEMORY_ACCESS
    h.log(level, message)
    return OK


def get_log_level(h, result_ptr):
    return OK if h.guest.set_u32(result_ptr, h.scenario.log_level) else INVALID_MEMORY_ACCESS


def get_configuration(h, ptr_ptr, size_ptr):
    """Envoy's getConfiguration: the plugin's while it is being configured, else the VM's."""
    s = h.scenario
    value = (s.plugin_config if h.plugin_visible else s.vm_config).encode()
    return OK if h.guest.copy_out(value, ptr_ptr, size_ptr) else INVALID_MEMORY_ACCESS


def get_status(h, code_ptr, ptr_ptr, size_ptr):
    code, message = h.status
    if not h.guest.set_u32(code_ptr, code):
        return INVALID_MEMORY_ACCESS
    return OK if h.guest.copy_out(message, ptr_ptr, size_ptr) else INVALID_MEMORY_ACCESS


def now_ns(h) -> int:
    h.clock_ns += CLOCK_STEP_NS
    return h.clock_ns


def get_current_time_nanoseconds(h, result_ptr):
    return OK if h.guest.set_u64(result_ptr, now_ns(h)) else INVALID_MEMORY_ACCESS


def set_tick_period_milliseconds(h, period):
    h.tick_period[h.root_of(h.context())] = period  # setTimerPeriod on the root context
    return OK


def get_property(h, path_ptr, path_size, value_ptr_ptr, value_size_ptr):
    path = h.guest.read(path_ptr, path_size)
    if path is None:
        return INVALID_MEMORY_ACCESS
    status, value = _get_property(h, path)
    if status != OK:
        return status
    return OK if h.guest.copy_out(value, value_ptr_ptr, value_size_ptr) else INVALID_MEMORY_ACCESS


def set_property(h, key_ptr, key_size, value_ptr, value_size):
    key, value = h.guest.read(key_ptr, key_size), h.guest.read(value_ptr, value_size)
    if key is None or value is None:
        return INVALID_MEMORY_ACCESS
    if h.stream_here() is None:
        return NOT_FOUND  # no stream info outside a stream
    h.filter_state[b"wasm." + key] = value
    return OK


# -- shared data and queues ---------------------------------------------------------------

def get_shared_data(h, key_ptr, key_size, value_ptr_ptr, value_size_ptr, cas_ptr):
    key = h.guest.read(key_ptr, key_size)
    if key is None:
        return INVALID_MEMORY_ACCESS
    if key not in h.shared:
        return NOT_FOUND
    value, cas = h.shared[key]
    if not h.guest.copy_out(value, value_ptr_ptr, value_size_ptr):
        return INVALID_MEMORY_ACCESS
    return OK if h.guest.set_u32(cas_ptr, cas) else INVALID_MEMORY_ACCESS


def set_shared_data(h, key_ptr, key_size, value_ptr, value_size, cas):
    key, value = h.guest.read(key_ptr, key_size), h.guest.read(value_ptr, value_size)
    if key is None or value is None:
        return INVALID_MEMORY_ACCESS
    if key in h.shared and cas != 0 and cas != h.shared[key][1]:
        return CAS_MISMATCH
    h.shared[key] = (value, h.next_cas)
    h.next_cas = h.next_cas + 1 or 1
    return OK


def register_shared_queue(h, name_ptr, name_size, token_ptr):
    name = h.guest.read(name_ptr, name_size)
    if name is None:
        return INVALID_MEMORY_ACCESS
    token = h.queue_tokens.setdefault(name, len(h.queue_tokens) + 1)
    h.queues.setdefault(token, deque())
    cid = h.context()
    h.queue_owner[token] = cid if h.contexts.get(cid, 0) == 0 else h.contexts[cid]
    return OK if h.guest.set_u32(token_ptr, token) else INVALID_MEMORY_ACCESS


def resolve_shared_queue(h, vm_ptr, vm_size, name_ptr, name_size, token_ptr):
    vm_id, name = h.guest.read(vm_ptr, vm_size), h.guest.read(name_ptr, name_size)
    if vm_id is None or name is None:
        return INVALID_MEMORY_ACCESS
    if vm_id not in (b"", h.scenario.vm_id.encode()) or name not in h.queue_tokens:
        return NOT_FOUND
    return OK if h.guest.set_u32(token_ptr, h.queue_tokens[name]) else INVALID_MEMORY_ACCESS


def dequeue_shared_queue(h, token, ptr_ptr, size_ptr):
    if token not in h.queues:
        return NOT_FOUND
    if not h.queues[token]:
        return EMPTY
    data = h.queues[token].popleft()
    return OK if h.guest.copy_out(data, ptr_ptr, size_ptr) else INVALID_MEMORY_ACCESS


def enqueue_shared_queue(h, token, data_ptr, data_size):
    data = h.guest.read(data_ptr, data_size)
    if data is None:
        return INVALID_MEMORY_ACCESS
    if token not in h.queues:
        return NOT_FOUND
    h.queues[token].append(data)
    h.ready_queues.append(token)  # onQueueReady on the owner, posted to the dispatcher
    return OK


# -- metrics --------------------------------------------------------------------------------

def define_metric(h, kind, name_ptr, name_size, id_ptr):
    if kind > 2:
        return BAD_ARGUMENT
    name = h.guest.read(name_ptr, name_size)
    if name is None:
        return INVALID_MEMORY_ACCESS
    h.metric_ids[kind] += 4  # kMetricIdIncrement; the low two bits are the type
    mid = h.metric_ids[kind]
    h.metrics[mid] = [kind, name, 0]
    return OK if h.guest.set_u32(id_ptr, mid) else INVALID_MEMORY_ACCESS


def _counter_or_gauge(h, metric_id):
    """(status, metric): BadArgument for a histogram id, NotFound for an unknown one."""
    if metric_id & 3 not in (0, 1):
        return BAD_ARGUMENT, None
    m = h.metrics.get(metric_id)
    return (NOT_FOUND, None) if m is None else (OK, m)


def increment_metric(h, metric_id, offset):
    offset = offset - (1 << 64) if offset >= 1 << 63 else offset  # int64_t
    status, m = _counter_or_gauge(h, metric_id)
    if m is None:
        return status
    if metric_id & 3 == 0 and offset <= 0:
        return BAD_ARGUMENT  # a counter only goes up
    m[2] += offset
    return OK


def record_metric(h, metric_id, value):
    m = h.metrics.get(metric_id)
    if m is None:
        return NOT_FOUND
    m[2] = m[2] + value if m[0] == 0 else value
    return OK


def get_metric(h, metric_id, result_ptr):
    status, m = _counter_or_gauge(h, metric_id)
    if m is None:
        return status
    return OK if h.guest.set_u64(result_ptr, m[2]) else INVALID_MEMORY_ACCESS


# -- the rest -----------------------------------------------------------------------------

def set_effective_context(h, context_id):
    if context_id not in h.contexts:
        return BAD_ARGUMENT
    h.effective = context_id
    return OK


def done(h):
    return NOT_FOUND  # no root context is waiting to be done (WasmBase::done)


def call_foreign_function(h, name_ptr, name_size, args_ptr, args_size, results_ptr, results_size):
    name = h.guest.read(name_ptr, name_size)
    if name is None or h.guest.read(args_ptr, args_size) is None:
        return INVALID_MEMORY_ACCESS
    text = name.decode('utf-8', 'replace')
    foreign = h.facts.get("foreign")  # the build's (foreign_functions); None: Envoy's newest
    if foreign is not None and text not in foreign["names"]:
        if foreign["unknown"] == "trap":
            from .traps import HostTrap
            message = fill_message(h.facts["messages"].get("foreign_unknown", ""), name=text)
            h.note(f"foreign function {text!r} is not implemented by this build: it traps")
            raise HostTrap(message or f"unknown foreign function {text!r}")
        h.note(f"foreign function {text!r} is not implemented by this build (NotFound)")
        return NOT_FOUND
    from . import foreign as ff
    if foreign is None and text not in ff.ENVOY_NAMES:
        h.note(f"foreign function {text!r} is not emulated (answered NotFound)")
        return NOT_FOUND
    if foreign is None:
        h.note(f"this build's foreign functions are not in the data: {text!r} answered as "
               "Envoy answers it")
    elif text not in ff.ENVOY_NAMES:  # the build has it, the emulator does not know it
        h.note(f"foreign function {text!r} is not emulated (answered NotFound)")
        return NOT_FOUND
    code, result = ff.call(h, text, h.guest.read(args_ptr, args_size) or b"")
    return code if ff.give(h, result, results_ptr, results_size) else INVALID_MEMORY_ACCESS


def pthread_equal(h, left, right):
    return int(left == right)


def emscripten_notify_memory_growth(h, _index):
    return None


def envoy_resolve_dns(h, address_ptr, address_size, token_ptr):
    if h.guest.read(address_ptr, address_size) is None:
        return INVALID_MEMORY_ACCESS
    h.note("DNS resolution is recorded, never answered")
    h.dns_token += 1
    return OK if h.guest.set_u32(token_ptr, h.dns_token) else INVALID_MEMORY_ACCESS
