"""What an artifact is once read: an image (manifest, layers, a way to read blobs) or a bare
module, with the digests a manifest's `sha256` is compared with."""

from __future__ import annotations

from typing import Callable

from ..record import record

# Media types (OCI image spec, Docker distribution, the Wasm image specs of solo-io/wasm).
OCI_MANIFEST = "application/vnd.oci.image.manifest.v1+json"
OCI_INDEX = "application/vnd.oci.image.index.v1+json"
DOCKER_MANIFEST = "application/vnd.docker.distribution.manifest.v2+json"
DOCKER_LIST = "application/vnd.docker.distribution.manifest.list.v2+json"
DOCKER_SCHEMA1 = ("application/vnd.docker.distribution.manifest.v1+json",
                  "application/vnd.docker.distribution.manifest.v1+prettyjws")
INDEX_TYPES = (OCI_INDEX, DOCKER_LIST)
OCI_LAYER_GZIP = "application/vnd.oci.image.layer.v1.tar+gzip"
OCI_LAYER_TAR = "application/vnd.oci.image.layer.v1.tar"
DOCKER_LAYER_GZIP = "application/vnd.docker.image.rootfs.diff.tar.gzip"
DOCKER_LAYER_TAR = "application/vnd.docker.image.rootfs.diff.tar"
WASM_LAYER = "application/vnd.module.wasm.content.layer.v1+wasm"  # solo-io "oci" variant
WASM_CONFIG = "application/vnd.module.wasm.config.v1+json"
DEFAULT_PLATFORM = ("linux", "amd64")  # go-containerregistry's default when an index is read

MANIFEST_ACCEPT = (OCI_MANIFEST, DOCKER_MANIFEST, OCI_INDEX, DOCKER_LIST)


class ArtifactError(Exception):
    """An artifact that cannot be read: one line naming it (exit 2)."""


def sha256_hex(data: bytes) -> str:
    import hashlib  # lazily: every check imports this package to sort its arguments
    return hashlib.sha256(data).hexdigest()


@record
class Layer:
    media_type: str
    digest: str  # "sha256:<hex>"
    size: int
    annotations: tuple[tuple[str, str], ...] = ()


@record(uncompared=("read_blob",))
class Image:
    """One image manifest as a consumer sees it after resolving any index."""
    ref: str  # as the user gave it
    source: str  # "registry" | "oci layout" | "oci archive" | "docker archive"
    media_type: str  # as the manifest (or the registry) says; "" when the manifest has none
    digest: str | None  # "sha256:<hex>" of the manifest bytes; None: not known before a push
    layers: tuple[Layer, ...]
    config_media_type: str
    read_blob: Callable[[str, int], bytes]  # (digest, max bytes) -> content
    index_digest: str | None = None  # the index this image was chosen from
    index_problem: str | None = None  # the index has no child a consumer would pick
    note: str = ""  # e.g. how a docker-save archive would be pushed

    @property
    def digest_hex(self) -> str | None:
        return None if self.digest is None else self.digest.split(":", 1)[-1]


@record(uncompared=("module",))
class Artifact:
    """A module found in a file, archive, layout or registry image."""
    name: str  # as shown to the user
    kind: str  # "wasm" | "gzip" | "oci layout" | "oci archive" | "docker archive" | "registry"
    module: bytes | None  # what compatcheck checks (None: none could be found)
    image: Image | None = None
    found_by: str = ""  # how the module was found in the image
    problem: str | None = None  # why no module could be found

    @property
    def module_sha256(self) -> str | None:
        return None if self.module is None else sha256_hex(self.module)
