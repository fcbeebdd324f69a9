"""Built-in directory roles, permissions and fixed ids the emulator knows."""

from __future__ import annotations

from typing import Final

GLOBAL_ADMIN: Final = "62e90394-69f5-4237-9190-012177145e10"
GLOBAL_READER: Final = "f2ef992c-3afb-46b9-b7cf-a126ee74c451"
CA_ADMIN: Final = "b1be1c3e-b65d-4f19-8427-f6fa0d97feb9"
SECURITY_ADMIN: Final = "194ae4cb-b126-40b2-bd5b-6091b380977d"
SECURITY_READER: Final = "5d6b6bb7-de71-4623-b4af-96380a352509"
REPORTS_READER: Final = "4a5d8f65-41da-4de4-8968-e035b65339cf"
PRIVILEGED_ROLE_ADMIN: Final = "e8611ab8-c189-46e8-94e1-60213ab1f814"
USER_ADMIN: Final = "fe930be7-5e62-47db-91af-98c3a49a38b1"
AUTH_ADMIN: Final = "c4e39bd9-1100-46d3-8c65-fb160da0071f"
PRIVILEGED_AUTH_ADMIN: Final = "7be44c8a-adaf-4e2a-84d6-ab2649e08a13"
HELPDESK_ADMIN: Final = "729827e3-9c14-49f7-bb1b-9608f156bbb8"
PASSWORD_ADMIN: Final = "966707d0-3269-4727-9be2-8c3a10f19b9d"
SECURITY_OPERATOR: Final = "5f2222b1-57c3-48ba-8ad5-d4759f1fde6f"
AUTH_POLICY_ADMIN: Final = "0526716b-113d-4c15-b2c8-68e3c22b9f80"

#: The password authentication method's fixed id (the same in every tenant).
PASSWORD_METHOD_ID: Final = "28c10230-6103-485e-b985-444c60001490"
#: The resource id of Microsoft Graph.
GRAPH_RESOURCE_ID: Final = "00000003-0000-0000-c000-000000000000"
GRAPH_AUDIENCE: Final = "https://graph.microsoft.com"
ARM_AUDIENCE: Final = "https://management.azure.com"

#: Template id → display name of the built-in roles the emulator serves.
BUILTIN_ROLES: Final[dict[str, str]] = {
    GLOBAL_ADMIN: "Global Administrator",
    GLOBAL_READER: "Global Reader",
    CA_ADMIN: "Conditional Access Administrator",
    SECURITY_ADMIN: "Security Administrator",
    SECURITY_READER: "Security Reader",
    REPORTS_READER: "Reports Reader",
    PRIVILEGED_ROLE_ADMIN: "Privileged Role Administrator",
    USER_ADMIN: "User Administrator",
    AUTH_ADMIN: "Authentication Administrator",
    PRIVILEGED_AUTH_ADMIN: "Privileged Authentication Administrator",
    HELPDESK_ADMIN: "Helpdesk Administrator",
    PASSWORD_ADMIN: "Password Administrator",
    SECURITY_OPERATOR: "Security Operator",
    AUTH_POLICY_ADMIN: "Authentication Policy Administrator",
    "fdd7a751-b60b-444a-984c-02652fe8fa1c": "Groups Administrator",
    "9360feb5-f418-4baa-8175-e2a00bac4301": "Directory Writers",
    "45d8d3c5-c802-45c6-b32a-1d70b5e1e86e": "Identity Governance Administrator",
    "ac434307-12b9-4fa1-a708-88bf58caabc1": "Global Secure Access Administrator",
    "88d8e3e3-8f55-4a1e-953a-9b9898b8876b": "Directory Readers",
    "d29b2b05-8046-44ba-8758-1e26182fcf32": "Directory Synchronization Accounts",
    "f28a1f50-f6e7-4571-818b-6a12f2af6b6c": "SharePoint Administrator",
    "29232cdf-9323-42fd-ade2-1d097af3e4de": "Exchange Administrator",
    "b0f54661-2d74-4c50-afa3-1ec803f12efe": "Billing Administrator",
    "9b895d92-2cd3-44c7-9d02-a6ac2d5ea5c3": "Application Administrator",
    "158c047a-c907-4556-b7ef-446551a6b5f7": "Cloud Application Administrator",
    "3a2c62db-5318-420d-8d74-23affee5d9d5": "Intune Administrator",
    "69091246-20e8-4a56-aa4d-066075b2a7a8": "Teams Administrator",
    "11451d60-acb2-45eb-a7d6-43d0f0125c13": "Windows 365 Administrator",
    "db506228-d27e-4b7d-95e5-295956d6615f": "Agent ID Administrator",
    "6b942400-691f-4bf0-9d12-d8a254a2baf5": "Agent Registry Administrator",
    "d2562ede-74db-457e-a7b6-544e236ebb61": "AI Administrator",
    "e93e3737-fa85-474a-aee4-7d3fb86510f3": "Dragon Administrator",
    "b6a27b2b-f905-4b2e-81b5-0d90e0ef1fdb": "Entra Backup Administrator",
    "1707125e-0aa2-4d4d-8655-a7c786c76a25": "Microsoft 365 Backup Administrator",
}

#: Role display name → template id (the ground-truth table names roles by display name).
ROLE_IDS: Final[dict[str, str]] = {name: tid for tid, name in BUILTIN_ROLES.items()}

#: Roles whose holders count as administrators: only a Global or Privileged Authentication
#: Administrator may reset their passwords.
PRIVILEGED_ROLES: Final = frozenset(BUILTIN_ROLES) - {
    "88d8e3e3-8f55-4a1e-953a-9b9898b8876b",
    "d29b2b05-8046-44ba-8758-1e26182fcf32",
}


def role_definition(template_id: str, display_name: str) -> dict[str, object]:
    """Graph's ``unifiedRoleDefinition`` for a built-in role."""
    return {
        "id": template_id,
        "templateId": template_id,
        "displayName": display_name,
        "description": f"Built-in role {display_name}.",
        "isBuiltIn": True,
        "isEnabled": True,
        "resourceScopes": ["/"],
        "version": "1",
        "rolePermissions": [
            {"allowedResourceActions": [], "excludedResourceActions": [], "condition": None}
        ],
    }


#: Structural properties of microsoft.graph.user (CSDL v1.0) plus id and deletedDateTime.
USER_PROPERTIES: Final = frozenset(
    """
    id deletedDateTime aboutMe accountEnabled ageGroup assignedLicenses assignedPlans
    authorizationInfo birthday businessPhones city companyName consentProvidedForMinor country
    createdDateTime creationType customSecurityAttributes department deviceEnrollmentLimit
    displayName employeeHireDate employeeId employeeLeaveDateTime employeeOrgData employeeType
    externalUserState externalUserStateChangeDateTime faxNumber givenName hireDate identities
    identityParentId imAddresses interests isManagementRestricted isResourceAccount jobTitle
    lastPasswordChangeDateTime legalAgeGroupClassification licenseAssignmentStates mail
    mailboxSettings mailNickname mobilePhone mySite officeLocation onPremisesDistinguishedName
    onPremisesDomainName onPremisesExtensionAttributes onPremisesImmutableId
    onPremisesLastSyncDateTime onPremisesProvisioningErrors onPremisesSamAccountName
    onPremisesSecurityIdentifier onPremisesSyncEnabled onPremisesUserPrincipalName otherMails
    passwordPolicies passwordProfile pastProjects postalCode preferredDataLocation
    preferredLanguage preferredName print provisionedPlans proxyAddresses responsibilities
    schools securityIdentifier serviceProvisioningErrors showInAddressList signInActivity
    signInSessionsValidFromDateTime skills state streetAddress surname usageLocation
    userPrincipalName userType
    """.split()  # noqa: SIM905 - a word list reads better than 90 quoted lines
)
