"""What an HTMX answer swaps: the ids of its main element and of its out-of-band elements."""

from __future__ import annotations

from html.parser import HTMLParser

VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "wbr"}


class _Targets(HTMLParser):
    """Collects the id of the first top-level element and of every hx-swap-oob element."""

    def __init__(self) -> None:
        super().__init__()
        self.depth = 0
        self.main: str | None = None
        self.seen_main = False
        self.out_of_band: set[str] = set()

    def handle_starttag(self, tag, attrs) -> None:
        attributes = dict(attrs)
        oob = attributes.get("hx-swap-oob")
        if oob is not None:
            # hx-swap-oob="true" swaps the element with the same id; "beforebegin:#card-7" names
            # its target after the colon.
            target = oob.split(":#", 1)[1] if ":#" in oob else attributes.get("id")
            self.out_of_band.add(target or "")
        elif self.depth == 0 and not self.seen_main:
            self.main, self.seen_main = attributes.get("id") or "", True
        if tag not in VOID:
            self.depth += 1

    def handle_endtag(self, tag) -> None:
        if tag not in VOID:
            self.depth = max(0, self.depth - 1)


def swapped_targets(answer) -> set[str]:
    """The ids an HTMX answer (a response or its HTML) swaps; "" marks an element without id."""
    html = answer if isinstance(answer, str) else answer.get_data(as_text=True)
    parser = _Targets()
    parser.feed(html)
    parser.close()
    return ({parser.main} if parser.seen_main else set()) | parser.out_of_band
