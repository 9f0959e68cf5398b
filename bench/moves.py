"""The commands the bench repeats: the participant's first card back and forth between columns;
the facilitator's retro back and forth between two phases."""

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


async def phase_changer(
    conn: Connection, site: Site
) -> Callable[[Connection], Awaitable[Response]]:
    """A request factory: each call moves the demo meeting's retro to the other phase.

    The facilitator first starts the meeting at its retro step; then every call is a real
    change (reveal ↔ discuss) whose answer carries the facilitator's fresh run-sheet.
    """
    meeting = {"meeting_id": site.demo.open_meeting_id}
    page = await conn.request("GET", site.path("meeting", **meeting))
    token = csrf_token(page.text)
    headers = {"HX-Request": "true"}
    started = await conn.request(
        "POST",
        site.path("meeting_step", **meeting),
        form={"step": "retro", "csrf_token": token},
        headers=headers,
    )
    if started.status != 200:
        raise RuntimeError(f"the demo meeting did not start: {started.status}")
    state = {"turn": 0, "phase": "write"}

    async def change(c: Connection) -> Response:
        state["turn"] += 1
        phase = ("reveal", "discuss")[state["turn"] % 2]
        form = {"phase": phase, "seen": state["phase"], "csrf_token": token}
        response = await c.request(
            "POST", site.path("meeting_phase", **meeting), form=form, headers=headers
        )
        if response.status == 200:
            state["phase"] = phase
        return response

    return change
