"""CLI subcommands, one module each; see :mod:`segmentation.cli`.

The one-line help of every command lives here, so ``segmentation --help``
lists all commands without importing their modules and the heavy packages
they need (papermill, nbconvert, scikit-learn).
"""

COMMAND_HELP: dict[str, dict[str, str]] = {
    "sample": {
        "zh": "生成内置示例数据（含已知数据问题的中文 CRM 导出），并列出各表行数",
        "en": "write the built-in sample data (a Chinese CRM export with known data problems) and list its rows",
    },
    "validate": {
        "zh": "检查数据源并输出数据质量摘要：每张表读取、保留、修复、搁置的行数和各清洗规则的计数",
        "en": "check a data source and print its data-quality summary: rows read, kept, repaired and "
              "set aside per table, and the rows each cleaning rule touched",
    },
    "report": {
        "zh": "生成季度复盘报告（不含代码的 HTML）并更新报告索引",
        "en": "render the quarterly review report (HTML without code) and update the report index",
    },
    "run": {
        "zh": "运行一个笔记本（检查并转换参数类型），用于定时任务；失败时保留错误摘要并以状态 3 退出",
        "en": "run one notebook with checked, typed parameters (for scheduled runs); "
              "a failure keeps an error summary and exits with status 3",
    },
    "classify": {
        "zh": "为客户分层并写出客户分类台账（CSV、XLSX 或 Parquet）",
        "en": "classify customers and write the label register (CSV, XLSX or Parquet)",
    },
    "reclassify": {
        "zh": "月度分类复核：按月末重新分类，列出标签变化和异常客户，保存标签快照",
        "en": "monthly review: reclassify at month end, list label changes and anomalies, save a label snapshot",
    },
}
