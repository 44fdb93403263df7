"""Precompiled specs: the loaded SpecSet kept in ``$XDG_CACHE_HOME/compatcheck/specs``.

Parsing and checking the TOML costs ~25 ms a run, unpickling ~2 ms; compatcheck runs in
pre-commit hooks, so the cache stays. It is only trusted when nobody but this user can have
written it, and even then it cannot run code:

* the directory is the user's own and not group/other-writable (created 0700); the file is a
  regular file owned by the user, not group/other-writable, with one link, opened without
  following symlinks relative to the checked directory (no swap between check and read);
* the name is a hash (BLAKE2b-256) of every spec file's content and of the code that builds
  the specs, so an edit that keeps size and mtime is seen; a hash of name and payload in the
  header catches torn or corrupt files;
* the unpickler resolves only the spec model's classes, none of which runs code when built.

Whatever cannot be read or fails a check is ignored, and the caller rebuilds it silently.
"""

from __future__ import annotations

import copyreg
import io
import os
import pickle
import re
import stat
import sys
from pathlib import Path
from types import MappingProxyType

try:  # what hashlib.blake2b is, without hashlib loading OpenSSL first (~2.5 ms a start-up)
    from _blake2 import blake2b
except ImportError:  # pragma: no cover - a Python built without it
    from hashlib import blake2b

MAGIC = b"compatcheck-specs-2\n"
MAX_BYTES = 64 * 1024 * 1024  # the specs pickle to ~110 KiB
KEEP = 8  # newest cache files kept (other versions, edited spec dirs)
NAME_RE = r"[0-9a-f]{64}\.specs"
LEGACY_RE = r"[0-9a-f]{16,}\.pickle"  # unverified pickles of earlier versions
ALLOWED = frozenset({
    ("compatcheck.abi.loader", "SpecSet"), ("compatcheck.abi.model", "HostSpec"),
    ("compatcheck.abi.model", "Runtime"), ("compatcheck.abi.model", "Source"),
    ("compatcheck.abi.model", "StartupSequence"),
    ("compatcheck.wasm.model", "FuncType"), ("compatcheck.abi.cache", "_mapping_proxy"),
    ("packaging.version", "Version"),
})
_FLAGS = os.O_RDONLY | getattr(os, "O_CLOEXEC", 0)
SUPPORTED = hasattr(os, "geteuid") and hasattr(os, "O_DIRECTORY") and hasattr(os, "O_NOFOLLOW")


def _mapping_proxy(d: dict) -> MappingProxyType:
    return MappingProxyType(d)


copyreg.pickle(MappingProxyType, lambda m: (_mapping_proxy, (dict(m),)))


class _Unpickler(pickle.Unpickler):
    def find_class(self, module: str, name: str):
        if (module, name) not in ALLOWED:
            raise pickle.UnpicklingError(f"{module}.{name} is not a spec class")
        return super().find_class(module, name)


def new_hash():
    return blake2b(digest_size=32)


def cache_dir() -> Path:
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(Path.home(), ".cache")
    return Path(base) / "compatcheck" / "specs"


def code_fingerprint() -> bytes:
    """What the cached objects depend on besides the spec files: versions and model code."""
    import packaging

    from .. import __version__
    h = new_hash()
    h.update(f"{__version__}|{sys.version}|{packaging.__version__}".encode())
    package = Path(__file__).resolve().parent.parent
    parts = sorted(p.relative_to(package).as_posix() for p in (package / "abi").glob("*.py"))
    for rel in parts + ["wasm/model.py", "record.py", "schemas/abi-specs.schema.json"]:
        h.update(rel.encode() + b"\0" + (package / rel).read_bytes() + b"\0")
    return h.digest()


def _private(st: os.stat_result) -> bool:
    return st.st_uid == os.geteuid() and not st.st_mode & (stat.S_IWGRP | stat.S_IWOTH)


def _open_dir(create: bool) -> int | None:
    """A descriptor of the cache directory if only this user can write into it."""
    path = cache_dir()
    if create:
        os.makedirs(path, mode=0o700, exist_ok=True)
    fd = os.open(path, _FLAGS | os.O_DIRECTORY)
    try:
        st = os.fstat(fd)
        if create and st.st_uid == os.geteuid() and not _private(st):
            os.fchmod(fd, 0o700)  # ours, left group-writable by an earlier version's umask
            st = os.fstat(fd)
    except OSError:
        os.close(fd)
        raise
    if _private(st):
        return fd
    os.close(fd)
    return None


def _digest(key: str, payload: bytes) -> bytes:
    h = new_hash()
    h.update(key.encode() + b"\0")
    h.update(payload)
    return h.digest()


def load(key: str) -> object | None:
    """The object stored under ``key``, or None (missing, foreign, corrupt, unsupported)."""
    if not SUPPORTED:
        return None
    try:
        dfd = _open_dir(create=False)
    except (OSError, ValueError, RuntimeError):  # RuntimeError: no home directory
        return None
    if dfd is None:
        return None
    try:
        fd = os.open(f"{key}.specs", _FLAGS | os.O_NOFOLLOW | getattr(os, "O_NONBLOCK", 0),
                     dir_fd=dfd)
        with open(fd, "rb") as fh:
            st = os.fstat(fd)
            if not (stat.S_ISREG(st.st_mode) and _private(st) and st.st_nlink == 1
                    and st.st_size <= MAX_BYTES):
                return None
            data = fh.read(MAX_BYTES + 1)
        head, payload = data[:len(MAGIC) + 32], data[len(MAGIC) + 32:]
        if head != MAGIC + _digest(key, payload):  # torn, corrupt or not ours
            return None
        return _Unpickler(io.BytesIO(payload)).load()
    except Exception:  # whatever went wrong, the caller rebuilds from the TOML
        return None
    finally:
        os.close(dfd)


def store(key: str, obj: object) -> None:
    """Best effort: a read-only or foreign cache directory only costs the TOML parse."""
    if not SUPPORTED:
        return
    try:
        payload = pickle.dumps(obj, protocol=pickle.HIGHEST_PROTOCOL)
        dfd = _open_dir(create=True)
    except Exception:  # no usable cache directory (or no home): specs still load, slower
        return
    if dfd is None:
        return
    tmp = f".{key}.{os.getpid()}.tmp"
    try:
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW
                     | getattr(os, "O_CLOEXEC", 0), 0o600, dir_fd=dfd)
        with open(fd, "wb") as fh:
            fh.write(MAGIC + _digest(key, payload) + payload)
        os.replace(tmp, f"{key}.specs", src_dir_fd=dfd, dst_dir_fd=dfd)
        _prune(dfd, f"{key}.specs")
    except Exception:  # a full disk, a concurrent prune: next run tries again
        try:
            os.unlink(tmp, dir_fd=dfd)
        except OSError:
            pass
    finally:
        os.close(dfd)


def _prune(dfd: int, keep: str) -> None:
    """Old cache files do not pile up; only names this module writes are touched."""
    ages, old = [], []
    for n in os.listdir(dfd):
        if re.fullmatch(LEGACY_RE, n):
            old.append(n)
        elif re.fullmatch(NAME_RE, n) and n != keep:
            try:
                ages.append((os.stat(n, dir_fd=dfd, follow_symlinks=False).st_mtime, n))
            except OSError:
                continue  # removed by a concurrent run
    ages.sort(reverse=True)
    for n in old + [n for _m, n in ages[KEEP - 1:]]:
        try:
            os.unlink(n, dir_fd=dfd)
        except OSError:
            pass
