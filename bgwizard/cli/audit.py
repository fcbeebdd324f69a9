"""``bgwizard audit``: the unattended audit, as text or JSON, with exit codes 0 / 1 / 2.

Online it signs in app-only (``--client-id`` with ``--certificate`` or ``--secret-env``) for
pipelines and schedules, or as an admin by device code (the prompt goes to stderr). Offline
(``--policies DIR``) it audits exported Conditional Access policies without any sign-in.
The report goes to stdout; errors are one sentence on stderr with exit code 2.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import sys
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Final

from bgwizard.cli.parser import EXIT_FAILED, add_profile_option, path_arg, usage_error
from bgwizard.errors import BgWizardError, ProfileError

if TYPE_CHECKING:
    from bgwizard.audit.model import AuditReport
    from bgwizard.auth.tokens import MsalTokenCredential
    from bgwizard.cli.parser import Subparsers
    from bgwizard.profile.model import Profile

PROG: Final = "bgwizard audit"


def add_parser(subparsers: Subparsers) -> None:
    """Add ``bgwizard audit`` to the command tree.

    Args:
        subparsers: the top-level commands.
    """
    parser = subparsers.add_parser(
        "audit",
        help="check every break glass rule (exit 0 good, 1 findings, 2 not run)",
        description=(
            "Check the break glass accounts named in the profile: existence, hygiene, "
            "permanent Global Administrator, Conditional Access exclusions (every policy), "
            "authentication methods, unexplained use and drills. Exit 0: pass (warnings "
            "allowed); 1: errors found; 2: the audit could not run, or some checks could not "
            "run and no error was found."
        ),
    )
    add_profile_option(parser, "profile file (default: the config dir)")
    parser.add_argument(
        "--format",
        choices=("text", "json", "junit", "sarif", "markdown"),
        default="text",
        help="report format (junit, sarif and markdown are for CI systems)",
    )
    parser.add_argument(
        "--output",
        action="append",
        metavar="[FORMAT:]FILE",
        help="write the report (in --format, or FORMAT: junit, sarif, markdown, json, text) to "
        "FILE and print the text summary; may be repeated",
    )
    parser.add_argument("--client-id", metavar="ID", help="app registration for app-only sign-in")
    secret = parser.add_mutually_exclusive_group()
    secret.add_argument(
        "--certificate", type=path_arg, metavar="PEM", help="key and certificate PEM"
    )
    secret.add_argument(
        "--secret-env", metavar="VAR", help="environment variable holding a client secret"
    )
    secret.add_argument(
        "--federated",
        action="store_true",
        help="no stored secret: the pipeline's OIDC token (AZURE_FEDERATED_TOKEN_FILE or "
        "GitHub Actions' ACTIONS_ID_TOKEN_REQUEST_URL/_TOKEN)",
    )
    secret.add_argument(
        "--federated-token-file", type=Path, metavar="FILE", help="federated token from this file"
    )
    many = parser.add_argument_group("many tenants")
    many.add_argument(
        "--tenants", type=Path, metavar="FILE", help="TOML file of tenants to audit concurrently"
    )
    many.add_argument(
        "--concurrency", type=int, metavar="N", help="tenants audited at once (default 8)"
    )
    offline = parser.add_argument_group("offline audit of exported policies (no sign-in)")
    offline.add_argument(
        "--policies", type=path_arg, metavar="DIR", help="folder of policy JSON files"
    )
    offline.add_argument(
        "--accounts", metavar="ID,ID", help="object ids of the break glass accounts"
    )
    offline.add_argument(
        "--groups", type=path_arg, metavar="FILE", help="group id → member ids JSON"
    )
    parser.set_defaults(run=run)


def _misuse(args: argparse.Namespace) -> str:
    """What is wrong with a combination of options argparse cannot check; '' when none."""
    secret_given = (
        args.certificate is not None
        or args.secret_env is not None
        or args.federated
        or args.federated_token_file is not None
    )
    if args.tenants is not None:
        if args.client_id or secret_given or args.policies is not None:
            return "--tenants FILE names each tenant's sign-in; drop the other sign-in options"
        return "" if (args.concurrency or 1) >= 1 else "--concurrency must be 1 or more"
    if args.concurrency is not None:
        return "--concurrency goes with --tenants FILE"
    if args.client_id and not secret_given:
        return "--client-id needs --certificate PEM, --secret-env VAR or --federated"
    if secret_given and not args.client_id:
        return "--certificate, --secret-env and --federated need --client-id"
    if args.policies is None and (args.accounts or args.groups):
        return "--accounts and --groups go with --policies DIR"
    if args.policies is not None and args.client_id:
        return "--policies audits files offline and takes no sign-in"
    return ""


def _load_profile(path: Path | None, *, required: bool) -> Profile | None:
    from bgwizard.profile.store import TomlProfileStore

    store = TomlProfileStore(path)
    if not store.exists():
        if required:
            where = path or "the config directory"
            raise ProfileError(f"No profile at {where}; run bgwizard once or pass --profile FILE.")
        return None
    return store.load()


def _offline(args: argparse.Namespace) -> AuditReport:
    from bgwizard.audit.engine import run_audit
    from bgwizard.audit.exports_reader import load_groups, load_policy_folder
    from bgwizard.audit.offline import offline_snapshot
    from bgwizard.profile.model import BreakGlassAccount

    if args.accounts:
        ids = [i.strip() for i in str(args.accounts).split(",") if i.strip()]
        accounts = [BreakGlassAccount(upn="", object_id=i) for i in ids]
    else:
        profile = _load_profile(args.profile, required=False)
        if profile is None or not profile.accounts:
            raise ProfileError(
                "Name the accounts with --accounts ID,ID (or a profile that has them)."
            )
        accounts = list(profile.accounts)
    export = load_policy_folder(args.policies)
    groups, names = load_groups(args.groups) if args.groups else ({}, {})
    snapshot = offline_snapshot(
        export.policies,
        accounts,
        dt.datetime.now(dt.UTC),
        groups=groups,
        names={**export.names, **names},
    )
    return run_audit(snapshot)


def _app_secret(var: str) -> str:
    value = os.environ.get(var, "")
    if not value:
        raise ProfileError(f"The environment variable {var} holds no client secret.")
    return value


async def _online(args: argparse.Namespace, profile: Profile) -> AuditReport:
    from bgwizard.audit.service import AuditService
    from bgwizard.drill.service import drill_source_for
    from bgwizard.graph.directory import GraphDirectory

    if args.client_id:
        from bgwizard.auth.app_only import AppOnlyAuthenticator

        secret = _app_secret(args.secret_env) if args.secret_env else None
        assertion = _assertion(args, profile)
        app = AppOnlyAuthenticator(profile, args.client_id, args.certificate, secret, assertion)
        await app.sign_in()
        credential = app.credential()
    else:
        credential = await _device_code(profile)
    graph = GraphDirectory(profile, credential)
    try:
        return await AuditService(graph, profile, drills=drill_source_for(profile)).run()
    finally:
        await graph.close()


def _assertion(args: argparse.Namespace, profile: Profile) -> Callable[[], str] | None:
    """The federated client assertion, when ``--federated`` or a token file is given."""
    if not (args.federated or args.federated_token_file):
        return None
    from bgwizard.auth.federated import from_environment
    from bgwizard.cli.audit_tenants import actions_get

    assertion = from_environment(token_file=args.federated_token_file, get=actions_get(profile))
    assertion()  # a missing, expired or wrong-audience token: one sentence before msal starts
    return assertion


async def _device_code(profile: Profile) -> MsalTokenCredential:
    from bgwizard.auth.scopes import scopes_for
    from bgwizard.auth.service import MsalAuthenticator

    auth = MsalAuthenticator(profile, scopes=scopes_for("audit"))  # read scopes only
    prompt = await auth.start_device_code()
    print(
        prompt.message or f"Sign in at {prompt.verification_uri} with code {prompt.user_code}.",
        file=sys.stderr,
        flush=True,
    )
    await auth.finish_device_code(prompt)
    return auth.credential()


def _render(report: AuditReport, form: str, artifact: str) -> str:
    from bgwizard.audit.render import to_json, to_json_data, to_text

    if form in ("text", "json"):
        return to_json(report) if form == "json" else to_text(report)
    from bgwizard.audit.outcomes import TenantResult
    from bgwizard.cli.audit_output import render_ci

    return render_ci(form, [TenantResult("", to_json_data(report))], artifact)


def run(args: argparse.Namespace) -> int:
    """Run ``bgwizard audit``.

    Args:
        args: the parsed command line.

    Returns:
        0 pass, 1 errors found, 2 could not run or incomplete.
    """
    if misuse := _misuse(args):
        return usage_error(PROG, misuse)
    from bgwizard.cli.audit_output import emit, parse_outputs

    try:
        outputs = parse_outputs(args.output or [], args.format)
    except ValueError as exc:
        return usage_error(PROG, str(exc))
    if args.tenants is not None:
        return _run_tenants(args, outputs)
    try:
        report = _report(args)
    except BgWizardError as exc:
        _say_failure(exc, args, outputs)
        return EXIT_FAILED
    except KeyboardInterrupt:
        return 130
    from bgwizard.cli.audit_output import artifact_for

    artifact = artifact_for(args.profile or args.policies)
    try:
        emit(lambda form: _render(report, form, artifact), args.format, outputs)
    except BgWizardError as exc:
        print(f"{PROG}: {exc}", file=sys.stderr)
        return EXIT_FAILED
    return report.exit_code


def _run_tenants(args: argparse.Namespace, outputs: list[tuple[str, Path]]) -> int:
    """``--tenants FILE``: every tenant concurrently; exit code the worst of them."""
    import asyncio

    from bgwizard.audit.model import EXIT_CODES
    from bgwizard.audit.outcomes import worst_result
    from bgwizard.cli.audit_output import artifact_for, emit, fleet_json, fleet_text, render_ci
    from bgwizard.cli.audit_tenants import audit_tenants, load_tenants

    try:
        fleet = load_tenants(args.tenants)
        results, codes = asyncio.run(
            audit_tenants(fleet.tenants, args.concurrency or fleet.concurrency)
        )

        def render(form: str) -> str:
            if form == "json":
                return fleet_json(results, codes)
            if form == "text":
                return fleet_text(results)
            return render_ci(form, results, artifact_for(args.tenants))

        emit(render, args.format, outputs)
    except BgWizardError as exc:
        print(f"{PROG}: {exc}", file=sys.stderr)
        return EXIT_FAILED
    except KeyboardInterrupt:
        return 130
    return EXIT_CODES[worst_result(r.result for r in results)]  # type: ignore[index]


def _report(args: argparse.Namespace) -> AuditReport:
    """Audit the exported policies (``--policies``) or, signed in, the tenant."""
    if args.policies is not None:
        return _offline(args)
    import asyncio

    profile = _load_profile(args.profile, required=True)
    assert profile is not None
    return asyncio.run(_online(args, profile))


def _say_failure(
    error: BgWizardError, args: argparse.Namespace, outputs: list[tuple[str, Path]]
) -> None:
    """One sentence on stderr; in every machine format asked for, also an ``incomplete``
    report (stdout, or each ``--output``), so a pipeline that uploads it shows why."""
    print(f"{PROG}: {error}", file=sys.stderr)
    from bgwizard.audit.outcomes import TenantResult
    from bgwizard.audit.render import failure_json
    from bgwizard.cli.audit_output import artifact_for, failure_document, render_ci, write_file

    def render(form: str) -> str:
        if form == "json":
            return failure_json(str(error))
        results = [TenantResult("", failure_document(str(error)))]
        return render_ci(form, results, artifact_for(args.profile or args.policies))

    try:
        for form, path in outputs:
            if form != "text":
                write_file(path, render(form))
    except BgWizardError as exc:
        print(f"{PROG}: {exc}", file=sys.stderr)
    if not outputs and args.format != "text":
        sys.stdout.write(render(args.format))
