"""Building Wasm images on disk for tests: OCI image layouts (the variants the Wasm image specs
and real tools produce), a `docker save` archive, and a registry to push them to."""

from __future__ import annotations

import gzip
import hashlib
import io
import json
import os
import shutil
import socket
import subprocess
import tarfile
import time
from pathlib import Path

OCI_MANIFEST = "application/vnd.oci.image.manifest.v1+json"
OCI_INDEX = "application/vnd.oci.image.index.v1+json"
DOCKER_MANIFEST = "application/vnd.docker.distribution.manifest.v2+json"
OCI_CONFIG = "application/vnd.oci.image.config.v1+json"
DOCKER_CONFIG = "application/vnd.docker.container.image.v1+json"
OCI_LAYER_GZIP = "application/vnd.oci.image.layer.v1.tar+gzip"
OCI_LAYER_TAR = "application/vnd.oci.image.layer.v1.tar"
DOCKER_LAYER_GZIP = "application/vnd.docker.image.rootfs.diff.tar.gzip"
WASM_LAYER = "application/vnd.module.wasm.content.layer.v1+wasm"
WASM_CONFIG = "application/vnd.module.wasm.config.v1+json"
WASM_TO_OCI_LAYER = "application/vnd.wasm.content.layer.v1+wasm"
WASM_TO_OCI_CONFIG = "application/vnd.wasm.config.v1+json"


def tar_of(files: dict[str, bytes]) -> bytes:
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w", format=tarfile.PAX_FORMAT) as tar:
        for name, data in files.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            info.mtime = 0
            tar.addfile(info, io.BytesIO(data))
    return buf.getvalue()


def targz_of(files: dict[str, bytes]) -> bytes:
    return gzip.compress(tar_of(files), mtime=0)


def _digest(data: bytes) -> str:
    return "sha256:" + hashlib.sha256(data).hexdigest()


class Layout:
    """An OCI image layout directory written blob by blob."""

    def __init__(self, root: Path):
        self.root = Path(root)
        (self.root / "blobs" / "sha256").mkdir(parents=True, exist_ok=True)
        (self.root / "oci-layout").write_text('{"imageLayoutVersion": "1.0.0"}')
        self.entries: list[dict] = []

    def blob(self, data: bytes, media_type: str, **extra) -> dict:
        digest = _digest(data)
        (self.root / "blobs" / "sha256" / digest[7:]).write_bytes(data)
        return {"mediaType": media_type, "digest": digest, "size": len(data), **extra}

    def image(self, layers: list[tuple[str, bytes]], *, manifest_type: str = OCI_MANIFEST,
              config_type: str = OCI_CONFIG, config: bytes | None = None) -> dict:
        diff_ids = [_digest(gzip.decompress(d) if d[:2] == b"\x1f\x8b" else d) for _, d in layers]
        cfg = config if config is not None else json.dumps(
            {"architecture": "amd64", "os": "linux",
             "rootfs": {"type": "layers", "diff_ids": diff_ids}}).encode()
        doc = {"schemaVersion": 2, "mediaType": manifest_type,
               "config": self.blob(cfg, config_type),
               "layers": [self.blob(data, mt) for mt, data in layers]}
        return self.blob(json.dumps(doc).encode(), manifest_type)

    def index(self, children: list[tuple[dict, dict | None]]) -> dict:
        doc = {"schemaVersion": 2, "mediaType": OCI_INDEX,
               "manifests": [dict(d, **({"platform": p} if p else {})) for d, p in children]}
        return self.blob(json.dumps(doc).encode(), OCI_INDEX)

    def tag(self, desc: dict, tag: str) -> dict:
        self.entries.append(dict(desc, annotations={"org.opencontainers.image.ref.name": tag}))
        (self.root / "index.json").write_text(json.dumps(
            {"schemaVersion": 2, "mediaType": OCI_INDEX, "manifests": self.entries}))
        return desc


def variants(module: bytes) -> dict[str, dict]:
    """Every image variant a test pushes: name -> layers, manifest and config media types."""
    plugin = targz_of({"plugin.wasm": module})
    junk = targz_of({"etc/label": b"labels"})
    runtime_cfg = json.dumps({"type": "envoy_proxy", "abiVersions": ["v0-0.1.0"]}).encode()
    return {
        "compat-oci": {"layers": [(OCI_LAYER_GZIP, plugin)]},
        "compat-oci-2-layers": {"layers": [(OCI_LAYER_GZIP, junk), (OCI_LAYER_GZIP, plugin)]},
        "compat-oci-uncompressed": {"layers": [(OCI_LAYER_TAR, tar_of({"plugin.wasm": module}))]},
        "compat-oci-no-plugin-wasm": {"layers": [(OCI_LAYER_GZIP, targz_of({"filter.wasm": module}))]},
        "oci-variant": {"layers": [(WASM_CONFIG, runtime_cfg), (WASM_LAYER, module)],
                        "config_type": WASM_CONFIG, "config": b"{}"},
        "oci-single-wasm-layer": {"layers": [(WASM_LAYER, module)], "config_type": WASM_CONFIG,
                                  "config": b"{}"},
        "oci-3-layers": {"layers": [(WASM_CONFIG, runtime_cfg), (WASM_LAYER, module),
                                    (OCI_LAYER_GZIP, junk)]},
        "wasm-to-oci": {"layers": [(WASM_TO_OCI_LAYER, module)], "config_type": WASM_TO_OCI_CONFIG,
                        "config": b"{}"},
        # pushed with `skopeo copy --format v2s2`: a Docker v2 manifest, Docker gzip layers
        "docker-1-layer": {"layers": [(OCI_LAYER_GZIP, plugin)], "push_format": "v2s2"},
        "docker-2-layers": {"layers": [(OCI_LAYER_GZIP, junk), (OCI_LAYER_GZIP, plugin)],
                            "push_format": "v2s2"},
        # hand-made (no client writes it): a Docker v2 manifest listing an OCI layer type
        "docker-manifest-oci-layer": {"layers": [(OCI_LAYER_GZIP, plugin)],
                                      "manifest_type": DOCKER_MANIFEST, "config_type": DOCKER_CONFIG,
                                      "push_format": None},
    }


def write_variant(root: Path, name: str, module: bytes, tag: str = "v1") -> Path:
    spec = variants(module)[name]
    lay = Layout(root)
    desc = lay.image(spec["layers"], manifest_type=spec.get("manifest_type", OCI_MANIFEST),
                     config_type=spec.get("config_type", OCI_CONFIG), config=spec.get("config"))
    lay.tag(desc, tag)
    return root


def write_index(root: Path, module: bytes, platform: dict, tag: str = "v1") -> Path:
    """An image index with one child (compat variant) of the given platform."""
    lay = Layout(root)
    child = lay.image([(OCI_LAYER_GZIP, targz_of({"plugin.wasm": module}))])
    lay.tag(lay.index([(child, platform)]), tag)
    return root


def docker_save(path: Path, module: bytes, layers: int = 1) -> Path:
    """A `docker save` archive (the classic format: manifest.json, <id>/layer.tar)."""
    files: dict[str, bytes] = {}
    names = []
    for i in range(layers):
        content = {"plugin.wasm": module} if i == layers - 1 else {"etc/label": b"x"}
        files[f"l{i}/layer.tar"] = tar_of(content)
        names.append(f"l{i}/layer.tar")
    diff_ids = [_digest(files[n]) for n in names]
    config = json.dumps({"architecture": "amd64", "os": "linux",
                         "rootfs": {"type": "layers", "diff_ids": diff_ids}}).encode()
    files["config.json"] = config
    files["manifest.json"] = json.dumps([{"Config": "config.json", "RepoTags": ["wasm/prime:v1"],
                                          "Layers": names}]).encode()
    path.write_bytes(tar_of(files))
    return path


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Registry:
    """The CNCF distribution server (Debian's docker-registry) on loopback, storage in tmp."""

    def __init__(self, tmp: Path, htpasswd: Path | None = None):
        self.port = free_port()
        self.host = f"127.0.0.1:{self.port}"
        auth = (f"auth:\n  htpasswd:\n    realm: compatcheck\n    path: {htpasswd}\n"
                if htpasswd else "")
        cfg = tmp / "registry.yml"
        cfg.write_text(f"version: 0.1\nlog:\n  level: error\nstorage:\n  filesystem:\n"
                       f"    rootdirectory: {tmp / 'storage'}\n  delete:\n    enabled: true\n"
                       f"http:\n  addr: 127.0.0.1:{self.port}\n{auth}")
        self.log = open(tmp / "registry.log", "wb")
        self.proc = subprocess.Popen(["/usr/bin/docker-registry", "serve", str(cfg)],
                                     stdout=self.log, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=0.2).close()
                return
            except OSError:
                if self.proc.poll() is not None:
                    break
                time.sleep(0.1)
        self.stop()
        raise RuntimeError(f"docker-registry did not start: {(tmp / 'registry.log').read_text()}")

    def push(self, layout: Path, tag: str, repo: str, *, fmt: str | None = None,
             creds: str | None = None) -> str:
        cmd = ["skopeo", "copy", "--quiet", "--dest-tls-verify=false"]
        if fmt:
            cmd += ["--format", fmt]
        if creds:
            cmd += ["--dest-creds", creds]
        source = f"oci:{layout}:{tag}" if layout.is_dir() else f"docker-archive:{layout}"
        ref = f"{self.host}/{repo}:{tag}"
        subprocess.run(cmd + [source, f"docker://{ref}"], check=True, capture_output=True,
                       timeout=120)
        return f"oci://{ref}"

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(10)
        self.log.close()


def have_registry_tools() -> str | None:
    """None, or why the registry tests cannot run here."""
    missing = [b for b in ("/usr/bin/docker-registry", "skopeo") if shutil.which(b) is None]
    if missing:
        return (f"{', '.join(missing)} not installed (apt-get install docker-registry skopeo)")
    return None


def env_without_docker_config(tmp: Path) -> dict:
    env = dict(os.environ)
    env["DOCKER_CONFIG"] = str(tmp / "docker-config")
    env["HOME"] = str(tmp / "home")
    return env
