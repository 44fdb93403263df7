"""Benchmark: compatcheck against fixed anchors, on the same files, in one run.

    python benchmarks/run.py [--runs N] [--large PATH] [--corpus-runs N] [--no-toolchains]

Prints wall time (median) and peak memory (max RSS) for each command, then the figures the
project targets:
  * check of a small filter (--format json) <= 2x a Python process that only imports click;
  * check --target all of a ~14 MB module <= 2x wasmtime's own validation of it (from Python,
    every proposal on), measured side by side (the two commands alternate run by run), and
    >= 5x faster than `wasm-objdump -x`;
  * peak memory <= 3x the module size plus the bare interpreter;
  * files per second on a directory of real filters: samples/*.wasm plus the filters
    tests/toolchains/build.py builds with real compilers (clang, zig, Go, AssemblyScript; those
    present), each distinct ("cold"), then the same directory copied 5 times (duplicates are
    checked once), on every core and in one process (-j 1).
The modules are generated here (deterministic WAT, Proxy-Wasm surface, a realistic instruction
mix); with npm available the real 14 MB esbuild.wasm (npm package esbuild-wasm) is added.
compatcheck's bytecode is compiled first, as an installed wheel has it (PYTHONDONTWRITEBYTECODE
would otherwise make every run compile the package again).
"""

from __future__ import annotations

import argparse
import hashlib
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PY = sys.executable


def generate(path: Path, target_bytes: int) -> None:
    """A filter-shaped module of about ``target_bytes``: many functions, calls, loads, loops."""
    import wasmtime

    head = ['(module',
            '(import "env" "proxy_log" (func $log (param i32 i32 i32) (result i32)))',
            '(import "env" "proxy_get_header_map_value" (func $hdr (param i32 i32 i32 i32 i32) (result i32)))',
            '(memory (export "memory") 17)',
            '(global $sp (mut i32) (i32.const 1048576))',
            '(func (export "proxy_abi_version_0_2_1"))',
            '(func (export "malloc") (param i32) (result i32) (i32.const 1024))',
            '(func (export "proxy_on_vm_start") (param i32 i32) (result i32) (i32.const 1))',
            '(func (export "proxy_on_configure") (param i32 i32) (result i32) (i32.const 1))',
            '(func (export "proxy_on_context_create") (param i32 i32))']
    body = []
    # one function is ~120 bytes of binary
    n = max(1, target_bytes // 120)
    for i in range(n):
        callee = f"(call $f{i - 1} (local.get 0) (local.get 1))" if i else "(local.get 0)"
        body.append(f'''(func $f{i} (param i32 i32) (result i32) (local i32 i64)
  (local.set 2 (i32.const {i * 7 % 1000}))
  (block $done (loop $next
    (br_if $done (i32.ge_u (local.get 2) (local.get 1)))
    (i32.store offset=16 (local.get 0) (i32.add (i32.load offset=8 (local.get 0)) (local.get 2)))
    (local.set 3 (i64.add (local.get 3) (i64.extend_i32_u (i32.load8_u (local.get 2)))))
    (local.set 2 (i32.add (local.get 2) (i32.const 1)))
    (br $next)))
  (if (i32.eqz (local.get 1)) (then (return (i32.wrap_i64 (local.get 3)))))
  (drop (call $hdr (i32.const 0) (i32.const 64) (i32.const 5) (i32.const 128) (i32.const 132)))
  {callee})''')
    path.write_bytes(bytes(wasmtime.wat2wasm("\n".join(head + body + [")"]))))


def esbuild(dest: Path) -> Path | None:
    if shutil.which("npm") is None:
        return None
    with tempfile.TemporaryDirectory() as tmp:
        r = subprocess.run(["npm", "pack", "esbuild-wasm", "--silent"], cwd=tmp,
                           capture_output=True, text=True, timeout=300)
        tgz = next(Path(tmp).glob("esbuild-wasm-*.tgz"), None)
        if r.returncode != 0 or tgz is None:
            return None
        subprocess.run(["tar", "xzf", tgz.name, "package/esbuild.wasm"], cwd=tmp, check=True)
        shutil.copy(Path(tmp) / "package" / "esbuild.wasm", dest)
    return dest


def _run_once(cmd: list[str]) -> tuple[float, int]:
    t0 = time.perf_counter()
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    _pid, _status, usage = os.wait4(proc.pid, 0)
    return time.perf_counter() - t0, usage.ru_maxrss


def measure(cmd: list[str], runs: int) -> tuple[float, float]:
    """Median wall seconds and max RSS (MiB) over ``runs``."""
    times, peak = [], 0
    for _ in range(runs):
        t, rss = _run_once(cmd)
        times.append(t)
        peak = max(peak, rss)
    return statistics.median(times), peak / 1024


def measure_pair(a: list[str], b: list[str], runs: int):
    """Both commands, alternating run by run (a busy machine slows both alike): each one's
    median seconds and max RSS (MiB), and the median of the per-run ratios b / a."""
    ta, tb, ratios, pa, pb = [], [], [], 0, 0
    for _ in range(runs):
        x, rx = _run_once(a)
        y, ry = _run_once(b)
        ta.append(x)
        tb.append(y)
        ratios.append(y / x)
        pa, pb = max(pa, rx), max(pb, ry)
    return ((statistics.median(ta), pa / 1024), (statistics.median(tb), pb / 1024),
            statistics.median(ratios))


def corpus(work: Path, toolchains: bool) -> tuple[Path, str]:
    """A directory of distinct real filters: the samples, plus the toolchain-built ones."""
    out = work / "corpus"
    out.mkdir()
    sources = sorted((ROOT / "samples").glob("*.wasm"))
    note = "samples/*.wasm"
    if toolchains:
        built = work / "toolchains"
        r = subprocess.run([PY, str(ROOT / "tests" / "toolchains" / "build.py"), str(built)],
                           capture_output=True, text=True, timeout=1800)
        found = sorted(built.glob("*.wasm"))
        sources += found
        last = (r.stdout.strip().splitlines() or ["no output"])[-1]
        note += f" + {len(found)} built by tests/toolchains/build.py ({last})"
    seen = set()
    for path in sources:
        digest = hashlib.sha256(path.read_bytes()).digest()
        if digest not in seen:  # "cold": every file a different module
            seen.add(digest)
            shutil.copy(path, out / f"{path.parent.name}-{path.name}")
    return out, note


def copies(src: Path, dest: Path, n: int) -> Path:
    for i in range(n):
        shutil.copytree(src, dest / f"copy{i}")
    return dest


def compile_bytecode() -> None:
    import compatcheck
    subprocess.run([PY, "-m", "compileall", "-q", str(Path(compatcheck.__file__).parent)],
                   stdout=subprocess.DEVNULL, check=False)


# wasmtime's own validation, every proposal it knows switched on (as compatcheck's own is)
VALIDATE = """\
import sys, wasmtime
config = wasmtime.Config()
for name in dir(config):
    if name.startswith("wasm_"):
        try:
            setattr(config, name, True)
        except Exception:
            pass
wasmtime.Module.validate(wasmtime.Engine(config), open(sys.argv[1], "rb").read())
"""


def main() -> int:
    if len(sys.argv) == 4 and sys.argv[1] == "--generate":
        generate(Path(sys.argv[2]), int(sys.argv[3]))
        return 0
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--runs", type=int, default=7)
    ap.add_argument("--large", type=Path, help="a large module to use instead of esbuild.wasm")
    ap.add_argument("--corpus-runs", type=int, default=3, help="runs over the filter directories")
    ap.add_argument("--no-toolchains", action="store_true",
                    help="corpus of samples/*.wasm only (do not build filters with compilers)")
    args = ap.parse_args()
    work = Path(tempfile.mkdtemp(prefix="compatcheck-bench-"))
    files = {"small": work / "small.wasm", "typical": work / "typical.wasm",
             "large (generated)": work / "large.wasm"}
    # Generated in a child process: the benchmark's own memory would otherwise show in every
    # measured child's peak RSS (fork copies it before exec).
    for key, size in (("small", 100_000), ("typical", 1_500_000), ("large (generated)", 14_000_000)):
        subprocess.run([PY, __file__, "--generate", str(files[key]), str(size)], check=True)
    real = args.large or esbuild(work / "esbuild.wasm")
    if real:
        files["large (esbuild.wasm)"] = Path(real)
    filters, corpus_note = corpus(work, not args.no_toolchains)
    repeated = copies(filters, work / "corpus-x5", 5)
    n_filters = len(list(filters.glob("*.wasm")))
    cc = [PY, "-m", "compatcheck"]
    compile_bytecode()
    subprocess.run(cc + ["targets"], stdout=subprocess.DEVNULL)  # warm the precompiled specs
    rows = []

    def add(label, measured, size=None):
        rows.append((label, measured[0], measured[1], size))
        return measured

    def row(label, cmd, runs=args.runs, size=None):
        return add(label, measure(cmd, runs), size)

    def check_json(*paths, extra=()):
        return cc + ["check", *map(str, paths), "--target", "all", "--format", "json",
                     "-o", os.devnull, *extra]

    bare, bare_mem = row("python -c pass", [PY, "-c", "pass"])
    click_cmd = [PY, "-c", "import click"]
    results = {}
    for name, path in files.items():
        size = path.stat().st_size
        r = results[name] = {"size": size}
        if name == "small":
            default = cc + ["check", str(path), "--format", "json", "-o", os.devnull]
            a, b, ratio = measure_pair(click_cmd, default, args.runs)
            add("python -c 'import click'", a)
            r["check_default"] = add("small: compatcheck check --format json (default targets)",
                                     b, size)
            r["ratio_default"] = ratio
            _, b, ratio = measure_pair(click_cmd, check_json(path), args.runs)
            r["check"] = add("small: compatcheck check --target all --format json", b, size)
            r["ratio"] = ratio
        else:
            v = [PY, "-c", VALIDATE, str(path)]
            a, b, ratio = measure_pair(v, check_json(path), args.runs)
            r["wasmtime"] = add(f"{name}: wasmtime validate, all proposals (Python)", a, size)
            r["check"] = add(f"{name}: compatcheck check --target all --format json", b, size)
            r["ratio"] = ratio
        for tool, label in (("wasm-objdump", "-x"), ("wasm-validate", "")):
            if shutil.which(tool):
                r[tool] = row(f"{name}: {tool} {label}".strip(),
                              [tool] + ([label] if label else []) + [str(path)], size=size)
    corpus_rows = [
        ("cold: every file a different module", filters, n_filters, ()),
        ("cold, one process (-j 1)", filters, n_filters, ("-j", "1")),
        ("with duplicates: the directory 5 times", repeated, 5 * n_filters, ()),
    ]
    rates = []
    for label, directory, n, extra in corpus_rows:
        t, _m = row(f"{n} filters, {label}", check_json(directory, extra=extra),
                    runs=args.corpus_runs)
        rates.append((label, n, n / t))

    print(f"{'command':72} {'time':>9} {'peak RSS':>10}")
    for label, t, m, _size in rows:
        print(f"{label:72} {t * 1000:7.1f} ms {m:7.1f} MiB")
    print("\nratios (target in brackets; each the median of per-run ratios, side by side)")
    s = results["small"]
    print(f"  small check --format json (default targets) / import click: "
          f"{s['ratio_default']:4.2f}x  [<= 2]")
    print(f"  small check --target all --format json / import click:       {s['ratio']:4.2f}x")
    for name, r in results.items():
        if not name.startswith("large"):
            continue
        ct, cm = r["check"]
        print(f"  {name}: check --target all / wasmtime validation: {r['ratio']:4.2f}x  [<= 2]")
        if "wasm-objdump" in r:
            print(f"  {name}: wasm-objdump -x / check:   {r['wasm-objdump'][0] / ct:4.2f}x  [>= 5]")
        budget = 3 * r["size"] / (1 << 20) + bare_mem
        print(f"  {name}: peak memory {cm:.0f} MiB vs 3x module + interpreter = {budget:.0f} MiB "
              f"[{'met' if cm <= budget else 'exceeded'}]")
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    print(f"\nfiles per second, check --target all --format json, {cores} cores "
          f"(corpus: {corpus_note})")
    for label, n, rate in rates:
        print(f"  {label:48} {n:5} files  {rate:7.1f} files/s")
    _smoke_bounds(cc, bare_mem)
    shutil.rmtree(work, ignore_errors=True)
    return 0


def _smoke_bounds(cc: list[str], bare_mem: float) -> None:
    """The attack modules of tests/attacks run through the smoke sandbox (run_startup in a
    fresh process, the sandbox child included): wall time against reading the module alone,
    and peak memory against the linear-memory cap plus the interpreter."""
    from compatcheck.smoke import limits
    snippet = ("import sys; from compatcheck.wasm import read_module; m = read_module(open(sys.argv[1],"
               " 'rb').read()); {run}")
    run = "from compatcheck.smoke import run_startup; print(run_startup(m, ('_initialize',)))"
    print("\nsmoke runs of the attack modules (the sandbox child included)")
    cap = limits.MEMORY_LIMIT / (1 << 20) + 2 * bare_mem
    for path in sorted((ROOT / "tests" / "attacks").glob("*.wasm")):
        t, mem = measure([PY, "-c", snippet.format(run=run), str(path)], 1)
        t0, _ = measure([PY, "-c", snippet.format(run="pass"), str(path)], 1)
        print(f"  {path.name:24} {t:6.2f} s ({t / t0:5.1f}x reading it)  peak {mem:6.0f} MiB  "
              f"[<= {cap:.0f} MiB: {'met' if mem <= cap else 'exceeded'}]")


if __name__ == "__main__":
    sys.exit(main())
