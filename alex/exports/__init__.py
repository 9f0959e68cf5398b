"""Exports: the Lernbericht (page, print, PDF, Markdown), the Zirkel summary and data rights."""
