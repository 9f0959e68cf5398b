"""make bench: server-side figures of the heavy pages (see README, "Speed")."""

from bench import zirkel

if __name__ == "__main__":
    zirkel.main()
