"""Coverage-guided fuzzing of the reader, feature scanner and checker with atheris.

    python fuzz/run.py --seconds 120

Seeds: samples/*.wasm and every binary module in the WebAssembly test vectors. Fails (exit 1)
on any crash, hang (per-input timeout) or runaway memory, and copies the input into
tests/fuzz_regressions/ so that it becomes a regression test. Prints the executions it ran.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
TARGET = '''
import sys
import atheris
with atheris.instrument_imports(include=["compatcheck"]):
    sys.path.insert(0, {fuzz_dir!r})
    from harness import one_input
atheris.Setup(sys.argv, one_input)
atheris.Fuzz()
'''


def seeds(corpus: Path) -> int:
    sys.path.insert(0, str(ROOT / "tests"))
    from wast import modules

    n = 0
    for p in sorted((ROOT / "samples").glob("*.wasm")):
        shutil.copy(p, corpus / p.name)
        n += 1
    suite = Path(os.environ.get("COMPATCHECK_WASM_TESTSUITE", ROOT.parent / "shared" / "wasm-testsuite"))
    for wast in sorted(suite.glob("*.wast")):
        for i, m in enumerate(modules(wast)):
            if m.kind == "binary":
                (corpus / f"{wast.stem}-{i}.wasm").write_bytes(m.payload)
                n += 1
    return n


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--seconds", type=int, default=int(os.environ.get("FUZZ_SECONDS", 60)))
    ap.add_argument("--rss-limit-mb", type=int, default=2048)
    ap.add_argument("--timeout", type=int, default=10, help="seconds per input")
    args = ap.parse_args()
    with tempfile.TemporaryDirectory(prefix="compatcheck-fuzz-") as tmp:
        tmp = Path(tmp)
        corpus = tmp / "corpus"
        corpus.mkdir()
        n_seeds = seeds(corpus)
        target = tmp / "target.py"
        target.write_text(TARGET.format(fuzz_dir=str(ROOT / "fuzz")))
        cmd = [sys.executable, str(target), str(corpus), f"-max_total_time={args.seconds}",
               f"-rss_limit_mb={args.rss_limit_mb}", f"-timeout={args.timeout}",
               "-print_final_stats=1", f"-artifact_prefix={tmp}/", "-max_len=65536"]
        proc = subprocess.run(cmd, capture_output=True, text=True, cwd=ROOT,
                              timeout=args.seconds + 600)
        log = proc.stdout + proc.stderr
        m = re.search(r"stat::number_of_executed_units:\s*(\d+)", log)
        runs = int(m.group(1)) if m else 0
        artifacts = [p for p in tmp.iterdir()
                     if p.name.startswith(("crash-", "timeout-", "oom-", "leak-", "slow-unit-"))]
        print(f"fuzz: {runs} executions in {args.seconds} s from {n_seeds} seeds; "
              f"{len(artifacts)} failing inputs")
        if artifacts or proc.returncode != 0:
            dest = ROOT / "tests" / "fuzz_regressions"
            dest.mkdir(exist_ok=True)
            for a in artifacts:
                shutil.copy(a, dest / a.name)
                print(f"fuzz: kept {dest / a.name}")
            print(log[-4000:])
            return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
