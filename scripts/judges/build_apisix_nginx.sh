#!/usr/bin/env bash
# Build an APISIX Proxy-Wasm host (api7/wasm-nginx-module) for scripts/judges/apisix_nginx.py,
# entirely outside the repository (default /tmp/apisix-judge). Nothing fetched or built here
# is committed; this script only refers to sources.
#
# What it builds: api7/wasm-nginx-module as a dynamic module for Debian bookworm's nginx 1.22.1
# (--with-compat), run with Debian's lua-nginx-module 0.10.23 and lua-resty-core, linked
# against libwasmtime 0.38.0 from the PyPI wasmtime wheel (install-wasmtime.sh pins v0.38.1,
# whose C API release is on GitHub only; 0.38.1 is not on PyPI).
#
# Needs (Debian bookworm, root):
#   apt-get install nginx libnginx-mod-http-lua lua-resty-core lua-resty-lrucache \
#       libluajit2-5.1-dev libpcre3-dev libssl-dev zlib1g-dev build-essential
#   pip download wasmtime==0.38.0 --no-deps -d $WHEEL_DIR   (wasmtime/linux-x86_64/_libwasmtime.so)
# and bare git snapshots of (the fetch tool puts them under /work/.mirror/<owner>+<name>/repo):
#   api7/wasm-nginx-module       0b4b31d6ecfdbc587e8ea455ed6e920a98aadff1 (tag 0.7.0;
#                                0.6.5 = ccc83f7397c711b5f99a55682134a0972a5a6040)
#   nginx/nginx                  release-1.22.1
#   bytecodealliance/wasmtime    v0.38.0 (crates/c-api/include)
#   WebAssembly/wasm-c-api       c9d31284651b975f05ac27cee0bab1377560b87e (wasm.h; wasmtime
#                                v0.38.0's crates/c-api/wasm-c-api submodule)
#   openresty/lua-nginx-module   v0.10.23 (src/api/ngx_http_lua_api.h; Debian ships no headers)
#   ledgetech/lua-resty-http     v0.17.1 (resty/http.lua, required by resty/proxy-wasm.lua;
#                                not packaged by Debian)
#
# Usage: scripts/judges/build_apisix_nginx.sh [WNM_COMMIT]
# Environment: OUT (default /tmp/apisix-judge), MIRROR (default /work/.mirror),
#              WHEEL (default /tmp/wtw/wasmtime-0.38.0-py3-none-manylinux1_x86_64.whl)
# Prints the COMPATCHECK_APISIX_* exports for the judge and tests/integration/test_apisix_judge.py.
set -euo pipefail

WNM_COMMIT=${1:-0b4b31d6ecfdbc587e8ea455ed6e920a98aadff1}
OUT=${OUT:-/tmp/apisix-judge}
MIRROR=${MIRROR:-/work/.mirror}
WHEEL=${WHEEL:-/tmp/wtw/wasmtime-0.38.0-py3-none-manylinux1_x86_64.whl}
SRC=$OUT/src
WNM=$SRC/wnm-${WNM_COMMIT:0:7}

git_of() { echo "$MIRROR/$1/repo"; }
extract() {  # extract REPO-DIR REV DEST [PATH...]
    local repo=$1 rev=$2 dest=$3; shift 3
    mkdir -p "$dest"
    git --git-dir="$repo" archive "$rev" "$@" | tar -x -C "$dest"
}

for f in /usr/sbin/nginx /usr/lib/nginx/modules/ngx_http_lua_module.so \
         /usr/share/lua/5.1/resty/core.lua /usr/include/luajit-2.1/lua.h; do
    [ -e "$f" ] || { echo "missing $f: install the Debian packages listed above" >&2; exit 1; }
done
[ -f "$WHEEL" ] || { echo "missing $WHEEL: pip download wasmtime==0.38.0 --no-deps" >&2; exit 1; }

mkdir -p "$SRC" "$OUT/modules"
rm -rf "$WNM" "$SRC/nginx" "$SRC/wasmtime-c-api" "$SRC/lua-nginx-module" "$SRC/lua-resty-http"
extract "$(git_of api7+wasm-nginx-module)" "$WNM_COMMIT" "$WNM"
extract "$(git_of nginx+nginx)" release-1.22.1 "$SRC/nginx"
extract "$(git_of openresty+lua-nginx-module)" v0.10.23 "$SRC/lua-nginx-module" src/api
extract "$(git_of ledgetech+lua-resty-http)" v0.17.1 "$SRC/lua-resty-http" lib

# wasmtime C API: headers from the wasmtime tag, wasm.h from its wasm-c-api submodule commit,
# the library from the PyPI wheel (no SONAME: linked by path, found through the rpath)
extract "$(git_of bytecodealliance+wasmtime)" v0.38.0 "$SRC/wasmtime-tree" crates/c-api/include
mkdir -p "$SRC/wasmtime-c-api/lib"
mv "$SRC/wasmtime-tree/crates/c-api/include" "$SRC/wasmtime-c-api/include"
rm -rf "$SRC/wasmtime-tree"
git --git-dir="$(git_of WebAssembly+wasm-c-api)" show \
    c9d31284651b975f05ac27cee0bab1377560b87e:include/wasm.h > "$SRC/wasmtime-c-api/include/wasm.h"
rm -rf "$SRC/wheel"
python3 -c "import sys, zipfile; zipfile.ZipFile(sys.argv[1]).extractall(sys.argv[2])" \
    "$WHEEL" "$SRC/wheel"
ln -sf "$SRC/wheel/wasmtime/linux-x86_64/_libwasmtime.so" "$SRC/wasmtime-c-api/lib/libwasmtime.so"
ln -sfn "$SRC/wasmtime-c-api" "$WNM/wasmtime-c-api"   # the module's config looks here

# Debian's nginx -V arguments (minus the =dynamic modules that need more -dev packages), the
# lua API header and LuaJIT for proxy_wasm_types.h, and the module as a dynamic module
cd "$SRC/nginx"
./auto/configure \
    --with-cc-opt="-g -O2 -fstack-protector-strong -Wformat -Werror=format-security -fPIC -Wdate-time -D_FORTIFY_SOURCE=2 -I$SRC/lua-nginx-module/src/api -I/usr/include/luajit-2.1" \
    --with-ld-opt="-Wl,-z,relro -Wl,-z,now -fPIC -Wl,-rpath,$SRC/wasmtime-c-api/lib" \
    --prefix=/usr/share/nginx --conf-path=/etc/nginx/nginx.conf \
    --http-log-path=/var/log/nginx/access.log --error-log-path=stderr \
    --lock-path=/var/lock/nginx.lock --pid-path=/run/nginx.pid \
    --modules-path=/usr/lib/nginx/modules \
    --http-client-body-temp-path=/var/lib/nginx/body \
    --http-fastcgi-temp-path=/var/lib/nginx/fastcgi --http-proxy-temp-path=/var/lib/nginx/proxy \
    --http-scgi-temp-path=/var/lib/nginx/scgi --http-uwsgi-temp-path=/var/lib/nginx/uwsgi \
    --with-compat --with-debug --with-pcre-jit --with-http_ssl_module \
    --with-http_stub_status_module --with-http_realip_module --with-http_auth_request_module \
    --with-http_v2_module --with-http_dav_module --with-http_slice_module --with-threads \
    --with-http_addition_module --with-http_flv_module --with-http_gunzip_module \
    --with-http_gzip_static_module --with-http_mp4_module --with-http_random_index_module \
    --with-http_secure_link_module --with-http_sub_module --with-mail_ssl_module \
    --with-stream_ssl_module --with-stream_ssl_preread_module --with-stream_realip_module \
    --add-dynamic-module="$WNM" > "$OUT/configure.log"
make -j2 modules > "$OUT/make.log"
MODULE=$OUT/modules/ngx_http_wasm_module-${WNM_COMMIT:0:7}.so
cp objs/ngx_http_wasm_module.so "$MODULE"

cat <<EOF
export COMPATCHECK_APISIX_NGINX=/usr/sbin/nginx
export COMPATCHECK_APISIX_MODULE=$MODULE
export COMPATCHECK_APISIX_LUA_LIB=$WNM/lib:$SRC/lua-resty-http/lib
EOF
