"""Write a large sample as Parquet for the benchmarks and print its time and peak memory.

Usage::

    python benchmarks/make_large_sample.py [--customers 1000000] [--out DIR] [--seed 42]

The sample is drawn in chunks of ``CHUNK_CUSTOMERS`` customers and appended
to one Parquet file per table, so peak memory depends on the chunk size, not
on the number of customers. Peak memory is the process's maximum resident
set size as reported by ``getrusage`` (Linux reports kilobytes).
"""

from __future__ import annotations

import argparse
import resource
import sys
import time
from pathlib import Path

from segmentation.sample import read_manifest, write_sample
from segmentation.sample_generate import CHUNK_CUSTOMERS, TABLES


def parse_arguments(argv: list[str]) -> argparse.Namespace:
    """Parse the command line."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--customers", type=int, default=1_000_000, help="number of customers (default 1,000,000)")
    parser.add_argument("--out", type=Path, default=Path("large-sample"), help="output folder (default ./large-sample)")
    parser.add_argument("--seed", type=int, default=42, help="random seed (default 42)")
    return parser.parse_args(argv)


def peak_memory_gib() -> float:
    """Return this process's peak resident set size in GiB (Linux ``ru_maxrss`` is in KiB)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024**2


def folder_size_gib(folder: Path) -> float:
    """Return the total size of the files under ``folder`` in GiB."""
    return sum(path.stat().st_size for path in folder.rglob("*") if path.is_file()) / 1024**3


def main(argv: list[str]) -> int:
    """Write the sample, then print the elapsed time, peak memory, size on disk and rows per table."""
    args = parse_arguments(argv)

    started = time.perf_counter()
    folder = write_sample(args.out, args.customers, seed=args.seed, fmt="parquet")
    elapsed = time.perf_counter() - started

    rows = read_manifest(folder)["rows"]
    print(f"customers: {args.customers:,} in chunks of {CHUNK_CUSTOMERS:,}, seed {args.seed}")
    print(f"folder: {folder} ({folder_size_gib(folder):.2f} GiB on disk)")
    print(f"elapsed: {elapsed:.1f} s")
    print(f"peak memory (max RSS): {peak_memory_gib():.2f} GiB")
    for table in TABLES:
        print(f"  {table}: {rows[table]:,} rows")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
