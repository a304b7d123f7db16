"""What a chapter shows besides its figures: glued numbers, tables, the data banner, its
findings and actions, and the provenance table. Chapters import from here.

:mod:`.glue` (numbers into the text), :mod:`.tables` (readable tables), :mod:`.findings`
(findings, actions, banners and the landing page, rendered from the records) and
:mod:`.provenance`.
"""

from __future__ import annotations

from kuailive_analysis.report.findings import (
    FINDINGS_KEY,
    banner_html,
    show_actions,
    show_banner,
    show_findings,
)
from kuailive_analysis.report.glue import (
    MISSING_TEXT,
    VOLATILE_PREFIX,
    glue,
    glue_all,
    is_volatile,
    plain,
    text_value,
)
from kuailive_analysis.report.provenance import data_rows, provenance, show_provenance
from kuailive_analysis.report.tables import HEADERS, Table, is_p_value_column, show_table
from kuailive_analysis.report.text import fill_glue_roles, show_text

__all__ = [
    "FINDINGS_KEY",
    "HEADERS",
    "MISSING_TEXT",
    "VOLATILE_PREFIX",
    "Table",
    "banner_html",
    "data_rows",
    "fill_glue_roles",
    "glue",
    "glue_all",
    "is_p_value_column",
    "is_volatile",
    "plain",
    "provenance",
    "show_actions",
    "show_banner",
    "show_findings",
    "show_provenance",
    "show_table",
    "show_text",
    "text_value",
]
