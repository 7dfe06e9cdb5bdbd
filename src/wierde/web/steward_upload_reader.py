"""Reading the steward's upload form from the request stream, so a large file goes to disk, never into memory, and
one over the limit is refused as soon as it passes it."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, BinaryIO

from fastapi import Request
from python_multipart.multipart import MultipartParser, parse_options_header

from wierde.errors import InvalidInput, TooLarge
from wierde.store.repository import check_dataset_id
from wierde.web import i18n, session
from wierde.web.i18n import _
from wierde.web.steward_common import one
from wierde.web.upload import safe_filename

if TYPE_CHECKING:  # the callbacks' type exists for type checkers only
    from python_multipart.multipart import MultipartCallbacks

FIELD_LIMIT = 20_000  # bytes of one ordinary form field in the upload form; only the file may be large


class UploadReader:
    """Streams a multipart form: small fields kept in memory, the one file written to `folder` while its size is
    counted, so a file over the limit is refused as soon as it passes it. The CSRF token and the dataset id come
    before the file in the form, and are checked before a byte of the file is written."""

    def __init__(self, request: Request, folder: Path, limit: int) -> None:
        self.request, self.folder, self.limit = request, folder, limit
        self.fields: dict[str, list[str]] = {}
        self.file: Path | None = None
        self.size = 0
        self._headers: dict[bytes, bytes] = {}
        self._name, self._value = b"", b""
        self._part: tuple[str, str | None] | None = None  # (field name, file name or None)
        self._buffer = bytearray()
        self._out: BinaryIO | None = None

    def callbacks(self) -> MultipartCallbacks:
        return {"on_part_begin": self._begin, "on_header_field": self._header_field,
                "on_header_value": self._header_value, "on_header_end": self._header_end,
                "on_headers_finished": self._headers_done, "on_part_data": self._data, "on_part_end": self._end}

    def _begin(self) -> None:
        self._headers, self._part, self._buffer = {}, None, bytearray()

    def _header_field(self, data: bytes, start: int, end: int) -> None:
        self._name += data[start:end]

    def _header_value(self, data: bytes, start: int, end: int) -> None:
        self._value += data[start:end]

    def _header_end(self) -> None:
        self._headers[self._name.lower()] = self._value
        self._name, self._value = b"", b""

    def _headers_done(self) -> None:
        _kind, options = parse_options_header(self._headers.get(b"content-disposition", b""))
        name = options.get(b"name", b"").decode("utf-8", "replace")
        filename = options.get(b"filename")
        self._part = (name, filename.decode("utf-8", "replace") if filename is not None else None)
        if filename is not None:
            self._open(self._part[1] or "")

    def _open(self, filename: str) -> None:
        if self.file is not None:
            raise InvalidInput(_("Stuur één bestand tegelijk."))
        session.check_csrf(self.request, {session.CSRF_FIELD: one(self.fields, session.CSRF_FIELD)})
        try:
            check_dataset_id(one(self.fields, "dataset"))
        except InvalidInput as error:
            raise InvalidInput(error.detail, field="u-dataset") from None
        if not filename:
            raise InvalidInput(_("Kies een bestand om te uploaden."))
        self.file = self.folder / safe_filename(Path(filename.replace("\\", "/")).name)
        self._out = self.file.open("wb")

    def _data(self, data: bytes, start: int, end: int) -> None:
        chunk = data[start:end]
        if self._out is not None:
            self.size += len(chunk)
            if self.size > self.limit:
                raise TooLarge(_("Het bestand is groter dan de {limit} bytes die deze omgeving aanneemt.").format(
                    limit=i18n.number(self.limit)))
            self._out.write(chunk)
        elif len(self._buffer) + len(chunk) > FIELD_LIMIT:
            raise InvalidInput(_("Een formulierveld is te lang."))
        else:
            self._buffer += chunk

    def _end(self) -> None:
        if self._out is not None:
            self._out.close()
            self._out = None
        elif self._part is not None:
            self.fields.setdefault(self._part[0], []).append(self._buffer.decode("utf-8", "replace"))

    def close(self) -> None:
        if self._out is not None:
            self._out.close()


async def read_upload(request: Request, reader: UploadReader) -> None:
    """Parse the upload form from the request stream into `reader`, never holding the file in memory."""
    kind, options = parse_options_header(request.headers.get("content-type", ""))
    if kind != b"multipart/form-data" or not options.get(b"boundary"):
        raise InvalidInput(_("Stuur het formulier als multipart/form-data."))
    parser = MultipartParser(options[b"boundary"], reader.callbacks())
    try:
        async for chunk in request.stream():
            parser.write(chunk)
        parser.finalize()
    finally:
        reader.close()
    if reader.file is None:
        raise InvalidInput(_("Kies een bestand om te uploaden."))
    if reader.size == 0:
        raise InvalidInput(_("Het bestand is leeg."))
