"""Figures for the training department: expeditions run, participants, attendance and completion
by quarter — aggregates only, never a cell about fewer than five people, no names, no content.

For accounts with the instance role "Betrieb" (operator) or "Bildung" (training office); everyone
else gets 404. Evidence of completion that lower layers do not know (a certificate issued) comes
through the registry in `alex.expeditions.hooks`; this area imports no other optional area.
"""
