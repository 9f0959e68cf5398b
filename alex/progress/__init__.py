"""Peer progress: the Zirkel page, Rückenwind, support answers, notifications, calendar feeds."""
