"""A plugin's code source to bytes: `--artifact REF=PATH` first, then a local file (as given,
then next to the manifest), an http(s) download, or the image in its registry."""

from __future__ import annotations

import os

from ..artifacts import Artifact, ArtifactError, is_artifact_arg, load_artifact
from ..artifacts.extract import ExtractError, unbox
from ..record import record
from .find import CodeSource

HTTP_TIMEOUT = 30.0


class ResolveError(Exception):
    """The code cannot be had here: one line (exit 2)."""


@record(uncompared=("raw",))
class Resolved:
    artifact: Artifact
    raw: bytes | None  # the bytes as a consumer downloads them (before any unpacking)
    where: str  # how compatcheck found them


def parse_artifact_args(values) -> dict[str, str]:
    """`--artifact REF=PATH` (repeatable) as {REF: PATH}; the last `=` separates them."""
    out = {}
    for value in values or ():
        ref, sep, path = value.rpartition("=")
        if not sep or not ref or not path:
            raise ResolveError(f"--artifact {value!r}: want REF=PATH (REF as the manifest "
                               "writes it: a file name, URL or oci:// reference)")
        out[ref] = path
    return out


def resolve(code: CodeSource, manifest: str, artifacts: dict[str, str], max_bytes: int) -> Resolved:
    if code.kind == "inline":
        data = code.data or b""
        return Resolved(Artifact("inline code", "wasm", data), data, "inline in the manifest")
    given = artifacts.get(code.ref)
    if given is None and code.kind == "image" and code.ref.startswith("oci://"):
        given = artifacts.get(code.ref[len("oci://"):])
    if given is not None:
        return _local(given, max_bytes, f"--artifact {code.ref}={given}")
    if code.kind == "file":
        for path in _candidates(code.ref, manifest):
            if os.path.exists(path):
                return _local(path, max_bytes, f"file {path}")
        raise ResolveError(f"{code.ref}: no such file here (give it with --artifact "
                           f"{code.ref}=PATH)")
    if code.kind == "image":
        try:
            return _artifact(load_artifact(code.ref, max_bytes), None, "registry")
        except ArtifactError as exc:
            raise ResolveError(f"{code.ref}: {exc}") from None
    if code.kind == "remote":
        return _download(code.ref, max_bytes)
    raise ResolveError(f"{code.ref}: no module to resolve")


def _candidates(ref: str, manifest: str) -> list[str]:
    out = [ref]
    if not os.path.isabs(ref):
        out.append(os.path.join(os.path.dirname(os.path.abspath(manifest)), ref))
    return out


def _local(path: str, max_bytes: int, where: str) -> Resolved:
    from ..inputs import InputError, read_file
    try:
        if is_artifact_arg(path):
            art = load_artifact(path, max_bytes)
            raw = None if art.image is not None else read_file(path, max_bytes)
            return _artifact(art, raw, where)
        data = read_file(path, max_bytes)
    except (ArtifactError, InputError) as exc:
        raise ResolveError(f"{path}: {exc}") from None
    return Resolved(Artifact(path, "wasm", data), data, where)


def _artifact(art: Artifact, raw: bytes | None, where: str) -> Resolved:
    if art.module is None:
        raise ResolveError(f"{art.name}: {art.problem or 'no module found'}")
    return Resolved(art, raw, where)


def _download(url: str, max_bytes: int) -> Resolved:
    import urllib.error
    import urllib.request

    if not url.startswith(("http://", "https://")):
        raise ResolveError(f"{url}: unsupported URL scheme (give the module with --artifact "
                           f"{url}=PATH)")
    try:
        with urllib.request.urlopen(url, timeout=HTTP_TIMEOUT) as response:  # noqa: S310
            raw = response.read(max_bytes + 1)
    except (urllib.error.URLError, OSError, ValueError) as exc:
        reason = getattr(exc, "reason", exc)
        raise ResolveError(f"{url}: cannot download: {reason} (or give it with --artifact "
                           f"{url}=PATH)") from None
    if len(raw) > max_bytes:
        raise ResolveError(f"{url}: larger than the {max_bytes}-byte limit")
    try:
        module, how = unbox(raw, max_bytes)
    except ExtractError as exc:
        raise ResolveError(f"{url}: {exc}") from None
    return Resolved(Artifact(url, "gzip" if how else "wasm", module,
                             found_by=f"unpacked from {how}" if how else ""), raw, "download")
