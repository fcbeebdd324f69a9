"""The passkey step: each account gets a phishing-resistant credential, or a signed reason why
not. Part of ``SetupService``.

One of three per account, each journaled as ``passkey:<upn>`` once it holds:
- a device-bound passkey on a FIDO2 security key (``enrol_key``, after the pre-checks: the
  FIDO2 policy enabled for the account or one of its groups, self-service setup on, a passkey
  profile allowing ``deviceBound`` and the key's AAGUID);
- certificate-based auth bound to the user (``authorizationInfo.certificateUserIds``);
- a skip, once its reason is signed into the log (the screen signs, then calls ``record_skip``).

A rerun never registers a second key on an account whose key is both in the profile and
listed in Graph, and never forgets a recorded skip.
"""

from __future__ import annotations

import asyncio
import datetime as dt
from collections.abc import Callable

from bgwizard.drill.events import credential_skip_data
from bgwizard.errors import SetupError
from bgwizard.ledger.chain import JsonValue
from bgwizard.passkeys.device import KeyDevice
from bgwizard.passkeys.service import PasskeyGraph
from bgwizard.profile.model import BreakGlassAccount, Profile, SecurityKeyRecord
from bgwizard.secret import Secret
from bgwizard.setup.directory_port import SetupDirectory
from bgwizard.setup.journal import SetupJournal, account


class CredentialStep:
    """The phishing-resistant credential of each break glass account."""

    _directory: SetupDirectory
    _profile: Profile
    _clock: Callable[[], dt.datetime]
    _passkeys: PasskeyGraph | None

    async def save(self) -> None:
        """Save the profile (``SetupService`` does it)."""

    def _calls(self) -> PasskeyGraph:
        if self._passkeys is None:
            raise SetupError("This set-up cannot register passkeys (no passkey service given).")
        return self._passkeys

    def _created(self, upn: str) -> BreakGlassAccount:
        item = account(self._profile, upn)
        if not item.object_id:
            raise SetupError(f"{upn} has not been created yet; run the create step first.")
        return item

    async def passkey_problems(self, upn: str, aaguid: str | None = None) -> list[str]:
        """The pre-checks before a key is touched: one sentence and its fix per problem.

        The FIDO2 policy is read first; its include targets count when they name the account's
        groups (transitive), the passkey profile before the deprecated restrictions.

        Args:
            upn: the account.
            aaguid: the key model, once a key is plugged in (None: not checked yet).

        Raises:
            BgWizardError: a Graph call failed.
        """
        item = self._created(upn)
        policy = await self._calls().fido2_policy()
        refs = await self._directory.transitive_member_of(item.object_id)
        groups = (item.object_id, *(r.id for r in refs if r.kind == "group"))
        found = policy.problems(groups)
        if aaguid is not None and policy.enabled and (problem := policy.key_problem(aaguid)):
            found.append(problem)
        return found

    async def registered_key(self, upn: str) -> SecurityKeyRecord | None:
        """The account's key when it is both in the profile and listed in Graph, else None.

        Raises:
            BgWizardError: a Graph call failed.
        """
        item = self._created(upn)
        kept = [k for k in item.security_keys if k.retired is None and k.method_id]
        if not kept:
            return None
        listed = {m.id for m in await self._directory.list_auth_methods(item.object_id)}
        return next((k for k in kept if k.method_id in listed), None)

    async def enrol_passkey(
        self,
        upn: str,
        device: KeyDevice,
        *,
        label: str,
        pin: Secret,
        on_step: Callable[[str], None] = lambda step: None,
    ) -> SecurityKeyRecord:
        """Register ``device`` on the account after the pre-checks, record it, journal the step.

        An account whose key is already registered gets no second one: its record is returned.
        A registration whose answer was lost (Graph lists a passkey with this label, the profile
        has no record of it) is adopted, not repeated.

        Raises:
            SetupError: a pre-check failed (its sentences; nothing was registered).
            KeyDeviceError: the key refused.
            BgWizardError: Graph failed.
        """
        existing = await self.registered_key(upn)
        if existing is not None:
            await self.record_passkey(upn, existing)
            return existing
        info = await asyncio.to_thread(device.info)
        problems = await self.passkey_problems(upn, info.aaguid)
        if problems:
            raise SetupError(" ".join(problems))
        item = self._created(upn)
        if adopted := await self._lost_answer(item, label, info.aaguid, info.product):
            await self.record_passkey(upn, adopted)
            return adopted
        done = await self._calls().enrol(
            device, user_id=item.object_id, label=label, pin=pin, on_step=on_step
        )
        record = done.record(label, self._clock().date())
        await self.record_passkey(upn, record)
        return record

    async def _lost_answer(
        self, item: BreakGlassAccount, label: str, aaguid: str, product: str
    ) -> SecurityKeyRecord | None:
        """The passkey a failed run registered under ``label`` without recording it, or None."""
        known = {k.method_id for k in item.security_keys}
        for method in await self._directory.list_auth_methods(item.object_id):
            if method.kind == "fido2" and method.display_name == label and method.id not in known:
                return SecurityKeyRecord(
                    label=label,
                    aaguid=aaguid,
                    model=method.detail or product,
                    method_id=method.id,
                    registered=(method.created or self._clock()).date(),
                )
        return None

    async def record_passkey(self, upn: str, record: SecurityKeyRecord) -> None:
        """Keep ``record`` on the account (once), mark it ``passkey`` and journal the step."""
        item = self._created(upn)
        if not any(k.method_id == record.method_id for k in item.security_keys):
            item.security_keys.append(record)
        item.strong_method, item.skip_reason = "passkey", ""
        await self._journal(upn)

    async def record_cba(self, upn: str) -> tuple[str, ...]:
        """Record certificate-based auth when the user has certificate user IDs bound.

        Returns:
            The certificate user IDs; empty when none is bound (then nothing is recorded and
            ``cba_missing`` says how to bind one).

        Raises:
            BgWizardError: a Graph call failed.
        """
        item = self._created(upn)
        user = await self._directory.get_user(item.object_id, sign_in_activity=False)
        if user.certificate_user_ids:
            item.strong_method, item.skip_reason = "cba", ""
            await self._journal(upn)
        return user.certificate_user_ids

    def skip_entry(self, upn: str, reason: str) -> dict[str, JsonValue]:
        """The ``credential-skipped`` log entry for ``upn`` (to sign before ``record_skip``).

        Raises:
            SetupError: the account does not exist yet.
            LedgerError: the reason is not a sentence (``skip_reason_problem``).
        """
        item = self._created(upn)
        return credential_skip_data(item.upn, item.object_id, reason=reason, when=self._clock())

    async def record_skip(self, upn: str, reason: str) -> None:
        """Record a skip whose log entry is signed, and journal the step."""
        item = self._created(upn)
        item.strong_method, item.skip_reason = "skipped", reason.strip()
        await self._journal(upn)

    async def _journal(self, upn: str) -> None:
        SetupJournal(self._profile).mark("passkey", upn)
        await self.save()
