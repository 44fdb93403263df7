"""Every Wasm plugin a manifest configures: Istio and Higress `WasmPlugin`, Envoy Gateway
`EnvoyExtensionPolicy`, and anything Envoy-shaped (bootstrap, listener, `EnvoyFilter` patch,
`TypedStruct`): each mapping with a `vm_config` is a proxy-wasm PluginConfig."""

from __future__ import annotations

import base64
import json
import binascii

from ..record import record
from .yamlload import Map

RUNTIME_V8 = "envoy.wasm.runtime.v8"
_KINDS = {"filters.http.wasm": "HTTP filter", "filters.network.wasm": "network filter",
          "wasm.v3.WasmService": "Wasm service", "access_loggers.wasm": "access logger",
          "stat_sinks.wasm": "stat sink"}


@record(uncompared=("data",))
class CodeSource:
    kind: str  # file | inline | remote | image | nullvm
    ref: str  # file name, URL, image reference, NullVM plugin name ("" for inline bytes)
    line: int
    sha256: str | None = None
    sha256_line: int | None = None
    data: bytes | None = None  # inline bytes


@record
class Plugin:
    file: str
    line: int
    consumer: str  # envoy | istio | higress | envoy-gateway: who turns the source into bytes
    kind: str  # what the user wrote, e.g. "WasmPlugin", "HTTP filter"
    name: str
    root_id: str
    vm_id: str
    runtime: str
    runtime_line: int
    code: CodeSource
    config_type: str = ""  # the configuration's @type ("" when none or JSON from a CRD)
    config_line: int = 0
    plugin_config: str = ""  # what proxy_on_configure reads ("" when none is given)
    vm_config: str = ""  # what proxy_on_vm_start reads

    @property
    def label(self) -> str:
        bits = [f'root_id "{self.root_id}"', f'vm_id "{self.vm_id}"', self.runtime]
        name = f' "{self.name}"' if self.name else ""
        return f"{self.file}:{self.line}: {self.kind}{name} ({', '.join(bits)})"


def _get(m: Map, *keys: str):
    """The first of ``keys`` present (Envoy reads both snake_case and lowerCamelCase JSON)."""
    for k in keys:
        if k in m:
            return m[k], m.line_of(k)
    return None, m.line


def find_plugins(file: str, docs: list[Map]) -> list[Plugin]:
    out: list[Plugin] = []
    for doc in docs:
        api = str(doc.get("apiVersion", ""))
        kind = str(doc.get("kind", ""))
        spec = got if isinstance(got := doc.get("spec"), Map) else Map()
        if kind == "WasmPlugin" and api.startswith(("extensions.istio.io/", "extensions.higress.io/")):
            out.append(_wasm_plugin(file, doc, spec, "higress" if "higress" in api else "istio"))
        elif kind == "EnvoyExtensionPolicy" and api.startswith("gateway.envoyproxy.io/"):
            out.extend(_extension_policy(file, doc, spec))
        else:
            consumer = "istio" if kind == "EnvoyFilter" else "envoy"
            _walk(file, doc, consumer, "", out, 0)
    return out


def _walk(file: str, node, consumer: str, kind: str, out: list, depth: int) -> None:
    if depth > 100:
        return
    if isinstance(node, Map):
        type_url = str(node.get("@type", "") or node.get("type_url", "") or node.get("typeUrl", ""))
        kind = next((v for k, v in _KINDS.items() if k in type_url), kind)
        vm, _ = _get(node, "vm_config", "vmConfig")
        if isinstance(vm, Map):
            out.append(_plugin_config(file, node, vm, consumer, kind or "Wasm plugin"))
            return
        for value in node.values():
            _walk(file, value, consumer, kind, out, depth + 1)
    elif isinstance(node, list):
        for value in node:
            _walk(file, value, consumer, kind, out, depth + 1)


def _plugin_config(file: str, cfg: Map, vm: Map, consumer: str, kind: str) -> Plugin:
    runtime, runtime_line = _get(vm, "runtime")
    root_id, _ = _get(cfg, "root_id", "rootId")
    vm_id, _ = _get(vm, "vm_id", "vmId")
    conf, conf_line = _get(cfg, "configuration")
    conf_type = str(conf.get("@type", "")) if isinstance(conf, Map) else ""
    vm_conf, _ = _get(vm, "configuration")
    runtime = str(runtime or "")
    return Plugin(file, cfg.line, consumer, kind, str(cfg.get("name", "") or ""),
                  str(root_id or ""), str(vm_id or ""), runtime, runtime_line,
                  _envoy_code(vm, runtime), conf_type, conf_line, config_text(conf),
                  config_text(vm_conf))


def config_text(conf) -> str:
    """The bytes a filter's configuration buffer holds, as Envoy builds them from the config:
    a StringValue's or BytesValue's value as is, any other message (TypedStruct, Struct) as
    JSON of its fields, a plain scalar as its text; nothing when absent."""
    if conf is None:
        return ""
    if isinstance(conf, Map):
        kind = str(conf.get("@type", ""))
        if kind.endswith((".StringValue", ".BytesValue")):
            return str(conf.get("value", "") or "")
        body = conf.get("value") if kind.endswith(".TypedStruct") else \
            {k: v for k, v in conf.items() if k != "@type"}
        return json.dumps(body, separators=(",", ":"))
    if isinstance(conf, (list, dict)):
        return json.dumps(conf, separators=(",", ":"))
    return str(conf)


def _envoy_code(vm: Map, runtime: str) -> CodeSource:
    code, code_line = _get(vm, "code")
    if not isinstance(code, Map):
        return CodeSource("inline", "", code_line)
    local, _ = _get(code, "local")
    remote, _ = _get(code, "remote")
    if isinstance(remote, Map):
        uri_map, _ = _get(remote, "http_uri", "httpUri")
        uri, uri_line = _get(uri_map, "uri") if isinstance(uri_map, Map) else (None, remote.line)
        sha, sha_line = _get(remote, "sha256")
        return CodeSource("remote", str(uri or ""), uri_line,
                          None if sha is None else str(sha), sha_line if sha is not None else None)
    if not isinstance(local, Map):
        return CodeSource("inline", "", code_line)
    null = runtime.endswith(".null")
    for key, kind in (("filename", "file"), ("inline_string", "inline"), ("inlineString", "inline"),
                      ("inline_bytes", "inline"), ("inlineBytes", "inline")):
        if key in local:
            value, line = local[key], local.line_of(key)
            if null:
                return CodeSource("nullvm", str(value), line)
            if key.startswith("inline_b") or key.startswith("inlineB"):
                return CodeSource("inline", "", line, data=_b64(value))
            if kind == "inline":
                return CodeSource("inline", "", line, data=str(value).encode("utf-8", "replace"))
            return CodeSource("file", str(value), line)
    return CodeSource("inline", "", local.line)


def _b64(value) -> bytes:
    try:
        return base64.b64decode(str(value), validate=False)
    except (binascii.Error, ValueError):
        return b""


def _wasm_plugin(file: str, doc: Map, spec: Map, consumer: str) -> Plugin:
    url, url_line = _get(spec, "url")
    url = str(url or "")
    sha, sha_line = _get(spec, "sha256")
    scheme = url.split("://", 1)[0] if "://" in url else ""
    kind = {"": "image", "oci": "image", "file": "file", "http": "remote", "https": "remote"}
    source = CodeSource(kind.get(scheme, "remote"),
                        url if scheme else f"oci://{url}",  # no scheme: oci:// (extensions.go)
                        url_line, None if sha is None else str(sha), sha_line if sha else None)
    if scheme == "file":
        source = CodeSource("file", url[len("file://"):], url_line)
    name = str((doc.get("metadata") or {}).get("name", "")) if isinstance(doc.get("metadata"), Map) else ""
    root, _ = _get(spec, "pluginName")
    conf, conf_line = _get(spec, "pluginConfig")
    return Plugin(file, doc.line, consumer, "WasmPlugin", name, str(root or ""), "", RUNTIME_V8,
                  url_line, source, config_line=conf_line,
                  plugin_config="" if conf is None else config_text(conf))


def _extension_policy(file: str, doc: Map, spec: Map) -> list[Plugin]:
    out = []
    wasms = spec.get("wasm")
    for i, entry in enumerate(wasms if isinstance(wasms, list) else []):
        if not isinstance(entry, Map):
            continue
        code = got if isinstance(got := entry.get("code"), Map) else Map()
        ctype = str(code.get("type", ""))
        sub = code.get("image" if ctype == "Image" else "http")
        sub = sub if isinstance(sub, Map) else Map()
        url, url_line = _get(sub, "url")
        sha, sha_line = _get(sub, "sha256")
        url = str(url or "")
        if ctype == "Image":
            url = url if url.startswith("oci://") else f"oci://{url}"
            last = url.rsplit("/", 1)[-1]
            url = url if (":" in last or "@" in url) else url + ":latest"  # translator's rule
        source = CodeSource("image" if ctype == "Image" else "remote", url, url_line,
                            None if sha is None else str(sha), sha_line if sha else None)
        name = str(entry.get("name", "") or "")
        assert wasms is not None  # the loop runs only over a list (a Seq)
        conf, conf_line = _get(entry, "config")
        out.append(Plugin(file, wasms.line_of(i), "envoy-gateway", "EnvoyExtensionPolicy wasm",
                          name, str(entry.get("rootID", "") or ""), name, RUNTIME_V8, url_line,
                          source, config_line=conf_line, plugin_config=config_text(conf)))
    return out
