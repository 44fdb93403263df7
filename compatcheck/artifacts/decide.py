"""One consumer's decision on one image, in its own words, with the source line that decides:
the Docker-manifest path, then the *compat* variant (plugin.wasm in a tar+gzip layer), then the
*oci* variant (two layers, one of the Wasm content media type)."""

from __future__ import annotations

from .consumers import Fetcher
from .extract import WASM_MAGIC, ExtractError, gunzip, plugin_from_tar
from .model import (DOCKER_LAYER_GZIP, DOCKER_MANIFEST, OCI_LAYER_GZIP, WASM_LAYER, Image,
                    sha256_hex)
from ..record import record

BLOB_CAP = 512 << 20  # what compatcheck itself reads of one blob


@record(uncompared=("module",))
class Decision:
    fetcher: Fetcher
    accepted: bool
    variant: str  # docker | compat | oci | "" (refused before a variant)
    message: str  # the consumer's error, or what it extracted
    cite: str  # the line of the consumer's source that decides
    module: bytes | None = None

    @property
    def module_sha256(self) -> str | None:
        return None if self.module is None else sha256_hex(self.module)


class _Refused(Exception):
    def __init__(self, message: str, rule: str):
        super().__init__(message)
        self.rule = rule


def decide(image: Image, f: Fetcher) -> Decision:
    if not f.oci:
        return Decision(f, False, "", "unsupported Wasm module downloading URL scheme: oci",
                        f.source("oci"))
    if image.index_problem:
        return Decision(f, False, "", f"could not fetch image: {image.index_problem}",
                        f.source("index"))
    if image.media_type == DOCKER_MANIFEST:
        try:
            module = _compat(image, f, f.docker_layers, DOCKER_LAYER_GZIP, "docker")
        except _Refused as exc:
            return Decision(f, False, "docker", "could not extract Wasm file from the image as "
                            f"Docker container {exc}", f.source(exc.rule))
        return _valid(f, "docker", module, "plugin.wasm from the last layer "
                      f"({DOCKER_LAYER_GZIP})", "docker_media_type")
    try:
        module = _compat(image, f, f.compat_layers, OCI_LAYER_GZIP, "compat")
        return _valid(f, "compat", module, f"plugin.wasm from the {_which(f.compat_layers)} "
                      f"layer ({OCI_LAYER_GZIP})", "compat_media_type")
    except _Refused as exc:
        compat_error = exc
    try:
        module = _oci(image, f)
        return _valid(f, "oci", module, f"the {WASM_LAYER} layer", "oci_media_type")
    except _Refused as exc:
        oci_error = exc
    text = ("the given image is in invalid format as an OCI image: 2 errors occurred: "
            f"* could not parse as compat variant: {compat_error} "
            f"* could not parse as oci variant: {oci_error}")
    # the rule that decides is the one an author would change: the oci variant's when the
    # image looks like one (a Wasm layer), else the compat variant's
    wasm_like = any("wasm" in lay.media_type for lay in image.layers)
    rule = oci_error.rule if wasm_like else compat_error.rule
    return Decision(f, False, "", text, f.source(rule))


def _which(rule: str) -> str:
    return "only" if rule == "one" else "last"


def _compat(image: Image, f: Fetcher, rule: str, media_type: str, variant: str) -> bytes:
    layers = image.layers
    prefix = "docker" if variant == "docker" else "compat"
    if rule == "one" and len(layers) != 1:
        raise _Refused(f"number of layers must be 1 but got {len(layers)}", f"{prefix}_layers")
    if not layers:
        raise _Refused("number of layers must be greater than zero", f"{prefix}_layers")
    layer = layers[-1]
    if layer.media_type != media_type:
        raise _Refused(f"invalid media type {layer.media_type} (expect {media_type})",
                       f"{prefix}_media_type")
    blob = image.read_blob(layer.digest, BLOB_CAP)
    try:
        stream = gunzip(blob, (f.tar_limit or BLOB_CAP) + 1)
    except ExtractError as exc:
        raise _Refused(f"could not extract wasm binary: failed to parse layer as tar.gz: {exc}",
                       "plugin_file") from None
    if f.tar_limit:
        stream = stream[:f.tar_limit]
    try:
        data = plugin_from_tar(stream, f.tar_limit or None)
    except ExtractError as exc:
        rule = "tar_limit" if "unexpected EOF" in str(exc) else "plugin_file"
        raise _Refused(f"could not extract wasm binary: {exc}", rule) from None
    if f.tar_entry_limit and len(data) > f.tar_entry_limit:
        raise _Refused(f"could not extract wasm binary: plugin.wasm size {len(data)} exceeds "
                       f"maximum size {f.tar_entry_limit}", "tar_limit")
    return data


def _oci(image: Image, f: Fetcher) -> bytes:
    layers = image.layers
    if len(layers) != f.oci_layers:
        raise _Refused(f"number of layers must be {f.oci_layers} but got {len(layers)}",
                       "oci_layers")
    layer = next((lay for lay in layers if lay.media_type == WASM_LAYER), None)
    if layer is None:
        raise _Refused(f"could not find the layer of type {WASM_LAYER}", "oci_media_type")
    data = image.read_blob(layer.digest, BLOB_CAP)
    if f.oci_limit and len(data) > f.oci_limit:
        if f.oci_limit_mode == "error":
            raise _Refused(f"wasm layer size exceeds maximum size {f.oci_limit}", "oci_limit")
        data = data[:f.oci_limit]  # cut without an error: the proxy gets a truncated module
    return data


def _valid(f: Fetcher, variant: str, module: bytes, how: str, rule: str) -> Decision:
    if len(module) < 8 or module[:4] != WASM_MAGIC:
        return Decision(f, False, variant, f"fetched Wasm binary from the image is invalid "
                        f"(the {variant} variant gave {len(module)} bytes that are not Wasm)",
                        f.source("valid_wasm"), module)
    return Decision(f, True, variant, f"takes {how}", f.source(rule), module)
