"""The precompiled spec cache: trusted only when private, keyed on content, rebuilt when bad;
spec directories that are missing or hold FIFOs and devices are errors, never hangs."""

import io
import os
import pickle
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from compatcheck.abi import SpecError, get_specs, load_specs
from compatcheck.abi import cache, loader
from helpers import GOOD_BUILD as BUILD

GOOD_BUILD = BUILD + 'title = "AAAA"\n'
ROOT_ONLY = pytest.mark.skipif(os.geteuid() != 0, reason="needs root to plant a foreign-owned file")


@pytest.fixture()
def home(tmp_path, monkeypatch):
    """A fresh cache directory, and no specs remembered by this process."""
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    loader._cached.cache_clear()
    yield tmp_path / "xdg" / "compatcheck" / "specs"
    loader._cached.cache_clear()


@pytest.fixture(scope="module")
def reference():
    return load_specs()


def _key(extra=()) -> str:
    dirs = loader._check_dirs(extra)
    return loader._fingerprint(loader._gather(dirs))


def _fresh(extra=()):
    loader._cached.cache_clear()
    return get_specs(extra)


def _plant(directory: Path, key: str, obj, header: bool = True) -> Path:
    """A cache file as compatcheck writes it (valid header), holding ``obj``."""
    payload = obj if isinstance(obj, bytes) else pickle.dumps(obj, protocol=5)
    path = directory / f"{key}.specs"
    path.write_bytes((cache.MAGIC + cache._digest(key, payload) if header else b"") + payload)
    path.chmod(0o600)
    return path


def _doctored(reference):
    """What an attacker would like a victim to load: no builds, so nothing ever fails."""
    return loader.SpecSet((), reference.runtimes, reference.abi_versions,
                          reference.callbacks_known, reference.hostcalls, reference.sequences)


def _refuse_rebuild(monkeypatch):
    def fail(files):
        raise AssertionError("specs were rebuilt although the cache was fresh")
    monkeypatch.setattr(loader, "_build", fail)


def test_cache_written_private_and_used(home, reference, monkeypatch):
    assert get_specs() == reference
    files = list(home.iterdir())
    assert [f.name for f in files] == [f"{_key()}.specs"]
    assert stat.S_IMODE(home.stat().st_mode) == 0o700
    assert stat.S_IMODE(files[0].stat().st_mode) == 0o600
    _refuse_rebuild(monkeypatch)
    assert _fresh() == reference


def test_group_writable_cache_dir_is_not_trusted(home, reference):
    get_specs()
    home.chmod(0o777)
    _plant(home, _key(), _doctored(reference))
    assert cache.load(_key()) is None
    assert _fresh() == reference
    # compatcheck owns the directory: it tightens it and replaces the planted file
    assert stat.S_IMODE(home.stat().st_mode) == 0o700
    assert isinstance(cache.load(_key()), loader.SpecSet)


@ROOT_ONLY
def test_cache_dir_of_another_user_is_neither_read_nor_written(home, reference):
    home.mkdir(parents=True)
    planted = _plant(home, _key(), _doctored(reference))
    os.chown(planted, 65534, 65534)
    os.chown(home, 65534, 65534)
    home.chmod(0o775)
    before = planted.read_bytes()
    assert _fresh() == reference
    assert planted.read_bytes() == before and sorted(home.iterdir()) == [planted]
    assert stat.S_IMODE(home.stat().st_mode) == 0o775  # not ours to tighten


@ROOT_ONLY
def test_cache_file_of_another_user_is_not_loaded(home, reference):
    get_specs()
    planted = _plant(home, _key(), _doctored(reference))
    os.chown(planted, 65534, 65534)
    assert cache.load(_key()) is None
    assert _fresh() == reference


@pytest.mark.parametrize("how", ["group-writable", "hard link", "symlink"])
def test_cache_file_others_could_write_is_not_loaded(home, reference, tmp_path, how):
    get_specs()
    key = _key()
    if how == "group-writable":
        _plant(home, key, _doctored(reference)).chmod(0o664)
    elif how == "hard link":
        _plant(home, key, _doctored(reference))
        os.link(home / f"{key}.specs", tmp_path / "elsewhere")
    else:
        elsewhere = _plant(tmp_path, key, _doctored(reference))
        (home / f"{key}.specs").unlink()
        (home / f"{key}.specs").symlink_to(elsewhere)
    assert cache.load(key) is None
    assert _fresh() == reference


class _Evil:
    def __init__(self, marker: Path):
        self.marker = str(marker)

    def __reduce__(self):
        return (io.open, (self.marker, "w"))  # runs on unpickling: creates the file


@pytest.mark.parametrize("header", [True, False])
def test_planted_pickle_never_runs_code(home, reference, tmp_path, header):
    """Even in the user's own private directory with a valid header (the worst case)."""
    marker = tmp_path / "pwned"
    get_specs()
    _plant(home, _key(), _Evil(marker), header=header)
    assert _fresh() == reference
    assert not marker.exists()


@pytest.mark.parametrize("damage", ["empty", "truncated", "flipped", "garbage", "old pickle"])
def test_corrupt_cache_is_rebuilt_silently(home, reference, damage):
    get_specs()
    path = home / f"{_key()}.specs"
    data = path.read_bytes()
    path.write_bytes({
        "empty": b"",
        "truncated": data[: len(data) // 2],
        "flipped": data[:-100] + bytes([data[-100] ^ 0xFF]) + data[-99:],
        "garbage": os.urandom(4096),
        "old pickle": pickle.dumps(reference),
    }[damage])
    assert _fresh() == reference
    assert isinstance(cache.load(_key()), loader.SpecSet)  # rewritten


def test_corrupt_cache_through_the_cli(home, tmp_path):
    env = dict(os.environ, XDG_CACHE_HOME=str(tmp_path / "xdg"))
    cmd = [sys.executable, "-m", "compatcheck", "targets", "-t", "istio-1.5"]
    first = subprocess.run(cmd, capture_output=True, text=True, env=env, cwd=tmp_path, timeout=120)
    assert first.returncode == 0, first.stderr
    for f in home.iterdir():
        f.write_bytes(b"\x80\x05garbage")
    again = subprocess.run(cmd, capture_output=True, text=True, env=env, cwd=tmp_path, timeout=120)
    assert again.returncode == 0 and again.stderr == ""
    assert again.stdout == first.stdout


def test_edit_keeping_size_and_mtime_is_seen(home, tmp_path):
    spec = tmp_path / "specs"
    (spec / "builds").mkdir(parents=True)
    path = spec / "builds" / "acme.toml"
    path.write_text(GOOD_BUILD)
    assert get_specs([spec]).by_id("acme-envoy-1.36").title == "AAAA"
    st = path.stat()
    path.write_text(GOOD_BUILD.replace("AAAA", "BBBB"))
    os.utime(path, ns=(st.st_atime_ns, st.st_mtime_ns))
    assert path.stat().st_size == st.st_size and path.stat().st_mtime_ns == st.st_mtime_ns
    assert _fresh([spec]).by_id("acme-envoy-1.36").title == "BBBB"


def test_unusable_cache_location_still_works(home, reference, tmp_path, monkeypatch):
    (tmp_path / "file").write_text("")
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "file"))
    assert _fresh() == reference


def test_prune_touches_only_its_own_names(home, reference):
    home.mkdir(parents=True)
    legacy = home / "e5263caef0385853787.pickle"
    legacy.write_bytes(b"old")
    mine = home / "notes.pickle"
    mine.write_bytes(b"not ours")
    stale = [home / f"{i:064x}.specs" for i in range(cache.KEEP + 2)]
    for i, f in enumerate(stale):
        f.write_bytes(b"x")
        os.utime(f, (1000 + i, 1000 + i))
    assert get_specs() == reference
    names = {f.name for f in home.iterdir()}
    assert legacy.name not in names and mine.name in names
    assert f"{_key()}.specs" in names
    assert len([n for n in names if n.endswith(".specs")]) == cache.KEEP


# --- spec directories: missing, FIFOs, devices, oversized files ---------------------------

def _cli(tmp_path, *args, timeout=60):
    env = dict(os.environ, XDG_CACHE_HOME=str(tmp_path / "xdg"))
    return subprocess.run([sys.executable, "-m", "compatcheck", *args], capture_output=True,
                          text=True, env=env, cwd=tmp_path, timeout=timeout)


def _one_line_error(r, *needles):
    assert r.returncode == 2, (r.returncode, r.stderr)
    lines = r.stderr.strip().splitlines()
    assert len(lines) == 1, r.stderr
    for n in needles:
        assert n in lines[0], lines[0]
    assert "Traceback" not in r.stderr


def test_missing_spec_dir_is_an_error_with_a_warm_cache(home, tmp_path):
    assert _cli(tmp_path, "targets").returncode == 0  # warms the cache
    assert _cli(tmp_path, "targets", "--spec-dir", "/no/such").returncode == 2
    _one_line_error(_cli(tmp_path, "targets", "--spec-dir", "/no/such"),
                    "bad spec: /no/such: spec directory not found")
    get_specs()
    with pytest.raises(SpecError, match="/no/such: spec directory not found"):
        get_specs(["/no/such"])


def test_spec_dir_that_is_a_file_is_an_error(home, tmp_path):
    (tmp_path / "afile").write_text("")
    with pytest.raises(SpecError, match="afile: not a directory"):
        get_specs([tmp_path / "afile"])


@pytest.mark.parametrize("where", ["builds/x.toml", "profiles/x.toml", "runtimes.toml"])
def test_fifo_in_spec_dir_is_an_error_not_a_hang(home, tmp_path, where):
    spec = tmp_path / "specs"
    (spec / "builds").mkdir(parents=True)
    (spec / "profiles").mkdir()
    os.mkfifo(spec / where)
    _cli(tmp_path, "targets")  # a warm cache must not skip the check
    _one_line_error(_cli(tmp_path, "targets", "--spec-dir", str(spec)),
                    f"{spec / where}: cannot read: not a regular file")


def test_dev_zero_symlink_is_an_error(home, tmp_path):
    spec = tmp_path / "specs"
    (spec / "profiles").mkdir(parents=True)
    (spec / "profiles" / "zero.toml").symlink_to("/dev/zero")
    _one_line_error(_cli(tmp_path, "targets", "--spec-dir", str(spec)),
                    "zero.toml: cannot read: not a regular file")


def test_oversized_spec_file_is_an_error(home, tmp_path):
    spec = tmp_path / "specs"
    (spec / "builds").mkdir(parents=True)
    with open(spec / "builds" / "huge.toml", "wb") as fh:
        fh.truncate(5 * 1024 * 1024)
    with pytest.raises(SpecError, match=r"huge.toml: cannot read: 5242880 bytes, more than"):
        get_specs([spec])
