"""Rendered reports: HTML without code, the files of a report folder, and the index page.

Conventions:

* A report folder contains the executed notebook, ``report.html`` and
  ``manifest.json`` (see :mod:`segmentation.manifest`). The report folders
  sit side by side in one reports folder, which also contains ``index.html``.
* The HTML is for readers in a meeting: no code cells, no prompts, no
  tracebacks and no stderr streams (warnings, logs). Markdown cells and the
  outputs of code cells are kept, with images embedded, so one file can be
  mailed on its own. Cells tagged ``remove-cell`` are left out.
* Page text is Simplified Chinese by default and English with ``lang="en"``.
* Pages embed a subset of the packaged Noto Sans CJK SC font (only the
  characters on the page, as WOFF), so Chinese text renders on a machine
  without any CJK font, like the charts do.
"""

from __future__ import annotations

import base64
import copy
import html
import io
import logging
from collections.abc import Iterable
from contextlib import contextmanager
from datetime import datetime
from functools import lru_cache
from pathlib import Path
from zoneinfo import ZoneInfo

import nbformat
from fontTools import subset
from fontTools.ttLib import TTFont
from jinja2 import DictLoader
from nbconvert import HTMLExporter
from nbconvert.preprocessors import TagRemovePreprocessor

from .fonts import cjk_font_path
from .i18n import DEFAULT_LANG, Catalog, check_lang
from .manifest import build_manifest, read_manifest, write_manifest
from .runner import RunRecord
from .runner_failure import ERROR_TEXT, FAILED_SUFFIX

logger = logging.getLogger(__name__)

HTML_NAME = "report.html"
INDEX_NAME = "index.html"
REMOVE_CELL_TAGS = ("remove-cell", "remove_cell")
PAPERMILL_ERROR_TAG = "papermill-error-cell-tag"
HTML_LANGUAGE_CODES = {"zh": "zh-CN", "en": "en"}
EMBEDDED_FONT_FAMILY = "Segmentation CJK"
# The zone of the default configuration, used when the caller names none.
DEFAULT_INDEX_ZONE = "Asia/Shanghai"
_INDEX_TIME_FORMAT = "%Y-%m-%d %H:%M"
_PRINTABLE_ASCII = range(0x20, 0x7F)

# Overrides the lab template's font variables. Browsers fall back font by font for each
# character, so code keeps its monospace font for Latin text and takes Chinese from the embedded font.
_FONT_CSS = """<style>
@font-face {{ font-family: "{family}"; src: url(data:font/woff;base64,{data}) format("woff"); }}
:root {{
  --jp-content-font-family: "{family}", system-ui, sans-serif;
  --jp-ui-font-family: "{family}", system-ui, sans-serif;
  --jp-code-font-family: menlo, consolas, "DejaVu Sans Mono", "{family}", monospace;
}}
body {{ font-family: "{family}", system-ui, sans-serif; }}
</style>
"""

# The lab template wraps markdown cells in an input area; this one renders them like
# outputs, so the page carries no input-area markup at all. It also empties the blocks that
# load RequireJS, MathJax, Mermaid and the widget renderer from a CDN: the report uses none of
# them, and on an intranet each opening would stall on (and reveal itself to) a third-party host.
_TEMPLATE_NAME = "segmentation_report.html.j2"
_TEMPLATE = """{%- extends 'lab/index.html.j2' -%}
{%- block html_head_js -%}{%- endblock html_head_js -%}
{%- block html_head_js_mathjax -%}{%- endblock html_head_js_mathjax -%}
{%- block html_head_js_mermaidjs -%}{%- endblock html_head_js_mermaidjs -%}
{% block jupyter_widgets %}{% endblock jupyter_widgets %}
{% block markdowncell scoped %}
<div class="jp-Cell jp-MarkdownCell jp-Notebook-cell">
<div class="jp-RenderedHTMLCommon jp-RenderedMarkdown jp-MarkdownOutput {{ celltags(cell) }}" data-mime-type="text/markdown">
{%- if resources.should_sanitize_html %}
{{ cell.source | markdown2html | strip_files_prefix | clean_html }}
{%- else %}
{{ cell.source | markdown2html | strip_files_prefix }}
{%- endif %}
</div>
</div>
{%- endblock markdowncell %}
"""

MESSAGES = Catalog({
    "index_title": {"zh": "季度复盘报告", "en": "Quarterly review reports"},
    "column_quarter": {"zh": "季度", "en": "Quarter"},
    "column_generated": {"zh": "生成时间（{zone}）", "en": "Generated at ({zone})"},
    "column_report": {"zh": "报告", "en": "Report"},
    "column_status": {"zh": "状态", "en": "Status"},
    "open": {"zh": "打开", "en": "open"},
    "status_ok": {"zh": "正常", "en": "ok"},
    "status_failed": {"zh": "最近一次运行失败，见错误摘要", "en": "the latest run failed, see the error summary"},
    "no_reports": {"zh": "还没有报告。", "en": "No reports yet."},
    "updated": {"zh": "索引更新于 {time}（{zone}）", "en": "index updated at {time} ({zone})"},
})


def export_html(executed_notebook: str | Path, html_path: str | Path, *, title: str | None = None,
                lang: str = DEFAULT_LANG, embed_font: bool = True) -> Path:
    """Render an executed notebook as a self-contained HTML page without code.

    Parameters
    ----------
    executed_notebook : str or Path
        The executed ``.ipynb``.
    html_path : str or Path
        The HTML file to write.
    title : str, optional
        Page title; the notebook's file name by default.
    lang : {"zh", "en"}
        Sets the page's ``lang`` attribute.
    embed_font : bool, default True
        Embed the subset of the CJK font the page needs, see :func:`embed_cjk_font`.

    Returns
    -------
    Path
        ``html_path``.
    """
    check_lang(lang)
    executed_notebook, html_path = Path(executed_notebook), Path(html_path)
    nb = reader_view(nbformat.read(executed_notebook, as_version=4))

    exporter = _report_exporter(lang)
    resources = {"metadata": {"name": title or executed_notebook.stem}}
    body, _ = exporter.from_notebook_node(nb, resources=resources)
    if embed_font:
        body = embed_cjk_font(body)

    html_path.write_text(body, encoding="utf-8")
    logger.debug("wrote %s (%d characters)", html_path, len(body))
    return html_path


def reader_view(nb: nbformat.NotebookNode) -> nbformat.NotebookNode:
    """Return a copy of ``nb`` without error outputs, stderr streams and papermill's error banners.

    Tracebacks and warnings help the analyst who runs the notebook, not a meeting.
    A failed run is never rendered, so an error output here comes from a
    cell that caught and displayed an exception itself.
    """
    nb = copy.deepcopy(nb)
    nb.cells = [cell for cell in nb.cells if PAPERMILL_ERROR_TAG not in cell.metadata.get("tags", [])]
    for cell in nb.cells:
        if cell.cell_type == "code":
            cell.outputs = [output for output in cell.outputs if not _is_noise(output)]
    return nb


def _is_noise(output: nbformat.NotebookNode) -> bool:
    if output.output_type == "error":
        return True
    return output.output_type == "stream" and output.get("name") == "stderr"


def _report_exporter(lang: str) -> HTMLExporter:
    exporter = HTMLExporter(
        template_name="lab",
        extra_loaders=[DictLoader({_TEMPLATE_NAME: _TEMPLATE})],
        template_file=_TEMPLATE_NAME,
        exclude_input=True,
        exclude_input_prompt=True,
        exclude_output_prompt=True,
        exclude_anchor_links=True,
        embed_images=True,
        # nbconvert accepts ISO 639-1 codes only, so "zh" rather than "zh-CN".
        language_code=lang,
    )
    remove_tagged = TagRemovePreprocessor(remove_cell_tags=set(REMOVE_CELL_TAGS), enabled=True)
    exporter.register_preprocessor(remove_tagged, enabled=True)
    return exporter


def embed_cjk_font(page: str) -> str:
    """Insert the packaged CJK font, cut down to the characters of ``page``, into its ``<head>``.

    Parameters
    ----------
    page : str
        A complete HTML page with a ``</head>`` tag.

    Returns
    -------
    str
        The page with an ``@font-face`` rule holding the font as base64 WOFF
        and CSS that puts the font first for text and after the monospace
        fonts for code.
    """
    codepoints = frozenset(ord(character) for character in page if ord(character) > 0x7F) | frozenset(_PRINTABLE_ASCII)
    style = _FONT_CSS.format(family=EMBEDDED_FONT_FAMILY, data=_font_subset_base64(codepoints))
    return page.replace("</head>", style + "</head>", 1)


@lru_cache(maxsize=4)
def _font_subset_base64(codepoints: frozenset[int]) -> str:
    # Parsing the 16 MB font took 1-2 s on a two-core test machine, so pages with the same
    # characters share one subset.
    font = TTFont(cjk_font_path())
    subsetter = subset.Subsetter(options=subset.Options())
    subsetter.populate(unicodes=sorted(codepoints))
    with _quiet_logger("fontTools.subset"):
        subsetter.subset(font)

    buffer = io.BytesIO()
    # The flavor must be set on the font itself; the subsetter's option only affects its own save helper.
    font.flavor = "woff"
    font.save(buffer)
    logger.debug("embedded a %d-byte font subset with %d characters", buffer.tell(), len(codepoints))
    return base64.b64encode(buffer.getvalue()).decode("ascii")


@contextmanager
def _quiet_logger(name: str):
    # The subsetter logs every glyph list at INFO, thousands of ids per page, which would
    # bury the run's own messages; the level is restored afterwards.
    quieted = logging.getLogger(name)
    level = quieted.level
    quieted.setLevel(logging.WARNING)
    try:
        yield
    finally:
        quieted.setLevel(level)


def write_report_files(record: RunRecord, *, kind: str, title: str, lang: str = DEFAULT_LANG,
                       inputs: Iterable[str | Path] = (), extra: dict[str, object] | None = None) -> None:
    """Write ``report.html`` and ``manifest.json`` into the run's folder.

    Meant as the ``finalize`` step of :func:`segmentation.runner.run_notebook`,
    so both files exist before the folder replaces the previous report.

    Parameters
    ----------
    record : RunRecord
        The run; files go to ``record.work_dir``.
    kind : str
        Manifest ``kind``, e.g. ``"quarterly"``.
    title : str
        HTML page title.
    lang : {"zh", "en"}
        Page language.
    inputs : iterable of str or Path
        Data files to hash besides those the parameters name, see
        :func:`segmentation.manifest.build_manifest`.
    extra : dict, optional
        More manifest fields, e.g. ``{"quarter": "2024Q2"}``.
    """
    export_html(record.work_dir / record.executed_name, record.work_dir / HTML_NAME, title=title, lang=lang)
    manifest = build_manifest(record, kind=kind, html_name=HTML_NAME, inputs=inputs, extra=extra)
    write_manifest(manifest, record.work_dir)


def collect_reports(reports_dir: str | Path) -> list[dict[str, object]]:
    """List the report folders in ``reports_dir``, newest quarter first.

    Returns
    -------
    list of dict
        One entry per folder with a manifest or a failed run. Keys:
        ``folder``, ``quarter`` (the folder name if the manifest has none),
        ``generated_at`` (datetime or None), ``link`` and ``failure``.
        ``link`` is the relative path of the HTML, else of the executed
        notebook, or None. ``failure`` is the relative path of the latest
        failed run's error summary, or None.
    """
    reports_dir = Path(reports_dir)
    entries: dict[str, dict[str, object]] = {}
    for folder in sorted(path for path in reports_dir.iterdir() if path.is_dir() and not path.name.startswith(".")):
        if folder.name.endswith(FAILED_SUFFIX):
            _attach_failure(entries, folder)
        else:
            _add_report(entries, folder)
    return sorted(entries.values(), key=lambda entry: (str(entry["quarter"]), entry["folder"]), reverse=True)


def _blank_entry(name: str) -> dict[str, object]:
    return {"folder": name, "quarter": name, "generated_at": None, "link": None, "failure": None}


def _add_report(entries: dict[str, dict[str, object]], folder: Path) -> None:
    manifest = read_manifest(folder)
    if manifest is None:
        return
    entry = entries.setdefault(folder.name, _blank_entry(folder.name))
    entry["quarter"] = manifest.get("quarter") or manifest.get("parameters", {}).get("quarter") or folder.name
    entry["generated_at"] = datetime.fromisoformat(manifest["finished_at"])
    target = manifest.get("html") or manifest.get("executed_notebook")
    entry["link"] = f"{folder.name}/{target}" if target else None


def _attach_failure(entries: dict[str, dict[str, object]], folder: Path) -> None:
    if not (folder / ERROR_TEXT).is_file():
        return
    name = folder.name.removesuffix(FAILED_SUFFIX)
    entry = entries.setdefault(name, _blank_entry(name))
    entry["failure"] = f"{folder.name}/{ERROR_TEXT}"


def write_index(reports_dir: str | Path, lang: str = DEFAULT_LANG, tz: str = DEFAULT_INDEX_ZONE) -> Path:
    """Write ``reports_dir/index.html`` listing every report: quarter, generation time and link.

    Parameters
    ----------
    reports_dir : str or Path
        The folder holding one sub-folder per report.
    lang : {"zh", "en"}
        Page language.
    tz : str, default "Asia/Shanghai"
        IANA zone in which the page shows times, normally the configuration's
        ``timezone``. The page names it, because manifests record the zone of
        the machine that ran the report, which may be UTC.

    Returns
    -------
    Path
        The index file.
    """
    check_lang(lang)
    reports_dir = Path(reports_dir)
    entries = collect_reports(reports_dir)

    zone = ZoneInfo(tz)
    rows = "\n".join(_index_row(entry, lang, zone) for entry in entries)
    header = _index_header(lang, tz)
    body = f"<table>\n{header}\n{rows}\n</table>" if entries else f"<p>{MESSAGES('no_reports', lang)}</p>"
    page = embed_cjk_font(_index_page(body, lang, zone))

    path = reports_dir / INDEX_NAME
    path.write_text(page, encoding="utf-8")
    logger.info("report index %s lists %d report(s)", path, len(entries))
    return path


def _index_header(lang: str, tz: str) -> str:
    cells = "".join(f"<th>{html.escape(MESSAGES(key, lang, zone=tz))}</th>"
                    for key in ("column_quarter", "column_generated", "column_report", "column_status"))
    return f"<tr>{cells}</tr>"


def _index_row(entry: dict[str, object], lang: str, zone: ZoneInfo) -> str:
    generated = entry["generated_at"].astimezone(zone).strftime(_INDEX_TIME_FORMAT) if entry["generated_at"] else "-"
    link = (f'<a href="{html.escape(str(entry["link"]), quote=True)}">{MESSAGES("open", lang)}</a>'
            if entry["link"] else "-")
    status = (f'<a href="{html.escape(str(entry["failure"]), quote=True)}">{MESSAGES("status_failed", lang)}</a>'
              if entry["failure"] else MESSAGES("status_ok", lang))
    cells = [html.escape(str(entry["quarter"])), generated, link, status]
    return "<tr>" + "".join(f"<td>{cell}</td>" for cell in cells) + "</tr>"


def _index_page(body: str, lang: str, zone: ZoneInfo) -> str:
    title = MESSAGES("index_title", lang)
    updated = html.escape(MESSAGES("updated", lang, time=datetime.now(zone).strftime(_INDEX_TIME_FORMAT), zone=zone.key))
    return f"""<!DOCTYPE html>
<html lang="{HTML_LANGUAGE_CODES[lang]}">
<head>
<meta charset="utf-8">
<title>{title}</title>
<style>
body {{ margin: 2em; }}
table {{ border-collapse: collapse; }}
th, td {{ border: 1px solid #ccc; padding: 0.4em 1em; text-align: left; }}
th {{ background: #f3f3f3; }}
</style>
</head>
<body>
<h1>{title}</h1>
{body}
<p><small>{updated}</small></p>
</body>
</html>
"""
