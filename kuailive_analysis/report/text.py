"""A chapter's text with its numbers, for readers in JupyterLab.

The built site fills the glue roles of the prose (``{glue:text}`key:spec```) from the executed
notebook; JupyterLab renders Markdown cells as they are written, so a reader who reruns a
chapter there sees the roles, not the numbers. :func:`show_text` renders the chapter's own
Markdown cells with every glue role filled from the result's ``numbers()`` (formatted exactly
as the site formats them), other MyST roles reduced to their text, and figure directives to a
one-line pointer, and displays it, collapsed, under the cell that calls it. That cell is tagged
``remove-cell`` in the chapters, so the built site, which shows the numbers in place, does not
repeat the text.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Mapping
from pathlib import Path

from kuailive_analysis import config
from kuailive_analysis.report.glue import MISSING_TEXT, text_value

__all__ = ["fill_glue_roles", "show_text"]

_ROLE = re.compile(r"\{glue(?::(?:text|md|any))?\}`([^`]+)`")
_OTHER_ROLE = re.compile(r"\{(?:numref|ref|doc|eq|term)\}`([^`]+)`")
_FIGURE = re.compile(r"```\{glue(?::figure)?\}\s*(\w+)\n(.*?)```", re.S)


def _format(value, spec: str | None) -> str:
    """The text the site shows for a glued ``value`` with the role's format ``spec``: what
    myst-nb does with the stored text (``format(value, spec)``), missing values as n/a."""
    if spec is None:
        return str(value)
    text = text_value(value, spec)
    return str(text)


def _role_text(key_spec: str, numbers: Mapping) -> str:
    key, _, spec = key_spec.partition(":")
    if key not in numbers:
        return f"[{key}: not computed]"
    value = numbers[key]
    if isinstance(value, tuple) and len(value) == 2 and isinstance(value[1], str):
        value = text_value(*value)  # glued pre-formatted; a spec in the role would not apply
        return str(value)
    if isinstance(value, str) and spec:
        try:  # the site reads the stored text back as a literal before formatting
            value = ast.literal_eval(value)
        except (ValueError, SyntaxError):
            return value
    try:
        return _format(value, spec or None)
    except (ValueError, TypeError):
        return MISSING_TEXT if value is None else str(value)


def _other_text(target: str) -> str:
    """``{doc}`Title <path>``` -> Title; ``{numref}`tab-x``` -> the table or figure below."""
    m = re.match(r"(.*?)\s*<[^>]+>$", target)
    if m:
        return m.group(1)
    if target.startswith("tab-"):
        return "the table below"
    if target.startswith("fig-"):
        return "the figure below"
    return target


def fill_glue_roles(markdown: str, numbers: Mapping) -> str:
    """``markdown`` with every glue role replaced by the glued number as the site shows it,
    other MyST roles by their text, and each glued figure or table by a one-line pointer to
    the output that shows it."""

    def figure(m: re.Match) -> str:
        caption = " ".join(
            line for line in m.group(2).splitlines() if line.strip() and not line.startswith(":")
        )
        return f"*(Shown by the cell below: {caption.strip()})*\n"

    text = _FIGURE.sub(figure, markdown)
    text = _ROLE.sub(lambda m: _role_text(m.group(1), numbers), text)
    return _OTHER_ROLE.sub(lambda m: _other_text(m.group(1)), text)


def chapter_markdown(chapter: str) -> str:
    """The Markdown cells of chapter ``chapter`` (its notebook stem), joined."""
    import nbformat

    path = Path(config.project_root()) / "book" / "chapters" / f"{chapter}.ipynb"
    nb = nbformat.read(path, as_version=4)
    return "\n\n".join(c.source for c in nb.cells if c.cell_type == "markdown")


def show_text(result) -> None:
    """Display the chapter's text with its numbers filled in (collapsed), for JupyterLab.
    ``result``: the chapter's result (its ``params.chapter`` names the chapter and its
    ``numbers()`` hold the values)."""
    from IPython.display import Markdown, display

    chapter = result.params.chapter
    filled = fill_glue_roles(chapter_markdown(chapter), result.numbers())
    display(
        Markdown(
            "<details><summary><b>This chapter's text with its numbers</b> (JupyterLab shows "
            "the prose cells with glue placeholders; the built site fills them in place)"
            f"</summary>\n\n{filled}\n\n</details>"
        )
    )
