"""`make bench`: every area's benchmark in turn (the board: page render and card move)."""

from bench import board

if __name__ == "__main__":
    board.main()
