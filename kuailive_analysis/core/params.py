"""Typed parameters, declared once: a chapter's choices as a frozen dataclass whose fields carry
type, default, range or choices and meaning.

A chapter declares its parameters as a subclass of :class:`Params`::

    @dataclass(frozen=True)
    class Params(core.params.Params):
        chapter: ClassVar[str] = "03_retention"

        churn_days: int = param(7, "churn after this many consecutive inactive days", min=1, max=20)
        segments: tuple[str, ...] = param(("gender", "age"), "segments compared",
                                          choices=("gender", "age", "device_price"))

The type comes from the annotation (``int``, ``float``, ``bool``, ``str``, ``X | None`` for a
parameter that may be null, ``tuple[X, ...]`` for a list); :func:`param` adds the default, the
meaning and the allowed values. That one declaration serves every path that sets a parameter:

* ``Params(**values)`` / :meth:`Params.from_values` check each value (:class:`ParamError`, one
  line naming the parameter, the value and what is allowed; nothing is coerced silently:
  ``2.5`` or ``true`` for a whole number is an error, ``7.0`` is read as ``7``);
* the command line (``kuailive run -p NAME VALUE``) reads values with :func:`parse_value` and
  checks them through the chapters' classes before any work;
* a notebook's first code cell calls :meth:`Params.from_namespace` with ``globals()``: the
  values of its ``parameters`` cell are checked, and a parameter papermill injected that the
  chapter does not declare is an error with the command line's message;
* the notebook's ``parameters`` cell is :meth:`Params.cell_source` (a test holds them equal).

This module imports nothing from the package, so every layer may declare parameters.
"""

from __future__ import annotations

import ast
import dataclasses
import math
import types
import typing
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, ClassVar

import yaml

__all__ = [
    "PAPERMILL_HEADER",
    "RESERVED",
    "ParamError",
    "ParamSpec",
    "Params",
    "injected_names",
    "param",
    "parse_value",
    "unknown_error",
]

PARAM = "param"
"""Field metadata key of a parameter's constraints (set by :func:`param`)."""

PAPERMILL_HEADER = "# Parameters"
"""First line of the cell papermill injects after a notebook's ``parameters`` cell."""

RESERVED = {"data_dir": "set the data folder with --data-dir, not -p data_dir"}
"""Names set by the runner itself, never through ``-p``."""


class ParamError(ValueError):
    """A parameter has a wrong name, type or value; the message is one line."""


@dataclass(frozen=True)
class ParamSpec:
    """One parameter: its name, type, default, meaning and allowed values.

    ``type``: ``int``, ``float``, ``bool``, ``str`` or ``list``; a list's items have type
    ``item`` and, like scalars, must lie in ``[min, max]`` (``min_open`` / ``max_open``: the
    bound itself excluded) or be one of ``choices``. ``nullable``: ``None`` is allowed.
    ``length``: exact list length; ``total``: the list's items must sum to this.
    """

    name: str
    type: type
    default: Any
    meaning: str
    min: float | None = None
    max: float | None = None
    min_open: bool = False
    max_open: bool = False
    choices: tuple | None = None
    nullable: bool = False
    item: type | None = None
    length: int | None = None
    total: float | None = None

    # --- what is allowed, in words ----------------------------------------------------------
    def _range_words(self) -> str:
        lo = None if self.min is None else f"{'>' if self.min_open else '>='} {self.min:g}"
        hi = None if self.max is None else f"{'<' if self.max_open else '<='} {self.max:g}"
        if lo and hi:
            return f"{lo} and {hi}"
        return lo or hi or ""

    def allowed(self) -> str:
        """What the parameter accepts, in words (``"a whole number >= 1 and <= 20"``)."""
        kind = {int: "a whole number", float: "a number", bool: "true or false", str: "a text"}
        if self.type is list:
            what = f"a list of {kind[self.item].removeprefix('a ')}s"
            if self.length:
                what = f"a list of {self.length} numbers"
            if self.choices:
                what += f" (choose from {', '.join(map(str, self.choices))})"
        elif self.choices:
            what = "one of " + ", ".join(map(str, self.choices))
        else:
            what = kind[self.type]
        rng = self._range_words()
        if rng:
            what += (" each " if self.type is list else " ") + rng
        if self.total is not None:
            what += f", summing to {self.total:g}"
        if self.nullable:
            what += ", or null"
        return what

    # --- checking ---------------------------------------------------------------------------
    def _fail(self, value, chapter: str | None, why: str = "") -> ParamError:
        where = f" (chapter {chapter})" if chapter else ""
        shown = "null" if value is None else repr(value)
        return ParamError(
            f"Parameter {self.name}{where}: {shown} is not allowed{why}; {self.name} must be "
            f"{self.allowed()} ({self.meaning})."
        )

    def _scalar(self, value, kind: type, chapter):
        if type(value).__module__ == "numpy" and hasattr(value, "item"):
            value = value.item()  # numpy scalars count as their Python type
        if kind is bool:
            if not isinstance(value, bool):
                raise self._fail(value, chapter)
            return value
        if kind is str:
            if not isinstance(value, str):
                raise self._fail(value, chapter)
        elif isinstance(value, bool) or not isinstance(value, (int, float)):
            raise self._fail(value, chapter)
        elif isinstance(value, float) and not math.isfinite(value):
            raise self._fail(value, chapter)
        elif kind is int:
            if isinstance(value, float):
                if not value.is_integer():
                    raise self._fail(value, chapter, " (no rounding)")
                value = int(value)
            value = int(value)
        else:
            value = float(value)
        if self.choices is not None and value not in self.choices:
            raise self._fail(value, chapter)
        if kind in (int, float):
            if self.min is not None and (value < self.min or (self.min_open and value == self.min)):
                raise self._fail(value, chapter)
            if self.max is not None and (value > self.max or (self.max_open and value == self.max)):
                raise self._fail(value, chapter)
        return value

    def check(self, value, chapter: str | None = None):
        """The value in its declared type (a list parameter as a list); :class:`ParamError`
        when it is not allowed."""
        if self.type is object:  # a notebook outside the book: no declaration, any value
            return value
        if value is None:
            if self.nullable:
                return None
            raise self._fail(value, chapter)
        if self.type is list:
            if isinstance(value, str):  # "a, b" from the command line
                value = [v.strip() for v in value.split(",") if v.strip()]
                if self.item is not str:
                    value = [parse_value(v) for v in value]
            if not isinstance(value, (list, tuple)) or not value:
                raise self._fail(value, chapter, " (an empty or non-list value)")
            items = [self._scalar(v, self.item, chapter) for v in value]
            if self.length is not None and len(items) != self.length:
                raise self._fail(list(value), chapter)
            if self.total is not None and not math.isclose(sum(items), self.total, abs_tol=1e-9):
                raise self._fail(list(value), chapter)
            return items
        return self._scalar(value, self.type, chapter)


def param(default: Any, meaning: str, **allowed: Any) -> Any:
    """A dataclass field declaring one parameter: its ``default`` (a tuple for a list), its
    ``meaning`` (one line, shown in errors, ``--help`` and the notebook) and what is allowed
    (``min``, ``max``, ``min_open``, ``max_open``, ``choices``, ``length``, ``total``; the type
    and whether None is allowed come from the annotation)."""
    unknown = set(allowed) - {"min", "max", "min_open", "max_open", "choices", "length", "total"}
    if unknown:
        raise TypeError(f"param(): unknown constraint(s) {sorted(unknown)}")
    if isinstance(default, list):
        default = tuple(default)
    return field(default=default, metadata={PARAM: {"meaning": meaning, **allowed}})


def _spec_of(name: str, hint, default, meta: Mapping) -> ParamSpec:
    """The :class:`ParamSpec` of a field from its type hint and :func:`param` metadata."""
    nullable = False
    args = typing.get_args(hint)
    if typing.get_origin(hint) in (types.UnionType, typing.Union):
        nullable = type(None) in args
        rest = [a for a in args if a is not type(None)]
        hint = rest[0] if len(rest) == 1 else hint
        args = typing.get_args(hint)
    item = None
    if typing.get_origin(hint) in (tuple, list):
        kind, item = list, args[0]
    elif hint in (int, float, bool, str):
        kind = hint
    else:
        raise TypeError(f"parameter {name}: unsupported type {hint!r}")
    choices = meta.get("choices")
    return ParamSpec(
        name=name,
        type=kind,
        default=list(default) if isinstance(default, tuple) else default,
        meaning=meta["meaning"],
        min=meta.get("min"),
        max=meta.get("max"),
        min_open=meta.get("min_open", False),
        max_open=meta.get("max_open", False),
        choices=tuple(choices) if choices is not None else None,
        nullable=nullable,
        item=item,
        length=meta.get("length"),
        total=meta.get("total"),
    )


def unknown_error(
    names: Iterable[str], chapters: Iterable[str], known: Iterable[str]
) -> ParamError:
    """The one message for parameters no chosen chapter declares (command line and notebook)."""
    known = sorted(k for k in set(known) if k not in RESERVED)
    return ParamError(
        f"Parameter {', '.join(names)}: not declared by any chosen chapter "
        f"({', '.join(chapters)}); declared parameters: {', '.join(known) or 'none'}."
    )


@dataclass(frozen=True)
class Params:
    """Base of every chapter's parameters (see the module docstring). Subclasses are frozen
    dataclasses that set ``chapter`` (the notebook stem) and declare fields with
    :func:`param`; ``data_dir`` is every chapter's."""

    chapter: ClassVar[str] = ""

    data_dir: str | None = param(None, "data folder; None: $KUAILIVE_DATA_DIR or the default twin")

    def __post_init__(self):
        for name, spec in self.specs().items():
            value = spec.check(getattr(self, name), self.chapter or None)
            object.__setattr__(self, name, tuple(value) if isinstance(value, list) else value)

    # --- the declaration --------------------------------------------------------------------
    @classmethod
    def specs(cls) -> dict[str, ParamSpec]:
        """Every parameter's :class:`ParamSpec` by name, in declaration order (``data_dir``
        first)."""
        cached = cls.__dict__.get("_specs")
        if cached is None:
            hints = typing.get_type_hints(cls)
            cached = {
                f.name: _spec_of(f.name, hints[f.name], f.default, f.metadata[PARAM])
                for f in dataclasses.fields(cls)
                if PARAM in f.metadata
            }
            cls._specs = cached
        return dict(cached)

    @classmethod
    def names(cls) -> list[str]:
        """The parameters a run may set (``-p``), i.e. every one but ``data_dir``."""
        return [n for n in cls.specs() if n not in RESERVED]

    # --- building ---------------------------------------------------------------------------
    @classmethod
    def from_values(cls, values: Mapping[str, Any] | None = None, /, **more: Any):
        """Parameters from ``values`` (and keywords) over the defaults; a name the chapter does
        not declare or a bad value is a :class:`ParamError`."""
        values = {**(values or {}), **more}
        specs = cls.specs()
        unknown = [n for n in values if n not in specs]
        if unknown:
            raise unknown_error(unknown, [cls.chapter or cls.__name__], specs)
        return cls(**values)

    @classmethod
    def resolve(cls, params=None, overrides: Mapping[str, Any] | None = None):
        """What ``analyse(ds, params=None, **overrides)`` runs with: ``params`` (an instance of
        this class; None: the defaults) with ``overrides`` applied, all checked."""
        if params is None:
            return cls.from_values(overrides or {})
        if not isinstance(params, cls):
            raise ParamError(
                f"params must be {cls.__module__}.{cls.__qualname__}, not {type(params).__name__}"
            )
        return params.replace(**(overrides or {})) if overrides else params

    def replace(self, **overrides: Any):
        """A copy with ``overrides`` applied (checked like any other value)."""
        unknown = [n for n in overrides if n not in self.specs()]
        if unknown:
            raise unknown_error(unknown, [self.chapter or type(self).__name__], self.specs())
        return dataclasses.replace(self, **overrides)

    @classmethod
    def from_namespace(cls, namespace: Mapping[str, Any]):
        """The parameters of a running notebook (its ``globals()``), checked: every declared
        parameter's value, and no parameter that papermill injected without the chapter
        declaring it (read from the kernel's input history ``In``). The messages are the
        command line's, word for word."""
        __tracebackhide__ = True  # IPython shows the notebook's line and the message
        specs = cls.specs()
        injected = injected_names(namespace.get("In", ()))
        unknown = [n for n in injected if n not in specs]
        if unknown:
            raise unknown_error(unknown, [cls.chapter], specs) from None
        missing = [n for n in specs if n not in namespace]
        if missing:
            raise ParamError(
                f"Parameter {', '.join(missing)} (chapter {cls.chapter}): not set; run the "
                "chapter's parameters cell first."
            )
        try:
            return cls(**{n: namespace[n] for n in specs})
        except ParamError as err:
            raise ParamError(str(err)) from None

    # --- reading ----------------------------------------------------------------------------
    def values(self, *, with_data_dir: bool = False) -> dict[str, Any]:
        """``{name: value}`` in declaration order, lists as lists (JSON- and YAML-ready)."""
        out = {}
        for name in self.specs():
            if name in RESERVED and not with_data_dir:
                continue
            value = getattr(self, name)
            out[name] = list(value) if isinstance(value, tuple) else value
        return out

    @classmethod
    def cell_source(cls) -> str:
        """The source of the notebook's ``parameters`` cell: one ``name = default  # meaning``
        line per parameter, in declaration order."""
        lines = []
        for name, spec in cls.specs().items():
            lines.append(f"{name} = {_literal(spec.default)}  # {spec.meaning}")
        return "\n".join(lines)


def _literal(value: Any) -> str:
    """Python source of a default (``None``, ``7``, ``0.5``, ``'flag'`` as ``"flag"``, lists)."""
    if isinstance(value, str):
        return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(_literal(v) for v in value) + "]"
    if isinstance(value, int) and not isinstance(value, bool) and abs(value) >= 10_000:
        return f"{value:_}"
    return repr(value)


def parse_value(text: str):
    """A command-line value read as YAML like papermill's ``-p`` (``7`` -> int, ``0.5`` ->
    float, ``true`` -> bool, ``null`` -> None, ``[3, 5]`` -> list); anything else stays text."""
    try:
        value = yaml.safe_load(text)
    except yaml.YAMLError:
        return text
    if isinstance(value, str) and value == text.strip():
        try:  # YAML 1.1 reads "1e-1" as text; it is a number
            return float(text)
        except ValueError:
            return value
    if isinstance(value, (int, float, bool, list, type(None), str)):
        return value
    return text


def injected_names(history: Iterable[str]) -> list[str]:
    """Names assigned in the cells papermill injected (their source starts with
    :data:`PAPERMILL_HEADER`), from a kernel's input history (IPython's ``In``)."""
    names: list[str] = []
    for source in history or ():
        if not isinstance(source, str) or not source.lstrip().startswith(PAPERMILL_HEADER):
            continue
        try:
            tree = ast.parse(source)
        except SyntaxError:
            continue
        for node in tree.body:
            if isinstance(node, ast.Assign):
                names += [t.id for t in node.targets if isinstance(t, ast.Name)]
    return list(dict.fromkeys(names))
