"""Build the request-time test filters (tests/integration/test_serving.py) with real compilers.

    python tests/toolchains/filters_run/build.py OUTDIR

The toolchains and their detection are those of tests/toolchains/build.py (installed by
.ci/install-toolchains.sh): clang + wasi-libc and zig cc build c/filter.c, zig builds
zig/filter.zig, Go (wasip1, //go:wasmexport) builds go/, AssemblyScript 0.14.9 with
@solo-io/proxy-runtime 0.1.8 (the node_modules of tests/toolchains/as) builds as/.
"""

from __future__ import annotations

import importlib.util
import os
import shutil
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
_spec = importlib.util.spec_from_file_location("toolchains_build", HERE.parent / "build.py")
tc = importlib.util.module_from_spec(_spec)
sys.modules.setdefault("toolchains_build", tc)
_spec.loader.exec_module(tc)

# filter -> the toolchain that builds it (tests/toolchains/build.py detect())
FILTERS = {"c-clang": "clang", "c-zigcc": "zig", "zig": "zig", "go": "go", "as": "asc"}


def _command(name: str, out: Path, tmp: Path):
    c = str(HERE / "c" / "filter.c")
    reactor = ["-mexec-model=reactor", "-O2"]
    if name == "c-clang":
        return ["clang", "--target=wasm32-wasi", "--sysroot=/usr", *reactor, "-o", str(out), c], \
            None, tc._clang_env()
    if name == "c-zigcc":
        return [sys.executable, "-m", "ziglang", "cc", "--target=wasm32-wasi", *reactor, "-o",
                str(out), c], None, tc._zig_env()
    if name == "zig":
        return [sys.executable, "-m", "ziglang", "build-exe", str(HERE / "zig" / "filter.zig"),
                "-target", "wasm32-freestanding", "-fno-entry", "-rdynamic", "-O", "ReleaseSafe",
                f"-femit-bin={out}"], None, tc._zig_env()
    if name == "go":
        return [tc._go_binary() or "go", "build", "-buildmode=c-shared", "-o", str(out), "."], \
            HERE / "go", tc._go_env()
    # AssemblyScript: the source next to the installed node_modules of tests/toolchains/as
    work = tmp / "as"
    shutil.copytree(HERE / "as", work)
    (work / "node_modules").symlink_to(tc.AS_DIR / "node_modules")
    return ["node", str(tc.AS_DIR / "node_modules" / "assemblyscript" / "bin" / "asc"),
            "assembly/index.ts", "-b", str(out), "--optimize", "--use", "abort=abort_proc_exit"], \
        work, None


def build(outdir: Path) -> tuple[dict[str, Path], dict[str, str], dict[str, str]]:
    """(built name -> path, skipped name -> why, failed name -> output)."""
    outdir.mkdir(parents=True, exist_ok=True)
    built, skipped, failed = {}, {}, {}
    usable = {}
    with tempfile.TemporaryDirectory(prefix="compatcheck-filters-") as tmp:
        for name, toolchain in FILTERS.items():
            if toolchain not in usable:
                usable[toolchain] = tc.detect(toolchain)
            version, why = usable[toolchain]
            if version is None:
                skipped[name] = why
                continue
            out = outdir / f"{name}.wasm"
            argv, cwd, env = _command(name, out, Path(tmp))
            p = tc._run(argv, cwd=cwd, env=env)
            if p.returncode == 0 and out.is_file():
                built[name] = out
            else:
                failed[name] = "\n".join(p.stdout.strip().splitlines()[-15:]) or f"exit {p.returncode}"
    return built, skipped, failed


if __name__ == "__main__":
    b, s, f = build(Path(sys.argv[1] if len(sys.argv) > 1 else os.getcwd()))
    print("built", sorted(b), "skipped", s, "failed", f)
    sys.exit(1 if f else 0)
