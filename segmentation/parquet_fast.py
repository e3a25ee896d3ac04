"""Reading Parquet files with their column types, so canonical data skip text parsing.

A canonical Parquet file (``segmentation.sample.write_sample(..., fmt="parquet")``
writes one) already stores ids and text as strings, timestamps as timestamps
and amounts as numbers. Turning every column into text and parsing it again
costs minutes on tens of millions of rows. This module reads the columns with
their types instead, and :mod:`segmentation.table_parsing` takes a column of
the canonical type as it is and converts any other column to text with
:func:`segmentation.encoding.column_as_text`, so that, for example, a date
stored as a string is parsed and validated exactly as in a CSV file.

Conventions that hold for the whole file:

* every column of the file is read, including columns no canonical column
  maps to, because exact duplicates compare whole rows and the quarantine
  shows whole rows. The exception is :data:`COMPUTED_COLUMNS`, the CSAT
  scale and 0-100 score of tickets, unless a canonical column maps to them.
  The loader recomputes them from ``csat`` and its declared scale, so they
  are not read. They take no part in the exact-duplicate comparison and are
  missing from the quarantine;
* the string columns of :data:`CATEGORICAL_COLUMNS` (``customer_id`` and the
  category and text columns of orders and tickets) are read
  dictionary-encoded, as pandas categoricals, and stay categorical in the
  loaded table. On tens of millions of rows they take a fraction of the
  memory of strings, and the text parsers run once per distinct value;
* the line of a row is its 0-based position plus two, as if a header line
  preceded the rows, as for Parquet files read as text.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from .headers import _helper_headers, resolve_columns
from .sources import TableSpec

logger = logging.getLogger(__name__)

# Canonical columns that orders and tickets read from Parquet hold as categoricals of str.
CATEGORICAL_COLUMNS = {
    "orders": ("customer_id", "status", "product"),
    "tickets": ("customer_id", "channel", "issue_type", "status"),
}
# Columns of a canonical table that the loader computes, which a canonical Parquet file also contains.
COMPUTED_COLUMNS = {"tickets": ("csat_min", "csat_max", "csat_100")}


def reads_typed(spec: TableSpec) -> bool:
    """Return True when every file of ``spec`` is Parquet, so the table is read with its column types.

    A table whose files mix Parquet with other formats is read as text, because
    the typed and the text frames could not be concatenated column by column.
    """
    return bool(spec.files) and all(spec.file_format(path) == "parquet" for path in spec.files)


def read_parquet_table(path: str | Path, spec: TableSpec) -> tuple[pd.DataFrame, np.ndarray]:
    """Read one Parquet file with its column types and return it with the line of each row.

    Parameters
    ----------
    path : str or Path
    spec : TableSpec
        The table's spec. Its column mapping gives the headers of the
        columns in :data:`CATEGORICAL_COLUMNS`.

    Returns
    -------
    records : DataFrame
        One row per record, headers stripped of surrounding spaces.
    lines : ndarray of int, shape (n_records,)
        The 0-based row position plus two.

    Raises
    ------
    OSError, ValueError
        If the file cannot be read or is not valid Parquet.
    """
    schema = pq.read_schema(path)
    headers = {name.strip(): name for name in schema.names}
    mapping, _ = resolve_columns(list(headers), spec, str(path), "en")
    categorical = {headers[mapping[column]] for column in CATEGORICAL_COLUMNS.get(spec.table, ())
                   if column in mapping}
    dictionary = [field.name for field in schema if field.name in categorical
                  and (pa.types.is_string(field.type) or pa.types.is_large_string(field.type))]
    used = set(mapping.values()) | set(_helper_headers(spec).values())
    skipped = [header for header in COMPUTED_COLUMNS.get(spec.table, ()) if header in headers and header not in used]
    columns = [name for name in schema.names if name.strip() not in skipped]

    table = pq.read_table(path, columns=columns, read_dictionary=dictionary)
    # self_destruct frees each Arrow column once converted, so the file is not held twice in memory.
    frame = table.to_pandas(split_blocks=True, self_destruct=True).reset_index(drop=True)
    del table
    release_arrow_memory()
    frame.columns = [str(column).strip() for column in frame.columns]
    logger.info("read %d records with their column types from %s", len(frame), path)
    return frame, np.arange(len(frame)) + 2


def release_arrow_memory() -> None:
    """Return the memory that Arrow's allocator keeps after frees to the operating system.

    pandas 3 stores strings in Arrow arrays, and Arrow's default allocator
    (mimalloc or jemalloc) keeps freed pages for reuse. Between the phases of
    loading a large table, that memory would otherwise add to the peak.
    """
    pa.default_memory_pool().release_unused()


def concat_records(frames: list[pd.DataFrame]) -> pd.DataFrame:
    """Concatenate the records of several files, keeping a column categorical when it is so in every file."""
    if len(frames) == 1:
        return frames[0]
    result = pd.concat(frames, ignore_index=True)
    for name in result.columns:
        parts = [frame[name] for frame in frames if name in frame]
        if len(parts) == len(frames) and all(isinstance(part.dtype, pd.CategoricalDtype) for part in parts):
            result[name] = pd.api.types.union_categoricals([part.array for part in parts], ignore_order=True)
    return result


def is_text(values: pd.Series) -> bool:
    """Return True for a column of text: strings, Python objects, or a categorical of either."""
    dtype = values.dtype
    if isinstance(dtype, pd.CategoricalDtype):
        dtype = dtype.categories.dtype
    return pd.api.types.is_string_dtype(dtype) or dtype == object


def map_text(values: pd.Series, function: Callable[[pd.Series], pd.Series]) -> pd.Series:
    """Apply a text-to-text ``function`` to a column, once per distinct value when it is categorical.

    A categorical comes back categorical, with the categories that ``function``
    made equal merged into one; any other column comes back as ``function``
    returns it.
    """
    if not isinstance(values.dtype, pd.CategoricalDtype):
        return function(values)
    mapped = function(pd.Series(values.cat.categories))
    return _recode(values, mapped)


def map_parsed(values: pd.Series, parse: Callable[[pd.Series], tuple[pd.Series, pd.Series]],
               ) -> tuple[pd.Series, pd.Series]:
    """Run a ``parse_*`` function (returning ``(parsed, bad)``) once per distinct value of a categorical.

    Other columns are passed to ``parse`` whole. A missing value is never bad,
    as in the parsers themselves.
    """
    if not isinstance(values.dtype, pd.CategoricalDtype):
        return parse(values)
    parsed, bad = parse(pd.Series(values.cat.categories))
    bad_rows = _by_code(values, bad.to_numpy(dtype=bool), False)
    return _recode(values, parsed), pd.Series(bad_rows, index=values.index)


def _by_code(values: pd.Series, per_category: np.ndarray, missing: object) -> np.ndarray:
    """Spread one value per category over the rows of the categorical ``values``, ``missing`` for NA."""
    # A missing value has code -1, which picks the appended last element.
    return np.append(per_category, np.array([missing], dtype=per_category.dtype))[values.cat.codes.to_numpy()]


def _recode(values: pd.Series, mapped: pd.Series) -> pd.Series:
    """Return the categorical ``values`` with category ``i`` replaced by ``mapped[i]``."""
    if mapped.notna().all() and mapped.is_unique and mapped.equals(pd.Series(values.cat.categories)):
        return values  # nothing changed, so the codes are shared rather than copied
    category_codes, categories = pd.factorize(mapped.astype("str"), use_na_sentinel=True)
    codes = _by_code(values, category_codes, -1)
    categories = pd.Index(categories, dtype="str")
    return pd.Series(pd.Categorical.from_codes(codes, categories=categories), index=values.index)


def category_mask(values: pd.Series, test: Callable[[pd.Series], pd.Series]) -> pd.Series:
    """Evaluate a boolean ``test`` once per category of a categorical, or on the whole of any other column.

    Missing values of a categorical are False.
    """
    if not isinstance(values.dtype, pd.CategoricalDtype):
        return test(values).fillna(False).astype(bool)
    hits = test(pd.Series(values.cat.categories)).fillna(False).to_numpy(dtype=bool)
    return pd.Series(_by_code(values, hits, False), index=values.index)
