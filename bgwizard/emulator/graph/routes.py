"""Every Microsoft Graph route of the emulator, registered on one router.

The route modules import ``context`` for ``GraphContext``, ``V1`` and ``ID``; this module
imports them, so imports run one way: server -> routes -> route modules -> context.
"""

from __future__ import annotations

from collections.abc import Callable

from bgwizard.emulator.graph import directory, logs, passkeys, pim, policies, roles, units
from bgwizard.emulator.graph.context import GraphContext
from bgwizard.emulator.http.core import Router
from bgwizard.emulator.tenant.state import TenantState


def register_graph(
    router: Router, state: TenantState, graph_url: Callable[[], str]
) -> GraphContext:
    """Add every Graph route to ``router``.

    Args:
        router: the emulator's router.
        state: the live tenant the handlers read and change.
        graph_url: returns ``https://127.0.0.1:PORT/v1.0`` (known once the server listens).

    Returns:
        The shared context; its ``operations`` name the table's operation of every route.
    """
    ctx = GraphContext(state, graph_url)
    for module in (directory, roles, pim, policies, logs, passkeys, units):
        module.register(router, ctx)
    return ctx
