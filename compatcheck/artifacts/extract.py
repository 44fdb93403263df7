"""Finding the module inside an image's layers: the way the Wasm image specs lay it out
(`plugin.wasm` in a tar layer, or a raw Wasm layer), read leniently so that compatcheck can
check the module even where a consumer would refuse the image."""

from __future__ import annotations

import gzip
import io
import posixpath
import tarfile
import zlib

from .model import WASM_LAYER, Image, Layer

WASM_MAGIC = b"\0asm"
GZIP_MAGIC = b"\x1f\x8b"
PLUGIN_FILE = "plugin.wasm"


class ExtractError(Exception):
    """The layer does not hold what was looked for (message in the consumer's words)."""


def gunzip(data: bytes, limit: int) -> bytes:
    """At most ``limit`` bytes of the decompressed stream (more is cut, as Go's LimitReader)."""
    try:
        d = zlib.decompressobj(wbits=16 + zlib.MAX_WBITS)
        out = d.decompress(data, limit)
    except zlib.error as exc:
        raise ExtractError(f"gzip: invalid data ({exc})") from None
    return out


def _tar_entries(stream: bytes):
    try:
        with tarfile.open(fileobj=io.BytesIO(stream), mode="r:") as tar:
            for member in tar:
                yield member, tar
    except tarfile.TarError as exc:
        raise ExtractError(f"archive/tar: {exc}") from None


def plugin_from_tar(stream: bytes, limit: int | None = None) -> bytes:
    """The first entry whose base name is plugin.wasm, as the consumers' loop finds it.

    ``limit``: the consumer reads only this many bytes of the tar stream (a file that ends past
    it cannot be read whole)."""
    for member, tar in _tar_entries(stream):
        if posixpath.basename(member.name.rstrip("/")) != PLUGIN_FILE:
            continue
        if limit and member.offset_data + member.size > limit:
            raise ExtractError(f"failed to read {PLUGIN_FILE}: unexpected EOF")
        if not member.isfile():
            return b""
        fh = tar.extractfile(member)
        return fh.read() if fh is not None else b""
    raise ExtractError(f"{PLUGIN_FILE} not found in the archive")


def wasm_files_in_tar(stream: bytes) -> list[tuple[str, bytes]]:
    out = []
    for member, tar in _tar_entries(stream):
        if member.isfile() and member.name.endswith(".wasm"):
            fh = tar.extractfile(member)
            if fh is not None:
                out.append((member.name, fh.read()))
    return out


def layer_stream(image: Image, layer: Layer, max_bytes: int) -> bytes:
    """The layer as a tar stream (decompressed when it is gzip)."""
    blob = image.read_blob(layer.digest, max_bytes)
    return gunzip(blob, max_bytes + 1) if blob[:2] == GZIP_MAGIC else blob


def find_module(image: Image, max_bytes: int) -> tuple[bytes | None, str]:
    """(module, how it was found) or (None, why not): raw Wasm layers first, then plugin.wasm
    in the last tar layer and upwards, then a tar layer holding a single *.wasm file."""
    for i, layer in enumerate(image.layers):
        if layer.media_type == WASM_LAYER or "wasm" in layer.media_type.lower():
            blob = image.read_blob(layer.digest, max_bytes)
            if blob[:4] == WASM_MAGIC:
                return blob, f"layer {i + 1} ({layer.media_type}) is the module"
    for i in reversed(range(len(image.layers))):
        layer = image.layers[i]
        try:
            stream = layer_stream(image, layer, max_bytes)
            data = plugin_from_tar(stream)
            return data, f"{PLUGIN_FILE} in layer {i + 1} ({layer.media_type})"
        except ExtractError:
            continue
    for i, layer in enumerate(image.layers):
        try:
            found = wasm_files_in_tar(layer_stream(image, layer, max_bytes))
        except ExtractError:
            continue
        if len(found) == 1:
            return found[0][1], f"{found[0][0]} in layer {i + 1} ({layer.media_type})"
    if not image.layers:
        return None, "the image has no layers"
    return None, (f"no layer holds a Wasm module ({PLUGIN_FILE} in a tar layer, or a "
                  f"{WASM_LAYER} layer)")


def unbox(data: bytes, limit: int) -> tuple[bytes, str]:
    """A downloaded or local file: gzip and tar are unpacked until a module shows (as
    istio-agent's unboxIfPossible does for http(s) sources)."""
    how = []
    for _ in range(4):
        if data[:4] == WASM_MAGIC:
            break
        if data[:2] == GZIP_MAGIC:
            try:
                data = gzip.decompress(data) if len(data) < limit else gunzip(data, limit + 1)
            except (OSError, EOFError, ExtractError) as exc:
                raise ExtractError(f"not a valid gzip file: {exc}") from None
            how.append("gzip")
        elif len(data) > 262 and data[257:262] == b"ustar":
            name, data = _first_file(data)
            how.append(f"tar ({name})")
        else:
            break
    return data, " in ".join(reversed(how))


def _first_file(stream: bytes) -> tuple[str, bytes]:
    for member, tar in _tar_entries(stream):
        if member.isfile():
            fh = tar.extractfile(member)
            return member.name, fh.read() if fh is not None else b""
    raise ExtractError("tar archive holds no file")
