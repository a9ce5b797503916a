"""Small helpers shared by the static HTML pages (``report.html``, ``feedback.html``): escaping, tables, the frame.

Pages are self-contained: inline CSS, images as data URIs, no JavaScript, no network. Every string that may come
from a student (ids, messages, output) goes through :func:`escape`.
"""

from __future__ import annotations

import html
from collections.abc import Iterable
from typing import Any

__all__ = ["escape", "page", "table"]

_BASE_STYLE = """body{font-family:sans-serif;margin:2em;max-width:70em;color:#222}
table{border-collapse:collapse;margin:.5em 0 1.5em}th,td{border:1px solid #ccc;padding:.25em .6em;text-align:left}
th{background:#f3f3f3}td.n{text-align:right}.warn{color:#a00}pre{background:#f7f7f7;padding:.6em;overflow-x:auto;
white-space:pre-wrap}"""


def escape(value: Any) -> str:
    return html.escape(str(value), quote=True)


def table(headers: list[str], rows: list[list[str]], numeric: Iterable[int] = ()) -> str:
    """An HTML table; ``rows`` hold cells already escaped or formatted; columns in ``numeric`` align right."""
    if not rows:
        return "<p>none</p>"
    right = set(numeric)
    head = "".join(f"<th>{escape(h)}</th>" for h in headers)
    body = "".join("<tr>" + "".join(f'<td class="n">{cell}</td>' if i in right else f"<td>{cell}</td>"
                                    for i, cell in enumerate(row)) + "</tr>" for row in rows)
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def page(title: str, body: Iterable[str], style: str = "") -> str:
    """A whole UTF-8 HTML5 page around ``body`` (fragments already escaped), with the shared style and ``style``."""
    parts = ["<!DOCTYPE html>", '<html lang="en">', "<head>", '<meta charset="utf-8">',
             '<meta name="viewport" content="width=device-width, initial-scale=1">', f"<title>{escape(title)}</title>",
             f"<style>{_BASE_STYLE}{style}</style>", "</head>", "<body>", *(b for b in body if b), "</body>",
             "</html>"]
    return "\n".join(parts) + "\n"
