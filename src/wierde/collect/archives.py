"""Zip archives are opened only when what they would unpack to is plausible: no zip bombs, no escaping paths."""

from __future__ import annotations

import zipfile
from pathlib import Path, PurePosixPath

from wierde.errors import InvalidInput

MAX_UNPACKED_BYTES = 8 * 1024**3  # larger than any real dataset a steward uploads as one archive
MAX_RATIO = 200  # real data compresses 3-20x; a bomb compresses thousands of times
MAX_MEMBERS = 10_000


class ArchiveError(InvalidInput):
    """The archive is refused before anything in it is unpacked."""


def check_archive(source: Path, *, max_unpacked: int = MAX_UNPACKED_BYTES, max_ratio: int = MAX_RATIO) -> None:
    """Refuse an archive whose members would unpack to too much, compress implausibly well, or leave the folder."""
    try:
        with zipfile.ZipFile(source) as archive:
            members = archive.infolist()
    except zipfile.BadZipFile as exc:
        raise ArchiveError(f"{source.name}: not a readable zip archive ({exc})") from exc
    if len(members) > MAX_MEMBERS:
        raise ArchiveError(f"{source.name}: the zip archive holds {len(members)} files; at most {MAX_MEMBERS}")
    total = 0
    for member in members:
        path = PurePosixPath(member.filename)
        if path.is_absolute() or ".." in path.parts:
            raise ArchiveError(f"{source.name}: member {member.filename!r} points outside the archive")
        total += member.file_size
        packed = max(member.compress_size, 1)
        if member.file_size > 1024**2 and member.file_size / packed > max_ratio:
            raise ArchiveError(
                f"{source.name}: member {member.filename!r} would unpack {member.file_size / packed:.0f} times its "
                f"packed size (at most {max_ratio}); refused as a possible zip bomb"
            )
    if total > max_unpacked:
        raise ArchiveError(
            f"{source.name}: the archive would unpack to {total:,} bytes; at most {max_unpacked:,}"
        )
