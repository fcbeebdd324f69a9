"""Helpers for the emulator's tests: an HTTPS session, tokens, and a tiny Graph client."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import requests

from bgwizard.emulator import Emulator

ADMIN = "admin@contosologistics.onmicrosoft.com"
ADMIN_PASSWORD = "Contoso-Demo-2026"
USER_PASSWORD = "Contoso-User-2026"
DOMAIN = "contosologistics.com"
GRAPH_DEFAULT = "https://graph.microsoft.com/.default"
AUDIT_APP = "7d1e4b2a-3c5f-4a8e-b6d9-2f1a0c8e4b53"
AUDIT_SECRET = "Contoso-Audit-Secret-2026"


def upn(name: str) -> str:
    """A sample user's UPN from the part before the @ (the admin lives on onmicrosoft)."""
    return ADMIN if name == "admin" else f"{name}@{DOMAIN}"


def session_for(emu: Emulator) -> requests.Session:
    """A requests session that trusts only the emulator's CA (no proxy/env CA bundle)."""
    session = requests.Session()
    session.trust_env = False
    session.verify = str(emu.ca_pem_path)
    return session


def password_token(
    emu: Emulator, who: str, password: str | None = None, scope: str = GRAPH_DEFAULT
) -> dict[str, Any]:
    """Token response from the password grant (test-only; the sample tenant enables it)."""
    password = password or (ADMIN_PASSWORD if who == "admin" else USER_PASSWORD)
    response = session_for(emu).post(
        f"{emu.base_url}/{emu.tenant_id}/oauth2/v2.0/token",
        data={
            "grant_type": "password",
            "client_id": emu.public_client_id,
            "username": upn(who),
            "password": password,
            "scope": scope,
        },
    )
    assert response.status_code == 200, response.text
    return dict(response.json())


@dataclass
class GraphClient:
    """Just enough of a Graph client to test the emulator's HTTP behaviour."""

    emu: Emulator
    token: str

    def call(self, method: str, path: str, **kwargs: Any) -> tuple[int, Any]:
        url = path if path.startswith("https://") else self.emu.graph_url + path
        headers = {"Authorization": f"Bearer {self.token}", **kwargs.pop("headers", {})}
        response = session_for(self.emu).request(method, url, headers=headers, **kwargs)
        try:
            return response.status_code, response.json()
        except ValueError:
            return response.status_code, response.text

    def get(self, path: str, **kw: Any) -> tuple[int, Any]:
        return self.call("GET", path, **kw)

    def ok(self, path: str, **kwargs: Any) -> Any:
        """GET that must answer 200; returns the body."""
        status, body = self.get(path, **kwargs)
        assert status == 200, body
        return body

    def post(self, path: str, body: Any) -> tuple[int, Any]:
        return self.call("POST", path, json=body)

    def patch(self, path: str, body: Any) -> tuple[int, Any]:
        return self.call("PATCH", path, json=body)

    def delete(self, path: str) -> tuple[int, Any]:
        return self.call("DELETE", path)

    def all_pages(self, path: str) -> list[dict[str, Any]]:
        items: list[dict[str, Any]] = []
        next_url: str | None = path
        while next_url:
            status, body = self.get(next_url)
            assert status == 200, body
            items.extend(body["value"])
            next_url = body.get("@odata.nextLink")
        return items


def app_token(emu: Emulator) -> str:
    """An app-only token for the sample audit app (client secret)."""
    response = session_for(emu).post(
        f"{emu.base_url}/{emu.tenant_id}/oauth2/v2.0/token",
        data={
            "grant_type": "client_credentials",
            "client_id": AUDIT_APP,
            "client_secret": AUDIT_SECRET,
            "scope": GRAPH_DEFAULT,
        },
    )
    assert response.status_code == 200, response.text
    return str(response.json()["access_token"])
