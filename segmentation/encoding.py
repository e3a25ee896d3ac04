"""Reading export files as text records: bytes, encoding, delimiter and line numbers.

This is the physical layer of loading. It returns every field as text, with
the 1-based line on which each record starts; mapping and parsing columns
happen later (:mod:`segmentation.loading`).

Encodings
---------
Exports reach analysts in China in four encodings. UTF-8 comes from web tools and
UTF-8 with a byte-order mark from Excel's "CSV UTF-8". GBK comes from Excel and most
Windows tools on a Chinese system, and GB18030 is GBK plus four-byte sequences for
rare characters, such as the 𬍤 in some personal names. Detection is deterministic
and tries, in this order:

1. a UTF-8 byte-order mark, which settles the question;
2. strict UTF-8. UTF-8 has a rigid structure (every byte of a multi-byte
   character after the first lies in 0x80-0xBF), so Chinese text in GBK almost
   never validates as UTF-8, while the converse is not true: GB18030 accepts
   nearly any byte sequence, and UTF-8 decoded as GB18030 yields mojibake such
   as ``瀹㈡埛缂栧彿`` without an error. UTF-8 must therefore be tried first;
3. GBK, so the log says GBK for the common case;
4. GB18030, a superset of GBK, for files with four-byte characters.

A file that none of them decodes raises :class:`EncodingDetectionError` with the
byte offsets where UTF-8 and GB18030 failed. Files ending in ``.gz`` are
decompressed first. The chosen encoding is logged at INFO level.

NOTE: a very short GB-encoded file whose few Chinese characters happen to form
valid UTF-8 byte pairs would be read as UTF-8; real exports with more than a
handful of Chinese characters do not hit this.

Records and lines
-----------------
CSV and whitespace-aligned text go through ``pandas.read_csv`` and fixed-width
text through ``read_fwf``, all with ``dtype=str`` and NA detection off.
Line numbers come from one vectorised scan of the bytes (see
:func:`record_lines`); for Excel they are sheet rows, and for Parquet the
0-based row position plus two, as if a header line preceded the rows. A table whose
files are all Parquet is read with its column types instead
(:mod:`segmentation.parquet_fast`); :func:`read_records` reads a Parquet
file as text only when the table mixes it with files of other formats.
"""

from __future__ import annotations

import gzip
import io
import logging
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from .errors import EncodingDetectionError
from .i18n import Catalog

if TYPE_CHECKING:
    from .sources import TableSpec

logger = logging.getLogger(__name__)

_DELIMITERS = (",", "\t", ";", "|")

DETECTION_ORDER = ("utf-8-sig", "utf-8", "gbk", "gb18030")
DECLARABLE_ENCODINGS = ("auto",) + DETECTION_ORDER
_UTF8_BOM = b"\xef\xbb\xbf"

MESSAGES = Catalog({
    "undecodable": {
        "zh": "无法识别文件 {file} 的编码：从第 {utf8_offset} 字节（0x{utf8_byte}）起不是有效的 UTF-8，"
              "从第 {gb_offset} 字节起也不是有效的 GBK/GB18030。请用 UTF-8 编码重新保存该文件"
              "（Excel：另存为“CSV UTF-8（逗号分隔）”）。",
        "en": "cannot detect the encoding of {file}: it is not valid UTF-8 from byte offset {utf8_offset} "
              "(0x{utf8_byte}) and not valid GBK/GB18030 from byte offset {gb_offset}. Save the file as UTF-8 "
              "(Excel: Save As \"CSV UTF-8 (Comma delimited)\") and load it again.",
    },
    "declared_failed": {
        "zh": "文件 {file} 声明的编码是 {encoding}，但第 {offset} 字节（0x{byte}）无法按该编码解码；"
              "请改正数据源文件中的 encoding，或删除它以自动识别。",
        "en": "file {file} is declared as {encoding}, but byte offset {offset} (0x{byte}) does not decode "
              "under it; correct 'encoding' in the source file, or remove it to detect the encoding.",
    },
    "unknown_encoding": {
        "zh": "不支持的编码 {encoding!r}；可选：{allowed}。",
        "en": "unsupported encoding {encoding!r}; use one of: {allowed}.",
    },
})


def read_file_bytes(path: str | Path) -> bytes:
    """Return the content of ``path``, decompressed when the name ends in ``.gz``.

    Raises
    ------
    OSError
        If the file cannot be read, or a ``.gz`` file is not valid gzip.
    """
    path = Path(path)
    data = path.read_bytes()
    if path.name.lower().endswith(".gz"):
        data = gzip.decompress(data)
    return data


def detect_encoding(data: bytes, file: str | Path = "<bytes>", lang: str = "zh") -> str:
    """Return the first encoding of :data:`DETECTION_ORDER` under which ``data`` decodes.

    Parameters
    ----------
    data : bytes
        The whole file content (decompressed).
    file : str or Path
        Name used in the log and in the error message.
    lang : {"zh", "en"}
        Language of the error message.

    Returns
    -------
    str
        One of ``"utf-8-sig"``, ``"utf-8"``, ``"gbk"``, ``"gb18030"``.

    Raises
    ------
    EncodingDetectionError
        If no supported encoding decodes the bytes; the message names the file
        and the byte offsets where UTF-8 and GB18030 failed.
    """
    if data.startswith(_UTF8_BOM):
        encoding = "utf-8-sig"
    else:
        encoding = _first_decoding(data, ("utf-8", "gbk", "gb18030"))

    if encoding is None:
        raise _undecodable_error(data, file, lang)

    logger.info("decoded %s as %s", file, encoding)
    return encoding


def check_declared_encoding(data: bytes, encoding: str, file: str | Path, lang: str = "zh") -> str:
    """Return ``encoding`` after checking that ``data`` decodes under it.

    ``"auto"`` runs :func:`detect_encoding` instead.

    Raises
    ------
    EncodingDetectionError
        If the bytes do not decode under the declared encoding.
    ValueError
        If ``encoding`` is not one of :data:`DECLARABLE_ENCODINGS`.
    """
    if encoding not in DECLARABLE_ENCODINGS:
        raise ValueError(MESSAGES("unknown_encoding", lang, encoding=encoding,
                                  allowed=", ".join(DECLARABLE_ENCODINGS)))
    if encoding == "auto":
        return detect_encoding(data, file, lang)

    try:
        data.decode(encoding)
    except UnicodeDecodeError as error:
        message = MESSAGES("declared_failed", lang, file=file, encoding=encoding,
                           offset=error.start, byte=f"{data[error.start]:02x}")
        raise _with_location(EncodingDetectionError(message), file, error.start) from None
    logger.info("decoded %s as declared %s", file, encoding)
    return encoding


def _first_decoding(data: bytes, encodings: tuple[str, ...]) -> str | None:
    for encoding in encodings:
        try:
            data.decode(encoding)
        except UnicodeDecodeError:
            continue
        return encoding
    return None


def _failure_offset(data: bytes, encoding: str) -> int:
    try:
        data.decode(encoding)
    except UnicodeDecodeError as error:
        return error.start
    return len(data)


def _undecodable_error(data: bytes, file: str | Path, lang: str) -> EncodingDetectionError:
    utf8_offset = _failure_offset(data, "utf-8")
    gb_offset = _failure_offset(data, "gb18030")
    message = MESSAGES("undecodable", lang, file=file, utf8_offset=utf8_offset,
                       utf8_byte=f"{data[utf8_offset]:02x}", gb_offset=gb_offset)
    return _with_location(EncodingDetectionError(message), file, utf8_offset)


def _with_location(error: EncodingDetectionError, file: str | Path, offset: int) -> EncodingDetectionError:
    # Callers that collect problems read the location from these attributes.
    error.file = str(file)
    error.offset = offset
    return error


def read_records(path: str | Path, spec: TableSpec, lang: str = "zh") -> tuple[pd.DataFrame, np.ndarray]:
    """Read one file as text records and return them with their 1-based line numbers.

    Parameters
    ----------
    path : str or Path
    spec : TableSpec
        Format, delimiter, encoding, header names, widths and sheet.
    lang : {"zh", "en"}

    Returns
    -------
    records : DataFrame of str
        One row per record, headers stripped of surrounding spaces.
    lines : ndarray of int, shape (n_records,)

    Raises
    ------
    EncodingDetectionError, OSError, ValueError, pandas.errors.ParserError
    """
    path = Path(path)
    file_format = spec.file_format(path)
    if file_format == "excel":
        frame = pd.read_excel(path, sheet_name=spec.sheet, dtype=str, keep_default_na=False, na_filter=False,
                              header=None if spec.names else 0, names=list(spec.names) if spec.names else None)
        lines = np.arange(len(frame)) + (1 if spec.names else 2)
    elif file_format == "parquet":
        frame = _parquet_as_text(path)
        lines = np.arange(len(frame)) + 2
    else:
        data = read_file_bytes(path)
        encoding = check_declared_encoding(data, spec.encoding, path, lang)
        frame = _read_text_table(data, encoding, file_format, spec, path)
        lines = record_lines(data, quoting=file_format != "fixed_width", header=spec.names is None,
                             expected=len(frame))
    frame.columns = [str(column).strip() for column in frame.columns]
    logger.info("read %d records from %s", len(frame), path)
    return frame, lines


def _read_text_table(data: bytes, encoding: str, file_format: str, spec: TableSpec, path: Path) -> pd.DataFrame:
    header = None if spec.names else 0
    names = list(spec.names) if spec.names else None
    common = {"dtype": str, "keep_default_na": False, "na_filter": False, "header": header, "names": names}
    if file_format == "fixed_width":
        return pd.read_fwf(io.BytesIO(data), widths=list(spec.widths), encoding=encoding, **common)
    sep = r"\s+" if file_format == "whitespace" else spec.delimiter or _sniff_delimiter(data, encoding, path)
    return pd.read_csv(io.BytesIO(data), sep=sep, encoding=encoding, skip_blank_lines=True, **common)


def _sniff_delimiter(data: bytes, encoding: str, path: Path) -> str:
    if path.name.lower().endswith((".tsv", ".tsv.gz")):
        return "\t"
    first_line = data[:65536].decode(encoding, errors="ignore").lstrip("\ufeff").split("\n", 1)[0]
    counts = {delimiter: first_line.count(delimiter) for delimiter in _DELIMITERS}
    best = max(_DELIMITERS, key=lambda delimiter: counts[delimiter])
    return best if counts[best] > 0 else ","


def _parquet_as_text(path: Path) -> pd.DataFrame:
    frame = pd.read_parquet(path)
    text = {column: column_as_text(frame[column]) for column in frame.columns}
    return pd.DataFrame(text, index=frame.index).reset_index(drop=True)


def column_as_text(values: pd.Series) -> pd.Series:
    """Write a typed column as the text a CSV export would hold; missing values become empty text.

    Aware timestamps keep their offset (``2024-05-10T09:30:00+0800``), so the
    text parser converts them to the configured zone as it would the file's
    own values.
    """
    if isinstance(values.dtype, pd.DatetimeTZDtype):
        text = values.dt.strftime("%Y-%m-%dT%H:%M:%S%z")
    elif pd.api.types.is_datetime64_dtype(values):
        text = values.dt.strftime("%Y-%m-%d %H:%M:%S")
    else:
        text = values
    return text.astype("str").mask(values.isna(), "")


def record_lines(data: bytes, quoting: bool = True, header: bool = True, expected: int | None = None) -> np.ndarray:
    """Return the 1-based first line of each data record of a delimited text file.

    A newline ends a record unless an odd number of quote characters precede
    it, i.e. unless it sits inside a quoted field. Blank records are skipped,
    as pandas skips them.

    Parameters
    ----------
    data : bytes
        The file content. UTF-8 and GB encodings never use the bytes of ``"``
        or a newline inside a multi-byte character, so the scan works on bytes.
    quoting : bool
        Whether ``"`` quotes fields (False for fixed-width files).
    header : bool
        Whether the first record is a header.
    expected : int, optional
        Number of records pandas read; on a mismatch the lines are numbered
        by position and a warning is logged.

    Returns
    -------
    ndarray of int, shape (n_records,)
    """
    buffer = np.frombuffer(data, dtype=np.uint8)
    newlines = np.flatnonzero(buffer == ord("\n"))
    ends = newlines
    if quoting:
        quotes = np.flatnonzero(buffer == ord('"'))
        ends = newlines[np.searchsorted(quotes, newlines) % 2 == 0]
    starts = np.concatenate([[0], ends + 1])
    stops = np.concatenate([ends, [len(buffer)]])

    lines = 1 + np.searchsorted(newlines, starts)
    lines = lines[~_blank_records(buffer, starts, stops)][1 if header else 0:]
    if expected is not None and len(lines) != expected:
        # NOTE: reached with stray quotes inside unquoted fields or long whitespace-only lines.
        logger.warning("could not locate %d records by line (found %d); numbering them by position",
                       expected, len(lines))
        lines = np.arange(expected) + (2 if header else 1)
    return lines


def _blank_records(buffer: np.ndarray, starts: np.ndarray, stops: np.ndarray, width: int = 8) -> np.ndarray:
    """Mark records made only of whitespace, checking the first ``width`` bytes of short records."""
    lengths = stops - starts
    blank = lengths == 0
    short = np.flatnonzero((lengths > 0) & (lengths <= width))
    if len(short):
        offsets = starts[short, None] + np.arange(width)
        inside = offsets < stops[short, None]
        window = buffer[np.minimum(offsets, len(buffer) - 1)]
        spaces = np.isin(window, np.frombuffer(b" \t\r\n", dtype=np.uint8)) | ~inside
        blank[short] = spaces.all(axis=1)
    return blank
