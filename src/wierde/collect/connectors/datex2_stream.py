"""Reading a DATEX II document safely while it downloads: gzip or plain, defused XML, one record at a time.

Nothing here holds the whole document: bytes flow from the fetcher through gzip into expat, and every record
element (a situation, a siteMeasurements, a measurement site) is handed out once complete, then cleared. A cleared
record leaves an empty element (about 100 bytes) in its parent; the feed's text and attributes are all freed.
defusedxml reads the prolog and refuses any DTD (DATEX II never declares one); without a DTD no entity can be
defined, which rules out entity bombs and external entities for the whole document (see `_guard_prolog`).
Every failure is a `HarvestError` that names the URL; a caller never sees half a document as data.
"""

from __future__ import annotations

import gzip
import io
from collections.abc import Iterable, Iterator
from typing import Any, BinaryIO
from xml.etree.ElementTree import Element, ParseError, iterparse

from defusedxml.ElementTree import DefusedXMLParser

from wierde.collect.http import HarvestError
from wierde.collect.xml_failures import xml_failures

XSI_NS = "http://www.w3.org/2001/XMLSchema-instance"
XSI_TYPE = f"{{{XSI_NS}}}type"
V2 = "http://datex2.eu/schema/2/2_0"  # every 2.x release (NDW publishes 2.3) uses this one namespace
V3_MODULES = ("messageContainer", "d2Payload", "exchangeInformation", "informationManagement", "common",
              "situation", "roadTrafficData", "locationReferencing")
NAMESPACES = (V2, *(f"http://datex2.eu/schema/3/{module}" for module in V3_MODULES), "")
GZIP_MAGIC = b"\x1f\x8b"
PROLOG_LIMIT = 1 << 20  # NDW's prolog is one line; a megabyte before the root element is not DATEX II

_LOCAL: dict[str, str] = {}


def local(tag: str) -> str:
    """`{namespace}name` → `name`; v2 and v3 differ in namespaces, not in the names this reader needs."""
    name = _LOCAL.get(tag)
    if name is None:
        name = tag.rpartition("}")[2]
        if len(_LOCAL) < 10_000:  # a hostile document cannot grow the cache without bound
            _LOCAL[tag] = name
    return name


def qualified(names: Iterable[str]) -> dict[str, str]:
    """Every tag (`{namespace}name`, for each DATEX namespace and none) that has one of these local names.

    Hot loops look a raw tag up here instead of splitting it: ElementTree reuses one string per tag name, so the
    lookup is a single hash probe.
    """
    return {f"{{{ns}}}{name}" if ns else name: name for ns in NAMESPACES for name in names}


def type_name(elem: Element) -> str | None:
    """The element's xsi:type without its prefix (v3 writes `roa:TrafficFlow`, v2 `TrafficFlow`)."""
    value = elem.get(XSI_TYPE)
    return value.rpartition(":")[2] if value else None


def text(elem: Element | None) -> str | None:
    if elem is None or elem.text is None:
        return None
    return elem.text.strip() or None


def first_text(elem: Element | None) -> str | None:
    """The element's own text, else the first text below it (a DATEX multilingual string: values/value)."""
    if elem is None:
        return None
    for node in elem.iter():
        found = text(node)
        if found is not None:
            return found
    return None


def number(value: str | None) -> float | None:
    return None if value is None else float(value)


def integer(value: str | None) -> int | None:
    return None if value is None else int(value)


def version(value: str | None) -> int | None:
    """DATEX versions are strings; NDW's are counters, kept as numbers so `ORDER BY` finds the latest."""
    return int(value) if value is not None and value.isdigit() else None


class _ChunkReader(io.RawIOBase):
    """The fetcher's chunks as a file, so gzip and expat pull exactly as fast as they parse."""

    def __init__(self, chunks: Iterable[bytes]) -> None:
        self._chunks = iter(chunks)
        self._left = b""

    def readable(self) -> bool:
        return True

    def head(self, size: int) -> bytes:
        """The first `size` bytes (fewer if the body is shorter), left in place to be read again."""
        while len(self._left) < size:
            chunk = next(self._chunks, None)
            if chunk is None:
                break
            self._left += chunk
        return self._left[:size]

    def readinto(self, buffer: Any) -> int:
        while not self._left:
            chunk = next(self._chunks, None)
            if chunk is None:
                return 0
            self._left = chunk
        size = min(len(buffer), len(self._left))
        buffer[:size] = self._left[:size]
        self._left = self._left[size:]
        return size


class _Body:
    """The XML bytes, counted after decompression: a small gzip bomb must not become gigabytes of parsing."""

    def __init__(self, source: BinaryIO, url: str, limit: int) -> None:
        self._source, self._url, self._limit = source, url, limit
        self._prefix = self._suffix = b""
        self.count = 0

    def read(self, size: int = -1) -> bytes:
        if self._prefix:
            data, self._prefix = self._prefix, b""
            return data
        data = self._source.read(size)
        if not data and self._suffix:
            data, self._suffix = self._suffix, b""
        self.count += len(data)
        if self.count > self._limit:
            raise HarvestError(f"{self._url}: more than {self._limit:,} bytes of XML; refusing to read further")
        return data

    def unread(self, data: bytes, suffix: bytes = b"") -> None:
        """Hand `data` out again first (and `suffix` at the end), for a parser that starts over."""
        self._prefix, self._suffix = data, suffix or self._suffix


class _RootSeen(Exception):
    """Raised from the guard's parser at the first start tag: the prolog, where any DTD must be, is over."""


class _Prolog:
    """A parser target that only waits for the root element."""

    def start(self, tag: str, attrib: dict[str, str]) -> None:
        raise _RootSeen

    def end(self, tag: str) -> None:
        return None

    def data(self, data: str) -> None:
        return None

    def close(self) -> None:
        return None


def open_body(chunks: Iterable[bytes], url: str, limit: int, *, fragment_root: str | None = None) -> _Body:
    """The document as a readable file (gunzipped when it starts with the gzip magic) that passed the DTD guard.

    `fragment_root`: when the body is a bare element whose name starts so (NDW documents one
    measurementSiteRecord on its own, with an `xsi:` prefix it never declares), it is read inside a wrapper
    element that declares the prefix.
    """
    reader = _ChunkReader(chunks)
    gzipped = reader.head(2) == GZIP_MAGIC
    raw = io.BufferedReader(reader, buffer_size=1 << 16)
    body = _Body(gzip.GzipFile(fileobj=raw, mode="rb") if gzipped else raw, url, limit)  # type: ignore[arg-type]
    with xml_failures(url, source="DATEX II"):
        head, suffix = body.read(4096), b""
        if fragment_root and head.lstrip().startswith(f"<{fragment_root}".encode()):
            head, suffix = f'<datex2Fragment xmlns:xsi="{XSI_NS}">'.encode() + head, b"</datex2Fragment>"
        head = _guard_prolog(head, body)
    body.unread(head, suffix)
    return body


def _guard_prolog(head: bytes, body: _Body) -> bytes:
    """Let defusedxml read up to the root element's start tag; return every byte it read.

    A DTD (and with it every entity declaration, internal or external) can only stand before the root element,
    so once defusedxml has seen the root start without a DTD, the rest of the document cannot define an entity:
    expat rejects any reference but the five built-in ones (and a DTD after the root start is not XML). The body
    is then parsed by ElementTree's C parser: on NDW's trafficspeed feed that takes half the time of the
    pure-Python parser defusedxml builds its tree with (bench/bench_datex2.py).
    """
    parser = DefusedXMLParser(target=_Prolog(), forbid_dtd=True)
    read = head
    try:
        parser.feed(head)
        while len(read) <= PROLOG_LIMIT:
            chunk = body.read(1 << 16)
            if not chunk:
                parser.close()  # no root element at all: expat says so as a ParseError
                return read
            read += chunk
            parser.feed(chunk)
    except _RootSeen:
        return read
    raise ParseError(f"no root element in the first {PROLOG_LIMIT:,} bytes")


def records(source: _Body, url: str, names: Iterable[str]) -> Iterator[tuple[str, Element]]:
    """Each complete element whose local name is in `names`, in document order; it is cleared after its turn."""
    wanted = qualified(names)
    # the consumer's own errors happen outside this frame, so only parsing is translated
    with xml_failures(url, source="DATEX II"):
        for _event, elem in iterparse(source):
            name = wanted.get(elem.tag)
            if name is not None:
                yield name, elem
                elem.clear()


