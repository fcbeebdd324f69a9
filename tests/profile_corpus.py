"""Broken profiles, each with the key its one-sentence error must name (issue 13 §3).

Used by tests/unit/test_profile_hardening.py (load) and tests/test_cli_corpus.py (every command
that reads a profile). The issue found 19 tracebacks in 39 such files × 4 commands on main.
"""

from __future__ import annotations

from typing import Final

_ACCOUNT: Final = b'[[accounts]]\nupn = "bg1@c.onmicrosoft.com"\n'

BROKEN_PROFILES: Final[list[tuple[bytes, str]]] = [
    # Not TOML, not UTF-8, too deep.
    (b"tenant_id = ", "not valid"),
    (b"\xff\xfe", "not valid"),
    (b"tenant_id = 'a'\ntenant_id = 'b'\n", "not valid"),
    (b"x = " + b"[" * 5000 + b"]" * 5000 + b"\n", "nested too deeply"),
    (b"x = " + b"{a = " * 3000 + b"1" + b"}" * 3000 + b"\n", "nested too deeply"),
    # Top-level fields of the wrong type.
    (b"demo = 3\n", "demo"),
    (b"sheet_qr = 'yes'\n", "sheet_qr"),
    (b"tenant_id = 5\n", "tenant_id"),
    (b"tenant_name = [1]\n", "tenant_name"),
    (b"graph_url = {a = 1}\n", "graph_url"),
    (b"authority_host = 1.5\n", "authority_host"),
    (b"ca_bundle = true\n", "ca_bundle"),
    (b"drill_log = 2026-01-01\n", "drill_log"),
    (b"signer_key = 7\n", "signer_key"),
    (b"contacts = 'soc@contoso.example'\n", "contacts"),
    (b"contacts = [1, 2]\n", "contacts"),
    (b"setup_steps_done = [[1]]\n", "setup_steps_done"),
    (b"last_drill = 'yesterday'\n", "last_drill"),
    (b"last_drill = 12\n", "last_drill"),
    (b"runbook_templates_dir = ['a']\n", "runbook_templates_dir"),
    (b"sheet_paper = 4\n", "sheet_paper"),
    # Accounts.
    (b"accounts = 'bg1'\n", "accounts"),
    (b"accounts = [1]\n", "accounts[0]"),
    (b"[[accounts]]\nobject_id = 'x'\n", "accounts[0].upn"),
    (b"[[accounts]]\nupn = 5\n", "accounts[0].upn"),
    (b"[[accounts]]\nupn = ''\n", "accounts[0].upn"),
    (_ACCOUNT + b"object_id = [1]\n", "accounts[0].object_id"),
    (_ACCOUNT + b"custodians = [1, 'x']\n", "accounts[0].custodians"),
    (_ACCOUNT + b"custodians = 'K. Nordmann'\n", "accounts[0].custodians"),
    (_ACCOUNT + b"locations = [{a = 1}]\n", "accounts[0].locations"),
    (_ACCOUNT + b"created = 'today'\n", "accounts[0].created"),
    (_ACCOUNT + b"last_rotation = 3\n", "accounts[0].last_rotation"),
    (_ACCOUNT + b"sheets = 'K7QF'\n", "accounts[0].sheets"),
    (_ACCOUNT + b"[[accounts.sheets]]\ncreated = 2026-01-01\n", "accounts[0].sheets[0]"),
    (_ACCOUNT + b"[[accounts.sheets]]\nserial = 'K7QF'\n", "accounts[0].sheets[0]"),
    (_ACCOUNT + b"[[accounts.sheets]]\nserial = 5\ncreated = 2026-01-01\n", "sheets[0].serial"),
    (
        _ACCOUNT + b"[[accounts.sheets]]\nserial = 'K'\ncreated = 2026-01-01\nretired = 'no'\n",
        "sheets[0].retired",
    ),
    (_ACCOUNT + b"sheets = [1]\n", "accounts[0].sheets[0]"),
    (_ACCOUNT + b"[[accounts.security_keys]]\nlabel = 'k'\n", "accounts[0].security_keys[0]"),
    (
        _ACCOUNT + b"[[accounts.security_keys]]\nlabel = 1\naaguid = 'a'\n",
        "security_keys[0].label",
    ),
    (
        _ACCOUNT + b"[[accounts.security_keys]]\nlabel = 'k'\naaguid = 'a'\nregistered = 1\n",
        "security_keys[0].registered",
    ),
    (_ACCOUNT + b"pending_rotation = 'x'\n", "accounts[0].pending_rotation"),
    (
        _ACCOUNT + b"[accounts.pending_rotation]\nserial = 'Z'\ncreated = 2026-01-01\n"
        b"locations = [1]\n",
        "pending_rotation.locations",
    ),
    (
        _ACCOUNT + b"[accounts.pending_rotation]\nserial = 'Z'\ncreated = 2026-01-01\n"
        b"started = 2026-01-01\n",
        "pending_rotation.started",
    ),
    (
        b'[[accounts]]\nupn = "a@c"\n[[accounts]]\nupn = "b@c"\nobject_id = 3\n',
        "accounts[1].object_id",
    ),
    # Sections.
    (b'ui = "dark"\n', "ui"),
    (b"[ui]\ntheme = 3\n", "ui.theme"),
    (b"[ui.keymap]\ntoggle_theme = 9\n", "ui.keymap"),
    (b"[drill]\nhead = 1\n", "drill"),
    (b"setup_ca_backups = [1]\n", "setup_ca_backups"),
]
