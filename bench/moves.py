"""The card move the bench repeats: the participant's first card back and forth between columns."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from bench.client import Connection, Response, csrf_token
from bench.site import Site


async def card_mover(conn: Connection, site: Site) -> Callable[[Connection], Awaitable[Response]]:
    """A request factory: each call moves the card to the other column, with its current version."""
    if site.demo.card_id is None:
        raise RuntimeError("the demo participant has no card to move")
    board = await conn.request("GET", site.path("board"))
    token = csrf_token(board.text)
    action = site.path("card_move")
    # Read now, not from the seed: an earlier figure may have moved the card (a stale version
    # would make every move a 409, and the figure would time the conflict answer instead).
    state = {"turn": 0, "version": site.card_version()}

    async def move(c: Connection) -> Response:
        state["turn"] += 1
        column = ("doing", "sprint")[state["turn"] % 2]
        form = {
            "column": column,
            "position": "0",
            "version": str(state["version"]),
            "csrf_token": token,
        }
        response = await c.request("POST", action, form=form, headers={"HX-Request": "true"})
        if response.status == 200:
            state["version"] += 1  # committed: the card's version rose by one
        return response

    return move
