"""Manifests and configs that deploy Wasm plugins: Istio/Higress `WasmPlugin`, `EnvoyFilter`,
Envoy Gateway `EnvoyExtensionPolicy`, Envoy bootstrap and listener YAML/JSON. Each plugin is
found with its runtime, root_id, vm_id, configuration and code source (with line numbers),
its code resolved (local file, OCI layout or archive, registry, `--artifact REF=PATH`) and
checked against every selected build with the runtime and sha256 the manifest names."""
