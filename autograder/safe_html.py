"""Submissions rendered as HTML without anything active: what formgrader shows an instructor.

A graded notebook is the student's: its outputs, Markdown, and metadata are whatever the
student's code or editor wrote. Formgrader renders it in the instructor's Jupyter origin, where a
script (an `application/javascript` output, `<img onerror=...>` in a `text/html` output or in
Markdown, an attribute slipped into an image's width) would act as the instructor. So before
nbconvert's HTML exporter sees a notebook (nbgrader_config.py configures formgrader's exporter
with this preprocessor and nbconvert's own `sanitize_html`), everything in it becomes passive:

- outputs keep only the types shown as text or as an image (plain text; PNG, JPEG and GIF whose
  data is base64; HTML, cleaned to an allow-list of tags and attributes, no scripts, no event
  handlers, links only to http(s)/mailto); output metadata is dropped (the exporter writes some of
  it into attributes);
- Markdown and raw cells are rendered and cleaned the same way;
- cell metadata keeps only nbgrader's fields, each of the type nbgrader writes (a grade id
  reduced to the characters an id has); notebook-level widget state is dropped.

Streams, errors and code are written by nbconvert as escaped text already.
"""

import re

import bleach
from nbconvert.filters import markdown2html
from nbconvert.preprocessors import Preprocessor

TAGS = frozenset({"a", "abbr", "b", "blockquote", "br", "code", "dd", "del", "div", "dl", "dt", "em",
                  "h1", "h2", "h3", "h4", "h5", "h6", "hr", "i", "img", "kbd", "li", "ol", "p", "pre",
                  "s", "span", "strong", "sub", "sup", "table", "tbody", "td", "th", "thead", "tr", "ul"})
ATTRIBUTES = {"a": ["href", "title"], "img": ["src", "alt", "title"], "td": ["colspan", "rowspan"],
              "th": ["colspan", "rowspan"], "*": ["class"]}
PROTOCOLS = frozenset({"http", "https", "mailto", "data"})
IMAGES = ("image/png", "image/jpeg", "image/gif")
BASE64 = re.compile(r"[A-Za-z0-9+/=\s]*")
GRADE_ID = re.compile(r"[^\w.-]")
NBGRADER = {"grade": bool, "solution": bool, "locked": bool, "task": bool, "points": float,
            "schema_version": int, "grade_id": lambda v: GRADE_ID.sub("_", str(v))[:100]}


def clean(html: str) -> str:
    """HTML with only passive tags and attributes (bleach escapes everything else)."""
    cleaned = bleach.clean(html, tags=TAGS, attributes=ATTRIBUTES, protocols=PROTOCOLS, strip=False)
    # a data: URL is an image only in <img src>; a link to one could carry a page of its own
    return re.sub(r'href="data:[^"]*"', 'href=""', cleaned)


def _text(value) -> str:
    return "".join(value) if isinstance(value, list) else str(value)


def passive_data(data: dict) -> dict:
    kept = {}
    if "text/plain" in data:
        kept["text/plain"] = _text(data["text/plain"])
    for kind in IMAGES:
        if kind in data and BASE64.fullmatch(_text(data[kind])):
            kept[kind] = _text(data[kind])
    if "text/html" in data:
        kept["text/html"] = clean(_text(data["text/html"]))
    return kept


def _nbgrader(meta: dict) -> dict:
    """nbgrader's cell metadata, each field of the type nbgrader writes (or dropped)."""
    kept = {}
    for key, kind in NBGRADER.items():
        try:
            if key in meta:
                kept[key] = kind(meta[key])
        except (TypeError, ValueError):
            pass
    return kept


class PassiveNotebook(Preprocessor):
    """Make a notebook's outputs, Markdown and metadata passive before it is rendered as HTML."""

    def preprocess(self, nb, resources):
        nb.metadata.pop("widgets", None)
        return super().preprocess(nb, resources)

    def preprocess_cell(self, cell, resources, index):
        nbgrader = cell.get("metadata", {}).get("nbgrader")
        cell.metadata = {}
        if isinstance(nbgrader, dict):
            cell.metadata["nbgrader"] = _nbgrader(nbgrader)
        cell.pop("attachments", None)
        if cell.cell_type in ("markdown", "raw"):
            cell.source = clean(markdown2html(_text(cell.source)))
        for output in cell.get("outputs", []):
            if "data" in output:
                output["data"] = passive_data(output["data"])
            if "metadata" in output:
                output["metadata"] = {}
        return cell, resources
