"""The chapters of the book: their notebooks in ``book/chapters/``, chosen by number, name or
stem (``kuailive run --chapters 3 funnel``), and the one error of running and building."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from kuailive_analysis import config

__all__ = ["BookError", "Chapter", "all_chapters", "chapters_dir", "select_chapters"]


class BookError(RuntimeError):
    """A chapter failed or the site could not be built; the message says which and why."""


@dataclass(frozen=True)
class Chapter:
    name: str  # e.g. "03_retention"
    path: Path  # source notebook

    @property
    def number(self) -> str:
        return self.name.split("_", 1)[0]


def chapters_dir() -> Path:
    return config.project_root() / "book" / "chapters"


def all_chapters() -> list[Chapter]:
    """Chapter notebooks in book order (by file name)."""
    return [Chapter(p.stem, p) for p in sorted(chapters_dir().glob("[0-9][0-9]_*.ipynb"))]


def select_chapters(selectors: list[str] | None) -> list[Chapter]:
    """Pick chapters by number (``3`` / ``03``), name (``retention``) or stem (``03_retention``)."""
    chapters = all_chapters()
    if not selectors:
        return chapters
    chosen: list[Chapter] = []
    for sel in selectors:
        s = sel.strip().removesuffix(".ipynb")
        hits = [
            c
            for c in chapters
            if s == c.name
            or s == c.name.split("_", 1)[1]
            or (s.isdigit() and int(s) == int(c.number))
        ]
        if not hits:
            names = ", ".join(c.name for c in chapters)
            raise BookError(f"No chapter matches {sel!r}. Chapters are: {names}.")
        chosen.extend(h for h in hits if h not in chosen)
    return sorted(chosen, key=lambda c: c.name)
