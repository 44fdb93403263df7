"""Smoke mode: a start-up run that records import calls and can neither hang nor blow up."""

import time

from compatcheck.smoke import run_startup
from compatcheck.wasm import read_module
from helpers import wat

LOG = '(import "env" "proxy_log" (func $log (param i32 i32 i32) (result i32)))'
EXIT = '(import "wasi_snapshot_preview1" "proc_exit" (func $exit (param i32)))'


def _run(body, sequence=("_initialize",)):
    return run_startup(read_module(wat(f"(module {body})")), sequence)


def test_records_calls_with_the_export_running():
    r = _run(f'{LOG} {EXIT} (memory (export "memory") 1)'
             '(func (export "_initialize") (drop (call $log (i32.const 1) (i32.const 0) (i32.const 0))))'
             '(func (export "main") (param i32 i32) (result i32) (call $exit (i32.const 3)) (i32.const 0))',
             ("_initialize", "main"))
    assert r.calls == (("_initialize", "env.proxy_log"), ("main", "wasi_snapshot_preview1.proc_exit"))
    assert r.outcome == "exited" and r.detail == "proc_exit(3)"


def test_endless_loop_is_stopped():
    t0 = time.perf_counter()
    r = _run('(func (export "_initialize") (loop $l (br $l)))')
    assert r.outcome in ("out-of-fuel", "timeout")
    assert time.perf_counter() - t0 < 30


def test_memory_cannot_grow_past_the_cap():
    r = _run('(memory (export "memory") 1) (func (export "_initialize") '
             '(if (i32.eq (memory.grow (i32.const 30000)) (i32.const -1)) (then unreachable)))')
    assert r.outcome == "trapped"  # the grow to ~2 GiB was refused, the module trapped on it


def test_trap_is_reported_not_raised():
    r = _run('(func (export "_initialize") unreachable)')
    assert r.outcome == "trapped" and "unreachable" in r.detail


def test_stubs_answer_like_a_quiet_host():
    # clock_time_get writes a real, moving timestamp; the module traps if it reads zero
    r = _run('(import "wasi_snapshot_preview1" "clock_time_get" (func $clock (param i32 i64 i32) (result i32)))'
             '(memory (export "memory") 1)'
             '(func (export "_initialize") (drop (call $clock (i32.const 0) (i64.const 1) (i32.const 8)))'
             '  (if (i64.eqz (i64.load (i32.const 8))) (then unreachable)))')
    assert r.outcome == "completed"


def test_modules_it_cannot_stub_are_not_run():
    r = _run('(import "env" "g" (global i32)) (func (export "_initialize"))')
    assert r.outcome == "not-run"
