"""A loopback SMTP server for the digest figure, in its own process (not competing with the
sender for the GIL): accepts every message and keeps the count in a file.

python -m bench.smtp_sink PORT COUNT_FILE
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

from aiosmtpd.controller import Controller


class Counter:
    def __init__(self, path: Path) -> None:
        self.path, self.received = path, 0

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 (aiosmtpd's name)
        self.received += 1
        self.path.write_text(str(self.received))
        return "250 OK"


def main() -> None:
    port, path = int(sys.argv[1]), Path(sys.argv[2])
    path.write_text("0")
    controller = Controller(Counter(path), hostname="127.0.0.1", port=port)
    controller.start()
    try:
        while True:
            time.sleep(1)
    finally:
        controller.stop()


if __name__ == "__main__":
    main()
