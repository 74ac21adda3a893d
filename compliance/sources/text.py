"""Input files as plain UTF-8 text: decompression, decoding, and what names and identifies a file.

DuckDB's readers only see text that decoded cleanly, so a bad byte is one error naming its line,
never a half-read record.
"""
from __future__ import annotations

import codecs
import concurrent.futures
import contextlib
import gzip
import hashlib
import tempfile
import zlib
from pathlib import Path
from typing import BinaryIO, Iterator, NamedTuple

from compliance.errors import ComplianceError

GZIP_MAGIC = b"\x1f\x8b"


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def logical_name(path: Path) -> str:
    """The file's name without a `.gz` suffix: what its content is once decompressed."""
    return path.name[:-3] if path.name.endswith(".gz") else path.name


def _copy_checked(source: BinaryIO, codec: codecs.CodecInfo, path: Path, sink: BinaryIO | None) -> None:
    """Decode `source` in chunks (C speed); write UTF-8 to `sink`; name the line of a bad byte."""
    decoder = codec.incrementaldecoder("strict")
    consumed = newlines = 0
    chunk = b""
    try:
        while chunk := source.read(1 << 20):
            text = decoder.decode(chunk)
            if sink is not None:
                sink.write(text.encode("utf-8"))
            consumed += len(chunk)
            newlines += chunk.count(b"\n")
        chunk = b""
        tail = decoder.decode(b"", final=True)
        if sink is not None:
            sink.write(tail.encode("utf-8"))
    except UnicodeDecodeError as exc:
        # exc.object is the decoder's pending bytes followed by this chunk.
        in_chunk = exc.start - (len(exc.object) - len(chunk))
        line = newlines + chunk[:max(in_chunk, 0)].count(b"\n") + 1
        raise ComplianceError(
            f"not valid {codec.name} text: byte 0x{exc.object[exc.start]:02X} at offset "
            f"{consumed + in_chunk}; convert the file to UTF-8 (or name its encoding in a mapping)",
            path=str(path), line=line) from None
    except (EOFError, gzip.BadGzipFile, zlib.error) as exc:
        raise ComplianceError(f"cannot decompress: {exc}", path=str(path)) from None


def _codec(path: Path, encoding: str) -> codecs.CodecInfo:
    try:
        return codecs.lookup(encoding)
    except LookupError:
        raise ComplianceError(f"unknown text encoding {encoding!r}", path=str(path)) from None


def _is_gzip(path: Path) -> bool:
    with path.open("rb") as handle:
        return handle.read(2) == GZIP_MAGIC


def _is_plain_utf8(path: Path, codec: codecs.CodecInfo) -> bool:
    return codec.name == "utf-8" and not _is_gzip(path)


def digest_and_check(path: Path, encoding: str = "utf-8") -> str:
    """The file's sha256, once a plain UTF-8 file is checked to be valid text.

    The digest is made on a second thread while the text is checked (hashlib lets go of the GIL);
    a compressed file or another encoding is checked as it is decoded, by `readable_copy`.
    """
    codec = _codec(path, encoding)
    with concurrent.futures.ThreadPoolExecutor(max_workers=1) as hashing:
        digest = hashing.submit(file_sha256, path)
        if _is_plain_utf8(path, codec):
            with path.open("rb") as source:
                _copy_checked(source, codec, path, None)
        return digest.result()


@contextlib.contextmanager
def readable_copy(path: Path, encoding: str = "utf-8") -> Iterator[Path]:
    """Yield the file as plain UTF-8 text for DuckDB's readers.

    A plain UTF-8 file, which digest_and_check has checked, is yielded as it is; a gzip-compressed
    file (recognised by its magic bytes, whatever its name) or another encoding is decoded into a
    private temporary copy named `logical_name(path)`, removed on exit. Bytes that are not valid
    text are an error naming the line, so no reader ever sees them.
    """
    codec = _codec(path, encoding)
    if _is_plain_utf8(path, codec):
        yield path
        return
    with tempfile.TemporaryDirectory(prefix="compliance-ingest-") as folder:
        plain = Path(folder) / logical_name(path)
        opener = gzip.open if _is_gzip(path) else open
        with opener(path, "rb") as source, plain.open("wb") as sink:
            _copy_checked(source, codec, path, sink)
        yield plain


class LineShape(NamedTuple):
    lines: int  # physical lines
    lone_returns: int  # carriage returns not followed by a line feed
    mixed_endings: bool  # some lines end with CRLF, others with a line feed alone


def line_shape(path: Path, chunk_bytes: int = 1 << 22) -> LineShape:
    """How a UTF-8 file's lines end, read in chunks: enough to tell whether every record of a CSV
    file is one line, and whether its line endings are all of one kind."""
    line_feeds = lone_returns = crlf_ends = 0
    last = b""
    with path.open("rb") as handle:
        while chunk := handle.read(chunk_bytes):
            line_feeds += chunk.count(b"\n")
            if b"\r" in chunk or last.endswith(b"\r"):
                joined = last[-1:] + chunk  # a CRLF may straddle two chunks
                crlf_ends += joined.count(b"\r\n")
                lone_returns += joined.count(b"\r") - joined.count(b"\r\n") - (1 if last.endswith(b"\r") else 0)
            last = chunk
    unterminated = bool(last) and not last.endswith(b"\n")
    return LineShape(line_feeds + unterminated, lone_returns, crlf_ends not in (0, line_feeds))
