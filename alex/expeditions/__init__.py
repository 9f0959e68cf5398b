"""Expeditions: the journey, its members, invites and the sprint calendar."""
