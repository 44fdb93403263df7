"""Benchmark: compatcheck against fixed anchors, on the same files, in one run.

    python benchmarks/run.py [--runs N] [--large PATH]

Prints wall time (median) and peak memory (max RSS) for each command, then the ratios the
project targets:
  * check of a small filter (--format json) <= 2x a Python process that only imports click;
  * check --target all of a ~14 MB module <= 2x wasmtime's own validation of it (from Python)
    and >= 5x faster than `wasm-objdump -x`;
  * peak memory <= 3x the module size plus the bare interpreter.
The modules are generated here (deterministic WAT, Proxy-Wasm surface, a realistic instruction
mix); with npm available the real 14 MB esbuild.wasm (npm package esbuild-wasm) is added.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

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


def measure(cmd: list[str], runs: int) -> tuple[float, float]:
    """Median wall seconds and max RSS (MiB) over ``runs``."""
    times, peak = [], 0
    for _ in range(runs):
        t0 = time.perf_counter()
        proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        _pid, _status, usage = os.wait4(proc.pid, 0)
        times.append(time.perf_counter() - t0)
        peak = max(peak, usage.ru_maxrss)
    return statistics.median(times), peak / 1024


def main() -> int:
    if len(sys.argv) == 4 and sys.argv[1] == "--generate":
        generate(Path(sys.argv[2]), int(sys.argv[3]))
        return 0
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--runs", type=int, default=7)
    ap.add_argument("--large", type=Path, help="a large module to use instead of esbuild.wasm")
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
    cc = [PY, "-m", "compatcheck"]
    subprocess.run(cc + ["targets"], stdout=subprocess.DEVNULL)  # warm the precompiled specs
    rows = []

    def row(label, cmd, runs=args.runs, size=None):
        t, m = measure(cmd, runs)
        rows.append((label, t, m, size))
        return t, m

    bare, bare_mem = row("python -c pass", [PY, "-c", "pass"])
    click_t, _ = row("python -c 'import click'", [PY, "-c", "import click"])
    results = {}
    for name, path in files.items():
        size = path.stat().st_size
        v = [PY, "-c", "import sys, wasmtime; wasmtime.Module.validate(wasmtime.Engine(), "
             "open(sys.argv[1], 'rb').read())", str(path)]
        results[name] = {
            "size": size,
            "wasmtime": row(f"{name}: wasmtime validate (Python)", v, size=size),
            "check": row(f"{name}: compatcheck check --target all --format json",
                         cc + ["check", str(path), "--target", "all", "--format", "json",
                               "-o", os.devnull], size=size),
        }
        if name == "small":
            results[name]["check_default"] = row(
                "small: compatcheck check --format json (default targets)",
                cc + ["check", str(path), "--format", "json", "-o", os.devnull], size=size)
        for tool, label in (("wasm-objdump", "-x"), ("wasm-validate", "")):
            if shutil.which(tool):
                results[name][tool] = row(f"{name}: {tool} {label}".strip(),
                                          [tool] + ([label] if label else []) + [str(path)],
                                          size=size)
    many = list(files.values())[:3]
    row("3 files in one check --target all (both cores)",
        cc + ["check", *map(str, many), "--target", "all", "--format", "json", "-o", os.devnull])

    print(f"{'command':72} {'time':>9} {'peak RSS':>10}")
    for label, t, m, _size in rows:
        print(f"{label:72} {t * 1000:7.1f} ms {m:7.1f} MiB")
    print("\nratios (target in brackets)")
    s = results["small"]
    print(f"  small check (default targets) / import click: "
          f"{s['check_default'][0] / click_t:4.2f}x  [<= 2]")
    print(f"  small check --target all / import click:       {s['check'][0] / click_t:4.2f}x")
    for name, r in results.items():
        if not name.startswith("large"):
            continue
        ct, cm = r["check"]
        print(f"  {name}: check / wasmtime validation: {ct / r['wasmtime'][0]:4.2f}x  [<= 2]")
        if "wasm-objdump" in r:
            print(f"  {name}: wasm-objdump -x / check:   {r['wasm-objdump'][0] / ct:4.2f}x  [>= 5]")
        budget = 3 * r["size"] / (1 << 20) + bare_mem
        print(f"  {name}: peak memory {cm:.0f} MiB vs 3x module + interpreter = {budget:.0f} MiB "
              f"[{'met' if cm <= budget else 'exceeded'}]")
    shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
