"""The CLI dispatcher: every command listed, importable, and helped in both languages."""

from __future__ import annotations

import importlib
import os
import subprocess
import sys

import pytest

from segmentation.cli import COMMANDS, build_parser, main
from segmentation.commands import COMMAND_HELP


@pytest.mark.parametrize("name", COMMANDS)
def test_command_module_has_entry_points(name):
    module = importlib.import_module(f"segmentation.commands.{name}")

    assert callable(module.add_arguments)
    assert callable(module.run)
    assert module.HELP is COMMAND_HELP[name]


def test_every_command_has_help_in_both_languages():
    assert sorted(COMMAND_HELP) == sorted(COMMANDS)
    for name, texts in COMMAND_HELP.items():
        assert texts["zh"], name
        assert texts["en"], name


@pytest.mark.parametrize(("lang", "expected"), [("zh", "客户分层工作台"), ("en", "Customer-segmentation workbench")])
def test_top_level_help_language(lang, expected, capsys):
    with pytest.raises(SystemExit):
        main(["--lang", lang, "--help"])

    assert expected in capsys.readouterr().out


def test_help_lists_commands_without_importing_them():
    code = (
        "import sys; from segmentation.cli import build_parser; build_parser('zh').format_help(); "
        "print(any(m.startswith('segmentation.commands.') for m in sys.modules))"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)

    assert result.stdout.strip() == "False"


def test_selected_command_gets_its_options():
    args = build_parser("en", "validate").parse_args(["validate", "some/folder"])

    assert args.command == "validate"
    assert callable(args.handler)


def test_missing_command_exits_with_usage_error():
    with pytest.raises(SystemExit) as raised:
        main([])

    assert raised.value.code == 2


@pytest.mark.parametrize(
    ("lang", "expected"),
    [
        ("zh", "错误：配置文件 {path}：未知的键 'windw'；此处允许的键："),
        ("en", "error: config file {path}: unknown config key 'windw'; allowed keys here: "),
    ],
    ids=["zh", "en"],
)
def test_config_error_in_chosen_language(lang, expected, tmp_path, capsys):
    path = tmp_path / "x.yaml"
    path.write_text("windw: 6M\n", encoding="utf-8")

    status = main(["--lang", lang, "--config", str(path), "validate", str(tmp_path)])

    assert status == 2
    assert capsys.readouterr().err.startswith(expected.format(path=path))


def test_invalid_yaml_exits_with_usage_error(tmp_path, capsys):
    path = tmp_path / "x.yaml"
    path.write_text("window: [6M\n", encoding="utf-8")

    status = main(["--lang", "en", "--config", str(path), "validate", str(tmp_path)])

    assert status == 2
    assert capsys.readouterr().err.startswith(f"error: config file {path} is not valid YAML at line 2, column 1 (")


def test_closed_stdout_ends_quietly(tmp_path):
    # A pipe whose read end is already closed, as after `segmentation sample | head -1` has exited.
    read_end, write_end = os.pipe()
    os.close(read_end)
    try:
        result = subprocess.run(
            [sys.executable, "-m", "segmentation", "sample", "--out", str(tmp_path), "--customers", "100"],
            stdout=write_end, stderr=subprocess.PIPE, text=True, timeout=120,
        )
    finally:
        os.close(write_end)

    assert "BrokenPipeError" not in result.stderr
    assert "Traceback" not in result.stderr
    assert result.returncode == 0
