"""Uploaded media: `POST /{phone_number_id}/media`, then send a document or image by its id.

Types and sizes as Meta's "Supported media types" lists them
(https://developers.facebook.com/docs/whatsapp/cloud-api/reference/media/#supported-media-types):
documents are text/plain, PDF and the Office formats up to 100 MB; images JPEG and PNG up to
5 MB. Anything else (a calendar file, say) is refused at upload with code 100, as Graph does.
"""

from __future__ import annotations

import hashlib
import itertools
from dataclasses import dataclass

MB = 1024 * 1024
DOCUMENT_TYPES = frozenset(
    {
        "text/plain",
        "application/pdf",
        "application/msword",
        "application/vnd.ms-excel",
        "application/vnd.ms-powerpoint",
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        "application/vnd.openxmlformats-officedocument.presentationml.presentation",
    }
)
IMAGE_TYPES = frozenset({"image/jpeg", "image/png"})
MAX_SIZE = {**{t: 100 * MB for t in DOCUMENT_TYPES}, **{t: 5 * MB for t in IMAGE_TYPES}}
# which message types may carry which uploaded media
SENDABLE = {"document": DOCUMENT_TYPES, "image": IMAGE_TYPES}

_ids = itertools.count(4_100_000_000_000_001)


@dataclass(frozen=True, slots=True)
class StoredMedia:
    id: str
    data: bytes
    mime_type: str
    filename: str | None

    @property
    def sha256(self) -> str:
        return hashlib.sha256(self.data).hexdigest()


def new_media(data: bytes, mime_type: str, filename: str | None) -> StoredMedia:
    """Store an upload, or raise ValueError with Graph's reason."""
    if mime_type not in MAX_SIZE:
        allowed = ", ".join(sorted(MAX_SIZE))
        raise ValueError(f"Param file must be a file with one of the following types: {allowed}")
    if not data:
        raise ValueError("Param file is empty")
    if len(data) > MAX_SIZE[mime_type]:
        raise ValueError(
            f"Param file is {len(data)} bytes; {mime_type} may be {MAX_SIZE[mime_type]} at most"
        )
    return StoredMedia(str(next(_ids)), data, mime_type, filename)
