"""What a manifest adds to a module's verdict on one build: the consumer's image decision, the
sha256 it compares, the runtime the manifest names (compiled in? a NullVM plugin the build
has?) and the configuration's type. Each finding points at the manifest's file and line."""

from __future__ import annotations

import re

from ..artifacts.consumers import PRODUCT_TITLES, fetcher_for, nullvm_plugins, product_fetchers
from ..artifacts.decide import Decision, decide
from ..artifacts.model import sha256_hex
from ..checks._build import finding
from .find import Plugin
from .resolve import Resolved

RUNTIME_PREFIX = "envoy.wasm.runtime."
STRING_TYPES = ("type.googleapis.com/google.protobuf.StringValue",
                "type.googleapis.com/google.protobuf.BytesValue")
ENVOY_SHA_SOURCE = ("envoyproxy/envoy@d026e913427989a8d1542de03ba50f2af814e728:"
                    "source/common/config/remote_data_fetcher.cc:57")
ENVOY_SHA_REQUIRED = ("envoyproxy/envoy@d026e913427989a8d1542de03ba50f2af814e728:"
                      "api/envoy/config/core/v3/base.proto:607")
ENVOY_RUNTIME_SOURCE = ("envoyproxy/envoy@d026e913427989a8d1542de03ba50f2af814e728:"
                        "source/extensions/common/wasm/wasm_vm.cc:101")
ENVOY_ANY_SOURCE = ("envoyproxy/envoy@d026e913427989a8d1542de03ba50f2af814e728:"
                    "source/common/protobuf/utility.h:426")
_HEX64 = re.compile(r"^[a-f0-9]{64}$")
FETCH = -20  # positions within the "runtime" stage: the consumer acts before the proxy loads
RUNTIME = -10


def _f(code, message, plugin: Plugin, line, position, fix=None, severity=None, location=None,
       unverified=False):
    return finding(code, message, "runtime", fix=fix, severity=severity, position=position,
                   location=location, file=plugin.file, line=line, unverified=unverified)


def host_findings(plugin: Plugin, resolved: Resolved | None, host) -> list:
    """Findings of this plugin's manifest entry on ``host`` (module findings come apart)."""
    out = []
    product_fetcher = None
    if plugin.consumer in ("istio", "higress") and host.product == plugin.consumer:
        product_fetcher = fetcher_for(host.product, host.first)
    if resolved is not None and resolved.artifact.image is not None:
        if product_fetcher is not None:
            out += _image(plugin, resolved, decide(resolved.artifact.image, product_fetcher))
        elif plugin.consumer == "envoy-gateway":
            for f in product_fetchers("envoy-gateway"):
                out += _image(plugin, resolved, decide(resolved.artifact.image, f))
    out += _sha256(plugin, resolved, product_fetcher)
    out += _runtime(plugin, host)
    if plugin.config_type and plugin.config_type not in STRING_TYPES:
        out.append(_f("CC904", f"configuration is {plugin.config_type}: the plugin receives its "
                      "serialized protobuf bytes, not JSON (Envoy's MessageUtil::anyToBytes, "
                      f"{ENVOY_ANY_SOURCE})", plugin, plugin.config_line, RUNTIME,
                      location="configuration"))
    return out


def _image(plugin: Plugin, resolved: Resolved, d: Decision) -> list:
    if d.accepted:
        return []
    return [_f("CC901", f"{d.fetcher.label}: cannot fetch Wasm module {plugin.code.ref}: could "
               f"not fetch Wasm binary: {d.message} (decided at {d.cite})", plugin, plugin.code.line,
               FETCH, location=f"image {plugin.code.ref}", unverified=d.fetcher.status != "verified")]


def _sha256(plugin: Plugin, resolved: Resolved | None, fetcher) -> list:
    code = plugin.code
    if plugin.consumer == "envoy" and code.kind == "remote":
        if not code.sha256:
            return [_f("CC903", f"code.remote has no sha256: Envoy refuses the configuration "
                       f"(RemoteDataSource.sha256 requires a value, {ENVOY_SHA_REQUIRED})",
                       plugin, code.line, FETCH, location="code.remote.sha256")]
        if resolved is None or resolved.raw is None:
            return []
        got = sha256_hex(resolved.raw)
        if got != code.sha256:
            return [_f("CC902", "Retry limit exceeded for fetching data from remote data "
                       f"source. / Plugin {plugin.name} failed to load: the sha256 of "
                       f"{code.ref} is {got}, the config says {code.sha256} (Envoy: fetch remote "
                       f"data: data is invalid, {ENVOY_SHA_SOURCE})", plugin, code.sha256_line,
                       FETCH, location="code.remote.sha256")]
        return []
    if not code.sha256 or code.kind not in ("image", "remote"):
        return []
    if plugin.kind == "WasmPlugin" and not _HEX64.match(code.sha256):
        why = ("must be 64 characters long" if len(code.sha256) != 64
               else "must match [a-f0-9]{64} pattern")
        cite = fetcher.source("sha256_format") if fetcher is not None else ""
        return [_f("CC903", f"sha256 field {why} (Istio's validation refuses the WasmPlugin"
                   f"{', ' + cite if cite else ''})", plugin, code.sha256_line, FETCH,
                   location="spec.sha256")]
    want = _expected(resolved, code.kind, fetcher)
    if want is None or want == code.sha256:
        return []
    what = "image manifest digest" if code.kind == "image" else "module sha256"
    cite = fetcher.source("digest" if code.kind == "image" else "http_sha256") if fetcher else ""
    return [_f("CC902", f"module downloaded from {code.ref} has checksum {want}, which does not "
               f"match: {code.sha256} (the {what}{'; ' + cite if cite else ''})", plugin,
               code.sha256_line, FETCH, location="sha256")]


def _expected(resolved: Resolved | None, kind: str, fetcher) -> str | None:
    if resolved is None:
        return None
    if kind == "image":
        image = resolved.artifact.image
        return None if image is None else image.digest_hex
    unbox = fetcher.http_unbox if fetcher is not None else True
    data = resolved.artifact.module if unbox or resolved.raw is None else resolved.raw
    return None if data is None else sha256_hex(data)


def _runtime(plugin: Plugin, host) -> list:
    runtime = plugin.runtime
    engine = runtime[len(RUNTIME_PREFIX):] if runtime.startswith(RUNTIME_PREFIX) else runtime
    compiled = tuple(host.runtimes_compiled)
    if not compiled and plugin.code.kind != "nullvm":
        return []  # no runtime at all: the module check says so (CC010)
    if engine and engine not in compiled:
        return [_f("CC011", f"Failed to create Wasm VM using {runtime} runtime. Envoy was "
                   f"compiled without support for it ({host.label} has "
                   f"{', '.join(RUNTIME_PREFIX + c for c in compiled)}; {ENVOY_RUNTIME_SOURCE})",
                   plugin, plugin.runtime_line, RUNTIME, location="vm_config.runtime")]
    if engine == "null":
        plugins, sources = nullvm_plugins(host.product, host.first)
        name = plugin.code.ref
        if name not in plugins:
            have = ", ".join(sorted(plugins)) or "none"
            where = f" ({'; '.join(sources)})" if sources else ""
            title = PRODUCT_TITLES.get(host.product, host.product)
            return [_f("CC012", f"Failed to load Wasm code: no NullVM plugin {name!r} in {title} "
                       f"{host.version_label} (it registers: {have}){where}", plugin,
                       plugin.code.line, RUNTIME, location="vm_config.code")]
    return []
