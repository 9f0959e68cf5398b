"""The meetings blueprint: the calendar, the live run-sheet and the retro, one module each.

Each module adds its routes to the one blueprint (`common.bp`), so every endpoint keeps its
name (`meetings.poll`, `meetings.vote` …) whichever module it lives in.
"""

from alex.meetings.views import catchup, presenter, retro, running, scheduling, series
from alex.meetings.views.common import bp

__all__ = ["bp", "catchup", "presenter", "retro", "running", "scheduling", "series"]
