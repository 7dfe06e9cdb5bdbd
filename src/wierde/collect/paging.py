"""One guard for every paged source: a loop or one page too many fails the harvest rather than truncate it."""

from __future__ import annotations

from wierde.collect.http import HarvestError


class PageGuard:
    """Call `visit(link)` before reading each page of one paged read (its first URL is `url`).

    `link_name` and `source` say in the error what led back ("next-page link") and what loops ("feed");
    `whole` is what would be cut short ("table", "layer"); `key` is the link as compared (e.g. canonical).
    """

    def __init__(self, url: str, max_pages: int, *, whole: str, link_name: str = "next link",
                 source: str = "source") -> None:
        self.url, self.max_pages, self.whole = url, max_pages, whole
        self.link_name, self.source = link_name, source
        self.seen: set[str] = set()

    def visit(self, link: str, key: str | None = None) -> None:
        key = link if key is None else key
        if key in self.seen:
            raise HarvestError(f"{link}: the {self.link_name} leads back to a page already read; the {self.source} "
                               "loops")
        if len(self.seen) >= self.max_pages:
            raise HarvestError(f"{self.url}: more than {self.max_pages} pages; stopped rather than keep part of the "
                               f"{self.whole} (set the max_pages param if it really is this large)")
        self.seen.add(key)
