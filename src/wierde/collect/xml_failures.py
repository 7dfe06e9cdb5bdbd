"""Every way an XML answer can be unsafe or broken becomes one clear HarvestError naming the URL."""

from __future__ import annotations

import gzip
import zlib
from collections.abc import Iterator
from contextlib import contextmanager
from xml.etree.ElementTree import ParseError

from defusedxml import DefusedXmlException

from wierde.collect.http import HarvestError


@contextmanager
def xml_failures(url: str, *, source: str) -> Iterator[None]:
    """Parse inside this block; `source` names what never needs a DTD ("DATEX II", "a WFS", "a DCAT feed")."""
    try:
        yield
    except HarvestError:
        raise
    except DefusedXmlException as error:
        raise HarvestError(f"{url}: refused: the document declares a DTD or entities ({type(error).__name__}); "
                           f"{source} never needs them, and they are how XML bombs and external entities work"
                           ) from None
    except EOFError:
        raise HarvestError(f"{url}: the gzip stream ends early: the download is truncated") from None
    except (gzip.BadGzipFile, zlib.error) as error:
        raise HarvestError(f"{url}: not a valid gzip stream ({error})") from None
    except ParseError as error:
        raise HarvestError(f"{url}: not well-formed XML ({error})") from None
