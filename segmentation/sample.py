"""The workbench's built-in sample data: a deterministic synthetic CRM export on disk.

The data are drawn by :mod:`segmentation.sample_generate` from five latent
customer segments (:mod:`segmentation.sample_segments`), over 18 months
from 2023-01-01 to 2024-06-30 Beijing time, so an ``as_of`` of 2024-06-30,
the monthly review of 2024-06 and the quarterly review of 2024Q2 all have
data. This module writes them and finds the default sample.

A CSV sample folder contains

* ``customers.csv`` in GBK with CRLF line ends, as Excel on Chinese
  Windows writes it. ``orders.csv``, ``tickets.csv``, ``followups.csv`` and
  ``overrides.csv`` are UTF-8 with a byte-order mark. Every header is a
  Chinese alias from :mod:`segmentation.schema`;
* ``sample_source.yaml``, the source file that declares the CSAT scale of
  each channel (phone and e-mail 1-5, chat 0-10); load the sample through it;
* ``_truth/latent_segments.csv`` and ``_truth/problems.json`` (the
  manifest: parameters, rows per file, and the count of every planted
  problem), which the loader ignores.

A Parquet sample has the same layout with canonical column names and types.

Conventions that hold for the whole file: a folder is published by renaming
a fully written staging folder next to it, so no reader ever sees half a
sample; the same arguments give byte-identical files.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import shutil
import tempfile
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from .errors import ParameterError
from .i18n import Catalog
from .sample_events import CSAT_SCALES
from .sample_export import with_headers
from .sample_generate import (
    CHUNK_CUSTOMERS,
    DEFAULT_CUSTOMERS,
    DEFAULT_END,
    DEFAULT_SEED,
    DEFAULT_START,
    TABLES,
    check_size,
    generate_sample,
    generate_tables,
    iter_chunks,
    merge_counts,
)

__all__ = ["default_sample_dir", "ensure_sample", "generate_sample", "generate_tables", "generator_revision",
           "read_manifest", "write_sample"]

logger = logging.getLogger(__name__)

# Modules whose code decides the sample's content; their hash names the generator revision.
GENERATOR_MODULES = ("sample.py", "sample_generate.py", "sample_segments.py", "sample_events.py",
                     "sample_records.py", "sample_export.py")
FORMATS = ("csv", "parquet")
SOURCE_FILE = "sample_source.yaml"
TRUTH_FOLDER = "_truth"
MANIFEST_FILE = "problems.json"
ENV_FOLDER = "SEGMENTATION_SAMPLE_DIR"
CSV_ENCODINGS = {"customers": "gbk"}
DEFAULT_CSV_ENCODING = "utf-8-sig"

MESSAGES = Catalog({
    "bad_format": {"zh": "输出格式 {value!r} 无效；可选：{allowed}。",
                   "en": "output format {value!r} is invalid; allowed: {allowed}."},
    "not_a_sample": {"zh": "文件夹 {folder} 已存在且不是样例数据（缺少 {marker}），为免覆盖其中的文件已停止；"
                           "请换一个文件夹或先清空它。",
                     "en": "folder {folder} exists and holds no sample (no {marker}), so nothing was written "
                           "over it; choose another folder or empty it first."},
    "chunked_problems": {"zh": "Parquet 样例只能在不超过 {chunk} 个客户时植入数据问题，当前为 {value}。",
                         "en": "a Parquet sample can carry planted data problems only up to {chunk} "
                               "customers; got {value}."},
})


def generator_revision() -> str:
    """Return the first 12 hex digits of a SHA-256 over the generator's source code.

    Any edit to the generator gives a new revision, so a cached sample
    written by older code is never taken for a current one.
    """
    digest = hashlib.sha256()
    for name in GENERATOR_MODULES:
        digest.update((Path(__file__).parent / name).read_bytes())
    return digest.hexdigest()[:12]


def default_sample_dir() -> Path:
    """Return the folder of the default sample.

    ``$SEGMENTATION_SAMPLE_DIR`` if set, else
    ``$XDG_CACHE_HOME/segmentation/sample-<version>-<revision>-seed42``
    (``~/.cache`` when ``XDG_CACHE_HOME`` is unset), where ``<revision>`` is
    :func:`generator_revision`.
    """
    if os.environ.get(ENV_FOLDER):
        return Path(os.environ[ENV_FOLDER]).expanduser()
    return _cache_root() / _cache_name(DEFAULT_CUSTOMERS, DEFAULT_SEED, "csv")


def _cache_root() -> Path:
    return Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "segmentation"


def _cache_name(n_customers: int, seed: int, fmt: str) -> str:
    from . import __version__

    name = f"sample-{__version__}-{generator_revision()}-seed{seed}"
    if (n_customers, fmt) != (DEFAULT_CUSTOMERS, "csv"):
        name += f"-n{n_customers}-{fmt}"
    return name


def read_manifest(folder: str | Path) -> dict:
    """Return the manifest ``_truth/problems.json`` of a sample folder (or of its source file's folder)."""
    folder = Path(folder)
    if folder.is_file():
        folder = folder.parent
    return json.loads((folder / TRUTH_FOLDER / MANIFEST_FILE).read_text("utf-8"))


def _is_sample(folder: Path) -> bool:
    return (folder / TRUTH_FOLDER / MANIFEST_FILE).is_file()


def _check_target(folder: Path, lang: str) -> None:
    if folder.exists() and any(folder.iterdir()) and not _is_sample(folder):
        raise ParameterError(MESSAGES("not_a_sample", lang, folder=folder,
                                      marker=f"{TRUTH_FOLDER}/{MANIFEST_FILE}"))


def _source_yaml(fmt: str) -> str:
    """Return the text of the sample's source file: the file of each table and the CSAT scale of each channel."""
    suffix = ".csv" if fmt == "csv" else ".parquet"
    scales = "\n".join(f"      {channel}: [{low:g}, {high:g}]" for channel, (low, high) in CSAT_SCALES.items())
    tables = "\n".join(f"  {name}:\n    file: {name}{suffix}" for name in TABLES if name != "tickets")
    return (
        "# Source file of the segmentation sample data. Load the sample through this file,\n"
        "# because it declares the CSAT scale of each ticket channel.\n"
        "name: segmentation sample\n"
        "timezone: Asia/Shanghai\n"
        "tables:\n"
        f"{tables}\n"
        "  tickets:\n"
        f"    file: tickets{suffix}\n"
        "    csat_scale:\n"
        "      default: [1, 5]\n"
        f"{scales}\n"
    )


def _write_csv_tables(staging: Path, sample: dict[str, pd.DataFrame]) -> dict[str, int]:
    rows = {}
    for name in TABLES:
        encoding = CSV_ENCODINGS.get(name, DEFAULT_CSV_ENCODING)
        line_end = "\r\n" if encoding == "gbk" else "\n"
        with_headers(name, sample[name]).to_csv(staging / f"{name}.csv", index=False, encoding=encoding,
                                                lineterminator=line_end)
        rows[name] = len(sample[name])
    sample["latent_segments"].to_csv(staging / TRUTH_FOLDER / "latent_segments.csv", index=False,
                                     encoding="utf-8")
    return rows


def _problem_counts(problems: pd.DataFrame) -> dict[str, dict[str, int]]:
    counts: dict[str, dict[str, int]] = {}
    for table, problem, count in problems.itertuples(index=False):
        counts.setdefault(table, {})[problem] = int(count)
    return counts


class _ParquetTables:
    """One Parquet writer per table, appending a row group per chunk with the first chunk's schema."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.writers: dict[str, pq.ParquetWriter] = {}
        self.rows: dict[str, int] = {}

    def append(self, name: str, frame: pd.DataFrame, path: Path) -> None:
        table = pa.Table.from_pandas(frame, preserve_index=False)
        if name not in self.writers:
            self.writers[name] = pq.ParquetWriter(path, table.schema)
        self.writers[name].write_table(table.cast(self.writers[name].schema))
        self.rows[name] = self.rows.get(name, 0) + len(frame)

    def close(self) -> None:
        for writer in self.writers.values():
            writer.close()


def _write_parquet_tables(staging: Path, n_customers: int, seed: int) -> tuple[dict[str, int], dict]:
    parquet = _ParquetTables(staging)
    counts: dict[str, dict[str, int]] = {}
    try:
        for chunk, (tables, chunk_counts) in enumerate(iter_chunks(n_customers, seed=seed)):
            for name, frame in tables.items():
                folder = staging / TRUTH_FOLDER if name == "latent_segments" else staging
                parquet.append(name, frame, folder / f"{name}.parquet")
            merge_counts(counts, chunk_counts)
            logger.info("wrote sample chunk %d (%d customers so far)", chunk, parquet.rows["latent_segments"])
    finally:
        parquet.close()
    return {name: parquet.rows[name] for name in TABLES}, counts


def _write_parquet_text(staging: Path, sample: dict[str, pd.DataFrame]) -> dict[str, int]:
    for name in TABLES:
        sample[name].to_parquet(staging / f"{name}.parquet", index=False)
    sample["latent_segments"].to_parquet(staging / TRUTH_FOLDER / "latent_segments.parquet", index=False)
    return {name: len(sample[name]) for name in TABLES}


def _manifest(n_customers: int, seed: int, fmt: str, inject: bool, rows: dict[str, int],
              counts: dict[str, dict[str, int]]) -> dict:
    encodings = {f"{name}.csv": CSV_ENCODINGS.get(name, DEFAULT_CSV_ENCODING) for name in TABLES}
    return {
        "revision": generator_revision(), "seed": seed, "n_customers": n_customers, "format": fmt,
        "start": DEFAULT_START, "end": DEFAULT_END, "timezone": "Asia/Shanghai",
        "problems_injected": inject, "encodings": encodings if fmt == "csv" else {},
        "csat_scales": {channel: list(scale) for channel, scale in CSAT_SCALES.items()},
        "rows": rows, "problems": counts,
    }


def _write_into(staging: Path, n_customers: int, seed: int, fmt: str, inject: bool) -> dict:
    """Write every file of the sample into the empty folder ``staging``; return the manifest."""
    (staging / TRUTH_FOLDER).mkdir()
    if fmt == "parquet" and not inject:
        rows, counts = _write_parquet_tables(staging, n_customers, seed)
    else:
        sample = generate_sample(n_customers, seed=seed, inject_problems=inject)
        writer = _write_csv_tables if fmt == "csv" else _write_parquet_text
        rows, counts = writer(staging, sample), _problem_counts(sample["problems"])

    (staging / SOURCE_FILE).write_text(_source_yaml(fmt), encoding="utf-8")
    manifest = _manifest(n_customers, seed, fmt, inject, rows, counts)
    text = json.dumps(manifest, ensure_ascii=False, indent=2, sort_keys=True) + "\n"
    # Written last: its presence marks a complete sample.
    (staging / TRUTH_FOLDER / MANIFEST_FILE).write_text(text, encoding="utf-8")
    return manifest


def _publish(staging: Path, folder: Path, replace: bool) -> None:
    """Move ``staging`` to ``folder`` by renaming; keep a sample another process published first.

    ``rename`` onto a missing or empty folder is atomic; onto a non-empty one
    it fails, which is how a concurrent writer's finished sample is detected.
    """
    if replace and _is_sample(folder):
        retired = Path(tempfile.mkdtemp(dir=folder.parent, prefix=f".{folder.name}.old-"))
        os.replace(folder, retired / folder.name)
        shutil.rmtree(retired)
    try:
        os.rename(staging, folder)
    except OSError:
        if not _is_sample(folder):
            raise
        logger.info("another process published the sample in %s first; using it", folder)
        shutil.rmtree(staging, ignore_errors=True)


def _generate_folder(folder: Path, n_customers: int, seed: int, fmt: str, inject: bool, replace: bool) -> None:
    folder.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(dir=folder.parent, prefix=f".{folder.name}.tmp-"))
    # mkdtemp makes the folder private (0700); the published sample is an ordinary folder.
    staging.chmod(0o755)
    try:
        _write_into(staging, n_customers, seed, fmt, inject)
        _publish(staging, folder, replace)
    finally:
        if staging.exists():
            shutil.rmtree(staging, ignore_errors=True)


def _check_arguments(n_customers: int, fmt: str, inject: bool, lang: str) -> None:
    check_size(n_customers, lang)
    if fmt not in FORMATS:
        raise ParameterError(MESSAGES("bad_format", lang, value=fmt, allowed=", ".join(FORMATS)))
    if fmt == "parquet" and inject and n_customers > CHUNK_CUSTOMERS:
        raise ParameterError(MESSAGES("chunked_problems", lang, chunk=CHUNK_CUSTOMERS, value=n_customers))


def write_sample(folder: str | Path, n_customers: int = DEFAULT_CUSTOMERS, *, seed: int = DEFAULT_SEED,
                 fmt: str = "csv", inject_problems: bool | None = None, lang: str = "zh") -> Path:
    """Generate a sample and write it to ``folder``, replacing an earlier sample there.

    Parameters
    ----------
    folder : str or Path
        Target folder: missing, empty, or holding an earlier sample.
    n_customers : int
        Customers drawn from the latent segments (at least 100); 5 test
        accounts come on top. A million customers give about 11 million
        orders and 24 million tickets.
    seed : int
        Seed of every random draw; the same arguments give byte-identical files.
    fmt : {"csv", "parquet"}
        ``csv``: the Chinese CRM export described in the module docstring.
        ``parquet``: canonical column names and types (string ids, aware
        timestamps, float amounts, tickets with ``csat_min``, ``csat_max``,
        ``csat_100``), written chunk by chunk for large samples.
    inject_problems : bool, optional
        Plant the known data problems. Default: True for CSV, False for
        Parquet. A Parquet sample with problems contains the export text.
    lang : {"zh", "en"}
        Language of error messages.

    Returns
    -------
    Path
        ``folder``.

    Raises
    ------
    ParameterError
        Invalid size or format, or ``folder`` contains files that are not a sample.
    """
    folder = Path(folder)
    inject = fmt == "csv" if inject_problems is None else bool(inject_problems)
    _check_arguments(n_customers, fmt, inject, lang)
    _check_target(folder, lang)
    _generate_folder(folder, int(n_customers), int(seed), fmt, inject, replace=True)
    logger.info("wrote a %s sample of %d customers (seed %d) to %s", fmt, n_customers, seed, folder)
    return folder


def _matches(folder: Path, n_customers: int, seed: int, fmt: str) -> bool:
    manifest = read_manifest(folder)
    expected = {"revision": generator_revision(), "n_customers": n_customers, "seed": seed, "format": fmt}
    return all(manifest.get(key) == value for key, value in expected.items())


def ensure_sample(folder: str | Path | None = None, *, n_customers: int = DEFAULT_CUSTOMERS,
                  seed: int = DEFAULT_SEED, fmt: str = "csv", lang: str = "zh") -> Path:
    """Return the source file of a sample, generating the sample on first use.

    Parameters
    ----------
    folder : str or Path, optional
        Folder of the sample. Default: :func:`default_sample_dir` for the
        default sample, else a cache folder named after the arguments.
    n_customers, seed, fmt :
        As in :func:`write_sample`; problems are planted in CSV samples only.
    lang : {"zh", "en"}
        Language of error messages.

    Returns
    -------
    Path
        ``<folder>/sample_source.yaml``, which
        ``segmentation.loading.load_source`` accepts.

    Notes
    -----
    Safe to call from several processes at once: each writes a private
    staging folder and the first rename wins. A folder that contains a
    sample of other arguments or of another generator revision is
    regenerated in place.

    NOTE: replacing such an outdated sample moves the old folder away before
    the new one is renamed in, so a reader at that moment finds no folder.
    """
    defaults = (n_customers, seed, fmt) == (DEFAULT_CUSTOMERS, DEFAULT_SEED, "csv")
    if folder is None:
        folder = default_sample_dir() if defaults else _cache_root() / _cache_name(n_customers, seed, fmt)
    folder = Path(folder)

    if _is_sample(folder) and _matches(folder, n_customers, seed, fmt):
        return folder / SOURCE_FILE
    _check_arguments(n_customers, fmt, fmt == "csv", lang)
    _check_target(folder, lang)
    logger.info("generating the sample in %s (first use)", folder)
    _generate_folder(folder, int(n_customers), int(seed), fmt, fmt == "csv", replace=_is_sample(folder))
    return folder / SOURCE_FILE
