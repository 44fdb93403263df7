"""Artifacts wherever a module is accepted: a .wasm (also gzip), an OCI image layout directory,
an OCI or `docker save` archive, an image in a registry (`oci://host/repo:tag`).

`load_artifact` reads one and finds the module in it; `decide` (artifacts.decide) tells what
each consumer (Istio, Envoy Gateway, Higress, per release line) does with the image."""

from __future__ import annotations

import os

from .model import Artifact, ArtifactError, Image

GZIP_MAGIC = b"\x1f\x8b"
WASM_MAGIC = b"\0asm"

__all__ = ["Artifact", "ArtifactError", "Image", "is_artifact_arg", "load_artifact"]

TRANSPORTS = ("oci:", "oci-archive:", "docker-archive:")


def _head(path: str) -> bytes:
    try:
        with open(path, "rb") as fh:
            return fh.read(512)
    except OSError:
        return b""


def is_artifact_arg(arg: str) -> bool:
    """Does this command-line argument name an image or a packed module (not a bare .wasm)?"""
    if arg.startswith("oci://") or arg.startswith(TRANSPORTS):
        return True
    if arg == "-":
        return False
    if os.path.isdir(arg):
        return os.path.isfile(os.path.join(arg, "oci-layout"))
    if not os.path.isfile(arg):
        base, sep, _tag = arg.rpartition(":")
        return bool(sep) and os.path.isdir(base) and os.path.isfile(os.path.join(base, "oci-layout"))
    head = _head(arg)
    return head[:2] == GZIP_MAGIC or (len(head) > 262 and head[257:262] == b"ustar")


def _split_tag(spec: str) -> tuple[str, str | None]:
    if os.path.exists(spec):
        return spec, None
    base, sep, tag = spec.rpartition(":")
    return (base, tag) if sep and os.path.exists(base) else (spec, None)


def load_artifact(arg: str, max_bytes: int) -> Artifact:
    """The artifact named by ``arg``; ArtifactError (one line, no path) when it cannot be read."""
    if arg.startswith("oci://"):
        from .registry import pull
        return _from_image(arg, "registry", pull(arg), max_bytes)
    for transport in TRANSPORTS:
        if arg.startswith(transport):
            return _from_path(arg, arg[len(transport):], max_bytes, transport[:-1])
    return _from_path(arg, arg, max_bytes, None)


def _from_path(name: str, spec: str, max_bytes: int, transport: str | None) -> Artifact:
    from .layout import open_store, read_docker_archive, read_layout, store_kind

    path, tag = _split_tag(spec)
    if not os.path.exists(path):
        raise ArtifactError("no such file or directory")
    if not os.path.isdir(path):
        head = _head(path)
        if head[:2] == GZIP_MAGIC and not _is_tar_gz(path):
            return _packed_module(name, path, max_bytes)
    store = open_store(path)
    kind = store_kind(store)
    if not kind:
        raise ArtifactError("neither an OCI image layout (oci-layout, index.json) nor a "
                            "`docker save` archive (manifest.json)")
    if kind == "docker archive" or transport == "docker-archive":
        if kind != "docker archive":
            raise ArtifactError("not a `docker save` archive (no manifest.json)")
        return _from_image(name, kind, read_docker_archive(store, name), max_bytes)
    return _from_image(name, kind, read_layout(store, name, kind, tag), max_bytes)


def _is_tar_gz(path: str) -> bool:
    import gzip
    try:
        with gzip.open(path, "rb") as fh:
            head = fh.read(512)
    except (OSError, EOFError):
        return False
    return len(head) > 262 and head[257:262] == b"ustar"


def _packed_module(name: str, path: str, max_bytes: int) -> Artifact:
    from ..inputs import InputError, read_file
    from .extract import ExtractError, unbox
    try:
        data = read_file(path, max_bytes)
        module, how = unbox(data, max_bytes)
    except (InputError, ExtractError) as exc:
        raise ArtifactError(str(exc)) from None
    if len(module) > max_bytes:
        raise ArtifactError(f"unpacked module is larger than the {max_bytes}-byte limit")
    return Artifact(name, "gzip", module, found_by=f"unpacked from {how}" if how else "")


def _from_image(name: str, kind: str, image: Image, max_bytes: int) -> Artifact:
    from .extract import ExtractError, find_module
    try:
        module, how = find_module(image, max_bytes)
    except ExtractError as exc:
        raise ArtifactError(str(exc)) from None
    if module is not None and module[:4] != WASM_MAGIC:
        return Artifact(name, kind, module, image, how, "the module found is not Wasm")
    return Artifact(name, kind, module, image, how if module is not None else "",
                    None if module is not None else how)
