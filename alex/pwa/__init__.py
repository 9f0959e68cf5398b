"""Progressive web app: manifest, service worker, offline page, and the legal pages (BITV, GDPR)."""
