"""Board pages, one module per thing a person does; all register on one blueprint.

- `board`: look at a board, move a card, add a card
- `cards`: one card's page, its fields, checklist, deleting it
- `plans`: Vorhaben, the sprint (focus, self-assessment, carry-over, WIP limit), the Logbuch
"""

from alex.boards.views import board, cards, plans
from alex.boards.views.common import bp

__all__ = ["board", "bp", "cards", "plans"]
