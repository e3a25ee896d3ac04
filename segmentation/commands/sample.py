"""``segmentation sample``: write the built-in sample data and print where it went.

Without ``--out`` the sample goes to the cache folder that ``ensure_sample``
uses, and an existing sample there is reused. With ``--out`` it is written,
or rewritten, in that folder. The command prints the folder, the source file
to load it with, and the rows per table.
"""

from __future__ import annotations

import argparse
import logging
from pathlib import Path

from ..i18n import Catalog
from ..sample import FORMATS, ensure_sample, read_manifest, write_sample
from ..sample_generate import DEFAULT_CUSTOMERS, DEFAULT_SEED, TABLES
from . import COMMAND_HELP

logger = logging.getLogger(__name__)

HELP = COMMAND_HELP["sample"]

MESSAGES = Catalog({
    "out": {"zh": "输出文件夹；默认使用缓存文件夹（已生成则直接复用）",
            "en": "output folder; default: the cache folder, reused when the sample is already there"},
    "customers": {"zh": "客户数（不含 5 个测试账号），默认 {default}",
                  "en": "number of customers (5 test accounts come on top), default {default}"},
    "seed": {"zh": "随机种子，相同种子生成完全相同的文件，默认 {default}",
             "en": "random seed; the same seed writes identical files, default {default}"},
    "format": {"zh": "输出格式：csv（中文表头的 CRM 导出，含数据问题）或 parquet（标准列名和类型），默认 csv",
               "en": "output format: csv (CRM export with Chinese headers and data problems) or parquet "
                     "(canonical columns and types), default csv"},
    "written": {"zh": "示例数据位于 {folder}（{fmt}，{customers} 个客户，种子 {seed}）",
                "en": "sample data in {folder} ({fmt}, {customers} customers, seed {seed})"},
    "source": {"zh": "加载时请使用数据源文件：{path}", "en": "load it through the source file: {path}"},
    "rows": {"zh": "  {table}：{rows:,} 行", "en": "  {table}: {rows:,} rows"},
})


def add_arguments(parser: argparse.ArgumentParser, lang: str) -> None:
    """Declare the arguments of ``sample`` with help text in ``lang``."""
    parser.add_argument("--out", default=None, metavar="DIR", help=MESSAGES("out", lang))
    parser.add_argument("--customers", type=int, default=DEFAULT_CUSTOMERS, metavar="N",
                        help=MESSAGES("customers", lang, default=DEFAULT_CUSTOMERS))
    parser.add_argument("--seed", type=int, default=DEFAULT_SEED, metavar="S",
                        help=MESSAGES("seed", lang, default=DEFAULT_SEED))
    parser.add_argument("--format", dest="fmt", choices=FORMATS, default="csv", help=MESSAGES("format", lang))


def format_rows(manifest: dict, lang: str) -> list[str]:
    """Return one printed line per table with its row count, in table order."""
    return [MESSAGES("rows", lang, table=table, rows=manifest["rows"][table]) for table in TABLES]


def run(args: argparse.Namespace) -> int:
    """Write (or reuse) the sample and print its folder and row counts; return the exit status."""
    lang = args.lang
    if args.out is None:
        source = ensure_sample(n_customers=args.customers, seed=args.seed, fmt=args.fmt, lang=lang)
        folder = source.parent
    else:
        folder = write_sample(Path(args.out), args.customers, seed=args.seed, fmt=args.fmt, lang=lang)

    manifest = read_manifest(folder)
    print(MESSAGES("written", lang, folder=folder, fmt=args.fmt, customers=args.customers, seed=args.seed))
    print(MESSAGES("source", lang, path=folder / "sample_source.yaml"))
    print("\n".join(format_rows(manifest, lang)))
    return 0
