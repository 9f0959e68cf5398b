"""The card move the bench repeats: one card back and forth between two columns.

The move form belongs to the boards area; this module reads it from the rendered board, so a
change of field names there needs no change here as long as the board carries a move form.
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable

from bench.client import Connection, Response, csrf_token
from bench.site import Site

FORM = re.compile(r"<form[^>]*action=\"([^\"]*/move[^\"]*)\"[^>]*>(.*?)</form>", re.S)
INPUT = re.compile(r'<input[^>]*name="([^"]+)"[^>]*value="([^"]*)"')


async def card_mover(conn: Connection, site: Site) -> Callable[[Connection], Awaitable[Response]]:
    """A request factory that moves the first card on the board to the other of two columns."""
    board = await conn.request("GET", site.path("board"))
    token = csrf_token(board.text)
    match = FORM.search(board.text)
    if match is None:
        raise RuntimeError("no move form on the board page")
    action = match.group(1).replace("&amp;", "&")
    fields = dict(INPUT.findall(match.group(2)))
    fields["csrf_token"] = token
    columns = ["doing", "sprint"]
    state = {"turn": 0, "version": fields.get("version")}

    async def move(c: Connection) -> Response:
        state["turn"] += 1
        data = dict(fields, column=columns[state["turn"] % 2], to_column=columns[state["turn"] % 2])
        if state["version"] is not None:
            data["version"] = state["version"]
        response = await c.request("POST", action, form=data, headers={"HX-Request": "true"})
        # The answer carries the card's new version for the next move.
        fresh = re.search(r'name="version"[^>]*value="(\d+)"', response.text)
        if fresh:
            state["version"] = fresh.group(1)
        return response

    return move
