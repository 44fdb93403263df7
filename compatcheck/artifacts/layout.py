"""Images on disk: an OCI image layout directory, the same layout in a tar (`oci-archive`), and
a `docker save` archive (read as `docker push` would send it: a Docker v2 manifest with gzip
layers, whose digest is only known once pushed)."""

from __future__ import annotations

import gzip
import json
import os
import tarfile

from .model import (DOCKER_LAYER_GZIP, DOCKER_MANIFEST, INDEX_TYPES, ArtifactError, Image, Layer,
                    sha256_hex)
from .select import image_from_manifest, pick_child

REF_NAME = "org.opencontainers.image.ref.name"
JSON_CAP = 4 << 20


class _DirStore:
    def __init__(self, root: str):
        self.root = root

    def has(self, rel: str) -> bool:
        return os.path.isfile(os.path.join(self.root, rel))

    def read(self, rel: str, cap: int) -> bytes:
        path = os.path.join(self.root, rel)
        try:
            with open(path, "rb") as fh:
                data = fh.read(cap + 1)
        except OSError as exc:
            raise ArtifactError(f"{rel}: {exc.strerror or exc}") from None
        if len(data) > cap:
            raise ArtifactError(f"{rel}: larger than the {cap}-byte limit")
        return data


class _TarStore:
    def __init__(self, path: str):
        try:
            self.tar = tarfile.open(path, "r:*")
            self.members = {os.path.normpath(m.name): m for m in self.tar.getmembers()
                            if m.isfile()}
        except (tarfile.TarError, OSError, EOFError) as exc:
            raise ArtifactError(f"not a readable tar archive: {exc}") from None

    def has(self, rel: str) -> bool:
        return os.path.normpath(rel) in self.members

    def read(self, rel: str, cap: int) -> bytes:
        member = self.members.get(os.path.normpath(rel))
        if member is None:
            raise ArtifactError(f"{rel}: not in the archive")
        if member.size > cap:
            raise ArtifactError(f"{rel}: {member.size} bytes, larger than the {cap}-byte limit")
        try:
            fh = self.tar.extractfile(member)
            return fh.read() if fh is not None else b""
        except (tarfile.TarError, OSError, EOFError, ValueError) as exc:
            raise ArtifactError(f"{rel}: truncated or corrupt archive member: {exc}") from None


def _json(store, rel: str):
    try:
        return json.loads(store.read(rel, JSON_CAP))
    except (ValueError, UnicodeDecodeError) as exc:
        raise ArtifactError(f"{rel}: not valid JSON: {exc}") from None


def _blob_path(digest: str) -> str:
    alg, _, hexd = digest.partition(":")
    if not hexd or "/" in digest or ".." in digest:
        raise ArtifactError(f"bad digest {digest!r}")
    return f"blobs/{alg}/{hexd}"


def _verified_reader(store):
    def read_blob(digest: str, cap: int) -> bytes:
        data = store.read(_blob_path(digest), cap)
        if digest.startswith("sha256:") and sha256_hex(data) != digest[7:]:
            raise ArtifactError(f"blob {digest} does not match its digest (corrupt layout)")
        return data
    return read_blob


def open_store(path: str):
    return _DirStore(path) if os.path.isdir(path) else _TarStore(path)


def store_kind(store) -> str:
    if store.has("oci-layout") and store.has("index.json"):
        return "oci layout" if isinstance(store, _DirStore) else "oci archive"
    if isinstance(store, _TarStore) and store.has("manifest.json"):
        return "docker archive"
    return ""


def read_layout(store, ref: str, kind: str, tag: str | None) -> Image:
    """The image of an OCI layout (directory or archive): by tag, or the only one."""
    index = _json(store, "index.json")
    entries = index.get("manifests") if isinstance(index, dict) else None
    if not isinstance(entries, list) or not entries:
        raise ArtifactError("index.json lists no manifests")
    if tag is not None:
        chosen = [e for e in entries if (e.get("annotations") or {}).get(REF_NAME) == tag]
        if not chosen:
            raise ArtifactError(f"no image tagged {tag!r} in index.json ({_names(entries)})")
    elif len(entries) > 1:
        raise ArtifactError(f"index.json lists {len(entries)} images; name one with "
                            f"PATH:TAG ({_names(entries)})")
    else:
        chosen = entries
    desc = chosen[0]
    read_blob = _verified_reader(store)
    raw = read_blob(desc.get("digest", ""), JSON_CAP)
    media_type = desc.get("mediaType", "")
    index_digest = problem = None
    if media_type in INDEX_TYPES or _media(raw) in INDEX_TYPES:
        index_digest = desc.get("digest")
        child, problem = pick_child(json.loads(raw), f"{ref}@{index_digest}")
        raw = read_blob(child.get("digest", ""), JSON_CAP)
        media_type = child.get("mediaType", "")
    return image_from_manifest(ref, kind, raw, media_type, read_blob, index_digest, problem)


def _media(raw: bytes) -> str:
    try:
        doc = json.loads(raw)
    except ValueError:
        return ""
    return doc.get("mediaType", "") if isinstance(doc, dict) else ""


def _names(entries) -> str:
    names = [(e.get("annotations") or {}).get(REF_NAME, e.get("digest", "?")) for e in entries]
    return "images: " + ", ".join(str(n) for n in names[:8])


def read_docker_archive(store, ref: str) -> Image:
    """A `docker save` tar as `docker push` would send it: Docker v2 manifest, gzip layers."""
    doc = _json(store, "manifest.json")
    if not isinstance(doc, list) or not doc or not isinstance(doc[0], dict):
        raise ArtifactError("manifest.json is not a docker save manifest")
    if len(doc) > 1:
        raise ArtifactError(f"manifest.json lists {len(doc)} images; save one image only")
    entry = doc[0]
    paths = entry.get("Layers") or []
    blobs: dict[str, str] = {}
    layers = []
    for rel in paths:
        data = store.read(rel, 512 << 20)
        packed = gzip.compress(data, mtime=0)
        digest = "sha256:" + sha256_hex(packed)
        blobs[digest] = rel
        layers.append(Layer(DOCKER_LAYER_GZIP, digest, len(packed)))

    def read_blob(digest: str, cap: int) -> bytes:
        return gzip.compress(store.read(blobs[digest], cap), mtime=0)

    note = ("read as `docker push` sends it (Docker v2 manifest, gzip layers); its manifest "
            "digest is known only once pushed")
    return Image(ref, "docker archive", DOCKER_MANIFEST, None, tuple(layers),
                 "application/vnd.docker.container.image.v1+json", read_blob, note=note)
