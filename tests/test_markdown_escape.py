"""The Markdown export shows names as the text they are (issue 29, rel18).

`export.to_markdown` serves `/export?format=markdown`, the tab's "Copy as Markdown" (which
fetches that route) and `tb-rungroups ls --format markdown`. Its output is rendered with two
real Markdown implementations, CommonMark (markdown-it-py, HTML allowed, GFM tables and
strikethrough) and Python-Markdown (TensorBoard's own dependency, with tables), and every
cell must come out as plain text equal to the name that went in: no tag, no link, no
emphasis, no code span.
"""

from __future__ import annotations

import html.parser
import os
import subprocess
import sys

import markdown
import markdown_it
import pytest
from conftest import scalar_event, write_events
from hypothesis import given, settings
from hypothesis import strategies as st

from tb_plugin import export

HOSTILE = [
    "<img src=x onerror=alert(1)>",
    "[click](javascript:alert(2))",
    "![x](javascript:alert(3))",
    "<script>alert(4)</script>",
    "<a href='javascript:alert(5)'>x</a>",
    "<javascript:alert(6)>",
    "<https://evil.example>",
    "<iframe src=//x>",
    "<svg/onload=alert(7)>",
    "<details open ontoggle=alert(8)>",
    "&lt;b&gt;",
    "&#106;avascript:",
    "*bold*",
    "**strong**",
    "_em_",
    "__init__",
    "~~struck~~",
    "`code`",
    "``x``",
    "a|b",
    "a\\|b",
    "# heading",
    "> quote",
    "- item",
    "+ item",
    "1. item",
    "===",
    "[ref]: https://x",
    "line\nbreak",
    "tab\tand\r\nCRLF",
    "trailing\\",
    "<!-- comment -->",
    "<?php x ?>",
    "[x]\n(javascript:alert(9))",
]

_ALLOWED_TAGS = {"table", "thead", "tbody", "tr", "th", "td", "p", "strong"}


class _Cells(html.parser.HTMLParser):
    """Tag names seen, text of each table cell, and the paragraph after the table."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[str] = []
        self.cells: list[str] = []
        self.paragraphs: list[str] = []
        self._in: str | None = None

    def handle_starttag(self, tag, attrs):
        self.tags.append(tag)
        if tag in ("td", "th"):
            self._in = "cell"
            self.cells.append("")
        elif tag == "p":
            self._in = "p"
            self.paragraphs.append("")

    def handle_endtag(self, tag):
        if tag in ("td", "th", "p"):
            self._in = None

    def handle_data(self, data):
        if self._in == "cell":
            self.cells[-1] += data
        elif self._in == "p":
            self.paragraphs[-1] += data

    def handle_comment(self, data):
        self.tags.append("!--")

    def handle_pi(self, data):
        self.tags.append("?")


def _commonmark(text: str) -> str:
    md = markdown_it.MarkdownIt("commonmark", {"html": True}).enable(["table", "strikethrough"])
    return md.render(text)


def _python_markdown(text: str) -> str:
    return markdown.markdown(text, extensions=["tables"])


RENDERERS = {"commonmark": _commonmark, "python-markdown": _python_markdown}


def _answer(values: list[str], metric: str = "epoch_loss") -> dict:
    groups = [
        {
            "key": f"k{i}",
            "values": [v],
            "size": 2,
            "metrics": [
                {"stats": {"mean": 0.5 + i, "ci_low": 0.4 + i, "ci_high": 0.6 + i, "count": 2}}
            ],
        }
        for i, v in enumerate(values)
    ]
    return {
        "by": ["opt"],
        "metrics": [{"metric": metric, "split": "validation", "reduction": "last", "goal": "min"}],
        "groups": groups,
        "ci": {"method": "t", "level": 0.95},
    }


def _shown(value: str) -> str:
    """What a cell should read: the value with line breaks and control characters as spaces."""
    return " ".join(
        "".join(" " if ord(c) < 32 or ord(c) == 127 else c for c in value).split(" ")
    ).strip()


@pytest.mark.parametrize("renderer", list(RENDERERS))
@pytest.mark.parametrize("value", HOSTILE)
def test_each_hostile_value_renders_as_its_own_text(renderer, value):
    text = export.markdown_text(value)
    parsed = _Cells()
    parsed.feed(RENDERERS[renderer]("| h |\n| --- |\n| " + text + " |\n"))
    assert set(parsed.tags) <= _ALLOWED_TAGS - {"strong"}, (text, parsed.tags)
    assert parsed.cells[-1].strip() == _shown(value).strip(), text


@pytest.mark.parametrize("renderer", list(RENDERERS))
@pytest.mark.parametrize("value", HOSTILE)
def test_a_caption_line_starting_with_markup_stays_a_paragraph(renderer, value):
    parsed = _Cells()
    parsed.feed(RENDERERS[renderer](export.markdown_text(value, line_start=True) + "\n"))
    assert set(parsed.tags) <= {"p"}, (value, parsed.tags)
    assert " ".join(parsed.paragraphs).strip() == _shown(value).strip()


_TEXT = st.lists(
    st.sampled_from(list("<>[]()!*_~`|#&;:/\\=-+. \n1aZ大") + ["javascript:", "&#x6A;", "&lt;"]),
    max_size=30,
).map("".join)


@settings(max_examples=300, deadline=None)
@given(_TEXT)
def test_random_text_never_becomes_markup(value):
    for render in RENDERERS.values():
        parsed = _Cells()
        parsed.feed(render("| h |\n| --- |\n| " + export.markdown_text(value) + " |\n"))
        assert set(parsed.tags) <= _ALLOWED_TAGS - {"strong"}, (value, parsed.tags)
        assert " ".join(parsed.cells[-1].split()) == " ".join(_shown(value).split()), value


def test_the_whole_table_keeps_its_shape_and_only_its_own_bold():
    values = HOSTILE[:12] + ["adam"]
    text = export.to_markdown(_answer(values, metric="<b>loss</b>_x_"))
    for render in RENDERERS.values():
        parsed = _Cells()
        parsed.feed(render(text))
        assert set(parsed.tags) <= _ALLOWED_TAGS, parsed.tags
        assert parsed.tags.count("strong") == 1  # the best group only
        cells = [" ".join(c.split()) for c in parsed.cells]
        assert cells[0] == "opt" and cells[1] == "<b>loss</b>_x_"
        assert cells[2::2] == [" ".join(_shown(v).split()) for v in values]
        assert parsed.paragraphs[-1].startswith("<b>loss</b>_x_ (validation, last")


def test_ls_markdown_and_the_export_route_escape_alike(tmp_path):
    from backend_fixtures import serving

    for i, opt in enumerate(HOSTILE[:4] + ["adam"]):
        for seed in range(2):
            safe = opt.replace("/", "%2F")
            write_events(
                str(tmp_path / f"opt={safe},seed={seed}" / "validation"),
                [scalar_event("epoch_loss", 0, 1.0 + i), scalar_event("epoch_loss", 1, 0.5 + i)],
            )
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(sys.path))
    printed = subprocess.run(
        [sys.executable, "-m", "tb_plugin.cli", "ls", str(tmp_path), "--by", "opt"]
        + ["--metric", "epoch_loss", "--format", "markdown"],
        capture_output=True,
        text=True,
        timeout=300,
        env=env,
    )
    assert printed.returncode == 0, printed.stderr
    assert "<img" not in printed.stdout and "](javascript:" not in printed.stdout
    with serving(str(tmp_path), "python", 10) as app:
        response = app.get("/export", format="markdown", by="opt", metric="epoch_loss")
        assert response.headers["Content-Type"] == "text/markdown; charset=utf-8"
        assert response.get_data(as_text=True) == printed.stdout
