"""File names shown to a user: one line, printable, never able to fake a report line.

A name comes from the file system: it may hold a newline, a terminal escape sequence, a
right-to-left override, or bytes that are not UTF-8. :func:`shown` writes control and
invisible formatting characters as escapes (``\\n``, ``\\x1b``, ``\\u202e``) and undecodable
bytes as ``\\xff``; the result is valid UTF-8 text on one line, safe in text and in JSON.
"""

from __future__ import annotations

import os
import unicodedata

_ESCAPES = {"\n": "\\n", "\r": "\\r", "\t": "\\t"}


def shown(path: object) -> str:
    """``path`` (str, bytes or os.PathLike) as one printable line."""
    if isinstance(path, bytes):
        raw = path
    else:
        try:
            raw = os.fsencode(path)  # type: ignore[arg-type]
        except (TypeError, UnicodeError):
            raw = str(path).encode("utf-8", errors="surrogatepass")
    text = raw.decode("utf-8", errors="backslashreplace")
    return "".join(_escape(c) for c in text)


def _escape(char: str) -> str:
    if char.isprintable() or unicodedata.category(char) == "Zs":  # spaces (« 100 000 ») stay
        return char
    if char in _ESCAPES:
        return _ESCAPES[char]
    code = ord(char)
    if code < 0x100:
        return f"\\x{code:02x}"
    return f"\\u{code:04x}" if code < 0x10000 else f"\\U{code:08x}"


def valid_text(text: str) -> str:
    """Text that encodes as UTF-8: bytes kept by ``surrogateescape`` (a file name that is not
    UTF-8) are shown as ``\\xff``, any other lone surrogate as ``\\udc80``."""
    try:
        text.encode("utf-8")
        return text
    except UnicodeEncodeError:
        raw = text.encode("utf-8", errors="surrogateescape") if _escaped_only(text) else None
        if raw is not None:
            return raw.decode("utf-8", errors="backslashreplace")
        return text.encode("utf-8", errors="backslashreplace").decode("utf-8")


def _escaped_only(text: str) -> bool:
    return all(not 0xD800 <= ord(c) <= 0xDFFF or 0xDC80 <= ord(c) <= 0xDCFF for c in text)
