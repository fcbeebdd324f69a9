"""The drill's automatic checks, run with a separate sign-in as the break glass account.

The operator's own session is never used for the checks: the break glass account signs in
through its own ``MsalAuthenticator`` (device code, the account as login hint), and Graph is
read with *that* token — so "Conditional Access readable" proves what the account itself can do.
Failed reads become "not run" (or a failure where the read itself is the check), never a pass.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from dataclasses import replace
from typing import Any, Protocol

from bgwizard.audit.model import AuditReport, DrillRecord, Unread
from bgwizard.audit.service import AuditService, read
from bgwizard.auth.identity import DeviceCodePrompt, SeparateSignIn, SignedInIdentity
from bgwizard.drill.checks import (
    OwnSignIn,
    check_audit,
    check_ca_readable,
    check_global_admin,
    check_no_changes,
    check_portal_sign_in,
    check_sign_in_evidence,
    check_token,
    sign_in_method,
)
from bgwizard.drill.events import SIGNIN_KINDS
from bgwizard.drill.model import ItemResult, failed, not_run, passed
from bgwizard.errors import AuthError, BgWizardError, LogError, SignInCancelled
from bgwizard.graph.directory import GraphDirectory
from bgwizard.graph.gateway import AuditGateway
from bgwizard.graph.model import AuditRecord, CaPolicy, SignInRecord
from bgwizard.ledger.anchored import ProfileLog
from bgwizard.ledger.chain import Entry
from bgwizard.profile.model import BreakGlassAccount, Profile


class DrillGateway(AuditGateway, Protocol):
    """The Graph reads the drill makes with the break glass token (``GraphDirectory``)."""

    async def list_directory_audits(
        self, since: dt.datetime, target_id: str | None = None, *, limit: int = ...
    ) -> list[AuditRecord]:
        """Directory audit records since ``since``."""
        ...

    async def list_sign_ins(
        self, user_id: str, since: dt.datetime, *, limit: int = ...
    ) -> list[SignInRecord]:
        """A user's sign-ins since ``since``."""
        ...

    async def close(self) -> None:
        """Release the HTTP client."""
        ...


GatewayFactory = Callable[[Profile, Any], DrillGateway]


def _graph_gateway(profile: Profile, credential: Any) -> DrillGateway:
    return GraphDirectory(profile, credential)


def _utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


class DrillChecks:
    """One drill's sign-in as the break glass account and the checks made with its token."""

    def __init__(
        self,
        profile: Profile,
        account: BreakGlassAccount,
        sign_in: SeparateSignIn,
        *,
        gateway_factory: GatewayFactory = _graph_gateway,
        clock: Callable[[], dt.datetime] = _utcnow,
    ) -> None:
        """Prepare the checks; nothing is contacted yet.

        Args:
            profile: the tenant (and the other break glass accounts, for the audit).
            account: the account being drilled.
            sign_in: a separate authenticator, e.g. ``MsalAuthenticator(profile).separate()``.
            gateway_factory: builds the Graph gateway from the break glass credential.
            clock: current UTC time (tests pin it).
        """
        self.profile, self.account, self._sign_in = profile, account, sign_in
        self._factory, self._clock = gateway_factory, clock
        self._gateway: DrillGateway | None = None
        self.identity: SignedInIdentity | None = None
        self.signed_in_at: dt.datetime | None = None

    async def start_sign_in(self) -> DeviceCodePrompt:
        """Start the device code sign-in with the account as login hint.

        Raises:
            AuthError: the sign-in service refused to start.
            NetworkDown: it could not be reached.
        """
        return await self._sign_in.start_device_code(login_hint=self.account.upn)

    def cancel_sign_in(self, prompt: DeviceCodePrompt) -> None:
        """Stop waiting for the sign-in."""
        self._sign_in.cancel(prompt)

    async def finish_sign_in(self, prompt: DeviceCodePrompt) -> list[ItemResult]:
        """Wait for the sign-in, then check the token: account and Global Administrator.

        Returns:
            The results of ``signin``, ``token_account`` and ``global_admin``.

        Raises:
            SignInCancelled: the operator cancelled.
        """
        try:
            identity = await self._sign_in.finish_device_code(prompt)
        except SignInCancelled:
            raise
        except BgWizardError as exc:
            return self.sign_in_failed(str(exc))
        self.identity, self.signed_in_at = identity, self._clock()
        self._gateway = self._factory(self.profile, self._sign_in.credential())
        when = self.signed_in_at.isoformat(timespec="seconds")
        method = sign_in_method(identity)
        return [
            passed(
                "signin",
                f"Signed in as {identity.upn} ({method}).",
                upn=identity.upn,
                time=when,
                method=method,
            ),
            check_token(identity, self.account),
            check_global_admin(identity),
        ]

    def sign_in_failed(self, reason: str) -> list[ItemResult]:
        """Results when the sign-in failed (wrong password, expired code, another account)."""
        why = "the sign-in failed, so the token could not be checked"
        return [
            failed("signin", reason.rstrip(".") + "."),
            not_run("portal_signin", why),
            not_run("token_account", why),
            not_run("global_admin", why),
            not_run("ca_readable", why),
            not_run("audit_rules", why),
        ]

    def _require_gateway(self) -> DrillGateway:
        if self._gateway is None:
            raise AuthError("The break glass account is not signed in; sign in first.")
        return self._gateway

    async def during_checks(self, audit: bool = True) -> list[ItemResult]:
        """Portal-ready sign-in (``amr``), Conditional Access readable with the account's token,
        and the audit's rules.

        Args:
            audit: run the audit's account and CA rules (False records them as not run).
        """
        if self._gateway is None or self.identity is None:
            why = "the account is not signed in"
            return [not_run(i, why) for i in ("portal_signin", "ca_readable", "audit_rules")]
        gateway, portal = self._gateway, check_portal_sign_in(self.identity)
        try:
            policies: Sequence[CaPolicy] | Unread = await read(gateway.list_ca_policies)
        except AuthError as exc:  # the break glass session itself was refused or expired
            return [portal, failed("ca_readable", str(exc)), not_run("audit_rules", str(exc))]
        report = await self._audit() if audit else None
        return [portal, check_ca_readable(policies), check_audit(report, self.account.object_id)]

    async def _audit(self) -> AuditReport | Unread:
        service = AuditService(self._require_gateway(), self.profile, clock=self._clock)
        try:
            return await service.run()
        except BgWizardError as exc:
            return Unread(str(exc))

    async def after_checks(self, start: dt.datetime, end: dt.datetime) -> list[ItemResult]:
        """No changes by the account in the window; the sign-in found in the logs.

        Args:
            start: start of the test window (before the sign-in).
            end: end of the window (now, usually).
        """
        if self._gateway is None:
            why = "the account never signed in during this drill"
            return [not_run("no_changes", why), failed("signin_evidence", f"No sign-in: {why}.")]
        gateway, oid = self._gateway, self.account.object_id
        try:
            audits = await read(lambda: gateway.list_directory_audits(start))
            sign_ins = await read(lambda: gateway.list_sign_ins(oid, start))
            last = await self._last_success(gateway, oid)
        except AuthError as exc:  # the session expired: the operator can sign in again
            return [not_run("no_changes", str(exc)), not_run("signin_evidence", str(exc))]
        return [
            check_no_changes(audits, self.account, start, end),
            check_sign_in_evidence(sign_ins, last, start, end, self._own_sign_in()),
        ]

    def _own_sign_in(self) -> OwnSignIn | None:
        """The drill's sign-in as the account (its token), the evidence a Free tenant has."""
        if self.identity is None or self.signed_in_at is None:
            return None
        return OwnSignIn(self.identity.upn, self.identity.object_id, self.signed_in_at)

    @staticmethod
    async def _last_success(gateway: DrillGateway, oid: str) -> dt.datetime | Unread | None:
        user = await read(lambda: gateway.get_user(oid, sign_in_activity=True))
        return user if isinstance(user, Unread) else user.last_successful_sign_in

    async def close(self) -> None:
        """Sign the break glass account out and release the HTTP client."""
        self._sign_in.sign_out()
        if self._gateway is not None:
            await self._gateway.close()
            self._gateway = None


class DrillChecksMaker:
    """The ``DrillChecksFactory`` port: fresh ``DrillChecks`` per account, each with a fresh
    separate sign-in from ``sign_in`` (the composition root decides what that is)."""

    def __init__(
        self,
        profile: Profile,
        sign_in: Callable[[], SeparateSignIn],
        *,
        clock: Callable[[], dt.datetime] = _utcnow,
    ) -> None:
        """Args: profile: the tenant; sign_in: a new separate sign-in; clock: UTC now."""
        self._profile, self._sign_in, self._clock = profile, sign_in, clock

    def checks_for(self, account: BreakGlassAccount) -> DrillChecks:
        """The checks for one drill of ``account``."""
        return DrillChecks(self._profile, account, self._sign_in(), clock=self._clock)


class ProfileDrillSource:
    """The audit's ``DrillSource`` that follows the profile: the log is looked up at each read,
    so an audit built once still reads a linked log started later."""

    def __init__(self, profile: Profile) -> None:
        """Read the drills of ``profile``'s log."""
        self._profile = profile

    def drill_records(self) -> tuple[DrillRecord, ...]:
        """See ``LogDrillSource.drill_records`` (raises ``LogError`` for a broken log)."""
        return drill_source_for(self._profile).drill_records()


def drill_source_for(profile: Profile) -> LogDrillSource:
    """The audit's drill source for ``profile``: its signed log (training in demo mode), read
    with the profile's pinned signers and remembered head."""
    return LogDrillSource(ProfileLog(profile))


class LogEntries(Protocol):
    """A log the audit reads entries from (``ProfileLog``: pins and head checked)."""

    def exists(self) -> bool:
        """Whether the file exists."""
        ...

    def entries(self) -> list[Entry]:
        """The entries of a log that verifies (raises ``LogError`` otherwise)."""
        ...


class LogDrillSource:
    """The audit's ``DrillSource``: drill sign-ins recorded in the signed log."""

    def __init__(self, log: LogEntries) -> None:
        """Read drills from ``log`` (``ProfileLog``, so only pinned signers count)."""
        self._log = log

    def drill_records(self) -> tuple[DrillRecord, ...]:
        """Every drill with a sign-in time, and every recorded real use (``kind`` ``use``);
        none when there is no log yet.

        Raises:
            LogError: the log exists but does not verify (so its drills prove nothing).
        """
        entries = self._log.entries()
        return tuple(
            replace(record, seq=e.seq)
            for e in entries
            if (record := _checked_record(e.seq, e.kind, e.data))
        )


def _checked_record(seq: int, kind: str, data: dict[str, Any]) -> DrillRecord | None:
    """``_drill_record``, with a signed entry whose data is malformed as one ``LogError``."""
    try:
        return _drill_record(kind, data)
    except (ValueError, TypeError, AttributeError) as exc:
        reason = str(exc) if isinstance(exc, ValueError) else "its data has the wrong shape"
        raise LogError(
            f"Entry {seq} of the drill log is signed but cannot be read: {reason.rstrip('.')}."
        ) from None


def _time(text: object) -> dt.datetime:
    """A time written by bgwizard (ISO 8601, UTC); anything else is a ``ValueError``."""
    try:
        when = dt.datetime.fromisoformat(str(text).replace("Z", "+00:00"))
    except ValueError:
        raise ValueError(f"{str(text)[:40]!r} is not a date and time") from None
    if when.tzinfo is None:
        raise ValueError(f"{str(text)[:40]!r} has no time zone")
    return when


def _drill_record(kind: str, data: dict[str, Any]) -> DrillRecord | None:
    """The drill's sign-in time: from the sign-in log evidence, else when bgwizard saw it.

    A real use (``use_data``) becomes a record spanning its start and end; a sign-in bgwizard
    made (set-up verification, passkey check, a rotation's check) a record of that kind at its
    ``signed_in`` time (an older rotation entry without one: its ``when``).
    """
    if kind in SIGNIN_KINDS or kind == "rotation":
        text = data.get("signed_in") or (data.get("when") if kind == "rotation" else None)
        if not text:
            return None
        return DrillRecord(str(data.get("account_id", "")), _time(text), kind)
    if kind == "use":
        if not data.get("started"):
            return None
        started = _time(data["started"])
        ended = _time(data["ended"]) if data.get("ended") else started
        return DrillRecord(str(data.get("account_id", "")), started, "use", ended)
    if kind != "drill":
        return None
    times = {
        item.get("id"): item.get("evidence", {}).get("time")
        for item in data.get("items", [])
        if item.get("status") == "pass" and item.get("id") in ("signin", "signin_evidence")
    }
    text = times.get("signin_evidence") or times.get("signin")
    if not text:
        return None
    return DrillRecord(account=str(data.get("account_id", "")), when=_time(text))
