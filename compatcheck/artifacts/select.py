"""From manifest bytes to an Image, and from an index to the child a consumer picks
(go-containerregistry: the first linux/amd64 child; a child without platform counts as one)."""

from __future__ import annotations

import json

from .model import DEFAULT_PLATFORM, DOCKER_SCHEMA1, ArtifactError, Image, Layer, sha256_hex


def pick_child(index: dict, label: str) -> tuple[dict, str | None]:
    """(the child descriptor, None) or (the first child, why a consumer finds none)."""
    children = index.get("manifests") if isinstance(index, dict) else None
    if not isinstance(children, list) or not children:
        raise ArtifactError(f"image index {label} lists no manifests")
    for child in children:
        platform = child.get("platform") or {"os": DEFAULT_PLATFORM[0],
                                             "architecture": DEFAULT_PLATFORM[1]}
        if (platform.get("os"), platform.get("architecture")) == DEFAULT_PLATFORM:
            return child, None
    have = ", ".join(sorted({f"{(c.get('platform') or {}).get('os', '?')}/"
                             f"{(c.get('platform') or {}).get('architecture', '?')}"
                             for c in children}))
    return children[0], (f"no child with platform {'/'.join(DEFAULT_PLATFORM)} in index {label} "
                         f"(it has {have})")


def image_from_manifest(ref: str, source: str, raw: bytes, media_type: str, read_blob,
                        index_digest: str | None = None, problem: str | None = None) -> Image:
    try:
        doc = json.loads(raw)
    except (ValueError, UnicodeDecodeError) as exc:
        raise ArtifactError(f"image manifest is not valid JSON: {exc}") from None
    if not isinstance(doc, dict):
        raise ArtifactError("image manifest is not a JSON object")
    declared = doc.get("mediaType") or ""
    if declared in DOCKER_SCHEMA1 or media_type in DOCKER_SCHEMA1 or doc.get("schemaVersion") == 1:
        raise ArtifactError("Docker schema 1 manifest: no consumer reads it (push it again "
                            "with a current client)")
    layers = []
    for entry in doc.get("layers") or []:
        if not isinstance(entry, dict):
            raise ArtifactError("image manifest has a malformed layer entry")
        notes = tuple(sorted((str(k), str(v)) for k, v in (entry.get("annotations") or {}).items()))
        layers.append(Layer(str(entry.get("mediaType", "")), str(entry.get("digest", "")),
                            int(entry.get("size", 0) or 0), notes))
    config = got if isinstance(got := doc.get("config"), dict) else {}
    return Image(ref, source, declared or media_type, "sha256:" + sha256_hex(raw), tuple(layers),
                 str(config.get("mediaType", "")), read_blob, index_digest, problem)
