"""Command-line entry point: ``segmentation`` and ``python -m segmentation``.

Each subcommand lives in ``segmentation/commands/<name>.py`` and exposes
``add_arguments(parser, lang)`` and ``run(args) -> int``; its one-line help
is in ``segmentation.commands.COMMAND_HELP``. This module only
parses the global options, configures logging and dispatches.

Exit status: 0 success, 1 fatal data problems, 2 invalid usage or
configuration, 3 a notebook run failed. When the reader of standard output
closes it early (``segmentation ... | head``), the run ends quietly with 0.
"""

from __future__ import annotations

import argparse
import importlib
import logging
import os
import sys
import warnings
from collections.abc import Sequence

from .commands import COMMAND_HELP
from .errors import ConfigError, DataValidationError, ParameterError, SegmentationError
from .i18n import DEFAULT_LANG, SUPPORTED_LANGS, Catalog

logger = logging.getLogger(__name__)

COMMANDS = (
    "sample",
    "validate",
    "report",
    "run",
    "classify",
    "reclassify",
)

EXIT_OK, EXIT_DATA, EXIT_USAGE, EXIT_RUN_FAILED = 0, 1, 2, 3

MESSAGES = Catalog({
    "description": {
        "zh": "客户分层工作台：按价值、活跃、需求三个维度为客户分层，生成服务策略和季度复盘报告。",
        "en": "Customer-segmentation workbench: tier customers by value, activity and need, "
              "assign service strategies and render the quarterly review.",
    },
    "lang": {"zh": "界面语言：zh（简体中文，默认）或 en", "en": "language of messages: zh (default) or en"},
    "config": {"zh": "配置文件（YAML），覆盖默认阈值、权重和规则", "en": "configuration file (YAML) merged over the defaults"},
    "quiet": {"zh": "只输出错误（适合 cron）", "en": "print errors only (for cron)"},
    "verbose": {"zh": "输出调试日志", "en": "print debug logs"},
    "commands": {"zh": "子命令", "en": "commands"},
    "error": {"zh": "错误：{message}", "en": "error: {message}"},
    "data_errors": {"zh": "数据存在 {count} 个致命问题：", "en": "the data has {count} fatal problem(s):"},
})


def _lang_from_argv(argv: Sequence[str]) -> str:
    """Find ``--lang`` before parsing, so ``--help`` itself is in the right language."""
    lang = os.environ.get("SEGMENTATION_LANG", DEFAULT_LANG)
    for index, arg in enumerate(argv):
        if arg == "--lang" and index + 1 < len(argv):
            lang = argv[index + 1]
        elif arg.startswith("--lang="):
            lang = arg.split("=", 1)[1]
    return lang if lang in SUPPORTED_LANGS else DEFAULT_LANG


def _command_from_argv(argv: Sequence[str]) -> str | None:
    """Return the first argument that names a command, or None."""
    return next((arg for arg in argv if arg in COMMANDS), None)


def build_parser(lang: str = DEFAULT_LANG, command: str | None = None) -> argparse.ArgumentParser:
    """Build the argument parser with help text in ``lang``.

    Every command is listed, but only ``command`` gets its module imported
    and its options added, because the command modules pull in heavy
    packages and ``segmentation validate`` should start fast.
    """
    parser = argparse.ArgumentParser(prog="segmentation", description=MESSAGES("description", lang))
    parser.add_argument("--lang", choices=SUPPORTED_LANGS, default=lang, help=MESSAGES("lang", lang))
    parser.add_argument("--config", default=None, metavar="FILE", help=MESSAGES("config", lang))
    noise = parser.add_mutually_exclusive_group()
    noise.add_argument("--quiet", "-q", action="store_true", help=MESSAGES("quiet", lang))
    noise.add_argument("--verbose", "-v", action="store_true", help=MESSAGES("verbose", lang))
    subparsers = parser.add_subparsers(dest="command", required=True, title=MESSAGES("commands", lang))

    for name in COMMANDS:
        help_text = COMMAND_HELP[name][lang]
        sub = subparsers.add_parser(name, help=help_text, description=help_text)
        if name == command:
            module = importlib.import_module(f"segmentation.commands.{name}")
            module.add_arguments(sub, lang)
            sub.set_defaults(handler=module.run)
    return parser


def configure_logging(quiet: bool, verbose: bool) -> None:
    """Send package logs to stderr; the CLI is the only place logging is configured."""
    level = logging.INFO
    if quiet:
        level = logging.ERROR
    elif verbose:
        level = logging.DEBUG
    logging.basicConfig(level=level, format="%(levelname)s %(name)s: %(message)s", stream=sys.stderr)
    logging.getLogger("segmentation").setLevel(level)


def _run_handler(args: argparse.Namespace) -> int:
    """Run the command, logging its warnings instead of printing Python's file:line form."""
    with warnings.catch_warnings(record=True) as caught:
        status = int(args.handler(args))
    for warning in caught:
        logger.warning("%s", warning.message)
    return status


def main(argv: Sequence[str] | None = None) -> int:
    """Run the CLI and return its exit status."""
    try:
        try:
            status = _parse_and_run(argv)
        finally:
            # Buffered output reaches a closed pipe only here, and also after --help's SystemExit.
            sys.stdout.flush()
    except BrokenPipeError:
        _discard_stdout()
        return EXIT_OK
    return status


def _discard_stdout() -> None:
    """Point standard output at devnull, so the interpreter's final flush cannot fail again.

    This is the recipe from the Python docs (``signal`` module, "Note on SIGPIPE").
    """
    devnull = os.open(os.devnull, os.O_WRONLY)
    try:
        os.dup2(devnull, sys.stdout.fileno())
    except (AttributeError, OSError, ValueError):
        # sys.stdout was replaced by an object without a file descriptor.
        sys.stdout = os.fdopen(devnull, "w")
        return
    os.close(devnull)


def _parse_and_run(argv: Sequence[str] | None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    lang = _lang_from_argv(argv)
    args = build_parser(lang, _command_from_argv(argv)).parse_args(argv)
    configure_logging(args.quiet, args.verbose)

    try:
        return _run_handler(args)
    except DataValidationError as error:
        print(MESSAGES("data_errors", args.lang, count=len(error.problems)), file=sys.stderr)
        for problem in error.problems:
            print(f"  - {problem.message}", file=sys.stderr)
        return EXIT_DATA
    except (ConfigError, ParameterError) as error:
        print(MESSAGES("error", args.lang, message=error.text(args.lang)), file=sys.stderr)
        return EXIT_USAGE
    except SegmentationError as error:
        print(MESSAGES("error", args.lang, message=error.text(args.lang)), file=sys.stderr)
        return EXIT_DATA


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
