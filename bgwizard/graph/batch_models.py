"""The msgraph model each batched audit read parses to, keyed by ``batch.KINDS``' names.

Imported by ``batch._parse`` on the first answer, never at start-up: these imports load
msgraph's generated models, which the first frame must not pay for.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Final

from kiota_serialization_json.json_parse_node_factory import JsonParseNodeFactory
from msgraph.generated.models.authentication_method_collection_response import (
    AuthenticationMethodCollectionResponse,
)
from msgraph.generated.models.directory_object_collection_response import (
    DirectoryObjectCollectionResponse,
)
from msgraph.generated.models.unified_role_assignment_collection_response import (
    UnifiedRoleAssignmentCollectionResponse,
)
from msgraph.generated.models.unified_role_assignment_schedule_collection_response import (
    UnifiedRoleAssignmentScheduleCollectionResponse,
)
from msgraph.generated.models.unified_role_eligibility_schedule_collection_response import (
    UnifiedRoleEligibilityScheduleCollectionResponse,
)
from msgraph.generated.models.user import User

MODELS: Final[Mapping[str, Any]] = {
    "user": User,
    "assignments": UnifiedRoleAssignmentCollectionResponse,
    "eligibilities": UnifiedRoleEligibilityScheduleCollectionResponse,
    "schedules": UnifiedRoleAssignmentScheduleCollectionResponse,
    "groups": DirectoryObjectCollectionResponse,
    "methods": AuthenticationMethodCollectionResponse,
}
"""Read kind -> the msgraph class its JSON body parses to (as the single call's adapter does)."""


def parse(kind: str, body: bytes) -> Any:
    """Parse one inner answer's JSON body into its msgraph model.

    Args:
        kind: a key of ``MODELS``.
        body: the inner response body, as JSON bytes.

    Returns:
        The parsed model (typed ``Any``: msgraph ships no stubs mypy follows).
    """
    node = JsonParseNodeFactory().get_root_parse_node("application/json", body)
    return node.get_object_value(MODELS[kind])
