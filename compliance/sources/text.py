"""Input files as plain UTF-8 text: decompression, decoding, and what names and identifies a file.

DuckDB's readers only see valid UTF-8. A line holding bytes that are not valid text reaches them
with those bytes escaped and is reported as a `DamagedLine`, so the loader quarantines the record
it belongs to and loads the rest of the file (docs/data-quality.md, "Bad input"). A file is refused
only when it is not text at all, or when it is compressed and expands beyond its cap.
"""
from __future__ import annotations

import codecs
import concurrent.futures
import contextlib
import gzip
import hashlib
import itertools
import math
import os
import re
import tempfile
import zlib
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO, Iterable, Iterator, NamedTuple

from compliance.errors import ComplianceError

GZIP_MAGIC = b"\x1f\x8b"
CHUNK_BYTES = 1 << 20
# Whether a file is text at all is judged on its first bytes: a file is refused as not text when
# more than NOT_TEXT_SHARE of its first FIRST_BLOCK_BYTES characters are NUL or undecodable bytes
# (a binary file, or UTF-16 read as UTF-8). Text keeps an odd NUL or bad byte well below that.
FIRST_BLOCK_BYTES = 1 << 16
NOT_TEXT_SHARE = 0.10
# A compressed file may expand to COMPLIANCE_MAX_EXPANSION times its size, and always to one line
# of the largest size the readers accept (compliance/sources/staging.py, MAX_LINE_SIZE).
MAX_EXPANSION_VARIABLE = "COMPLIANCE_MAX_EXPANSION"
DEFAULT_MAX_EXPANSION = 100
MIN_EXPANDED_BYTES = 64 * 1024 * 1024
ESCAPE_ERRORS = "compliance-escape"


def _escape_undecodable(exc: UnicodeError) -> tuple[str, int]:
    """Decoding: each byte that is not valid text becomes the lone surrogate U+DC00 + byte, which no
    decoder produces from valid text; encoding to UTF-8: each such surrogate becomes `\\xNN`."""
    if isinstance(exc, UnicodeDecodeError):
        return "".join(chr(0xDC00 + byte) for byte in exc.object[exc.start:exc.end]), exc.end
    if isinstance(exc, UnicodeEncodeError):
        return "".join(f"\\x{ord(c) - 0xDC00:02x}" for c in exc.object[exc.start:exc.end]), exc.end
    raise exc


codecs.register_error(ESCAPE_ERRORS, _escape_undecodable)


class DamagedLine(NamedTuple):
    """A physical line that cannot be read as it is: its record goes to quarantine with `reason`,
    and `raw` is its text with every undecodable byte as `\\xNN` and every backslash as `\\\\`."""
    line_no: int
    reason: str
    raw: str


class Checked(NamedTuple):
    sha256: str
    as_is: bool  # a plain UTF-8 file that decoded cleanly: the readers read the file itself


@dataclass(frozen=True)
class ReadableText:
    path: Path  # valid UTF-8, the file itself or a private copy
    damaged: list[DamagedLine]


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for chunk in iter(lambda: handle.read(CHUNK_BYTES), b""):
            digest.update(chunk)
    return digest.hexdigest()


def logical_name(path: Path) -> str:
    """The file's name without a `.gz` suffix: what its content is once decompressed."""
    return path.name[:-3] if path.name.endswith(".gz") else path.name


def escaped_text(line: bytes, encoding: str) -> str:
    """`line` decoded, every byte that is not valid text as `\\xNN` and every backslash doubled, so
    the original bytes can be told from the text."""
    decoded = line.decode(encoding, ESCAPE_ERRORS)
    return decoded.replace("\\", "\\\\").encode("utf-8", ESCAPE_ERRORS).decode("utf-8")


def _refuse_unless_text(block: bytes, codec: codecs.CodecInfo, path: Path) -> None:
    """Refuse a file whose first block is mostly NUL or undecodable bytes."""
    sample = block[:FIRST_BLOCK_BYTES].decode(codec.name, ESCAPE_ERRORS)
    undecodable = len(sample) - len(sample.encode("utf-8", "ignore").decode("utf-8"))
    nul = sample.count("\x00")
    if sample and nul + undecodable > NOT_TEXT_SHARE * len(sample):
        raise ComplianceError(
            f"not a text file: {nul} NUL and {undecodable} undecodable bytes in its first {len(sample)} "
            f"characters as {codec.name} (a binary file, or another encoding such as UTF-16?); "
            "nothing was loaded", path=str(path))


def _line_blocks(chunks: Iterable[bytes]) -> Iterator[tuple[bytes, bool]]:
    """(block, is_last): the chunks regrouped into blocks of whole lines, each ending just after a
    line feed (the last one may have none). A line is never cut, whatever its length."""
    pending: list[bytes] = []
    held = None
    for chunk in chunks:
        cut = chunk.rfind(b"\n") + 1
        if not cut:
            pending.append(chunk)
            continue
        if held is not None:
            yield held, False
        held = b"".join([*pending, chunk[:cut]])
        pending = [chunk[cut:]] if cut < len(chunk) else []
    tail = b"".join(pending)
    if held is not None:
        yield held, not tail
    if tail:
        yield tail, True


def _splits_on_line_feeds(codec: codecs.CodecInfo) -> bool:
    """Whether every line feed byte is a line end in this encoding (UTF-8, ASCII-based code pages),
    so that a line's bytes can be decoded on their own."""
    try:
        return codec.decode(b"a\nb")[0] == "a\nb"
    except UnicodeError:
        return False


def _first_undecodable(line: bytes, encoding: str) -> int:
    """Where `line` stops decoding on its own: 0 when it decodes, and only the state a stateful
    encoding carried over from the lines before failed."""
    try:
        line.decode(encoding)
        return 0
    except UnicodeDecodeError as exc:
        return exc.start


def _decode_lines(block: bytes, is_last: bool, decoder: codecs.IncrementalDecoder, codec: codecs.CodecInfo,
                  first_line: int, offset: int, damaged: list[DamagedLine]) -> str:
    """A block decoded line by line, its damaged lines escaped and added to `damaged`."""
    parts = block.split(b"\n")
    lines = [part + b"\n" for part in parts[:-1]] + ([parts[-1]] if parts[-1] else [])
    out = []
    start = 0
    for index, line in enumerate(lines):
        try:
            out.append(decoder.decode(line, is_last and index == len(lines) - 1))
        except UnicodeDecodeError:
            decoder.reset()
            at = _first_undecodable(line, codec.name)
            text = escaped_text(line, codec.name)
            out.append(text)
            damaged.append(DamagedLine(
                first_line + index,
                f"not valid {codec.name} text: byte 0x{line[at]:02X} at offset {offset + start + at}",
                text.removesuffix("\n").removesuffix("\r")))
        start += len(line)
    return "".join(out)


def _copy_repaired(chunks: Iterable[bytes], codec: codecs.CodecInfo, path: Path,
                   sink: BinaryIO) -> list[DamagedLine]:
    """Decode `chunks` block by block (C speed); a block that does not decode is decoded line by
    line. Write UTF-8 to `sink`; return the damaged lines."""
    chunks = iter(chunks)
    first = next(chunks, b"")
    _refuse_unless_text(first, codec, path)
    decoder = codec.incrementaldecoder("strict")
    damaged: list[DamagedLine] = []
    line_no, offset = 1, 0
    for block, is_last in _line_blocks(itertools.chain([first], chunks)):
        try:
            text = decoder.decode(block, is_last)
        except UnicodeDecodeError:
            decoder.reset()
            text = _decode_lines(block, is_last, decoder, codec, line_no, offset, damaged)
        sink.write(text.encode("utf-8"))
        line_no += block.count(b"\n")
        offset += len(block)
    return damaged


def _copy_checked(chunks: Iterable[bytes], codec: codecs.CodecInfo, path: Path, sink: BinaryIO) -> None:
    """Decode an encoding whose lines cannot be split on bytes (UTF-16, UTF-32): a bad byte
    refuses the file, naming its line."""
    decoder = codec.incrementaldecoder("strict")
    consumed = lines = 0
    chunk = b""
    try:
        for chunk in chunks:
            if not consumed:
                _refuse_unless_text(chunk, codec, path)
            text = decoder.decode(chunk)
            sink.write(text.encode("utf-8"))
            consumed += len(chunk)
            lines += text.count("\n")
        chunk = b""
        sink.write(decoder.decode(b"", final=True).encode("utf-8"))
    except UnicodeDecodeError as exc:
        # exc.object is the decoder's pending bytes followed by this chunk.
        before = exc.object[:exc.start]
        in_chunk = exc.start - (len(exc.object) - len(chunk))
        raise ComplianceError(
            f"not valid {codec.name} text: byte 0x{exc.object[exc.start]:02X} at offset "
            f"{consumed + in_chunk}; convert the file to UTF-8 (or name its encoding in a mapping)",
            path=str(path), line=lines + codec.decode(before, "replace")[0].count("\n") + 1) from None


def _codec(path: Path, encoding: str) -> codecs.CodecInfo:
    try:
        return codecs.lookup(encoding)
    except LookupError:
        raise ComplianceError(f"unknown text encoding {encoding!r}", path=str(path)) from None


def _is_gzip(path: Path) -> bool:
    with path.open("rb") as handle:
        return handle.read(2) == GZIP_MAGIC


def _chunks(source: BinaryIO) -> Iterator[bytes]:
    return iter(lambda: source.read(CHUNK_BYTES), b"")


def digest_and_check(path: Path, encoding: str = "utf-8") -> Checked:
    """The file's sha256, and whether it is plain UTF-8 that decodes cleanly (the common case: the
    readers then read the file itself). A file that is not text at all is refused here.

    The digest is made on a second thread while the text is checked (hashlib lets go of the GIL);
    a compressed file or another encoding is checked as it is decoded, by `readable_copy`.
    """
    codec = _codec(path, encoding)
    with concurrent.futures.ThreadPoolExecutor(max_workers=1) as hashing:
        digest = hashing.submit(file_sha256, path)
        as_is = False
        if codec.name == "utf-8" and not _is_gzip(path):
            with path.open("rb") as source:
                chunks = _chunks(source)
                first = next(chunks, b"")
                _refuse_unless_text(first, codec, path)
                decoder = codec.incrementaldecoder("strict")
                try:
                    for chunk in itertools.chain([first], chunks):
                        decoder.decode(chunk)
                    decoder.decode(b"", final=True)
                    as_is = True
                except UnicodeDecodeError:
                    pass
        return Checked(digest.result(), as_is)


def max_expanded_bytes(compressed_bytes: int) -> int:
    """How far a compressed file of `compressed_bytes` may expand (COMPLIANCE_MAX_EXPANSION)."""
    value = os.environ.get(MAX_EXPANSION_VARIABLE, "").strip()
    try:
        ratio = float(value) if value else DEFAULT_MAX_EXPANSION
    except ValueError:
        ratio = math.nan
    if not (math.isfinite(ratio) and ratio > 0):
        raise ComplianceError(f"{MAX_EXPANSION_VARIABLE} must be a positive number, not {value!r}")
    return max(MIN_EXPANDED_BYTES, int(ratio * compressed_bytes))


def _capped(chunks: Iterable[bytes], path: Path) -> Iterator[bytes]:
    """The decompressed chunks, refused as soon as they outgrow `max_expanded_bytes`: nothing
    beyond the cap is ever written."""
    size = path.stat().st_size
    limit = max_expanded_bytes(size)
    total = 0
    for chunk in chunks:
        total += len(chunk)
        if total > limit:
            raise ComplianceError(
                f"decompresses to more than {limit} bytes, over {limit // max(size, 1)} times its {size} "
                f"bytes ({MAX_EXPANSION_VARIABLE}, default {DEFAULT_MAX_EXPANSION}): refused as a "
                "possible decompression bomb; raise the limit if the file is genuine", path=str(path))
        yield chunk


@contextlib.contextmanager
def readable_copy(path: Path, encoding: str = "utf-8", as_is: bool = False) -> Iterator[ReadableText]:
    """The file as plain UTF-8 text for DuckDB's readers, and its damaged lines.

    A file `digest_and_check` found `as_is` is yielded as it is. Otherwise a gzip-compressed file
    (recognised by its magic bytes, whatever its name, and capped by `max_expanded_bytes`), another
    encoding, or a file with bytes that are not valid text is decoded into a private temporary copy
    named `logical_name(path)`, removed on exit; a damaged line is written with its bad bytes escaped,
    so it keeps its place and the lines after it keep their numbers.
    """
    codec = _codec(path, encoding)
    if as_is:
        yield ReadableText(path, [])
        return
    with tempfile.TemporaryDirectory(prefix="compliance-ingest-") as folder:
        plain = Path(folder) / logical_name(path)
        compressed = _is_gzip(path)
        damaged: list[DamagedLine] = []
        with (gzip.open if compressed else open)(path, "rb") as source, plain.open("wb") as sink:
            chunks = _capped(_chunks(source), path) if compressed else _chunks(source)
            try:
                if _splits_on_line_feeds(codec):
                    damaged = _copy_repaired(chunks, codec, path, sink)
                else:
                    _copy_checked(chunks, codec, path, sink)
            except (EOFError, gzip.BadGzipFile, zlib.error) as exc:
                raise ComplianceError(f"cannot decompress: {exc}", path=str(path)) from None
        yield ReadableText(plain, damaged)


class LineShape(NamedTuple):
    lines: int  # physical lines
    lone_returns: int  # carriage returns not followed by a line feed
    mixed_endings: bool  # some lines end with CRLF, others with a line feed alone


def _line_ends(path: Path, chunk_bytes: int) -> tuple[int, int, int, bool]:
    """(line feeds, lone carriage returns, CRLF ends, whether the last line lacks a line feed)."""
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
    return line_feeds, lone_returns, crlf_ends, bool(last) and not last.endswith(b"\n")


def line_shape(path: Path, chunk_bytes: int = 1 << 22) -> LineShape:
    """How a UTF-8 file's lines end, read in chunks: enough to tell whether every record of a CSV
    file is one line, and whether its line endings are all of one kind."""
    line_feeds, lone_returns, crlf_ends, unterminated = _line_ends(path, chunk_bytes)
    return LineShape(line_feeds + unterminated, lone_returns, crlf_ends not in (0, line_feeds))


def copy_with_one_line_ending(path: Path, copy: Path) -> list[DamagedLine]:
    """Copy a UTF-8 file with every line ending as most of its lines do (CRLF or a line feed
    alone); the lines that ended otherwise are returned as damaged."""
    line_feeds, _, crlf_ends, _ = _line_ends(path, 1 << 22)
    crlf = 2 * crlf_ends > line_feeds
    odd = re.compile(rb"(?<!\r)\n" if crlf else rb"\r\n")
    ending = b"\r\n" if crlf else b"\n"
    reason = ("line ends with a line feed alone where the file's lines end with CRLF" if crlf else
              "line ends with CRLF where the file's lines end with a line feed alone") + " (mixed line endings)"
    damaged = []
    line_no = 1
    with path.open("rb") as source, copy.open("wb") as sink:
        for block, _ in _line_blocks(_chunks(source)):
            counted, line = 0, line_no
            for match in odd.finditer(block):
                line += block.count(b"\n", counted, match.start())
                counted = match.start()
                begin = block.rfind(b"\n", 0, match.start()) + 1
                damaged.append(DamagedLine(line, reason, escaped_text(block[begin:match.start()], "utf-8")))
            sink.write(odd.sub(ending, block))
            line_no += block.count(b"\n")
    return damaged
