"""Uploaded files, streamed into a private temporary folder, with size limits.

The multipart body is parsed as it arrives (python-multipart, as Starlette does) and each file is
written straight to disk under a name of ours (``envoi-001.xlsx``): the client's file name is only
kept, cleaned, to be shown. A file or a request over its limit stops the reading at once
(:class:`TooLarge`, answered with HTTP 413).
"""

from __future__ import annotations

import re
import shutil
import tempfile
from collections.abc import AsyncIterator, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

from budget_tool.sanitize import clean_text

MB = 1024 * 1024
# Suffixes kept on our own names: the consolidation recognises workbooks by them.
KEPT_SUFFIXES = {".xlsx", ".xlsm", ".xls", ".ods", ".zip", ".csv"}
MAX_FIELD_BYTES = 10_000  # the forms have no text field of any size


@dataclass(frozen=True)
class UploadLimits:
    max_file_bytes: int = 10 * MB
    max_request_bytes: int = 60 * MB
    max_files: int = 300


class TooLarge(Exception):
    """A file or the whole request is over its limit (French message)."""


class BadUpload(Exception):
    """Not a form the pages send (French message)."""


@dataclass
class Upload:
    field: str
    name: str  # the client's file name, cleaned, for display only: never a path
    path: Path  # our own name, in the private folder
    size: int = 0


@dataclass
class Form:
    uploads: list[Upload] = field(default_factory=list)
    fields: dict[str, str] = field(default_factory=dict)

    def files(self, name: str) -> list[Upload]:
        """The non-empty files of one field (a form sent with no file chosen has an empty part)."""
        return [u for u in self.uploads if u.field == name and (u.size or u.name)]


@contextmanager
def private_folder(parent: str | None = None) -> Iterator[Path]:
    """A folder only this user can read (mode 0700), removed with everything in it."""
    folder = Path(tempfile.mkdtemp(prefix="budget-tool-web-", dir=parent))
    try:
        yield folder
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def display_name(raw: str) -> str:
    """The last component of the client's name, cleaned of control characters, for display."""
    name = re.split(r"[\\/]", raw)[-1]
    return clean_text(name).strip()[:200] or "fichier sans nom"


def our_name(number: int, client_name: str) -> str:
    """``envoi-007.xlsx``: the suffix kept when it is one we know, and the marks the
    consolidation reads in a name (lock file ``~$``, hidden file ``.``)."""
    suffix = Path(client_name).suffix.lower()
    suffix = suffix if suffix in KEPT_SUFFIXES else ".bin"
    prefix = "~$" if client_name.startswith("~$") else "." if client_name.startswith(".") else ""
    return f"{prefix}envoi-{number:03d}{suffix}"


def size_text(size: int) -> str:
    return f"{size / MB:.0f} Mo" if size >= MB else f"{max(size // 1024, 1)} Ko"


class _Receiver:
    """python-multipart callbacks writing each file part to its own file."""

    def __init__(self, folder: Path, limits: UploadLimits) -> None:
        self.folder, self.limits = folder, limits
        self.form = Form()
        self.header_field = b""
        self.header_value = b""
        self.headers: dict[bytes, bytes] = {}
        self.current: Upload | None = None
        self.field_name = ""
        self.field_data = bytearray()
        self.handle: IO[bytes] | None = None
        self.error: Exception | None = None

    def on_part_begin(self) -> None:
        self.headers = {}

    def on_header_field(self, data: bytes, start: int, end: int) -> None:
        self.header_field += data[start:end]

    def on_header_value(self, data: bytes, start: int, end: int) -> None:
        self.header_value += data[start:end]

    def on_header_end(self) -> None:
        self.headers[self.header_field.lower()] = self.header_value
        self.header_field, self.header_value = b"", b""

    def on_headers_finished(self) -> None:
        from python_multipart.multipart import parse_options_header

        _, options = parse_options_header(self.headers.get(b"content-disposition", b""))
        field_name = options.get(b"name", b"").decode("utf-8", "replace")
        self.field_name, self.field_data = field_name, bytearray()
        if b"filename" not in options:
            self.current = None
            return
        if len(self.form.uploads) >= self.limits.max_files:
            self.error = TooLarge(
                f"trop de fichiers dans un envoi (maximum {self.limits.max_files})"
            )
            return
        raw = options[b"filename"].decode("utf-8", "replace")
        number = len(self.form.uploads) + 1
        path = self.folder / our_name(number, display_name(raw))
        self.current = Upload(field_name, display_name(raw) if raw else "", path)
        self.handle = path.open("xb")
        self.form.uploads.append(self.current)

    def on_part_data(self, data: bytes, start: int, end: int) -> None:
        if self.error is not None:
            return
        if self.current is None:
            self.field_data += data[start:end]
            if len(self.field_data) > MAX_FIELD_BYTES:
                self.error = BadUpload("un champ du formulaire est trop long")
            return
        self.current.size += end - start
        is_zip = self.current.path.suffix == ".zip"  # a region's archive: the request limit only
        if not is_zip and self.current.size > self.limits.max_file_bytes:
            self.error = TooLarge(
                f"le fichier « {self.current.name} » dépasse {size_text(self.limits.max_file_bytes)}"
            )
            return
        assert self.handle is not None
        self.handle.write(data[start:end])

    def on_part_end(self) -> None:
        if self.handle is not None:
            self.handle.close()
            self.handle = None
        elif self.current is None and self.field_name:
            self.form.fields[self.field_name] = self.field_data.decode("utf-8", "replace")
        self.current = None

    def close(self) -> None:
        if self.handle is not None:
            self.handle.close()

    def callbacks(self) -> Any:  # python-multipart's MultipartCallbacks (a TypedDict)
        names = (
            "on_part_begin",
            "on_part_data",
            "on_part_end",
            "on_header_field",
            "on_header_value",
            "on_header_end",
            "on_headers_finished",
        )
        return {name: getattr(self, name) for name in names}


async def receive_form(
    content_type: str,
    content_length: str | None,
    stream: AsyncIterator[bytes],
    folder: Path,
    limits: UploadLimits,
) -> Form:
    """Parse a multipart/form-data body into ``folder``; raise TooLarge or BadUpload."""
    from python_multipart.multipart import MultipartParser, parse_options_header

    kind, options = parse_options_header(content_type or "")
    boundary = options.get(b"boundary")
    if kind != b"multipart/form-data" or not boundary:
        raise BadUpload("l'envoi n'est pas un formulaire de fichiers (multipart/form-data)")
    if (
        content_length
        and content_length.isdigit()
        and int(content_length) > limits.max_request_bytes
    ):
        raise TooLarge(f"l'envoi dépasse {size_text(limits.max_request_bytes)} au total")
    receiver = _Receiver(folder, limits)
    parser = MultipartParser(boundary, receiver.callbacks())
    total = 0
    try:
        async for chunk in stream:
            total += len(chunk)
            if total > limits.max_request_bytes:
                raise TooLarge(f"l'envoi dépasse {size_text(limits.max_request_bytes)} au total")
            parser.write(chunk)
            if receiver.error is not None:
                raise receiver.error
        parser.finalize()
    except (TooLarge, BadUpload):
        raise
    except Exception as exc:  # python-multipart's errors on a malformed body
        raise BadUpload("le formulaire reçu est incomplet ou mal formé") from exc
    finally:
        receiver.close()
    return receiver.form
