#!/usr/bin/env python3
"""The logic of the compatcheck GitHub Action (action.yml at the repository root).

    gh_action.py install [--dry-run]   pip-install compatcheck (INPUT_VERSION, else the action's
                                       own checkout, ACTION_PATH)
    gh_action.py check                 run compatcheck on INPUT_FILES: SARIF to INPUT_SARIF,
                                       annotations to stdout; outputs to $GITHUB_OUTPUT; exit
                                       with compatcheck's code once all of that is written

Inputs come from INPUT_* variables and are only ever data: every value becomes one argument
of one argv list (never a shell command line), options are passed as --name=value, and file
names follow "--".
"""

from __future__ import annotations

import glob
import json
import os
import shlex
import subprocess
import sys
import uuid

USAGE = 2  # compatcheck's exit code for bad usage; the action's for bad inputs
TRUE, FALSE = ("true", "True", "TRUE"), ("false", "False", "FALSE")  # as core.getBooleanInput


class InputError(Exception):
    pass


def env(name: str, default: str = "") -> str:
    return os.environ.get(f"INPUT_{name}", default).strip() or default


def words(text: str, name: str) -> list[str]:
    """Values separated by spaces or new lines; quote a value that holds spaces."""
    try:
        return shlex.split(text, comments=False, posix=True)
    except ValueError as exc:
        raise InputError(f"input '{name}': {exc}") from None


def expand(patterns: list[str]) -> list[str]:
    """Globs expand here (sorted, `**` recurses); a pattern that matches nothing is passed on
    as it is, so that compatcheck names it ("no such file")."""
    files: list[str] = []
    for pattern in patterns:
        magic = any(c in pattern for c in "*?[")
        matches = sorted(glob.glob(pattern, recursive=True)) if magic else []
        for path in matches or [pattern]:
            if path not in files:
                files.append(path)
    return files


def boolean(name: str, default: str) -> bool:
    value = env(name, default)
    if value not in TRUE + FALSE:
        raise InputError(f"input '{name.lower().replace('_', '-')}' must be true or false, "
                         f"not {value!r}")
    return value in TRUE


def check_args() -> tuple[list[str], str]:
    """compatcheck's options and files from the inputs, and the SARIF path."""
    files = expand(words(env("FILES"), "files"))
    if not files:
        raise InputError("input 'files' is empty: name the .wasm files, directories or globs")
    sarif = env("SARIF", "compatcheck.sarif")
    boolean("UPLOAD_SARIF", "true")  # used by action.yml; a typo is an error here, not a skip
    args = [f"--target={t}" for t in words(env("TARGETS"), "targets")]
    args += [f"--ignore={c}" for c in words(env("IGNORE").replace(",", " "), "ignore")]
    if env("FAIL_ON"):
        args.append(f"--fail-on={env('FAIL_ON')}")
    return args + ["--", *files], sarif


def compatcheck(*args: str, quiet: bool = False) -> int:
    """Run `compatcheck check`; its stdout goes to the log as it is (the annotations of
    --format=github are workflow commands), its stderr (file names, which a workflow command
    could hide in) inside a stop-commands block, or nowhere when `quiet`."""
    cmd = [sys.executable, "-m", "compatcheck", "check", *args]
    sys.stdout.flush()
    proc = subprocess.run(cmd, stdin=subprocess.DEVNULL, stderr=subprocess.PIPE)
    if proc.stderr and not quiet:
        token = uuid.uuid4().hex
        text = proc.stderr.decode("utf-8", "replace")
        print(f"::stop-commands::{token}\n{text.rstrip()}\n::{token}::", flush=True)
    return proc.returncode


def command_text(message: str) -> str:
    """A workflow command's message: no line break can start another command."""
    return message.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def set_outputs(values: dict[str, str]) -> None:
    """Append to $GITHUB_OUTPUT in its multi-line form, with a delimiter no value contains."""
    path = os.environ.get("GITHUB_OUTPUT")
    if not path:
        return
    with open(path, "a", encoding="utf-8") as fh:
        for name, value in values.items():
            delimiter = f"ghadelimiter_{uuid.uuid4()}"
            fh.write(f"{name}<<{delimiter}\n{value}\n{delimiter}\n")


def prepare_output(sarif: str) -> None:
    """Its directory exists and no report of an earlier run is left to be taken for this one's."""
    try:
        if os.path.dirname(sarif):
            os.makedirs(os.path.dirname(sarif), exist_ok=True)
        if os.path.lexists(sarif) and not os.path.isdir(sarif):
            os.remove(sarif)
    except OSError as exc:
        raise InputError(f"input 'sarif': {sarif}: {exc.strerror or exc}") from None


def run_check() -> int:
    try:
        args, sarif = check_args()
        prepare_output(sarif)
    except InputError as exc:
        print(f"::error title=compatcheck action::{command_text(str(exc))}", flush=True)
        set_outputs({"exit-code": str(USAGE), "sarif": ""})
        return USAGE
    code = compatcheck("--format=sarif", f"--output={sarif}", *args)
    compatcheck("--format=github", *args, quiet=True)  # annotations on the run and the PR
    written = os.path.isfile(sarif)
    set_outputs({"exit-code": str(code), "sarif": sarif if written else ""})
    return code


def pip_command(version: str, action_path: str) -> list[str]:
    """`version` is a release (0.2.0), a specifier (>=0.2,<0.3) or any pip requirement
    (compatcheck @ git+https://...); empty installs the action's own checkout."""
    if not version:
        if not action_path:
            raise InputError("neither input 'version' nor the action's path (ACTION_PATH) is set")
        spec = action_path
    elif version[0].isdigit():
        spec = f"compatcheck=={version}"
    elif version[0] in "<>=!~":
        spec = f"compatcheck{version}"
    else:
        spec = version
    return [sys.executable, "-m", "pip", "install", "--disable-pip-version-check", "--", spec]


def run_install(dry_run: bool) -> int:
    try:
        cmd = pip_command(env("VERSION"), os.environ.get("ACTION_PATH", ""))
    except InputError as exc:
        print(f"::error title=compatcheck action::{command_text(str(exc))}", flush=True)
        return USAGE
    if dry_run:
        print(json.dumps(cmd))
        return 0
    return subprocess.run(cmd, stdin=subprocess.DEVNULL).returncode


def main(argv: list[str]) -> int:
    if argv[:1] == ["check"] and len(argv) == 1:
        return run_check()
    if argv[:1] == ["install"] and argv[1:] in ([], ["--dry-run"]):
        return run_install(dry_run=argv[1:] == ["--dry-run"])
    print(__doc__, file=sys.stderr)
    return USAGE


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
