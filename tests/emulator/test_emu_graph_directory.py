"""Graph directory endpoints: domains, organization, users, groups, auth methods."""

from __future__ import annotations

from collections.abc import Callable

from bgwizard.emulator import Emulator
from bgwizard.emulator.tenant.catalog import PASSWORD_METHOD_ID
from emulator.support import ADMIN, GraphClient, password_token, session_for, upn

GraphAs = Callable[..., GraphClient]
NEW_USER = {
    "accountEnabled": True,
    "displayName": "Break Glass 1",
    "mailNickname": "bg1",
    "userPrincipalName": "bg1@contosologistics.onmicrosoft.com",
    "passwordPolicies": "DisablePasswordExpiration",
    "passwordProfile": {"password": "Kq7mRt4wXz9pLs2v", "forceChangePasswordNextSignIn": False},
}


def test_domains_and_organization(emulator: Emulator, graph_as: GraphAs) -> None:
    graph = graph_as(emulator, "grace.okafor")
    status, body = graph.get("/domains")
    assert status == 200
    initial = [d["id"] for d in body["value"] if d["isInitial"]]
    assert initial == ["contosologistics.onmicrosoft.com"]
    assert body["@odata.context"] == f"{emulator.graph_url}/$metadata#domains"
    status, body = graph.get("/organization")
    org = body["value"][0]
    assert org["id"] == emulator.tenant_id and org["displayName"] == "Contoso Logistics"
    assert any(d["isInitial"] for d in org["verifiedDomains"])


def test_me_and_error_shape(emulator: Emulator, graph_as: GraphAs) -> None:
    graph = graph_as(emulator, "admin")
    status, body = graph.get("/me")
    assert status == 200 and body["userPrincipalName"] == ADMIN
    assert "accountEnabled" not in body, "default property set, as Graph"
    status, body = graph.get("/users/nobody@contosologistics.com")
    assert status == 404
    error = body["error"]
    assert error["code"] == "Request_ResourceNotFound"
    assert error["message"] and error["innerError"]["request-id"] and error["innerError"]["date"]


def test_user_filter_select_and_signin_activity(emulator: Emulator, graph_as: GraphAs) -> None:
    graph = graph_as(emulator, "grace.okafor")
    status, body = graph.get(f"/users?$filter=userPrincipalName eq '{ADMIN.upper()}'")
    assert [u["userPrincipalName"] for u in body["value"]] == [ADMIN]
    status, body = graph.get(
        f"/users/{ADMIN}?$select=id,accountEnabled,onPremisesSyncEnabled,signInActivity"
    )
    assert status == 200
    assert set(body) == {
        "@odata.context",
        "id",
        "accountEnabled",
        "onPremisesSyncEnabled",
        "signInActivity",
    }
    assert "lastSuccessfulSignInDateTime" in body["signInActivity"]
    status, body = graph.get(
        "/users?$filter=startswith(userPrincipalName,'james')"
        "&$select=userPrincipalName,onPremisesSyncEnabled"
    )
    assert body["value"] == [
        {
            "id": body["value"][0]["id"],
            "userPrincipalName": upn("james.wright"),
            "onPremisesSyncEnabled": True,
        }
    ]
    status, body = graph.get("/users?$select=nonsense")
    assert status == 400 and "nonsense" in body["error"]["message"]
    status, body = graph.get("/users?$filter=city eq 'x'")
    assert status == 400 and body["error"]["code"] == "Request_UnsupportedQuery"


def test_users_paging_top_orderby_count(emulator: Emulator, graph_as: GraphAs) -> None:
    graph = graph_as(emulator, "grace.okafor")
    status, body = graph.get("/users?$count=true")
    assert status == 400 and "ConsistencyLevel" in body["error"]["message"]
    status, body = graph.get("/users?$filter=endswith(mail,'@contosologistics.com')")
    assert status == 400 and body["error"]["code"] == "Request_UnsupportedQuery"
    eventual = {"ConsistencyLevel": "eventual"}
    body = graph.ok("/users?$filter=endswith(mail,'@fabrikam.com')", headers=eventual)
    assert [u["mail"] for u in body["value"]] == ["dana@fabrikam.com"]
    body = graph.ok(
        "/users?$top=4&$orderby=displayName&$count=true", headers={"ConsistencyLevel": "eventual"}
    )
    assert len(body["value"]) == 4 and body["@odata.count"] == len(emulator.state.users)
    assert "$skiptoken" in body["@odata.nextLink"] or "%24skiptoken" in body["@odata.nextLink"]
    everyone = graph.all_pages("/users?$orderby=displayName&$top=4")
    names = [u["displayName"] for u in everyone]
    assert len(names) == len(emulator.state.users) and names == sorted(names, key=str.lower)
    _status, body = graph.get("/users")
    assert len(body["value"]) == 10, "server page size is 10 with the sample tenant"


def test_create_user_enforces_complexity_domain_and_uniqueness(
    fresh_emulator: Emulator, graph_as: GraphAs
) -> None:
    graph = graph_as(fresh_emulator, "admin")
    weak = {**NEW_USER, "passwordProfile": {"password": "password"}}
    status, body = graph.post("/users", weak)
    assert status == 400 and "complexity" in body["error"]["message"]
    foreign = {**NEW_USER, "userPrincipalName": "bg1@fabrikam.com"}
    assert graph.post("/users", foreign)[0] == 400
    status, body = graph.post("/users", NEW_USER)
    assert status == 201, body
    assert body["userPrincipalName"] == NEW_USER["userPrincipalName"]
    assert body["passwordPolicies"] == "DisablePasswordExpiration"
    assert "password" not in str(body.get("passwordProfile"))
    stored = fresh_emulator.state.passwords[body["id"]]
    assert b"Kq7mRt4wXz9pLs2v" not in stored.digest + stored.salt
    status, again = graph.post("/users", NEW_USER)
    assert status == 400 and "already exists" in again["error"]["message"]
    audit = fresh_emulator.state.audits[-1]
    assert audit["activityDisplayName"] == "Add user"
    assert audit["targetResources"][0]["id"] == body["id"]
    assert audit["initiatedBy"]["user"]["userPrincipalName"] == ADMIN
    token = password_token(fresh_emulator, "admin")  # the new account can sign in:
    assert token["access_token"]
    session = session_for(fresh_emulator)
    response = session.post(
        f"{fresh_emulator.base_url}/{fresh_emulator.tenant_id}/oauth2/v2.0/token",
        data={
            "grant_type": "password",
            "client_id": fresh_emulator.public_client_id,
            "username": NEW_USER["userPrincipalName"],
            "password": "Kq7mRt4wXz9pLs2v",
            "scope": "https://graph.microsoft.com/.default",
        },
    )
    assert response.status_code == 200


def test_patch_password_and_reset_password_method(
    fresh_emulator: Emulator, graph_as: GraphAs
) -> None:
    emu = fresh_emulator
    graph = graph_as(emu, "admin")
    target = upn("aisha.rahman")
    status, _ = graph.patch(
        f"/users/{target}",
        {
            "passwordProfile": {
                "password": "Nw8rTq3mZx5vKp2L",
                "forceChangePasswordNextSignIn": False,
            },
            "passwordPolicies": "DisablePasswordExpiration",
        },
    )
    assert status == 204
    assert [a["activityDisplayName"] for a in emu.state.audits[-2:]] == [
        "Reset user password",
        "Update user",
    ]
    assert password_token(emu, "aisha.rahman", "Nw8rTq3mZx5vKp2L")["access_token"]
    status, body = graph.post(
        f"/users/{target}/authentication/methods/{PASSWORD_METHOD_ID}/resetPassword",
        {"newPassword": "Hy6sWq2nMv8rTz4B"},
    )
    assert status == 202 and body["newPassword"] is None
    assert password_token(emu, "aisha.rahman", "Hy6sWq2nMv8rTz4B")["access_token"]
    assert emu.state.audits[-1]["activityDisplayName"] == "Reset password (by admin)"
    status, body = graph.patch(f"/users/{target}", {"passwordProfile": {"password": "short"}})
    assert status == 400


def test_synced_user_cannot_be_edited_in_the_cloud(
    fresh_emulator: Emulator, graph_as: GraphAs
) -> None:
    graph = graph_as(fresh_emulator, "admin")
    status, body = graph.patch(f"/users/{upn('james.wright')}", {"displayName": "J"})
    assert status == 400 and "on-premises" in body["error"]["message"]


def test_member_of_and_nested_groups(emulator: Emulator, graph_as: GraphAs) -> None:
    graph = graph_as(emulator, "grace.okafor")
    direct = graph.ok(f"/users/{upn('mike.oconnor')}/memberOf")
    assert [g["displayName"] for g in direct["value"]] == ["Drivers"]
    assert direct["value"][0]["@odata.type"] == "#microsoft.graph.group"
    groups = graph.all_pages(f"/users/{upn('mike.oconnor')}/transitiveMemberOf")
    assert {g["displayName"] for g in groups} == {
        "Drivers",
        "Operations",
        "All Staff",
        "APP_Microsoft365_E5",
    }
    body = graph.ok("/groups?$filter=displayName eq 'CA-BreakGlassAccounts - Exclude'")
    (bg_group,) = body["value"]
    _status, members = graph.get(f"/groups/{bg_group['id']}/members")
    assert members["value"] == [], "no break glass accounts yet"


def test_add_and_remove_group_member(fresh_emulator: Emulator, graph_as: GraphAs) -> None:
    graph = graph_as(fresh_emulator, "admin")
    group = "2802b872-ccfb-4b29-a9a9-459808dfb11b"
    user = fresh_emulator.state.find_user(upn("aisha.rahman"))
    assert user is not None
    ref = {"@odata.id": f"https://graph.microsoft.com/v1.0/directoryObjects/{user['id']}"}
    assert graph.post(f"/groups/{group}/members/$ref", ref)[0] == 204
    assert graph.post(f"/groups/{group}/members/$ref", ref)[0] == 400
    _status, members = graph.get(f"/groups/{group}/members")
    assert [m["id"] for m in members["value"]] == [user["id"]]
    assert members["value"][0]["@odata.type"] == "#microsoft.graph.user"
    assert fresh_emulator.state.audits[-1]["activityDisplayName"] == "Add member to group"
    assert graph.delete(f"/groups/{group}/members/{user['id']}/$ref")[0] == 204
    assert graph.get(f"/groups/{group}/members")[1]["value"] == []


def test_authentication_methods_always_list_password(emulator: Emulator, graph_as: GraphAs) -> None:
    graph = graph_as(emulator, "admin")
    body = graph.ok(f"/users/{upn('aisha.rahman')}/authentication/methods")
    assert [m["id"] for m in body["value"]] == [PASSWORD_METHOD_ID]
    body = graph.ok(f"/users/{upn('priya.patel')}/authentication/methods")
    kinds = [m["@odata.type"] for m in body["value"]]
    assert kinds[0] == "#microsoft.graph.passwordAuthenticationMethod"
    assert "#microsoft.graph.fido2AuthenticationMethod" in kinds
    _status, body = graph.get(f"/users/{upn('priya.patel')}/authentication/fido2Methods")
    assert [m["model"] for m in body["value"]] == ["YubiKey 5 Series with NFC"]


def test_double_slash_and_trailing_slash_are_tolerated(
    emulator: Emulator, graph_as: GraphAs
) -> None:
    graph = graph_as(emulator, "grace.okafor")
    assert graph.get(f"{emulator.base_url}/v1.0//domains")[0] == 200
    assert graph.get(f"{emulator.base_url}/v1.0/domains/")[0] == 200


def test_percent_encoded_upn_in_the_path(emulator: Emulator, graph_as: GraphAs) -> None:
    graph = graph_as(emulator, "grace.okafor")
    body = graph.ok("/users/admin%40contosologistics.onmicrosoft.com")
    assert body["userPrincipalName"] == ADMIN


def test_create_group(fresh_emulator: Emulator, graph_as: GraphAs) -> None:
    body = {
        "displayName": "Emergency access accounts",
        "mailEnabled": False,
        "mailNickname": "emergency-access",
        "securityEnabled": True,
    }
    status, group = graph_as(fresh_emulator, "admin").post("/groups", body)
    assert status == 201 and group["displayName"] == body["displayName"]
    assert fresh_emulator.state.members[group["id"]] == []
    assert fresh_emulator.state.audits[-1]["activityDisplayName"] == "Add group"
    status, _ = graph_as(fresh_emulator, "tom.becker").post(
        "/groups", {**body, "isAssignableToRole": True}
    )
    assert status == 403
    assert graph_as(fresh_emulator, "admin").post("/groups", {"displayName": "x"})[0] == 400
