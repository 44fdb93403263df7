"""WASI preview1 as cpp-host answers it (proxy-wasm/proxy-wasm-cpp-host@f2db56af443571e92a31c0b877106d9ea96e19ef:
src/exports.cc, the wasi_unstable_* functions, registered under both WASI module names): stdout
and stderr go to the proxy's log (info and error, one trailing newline removed), there is no
file system, no arguments, no environment variables, and most other calls answer a fixed errno.
Which of these a build registers at all comes from its spec, not from here.

Clocks are deterministic here (a fixed start, 1 ms per reading) and random_get is a seeded
stream, so that the same module and scenario always take the same path.
"""

from __future__ import annotations

import random
import struct

from .calls_core import now_ns

ESUCCESS, EBADF, EFAULT, ENOTDIR, EINVAL, ENOENT, ENOSYS, ENOTSUP = 0, 8, 21, 20, 28, 44, 52, 58
RANDOM_GET_MAX = 64 * 1024  # PROXY_WASM_HOST_WASI_RANDOM_GET_MAX_SIZE_BYTES


def _writev(h, fd, iovs, iovs_len):
    """writevImpl: (errno, bytes written)."""
    if fd not in (1, 2):
        return EBADF, 0
    out = b""
    for i in range(iovs_len):
        raw = h.guest.read(iovs + 8 * i, 8)
        if raw is None:
            return EFAULT, 0
        buf, size = struct.unpack("<II", raw)
        if size:
            data = h.guest.read(buf, size)
            if data is None:
                return EFAULT, 0
            out += data
    if out:
        h.log(2 if fd == 1 else 4, out[:-1] if out.endswith(b"\n") else out)
    return ESUCCESS, len(out)


def fd_write(h, fd, iovs, iovs_len, nwritten_ptr):
    errno, n = _writev(h, fd, iovs, iovs_len)
    if errno:
        return errno
    return ESUCCESS if h.guest.set_u32(nwritten_ptr, n) else EFAULT


def fd_pwrite(h, fd, iovs, iovs_len, _offset, nwritten_ptr):
    return fd_write(h, fd, iovs, iovs_len, nwritten_ptr)


def fd_fdstat_get(h, fd, stat_ptr):
    if fd not in (1, 2):
        return EBADF
    h.guest.write(stat_ptr, struct.pack("<QQQ", 0, 64, 0))  # rights: FD_WRITE
    return ESUCCESS


def _sizes(h, count_ptr, size_ptr):
    return ESUCCESS if h.guest.set_u32(count_ptr, 0) and h.guest.set_u32(size_ptr, 0) else EFAULT


def clock_time_get(h, clock_id, _precision, result_ptr):
    if clock_id not in (0, 1):  # realtime, monotonic
        return ENOTSUP
    return ESUCCESS if h.guest.set_u64(result_ptr, now_ns(h)) else EFAULT


def clock_res_get(h, clock_id, result_ptr):
    if clock_id not in (0, 1):
        return ENOTSUP
    return ESUCCESS if h.guest.set_u64(result_ptr, 1) else EFAULT


def random_get(h, buf, length):
    if length > RANDOM_GET_MAX:
        return EINVAL
    if length == 0:
        return ESUCCESS
    if not hasattr(h, "random"):
        h.random = random.Random(0)
    return ESUCCESS if h.guest.write(buf, h.random.randbytes(length)) else EFAULT


def poll_oneoff(h, _in, _out, _n, nevents_ptr):
    return ESUCCESS if h.guest.set_u32(nevents_ptr, 0) else EFAULT


def proc_exit(h, code):
    """cpp-host logs it (at trace level in Envoy) and returns to the module."""
    h.note(f"the module called proc_exit({code}); the host returned to it")


def _std_only(h, fd, *_rest):
    return ESUCCESS if fd in (1, 2) else EBADF


def _zero_then(errno, *pointers_at):
    def call(h, *args):
        for i in pointers_at:
            if not h.guest.set_u32(args[i], 0):
                return EFAULT
        return errno
    return call


def _fixed(errno):
    return lambda h, *args: errno


def fd_renumber(h, fd, to):
    return EBADF if fd not in (1, 2) or to not in (1, 2) else ENOTSUP


def fd_tell(h, fd, result_ptr):
    if fd not in (1, 2):
        return EBADF
    return ESUCCESS if h.guest.set_u64(result_ptr, 0) else EFAULT


def sock_accept(h, fd, flags, result_ptr):
    return ENOTSUP if h.guest.set_u64(result_ptr, 0) else EFAULT


def sock_recv(h, fd, data, data_len, flags, size_ptr, flags_ptr):
    ok = h.guest.set_u32(size_ptr, 0) and h.guest.write(flags_ptr, b"\0\0")
    return ENOTSUP if ok else EFAULT


WASI = {
    "fd_write": fd_write, "fd_pwrite": fd_pwrite, "fd_fdstat_get": fd_fdstat_get,
    "args_sizes_get": _sizes, "environ_sizes_get": _sizes,
    "args_get": _fixed(ESUCCESS), "environ_get": _fixed(ESUCCESS),
    "clock_time_get": clock_time_get, "clock_res_get": clock_res_get, "random_get": random_get,
    "poll_oneoff": poll_oneoff, "proc_exit": proc_exit, "sched_yield": _fixed(ESUCCESS),
    "path_open": _fixed(ENOENT), "fd_prestat_get": _fixed(EBADF),
    "fd_prestat_dir_name": _fixed(ENOSYS), "fd_filestat_get": _fixed(EBADF),
    "fd_read": _fixed(ENOSYS), "fd_seek": _fixed(ESUCCESS), "fd_close": _fixed(ESUCCESS),
    "path_filestat_get": _fixed(ENOTSUP), "fd_fdstat_set_flags": _fixed(ENOSYS),
    "fd_advise": _fixed(ESUCCESS), "fd_allocate": _std_only, "fd_datasync": _std_only,
    "fd_fdstat_set_rights": _std_only, "fd_filestat_set_size": _std_only,
    "fd_filestat_set_times": _std_only, "fd_sync": _std_only, "fd_pread": _fixed(ENOSYS),
    "fd_readdir": _zero_then(ENOTDIR, 4), "fd_renumber": fd_renumber, "fd_tell": fd_tell,
    "path_create_directory": _fixed(ENOTSUP), "path_filestat_set_times": _fixed(ENOTSUP),
    "path_link": _fixed(ENOTSUP), "path_readlink": _zero_then(ENOTSUP, 5),
    "path_remove_directory": _fixed(ENOTSUP), "path_rename": _fixed(ENOTSUP),
    "path_symlink": _fixed(ENOTSUP), "path_unlink_file": _fixed(ENOTSUP),
    "sock_accept": sock_accept, "sock_recv": sock_recv, "sock_send": _zero_then(ENOTSUP, 4),
    "sock_shutdown": _fixed(ENOTSUP),
}
