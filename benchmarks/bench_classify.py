"""Time loading a canonical Parquet sample and classifying it, and print the time and peak memory.

Usage::

    python benchmarks/bench_classify.py [FOLDER] [--customers 1000000] [--seed 42]
                                        [--as-of 2024-06-30] [--loader parquet|source]

FOLDER contains ``customers.parquet``, ``orders.parquet``, ``tickets.parquet`` and
``overrides.parquet`` in the canonical layout of :mod:`segmentation.schema`.
When it has no such files, :func:`segmentation.sample.write_sample` writes a
sample of ``--customers`` customers there first, in a child process, so the
generator's memory is not counted. A million customers give about 11 million
orders and 22 million tickets.

``--loader parquet`` (the default) reads the columns that classification uses
with pyarrow, with ids and codes dictionary-encoded as pandas categoricals.
``--loader source`` runs :func:`segmentation.loading.load_source` on the
folder instead, which parses and cleans every column.

Peak memory is this process's maximum resident set size from ``getrusage``
(Linux reports KiB). The target for a million customers is under 60 s and
under 8 GB on a 2-core machine.
"""

from __future__ import annotations

import argparse
import logging
import resource
import subprocess
import sys
import time
import warnings
from pathlib import Path

import pandas as pd
import pyarrow.parquet as pq

from segmentation.classification import classify
from segmentation.config import load_config
from segmentation.schema import Tables
from segmentation.tiers import tier_counts

TABLE_NAMES = ("customers", "orders", "tickets", "overrides")
COLUMNS = {
    "customers": ["customer_id", "registered_at", "status"],
    "orders": ["customer_id", "order_date", "amount", "profit", "status"],
    "tickets": ["customer_id", "created_at", "first_response_at", "resolved_at", "issue_type", "csat_100"],
    "overrides": None,
}
# Repeated text read as dictionaries: categorical ids are matched to customers through their categories.
DICTIONARY_COLUMNS = {
    "customers": ["status"],
    "orders": ["customer_id", "status"],
    "tickets": ["customer_id", "issue_type"],
    "overrides": [],
}


def parse_arguments(argv: list[str]) -> argparse.Namespace:
    """Parse the command line."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("folder", nargs="?", type=Path, default=Path("large-sample"),
                        help="folder of canonical Parquet tables (default ./large-sample)")
    parser.add_argument("--customers", type=int, default=1_000_000,
                        help="customers in a sample written when FOLDER has none (default 1,000,000)")
    parser.add_argument("--seed", type=int, default=42, help="seed of a sample written when FOLDER has none")
    parser.add_argument("--as-of", default="2024-06-30", help="end of the classification window (default 2024-06-30)")
    parser.add_argument("--loader", choices=("parquet", "source"), default="parquet",
                        help="parquet: read canonical columns directly; source: segmentation.loading.load_source")
    return parser.parse_args(argv)


def peak_memory_gib() -> float:
    """Return this process's peak resident set size in GiB (Linux ``ru_maxrss`` is in KiB)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024**2


def ensure_folder(folder: Path, customers: int, seed: int) -> None:
    """Write a Parquet sample into ``folder`` in a child process unless it already has the tables."""
    if all((folder / f"{name}.parquet").is_file() for name in TABLE_NAMES[:3]):
        return
    code = ("import sys; from segmentation.sample import write_sample; "
            "write_sample(sys.argv[1], int(sys.argv[2]), seed=int(sys.argv[3]), fmt='parquet')")
    started = time.perf_counter()
    subprocess.run([sys.executable, "-c", code, str(folder), str(customers), str(seed)], check=True)
    print(f"wrote sample of {customers:,} customers to {folder} in {time.perf_counter() - started:.1f} s")


def read_parquet_tables(folder: Path) -> Tables:
    """Read the canonical tables that classification uses, with repeated text as categoricals."""
    frames = {}
    for name in TABLE_NAMES:
        path = folder / f"{name}.parquet"
        if path.is_file():
            table = pq.read_table(path, columns=COLUMNS[name], read_dictionary=DICTIONARY_COLUMNS[name])
            frames[name] = table.to_pandas()
    return Tables(source=str(folder), **frames)


def read_tables(folder: Path, loader: str) -> Tables:
    """Load ``folder`` with the chosen loader."""
    if loader == "parquet":
        return read_parquet_tables(folder)
    from segmentation.loading import load_source

    source = folder / "sample_source.yaml"
    return load_source(source if source.is_file() else folder, load_config())


def main(argv: list[str]) -> int:
    """Load the sample, classify it, and print rows, label counts, times and peak memory."""
    args = parse_arguments(argv)
    logging.basicConfig(level=logging.WARNING)
    ensure_folder(args.folder, args.customers, args.seed)

    started, started_cpu = time.perf_counter(), time.process_time()
    tables = read_tables(args.folder, args.loader)
    loaded, loaded_cpu = time.perf_counter(), time.process_time()
    with warnings.catch_warnings():
        # Tie warnings about value shares are expected on synthetic data; the shares are printed below.
        warnings.simplefilter("ignore", UserWarning)
        result = classify(tables, load_config(), args.as_of, lang="en")
    finished, finished_cpu = time.perf_counter(), time.process_time()

    for name in TABLE_NAMES:
        frame = getattr(tables, name)
        print(f"  {name}: {0 if frame is None else len(frame):,} rows")
    print(tier_counts(result.labels, "label").to_string(index=False))
    print(result.value_shares.to_string(index=False))
    print(f"loader: {args.loader}")
    print(f"wall clock: load {loaded - started:.1f} s, classify {finished - loaded:.1f} s, "
          f"total {finished - started:.1f} s")
    # CPU time counts every thread of this process, so it shows the work even when other jobs share the cores.
    print(f"CPU time: load {loaded_cpu - started_cpu:.1f} s, classify {finished_cpu - loaded_cpu:.1f} s")
    print(f"peak memory (max RSS): {peak_memory_gib():.2f} GiB")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
