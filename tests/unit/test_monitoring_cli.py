"""``bgwizard monitoring export``: files on disk, accounts from --accounts or the profile."""

from __future__ import annotations

import io
import json
from contextlib import redirect_stderr, redirect_stdout
from pathlib import Path

import pytest

from bgwizard.cli.main import main
from bgwizard.cli.monitoring import parse_accounts
from bgwizard.errors import MonitoringError
from bgwizard.profile.model import BreakGlassAccount, Profile
from bgwizard.profile.store import TomlProfileStore

ID_A = "aaaaaaaa-1111-4222-8333-444444444444"
ID_B = "bbbbbbbb-1111-4222-8333-444444444444"
GROUP = "cccccccc-1111-4222-8333-444444444444"
EXPECTED = {
    "signin-any.kql",
    "signin-success.kql",
    "signin-failures.kql",
    "account-changes.kql",
    "auth-methods-changed.kql",
    "role-changes.kql",
    "ca-policy-created.kql",
    "ca-policy-updated.kql",
    "ca-policy-deleted.kql",
    "exclusion-group-changes.kql",
    "auth-methods-policy.kql",
    "rmau-changes.kql",
    "azure-monitor-alert-rules.json",
    "sentinel-analytics-rules.json",
    "defender-xdr-signin-rule.json",
    "DEPLOY.md",
}


def call(*argv: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    with redirect_stdout(out), redirect_stderr(err):
        code = main(["monitoring", *argv])
    return code, out.getvalue(), err.getvalue()


def test_export_with_accounts_writes_every_file(tmp_path: Path) -> None:
    out_dir = tmp_path / "new" / "monitoring"
    code, out, err = call(
        "export",
        "--out",
        str(out_dir),
        "--accounts",
        f"bg-a@contoso.onmicrosoft.com={ID_A},bg-b@contoso.onmicrosoft.com={ID_B}",
    )
    assert (code, err) == (0, "")
    assert {p.name for p in out_dir.iterdir()} == EXPECTED
    assert "Wrote 16 files for 2 accounts" in out
    for name in EXPECTED:
        text = (out_dir / name).read_text(encoding="utf-8")
        if name.endswith(".kql") or name.endswith(".json"):
            assert ID_A in text and ID_B in text
    json.loads((out_dir / "azure-monitor-alert-rules.json").read_text(encoding="utf-8"))


def test_rerun_with_force_replaces_the_files_in_place(tmp_path: Path) -> None:
    call("export", "--out", str(tmp_path), "--accounts", f"bg-a@contoso.onmicrosoft.com={ID_A}")
    code, _, _ = call(
        "export",
        "--out",
        str(tmp_path),
        "--force",
        "--accounts",
        f"bg-b@contoso.onmicrosoft.com={ID_B}",
    )
    assert code == 0
    text = (tmp_path / "signin-any.kql").read_text(encoding="utf-8")
    assert ID_B in text and ID_A not in text
    assert {p.name for p in tmp_path.iterdir()} == EXPECTED  # no temp files left behind


def test_an_edited_deploy_md_is_never_overwritten_without_force(tmp_path: Path) -> None:
    """Issue 13 §4: a rerun used to replace a user-edited DEPLOY.md without a word."""
    (tmp_path / "DEPLOY.md").write_text("our own notes\n", encoding="utf-8")
    (tmp_path / "signin-any.kql").write_text("// tuned by hand\n", encoding="utf-8")
    code, out, err = call(
        "export", "--out", str(tmp_path), "--accounts", f"bg-a@contoso.onmicrosoft.com={ID_A}"
    )
    assert (code, out) == (2, "")
    assert err.count("\n") == 1 and "DEPLOY.md, signin-any.kql" in err
    assert "nothing was written" in err and "--force" in err
    assert (tmp_path / "DEPLOY.md").read_text(encoding="utf-8") == "our own notes\n"
    assert {p.name for p in tmp_path.iterdir()} == {"DEPLOY.md", "signin-any.kql"}


def test_accounts_from_the_profile(tmp_path: Path) -> None:
    profile_path = tmp_path / "profile.toml"
    TomlProfileStore(profile_path).save(
        Profile(accounts=[BreakGlassAccount("bg-a@contoso.onmicrosoft.com", ID_A)])
    )
    code, _, err = call("export", "--out", str(tmp_path / "out"), "--profile", str(profile_path))
    assert (code, err) == (0, "")
    assert ID_A in (tmp_path / "out" / "signin-any.kql").read_text(encoding="utf-8")


def test_the_profile_s_protected_group_and_rmau_are_watched_by_default(tmp_path: Path) -> None:
    profile_path = tmp_path / "profile.toml"
    rmau = "dddddddd-1111-4222-8333-444444444444"
    profile = Profile(accounts=[BreakGlassAccount("bg-a@contoso.onmicrosoft.com", ID_A)])
    profile.exclusion_group_id, profile.exclusion_rmau_id = GROUP, rmau
    TomlProfileStore(profile_path).save(profile)
    code, _, err = call("export", "--out", str(tmp_path / "out"), "--profile", str(profile_path))
    assert (code, err) == (0, "")
    text = (tmp_path / "out" / "signin-any.kql").read_text(encoding="utf-8")
    assert f'"{GROUP}"' in text and f'"{rmau}"' in text


def test_profile_without_accounts_is_one_clear_error(tmp_path: Path) -> None:
    code, out, err = call(
        "export", "--out", str(tmp_path / "out"), "--profile", str(tmp_path / "absent.toml")
    )
    assert code == 2 and out == ""
    assert err.strip() == (
        "bgwizard monitoring: No break glass accounts to monitor: add them to the profile first."
    )
    assert not (tmp_path / "out").exists()


def test_profile_account_without_object_id_is_refused(tmp_path: Path) -> None:
    profile_path = tmp_path / "profile.toml"
    TomlProfileStore(profile_path).save(
        Profile(accounts=[BreakGlassAccount("bg-a@contoso.onmicrosoft.com")])
    )
    code, _, err = call("export", "--out", str(tmp_path / "o"), "--profile", str(profile_path))
    assert code == 2 and "has no object id" in err


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("bg-a@contoso.onmicrosoft.com", "is not UPN=OBJECTID"),
        ("bg-a@contoso.onmicrosoft.com=123", "is not a GUID"),
        (",", "names no account"),
    ],
)
def test_bad_accounts_argument(value: str, message: str) -> None:
    with pytest.raises(MonitoringError, match=message):
        parse_accounts(value)


def test_bad_accounts_exit_two_without_traceback(tmp_path: Path) -> None:
    code, _, err = call("export", "--out", str(tmp_path), "--accounts", "nonsense")
    assert code == 2
    assert err.count("\n") == 1 and "Traceback" not in err


def test_unwritable_directory_is_one_clear_error(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("x", encoding="utf-8")
    code, _, err = call(
        "export",
        "--out",
        str(blocker / "sub"),
        "--accounts",
        f"bg-a@contoso.onmicrosoft.com={ID_A}",
    )
    assert code == 2
    assert err.startswith("bgwizard monitoring: Cannot write the monitoring files to ")


def test_exclusion_group_and_rmau_are_named_in_every_rule(tmp_path: Path) -> None:
    rmau = "dddddddd-1111-4222-8333-444444444444"
    code, _, err = call(
        "export",
        "--out",
        str(tmp_path),
        "--accounts",
        f"bg-a@contoso.onmicrosoft.com={ID_A}",
        "--exclusion-group",
        GROUP,
        "--rmau",
        rmau,
    )
    assert (code, err) == (0, "")
    for name in EXPECTED:
        if name.endswith(".kql"):
            text = (tmp_path / name).read_text(encoding="utf-8")
            assert f'"{GROUP}"' in text and f'"{rmau}"' in text


def test_malformed_exclusion_group_is_one_clear_error(tmp_path: Path) -> None:
    code, out, err = call(
        "export",
        "--out",
        str(tmp_path / "out"),
        "--accounts",
        f"bg-a@contoso.onmicrosoft.com={ID_A}",
        "--exclusion-group",
        "BG-CA-Exclusion",
    )
    assert code == 2 and out == ""
    assert err == (
        "bgwizard monitoring: The exclusion group object id 'bg-ca-exclusion' is not a GUID.\n"
    )
    assert not (tmp_path / "out").exists()


def test_missing_out_is_a_usage_error() -> None:
    assert call("export")[0] == 2
    assert call("--help")[0] == 0
