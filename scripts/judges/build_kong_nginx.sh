#!/usr/bin/env bash
# Build nginx + Kong/ngx_wasm_module (wasmtime runtime) outside the repository, as the judge of
# tests/integration/test_kong_judge.py (scripts/judges/kong_nginx.py runs one filter in it).
#
#   build_kong_nginx.sh [WORKDIR]        (default /tmp/kong-judge)
#   KONG_COMMIT=070f3710c7182f7681c3e05631995af3039a8eac build_kong_nginx.sh /tmp/kong-judge
#                                        (0.5.0; its judge is COMPATCHECK_KONG_NGINX_05)
#
# Inputs (environment; nothing is downloaded but the PyPI wheel):
#   KONG_GIT       bare git dir of Kong/ngx_wasm_module   (default /work/.mirror/Kong+ngx_wasm_module/repo)
#   KONG_COMMIT    commit to build (default c62213bae4dd913328edc981769d66155b0948ae, 0.6.x;
#                  0.5.0 is 070f3710c7182f7681c3e05631995af3039a8eac)
#   NGINX_GIT      bare git dir of nginx/nginx            (default /work/.mirror/nginx+nginx/repo)
#   NGINX_TAG      (default release-<NGX>, the `NGX ?=` pin of ngx_wasm_module's Makefile at
#                  KONG_COMMIT: 1.27.4 at c62213ba, 1.27.2 at 070f3710)
#   WASMTIME_GIT   bare git dir of bytecodealliance/wasmtime (C headers; default
#                  /work/.mirror/bytecodealliance+wasmtime/repo)
#   HEADERS_TAG    wasmtime tag whose crates/c-api/include is used (default v<WASMTIME> from the
#                  Makefile's `WASMTIME ?=` pin: 26.0.0 at both commits, and ngx_wrt.h refuses any
#                  WASMTIME_VERSION_MAJOR but 26 at both)
#   WHEEL_VERSION  PyPI `wasmtime` wheel whose bundled libwasmtime is linked (default 25.0.0;
#                  26.0.0 is not on PyPI, and 25.0.0's C API differs from 26.0.0's only in the
#                  wasmtime_table_* index width, which ngx_wasm_module does not call)
#   NGX_DEBUG      1 to configure nginx --with-debug (turns ngx_wa_assert on; default 0, as a
#                  release build)
#
# The mirrors come from the `fetch` tool (github:Kong/ngx_wasm_module, github:nginx/nginx,
# github:bytecodealliance/wasmtime). Needs gcc, make, libpcre3-dev, zlib1g-dev, python3 + pip.
# ngx_wasm_module's Rust helper (lib/ngx-wasm-rs) is only needed for V8/Wasmer: not built.
# On success the last line is `COMPATCHECK_KONG_NGINX=<path to nginx>` (for 0.5.0's commit,
# `COMPATCHECK_KONG_NGINX_05=...`: test_kong_judge.py judges kong-0.6 with the first, kong-0.5
# with the second).
set -euo pipefail

WORK=${1:-/tmp/kong-judge}
KONG_GIT=${KONG_GIT:-/work/.mirror/Kong+ngx_wasm_module/repo}
KONG_COMMIT=${KONG_COMMIT:-c62213bae4dd913328edc981769d66155b0948ae}
NGINX_GIT=${NGINX_GIT:-/work/.mirror/nginx+nginx/repo}
WASMTIME_GIT=${WASMTIME_GIT:-/work/.mirror/bytecodealliance+wasmtime/repo}
# the pins of ngx_wasm_module's own Makefile at that commit ("NGX ?= 1.27.4")
pin() { git --git-dir="$KONG_GIT" show "$KONG_COMMIT:Makefile" | sed -n "s/^$1 ?= *//p" | head -1; }
NGINX_TAG=${NGINX_TAG:-release-$(pin NGX)}
HEADERS_TAG=${HEADERS_TAG:-v$(pin WASMTIME)}
WHEEL_VERSION=${WHEEL_VERSION:-25.0.0}
NGX_DEBUG=${NGX_DEBUG:-0}
PYTHON=${PYTHON:-python3}

short=${KONG_COMMIT:0:8}
SRC=$WORK/ngx_wasm_module-$short
NGX=$WORK/nginx-${NGINX_TAG#release-}
HDR=$WORK/wasmtime-headers-$HEADERS_TAG
LIB=$WORK/libwasmtime-$WHEEL_VERSION
BUILD=$WORK/build-$short$([ "$NGX_DEBUG" = 1 ] && echo -debug || true)
mkdir -p "$WORK"

say() { echo "build_kong_nginx: $*" >&2; }

if [ ! -f "$SRC/config" ]; then
    say "ngx_wasm_module $KONG_COMMIT -> $SRC"
    mkdir -p "$SRC"
    git --git-dir="$KONG_GIT" archive "$KONG_COMMIT" | tar -x -C "$SRC"
fi

if [ ! -x "$NGX/auto/configure" ]; then
    say "nginx $NGINX_TAG -> $NGX"
    mkdir -p "$NGX"
    git --git-dir="$NGINX_GIT" archive "$NGINX_TAG" | tar -x -C "$NGX"
fi

if [ ! -f "$HDR/include/wasmtime.h" ]; then
    say "wasmtime C headers $HEADERS_TAG -> $HDR"
    rm -rf "$HDR.tmp" && mkdir -p "$HDR.tmp"
    git --git-dir="$WASMTIME_GIT" archive "$HEADERS_TAG" crates/c-api/include | tar -x -C "$HDR.tmp"
    mkdir -p "$HDR" && cp -R "$HDR.tmp/crates/c-api/include" "$HDR/" && rm -rf "$HDR.tmp"
fi

if [ ! -f "$LIB/lib/libwasmtime.so" ]; then
    say "PyPI wasmtime==$WHEEL_VERSION wheel -> $LIB"
    mkdir -p "$LIB/wheel" "$LIB/lib"
    "$PYTHON" -m pip download --quiet --no-deps --only-binary=:all: \
        --platform manylinux1_x86_64 -d "$LIB/wheel" "wasmtime==$WHEEL_VERSION"
    "$PYTHON" -m zipfile -e "$LIB"/wheel/wasmtime-*.whl "$LIB/wheel/x"
    cp "$LIB/wheel/x/wasmtime/linux-x86_64/_libwasmtime.so" "$LIB/lib/libwasmtime.so"
fi

# conf.h: the features the wheel's library was built with, told by the symbols it exports.
if [ ! -f "$HDR/include/wasmtime/conf.h" ]; then
    syms=$(nm -D --defined-only "$LIB/lib/libwasmtime.so" | awk '{print $3}')
    has() { grep -qx "$1" <<<"$syms"; }
    on=()
    has wasmtime_config_profiler_set && on+=(PROFILING)
    has wasmtime_wat2wasm && on+=(WAT)
    has wasmtime_config_cache_config_load && on+=(CACHE)
    has wasmtime_config_parallel_compilation_set && on+=(PARALLEL_COMPILATION)
    has wasi_config_new && on+=(WASI)
    has wasmtime_coredump_set && on+=(COREDUMP)
    has wasmtime_sharedmemory_new && on+=(THREADS)
    has wasmtime_anyref_clone && on+=(GC)
    has wasmtime_config_async_support_set && on+=(ASYNC)
    has wasmtime_config_cranelift_opt_level_set && on+=(CRANELIFT)
    on+=(ADDR2LINE DEMANGLE)
    {
        echo "/* generated by build_kong_nginx.sh from $(basename "$LIB")'s exported symbols */"
        echo "#ifndef WASMTIME_CONF_H"
        echo "#define WASMTIME_CONF_H"
        for f in "${on[@]}"; do echo "#define WASMTIME_FEATURE_$f"; done
        echo "#if defined(WASMTIME_FEATURE_CRANELIFT) || defined(WASMTIME_FEATURE_WINCH)"
        echo "#define WASMTIME_FEATURE_COMPILER"
        echo "#endif"
        echo "#endif"
    } > "$HDR/include/wasmtime/conf.h"
    say "conf.h features: ${on[*]}"
fi

if [ ! -x "$BUILD/nginx" ]; then
    say "configure + make (-j2) -> $BUILD"
    debug=()
    [ "$NGX_DEBUG" = 1 ] && debug=(--with-debug)
    (
        cd "$NGX"
        NGX_WASM_RUNTIME=wasmtime \
        NGX_WASM_RUNTIME_INC="$HDR/include" \
        NGX_WASM_RUNTIME_LIB="$LIB/lib" \
        ./auto/configure --prefix="$WORK/prefix" --builddir="$BUILD" \
            --with-cc-opt="-O2 -g" "${debug[@]}" --add-module="$SRC" > "$BUILD.configure.log" 2>&1 \
            || { tail -30 "$BUILD.configure.log" >&2; exit 1; }
        make -j2 > "$BUILD.make.log" 2>&1 || { grep -B2 -A8 "error" "$BUILD.make.log" | head -40 >&2; exit 1; }
    )
fi

"$BUILD/nginx" -V 2>&1 | sed -n 1p >&2  # (sed reads all: head would SIGPIPE nginx under pipefail)
var=COMPATCHECK_KONG_NGINX
[ "$KONG_COMMIT" = 070f3710c7182f7681c3e05631995af3039a8eac ] && var=COMPATCHECK_KONG_NGINX_05
echo "$var=$BUILD/nginx"
