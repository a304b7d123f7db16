"""Typed chapter parameters: each chapter's ``parameters`` cell declared once, with type, range
or choices and meaning.

The same :data:`SPECS` serve every path that sets a parameter:

* the command line (``kuailive run -p NAME VALUE``): :func:`parse_cli` reads the text as YAML
  (like papermill's ``-p``) and checks it against the chosen chapters before any work;
* :func:`kuailive_analysis.app.book.run_chapters` (papermill): :func:`check_run` validates
  every parameter before a notebook executes; a name no chosen chapter declares is an error;
* the notebooks themselves (JupyterLab or a plain papermill run): each chapter's ``analyse``
  (and the cleaning parameters of ``load``) calls :func:`check`, so a bad value gives the same
  one-line message there.

A wrong value raises :class:`ParamError` (a ``ValueError``) naming the parameter, the value and
what is allowed. Nothing is coerced silently: ``2.5`` or ``true`` for a whole-number parameter
is an error (an integral float such as ``7.0`` is read as ``7``); an int for a float parameter
becomes that float.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

import yaml

N_WINDOW_DAYS = 21  # kuailive_analysis.core.calendar.N_WINDOW_DAYS (tested equal)
MIN_BOOT = 20  # fewest bootstrap replicates that give an interval


class ParamError(ValueError):
    """A chapter parameter has a wrong name, type or value; the message is one line."""


@dataclass(frozen=True)
class ParamSpec:
    """One parameter of a chapter's ``parameters`` cell.

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
        """The value in its declared type; :class:`ParamError` when it is not allowed."""
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


def _int(name, default, meaning, lo=None, hi=None, **kw) -> ParamSpec:
    return ParamSpec(name, int, default, meaning, min=lo, max=hi, **kw)


def _float(name, default, meaning, lo=None, hi=None, **kw) -> ParamSpec:
    return ParamSpec(name, float, default, meaning, min=lo, max=hi, **kw)


def _choice(name, default, meaning, choices) -> ParamSpec:
    return ParamSpec(name, str, default, meaning, choices=tuple(choices))


def _strs(name, default, meaning, choices=None) -> ParamSpec:
    return ParamSpec(
        name, list, list(default), meaning, item=str, choices=choices and tuple(choices)
    )


DATA_DIR = ParamSpec(
    "data_dir",
    str,
    None,
    "data folder; set it with --data-dir, null: the default twin",
    nullable=True,
)
LAST_DAY = N_WINDOW_DAYS - 1
# Choices below are the modules' constants (tests/test_params.py checks they stay equal); they
# are spelled out here so that this module imports nothing heavy.
REPEAT_DEFINITIONS = (
    "share_clicks_seen_streamer",
    "share_clicks_repeat_visit",
    "share_visits_repeat",
    "share_pairs_returning",
    "share_users_returning",
)
BEHAVIOURS = ("click", "comment", "like", "gift")
RETENTION_SEGMENTS = ("gender", "age", "device_price", "account", "early_gifter", "early_watch")

SPECS: dict[str, tuple[ParamSpec, ...]] = {
    "01_cleaning": (
        DATA_DIR,
        _float(
            "max_room_days",
            1.0,
            "rooms longer than this many days are long rooms",
            0,
            None,
            min_open=True,
            nullable=True,
        ),
        _choice(
            "long_rooms",
            "flag",
            "long rooms and their events: keep flagged or drop",
            ("flag", "drop"),
        ),
        ParamSpec(
            "drop_duplicate_events",
            bool,
            False,
            "exact duplicate event rows: false keeps them flagged, true drops them",
        ),
        _choice(
            "room_name_rule",
            "last",
            "title kept for a room listed on several p_dates",
            ("last", "first"),
        ),
        _choice(
            "streamer_mismatch",
            "flag",
            "event vs room streamer_id disagreement",
            ("flag", "drop", "fix"),
        ),
    ),
    "02_eda": (
        DATA_DIR,
        _int("cold_start_max", 5, "a streamer with fewer interactions than this is cold", 1),
        _int("heavy_streamer_min", 40, "a streamer with more interactions than this is heavy", 1),
        _int("light_user_max", 50, "a user with fewer interactions than this is light", 1),
        _int(
            "repeat_min_rooms",
            2,
            "a (user, streamer) pair returns with clicks in at least this many rooms",
            2,
        ),
        _choice(
            "repeat_definition",
            "share_clicks_seen_streamer",
            "reading of the paper's repeat share",
            REPEAT_DEFINITIONS,
        ),
        _float(
            "revisit_max_hours",
            168,
            "revisit-interval histogram range in hours",
            0,
            None,
            min_open=True,
        ),
        _float(
            "rhythm_tol_hours",
            3.0,
            "an interval within this many hours of a whole number of days is daily",
            0,
            12,
            min_open=True,
        ),
        _int(
            "live_step_minutes", 15, "grid of the rooms-live-over-time curve in minutes", 1, 24 * 60
        ),
        _int("peak_hours", 6, "width of the busiest-hours window", 1, 24),
    ),
    "03_retention": (
        DATA_DIR,
        _int("churn_days", 7, "churn after this many consecutive inactive days", 1, LAST_DAY),
        ParamSpec(
            "churn_days_grid",
            list,
            [3, 5, 7],
            "churn thresholds of the sensitivity table",
            item=int,
            min=1,
            max=LAST_DAY,
        ),
        _strs("activity_behaviours", BEHAVIOURS, "what makes a day active", BEHAVIOURS),
        _int("early_days", 3, "early-activity window and landmark in days", 1, LAST_DAY - 1),
        _float(
            "point_in_time",
            7,
            "horizon in days of the fixed-time-point test",
            0,
            LAST_DAY,
            min_open=True,
        ),
        _strs("segments", RETENTION_SEGMENTS, "segments compared", RETENTION_SEGMENTS),
        _int(
            "new_account_days",
            365,
            "a new account registered fewer days than this before 2025-05-05",
            1,
        ),
        _float(
            "heavy_quantile",
            0.5,
            "heavy watcher: early watch time above this quantile",
            0,
            1,
            min_open=True,
            max_open=True,
        ),
        _int("min_group", 30, "smallest segment level that gets a curve and a test", 1),
        _int("min_cohort", 30, "cohorts smaller than this are pooled", 1),
        _float(
            "truth_coverage_min",
            0.8,
            "twin check: share of days the planted curve lies inside the KM band",
            0,
            1,
        ),
    ),
    "04_ltv": (
        DATA_DIR,
        _int("calibration_days", 14, "days 0 .. calibration_days-1 calibrate", 1, LAST_DAY),
        _int("horizon_days", 30, "CLV horizon in days after the end of calibration", 1),
        _float(
            "discount_rate_daily", 0.0005, "daily discount rate of the CLV", 0, 1, max_open=True
        ),
        _int("n_boot", 100, "bootstrap replicates for the CLV intervals", MIN_BOOT),
        _float("level", 0.9, "level of the CLV intervals", 0, 1, min_open=True, max_open=True),
        _int("max_freq", 7, "calibration frequencies from max_freq up are pooled in plots", 1),
        _int("top_n", 10, "users listed in the top-CLV table", 1),
        _int("seed", 0, "random seed", 0),
    ),
    "05_funnel_ctr": (
        DATA_DIR,
        _float("qualified_watch_s", 5.0, "seconds of watch time that make a qualified watch", 0),
        _float(
            "attribution_window_s",
            3600.0,
            "max seconds from a click to an engagement credited to it, null: no limit",
            0,
            None,
            min_open=True,
            nullable=True,
        ),
        _strs(
            "segments",
            [
                "hour",
                "day",
                "live_content_category",
                "live_type",
                "streamer_decile",
                "user_decile",
                "age",
                "gender",
                "device_price",
            ],
            "segments broken down in the KPI tables",
        ),
        _strs(
            "funnel_segments",
            ["hour", "device_price"],
            "segments drawn as full step-by-step funnels",
        ),
        _choice(
            "interval", "user", "segment intervals: users resampled or Wilson", ("user", "wilson")
        ),
        _int("n_boot", 200, "bootstrap replicates for interval user", MIN_BOOT),
        ParamSpec(
            "split_fractions",
            list,
            [0.8, 0.1, 0.1],
            "chronological train / valid / test shares of rows",
            item=float,
            min=0,
            max=1,
            min_open=True,
            max_open=True,
            length=3,
            total=1.0,
        ),
        _int("max_train_rows", 200_000, "training rows sampled for the baseline models", 100),
        _int("seed", 0, "random seed", 0),
    ),
    "06_fidelity": (DATA_DIR,),
}
"""Every chapter's parameters, keyed by notebook stem, in the order of its ``parameters`` cell."""

RESERVED = {"data_dir": "set the data folder with --data-dir, not -p data_dir"}
"""Names set by the runner itself, never through ``params``."""


def specs(chapter: str) -> dict[str, ParamSpec]:
    """The specs of one chapter (notebook stem) by name."""
    try:
        return {s.name: s for s in SPECS[chapter]}
    except KeyError:
        raise ParamError(f"No parameter declarations for chapter {chapter!r}.") from None


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


def check(chapter: str, values: Mapping[str, Any], *, strict: bool = False) -> dict[str, Any]:
    """``values`` checked against the chapter's specs and returned in their declared types.

    Names the chapter does not declare pass through unchanged (an ``analyse`` may take extra
    keyword arguments), unless ``strict``, when they are errors."""
    declared = specs(chapter)
    out = {}
    for name, value in values.items():
        spec = declared.get(name)
        if spec is None:
            if strict:
                known = ", ".join(n for n in declared if n not in RESERVED)
                raise ParamError(
                    f"Parameter {name}: chapter {chapter} has no such parameter; its parameters "
                    f"are {known or 'none'}."
                )
            out[name] = value
        else:
            out[name] = spec.check(value, chapter)
    return out


def _untyped(path) -> dict[str, ParamSpec]:
    """Specs of a notebook that is not a chapter of the book (tests, drafts): the names of its
    ``parameters`` cell, any value allowed."""
    from kuailive_analysis.app.book import notebook_parameters

    return {n: ParamSpec(n, object, None, "undeclared") for n in notebook_parameters(path)}


def check_run(
    chapters: Iterable[str] | Mapping[str, Any], params: Mapping[str, Any]
) -> dict[str, dict[str, Any]]:
    """Validate run parameters for the chosen chapters (notebook stems) before any work.

    ``chapters`` may map each stem to its notebook path: a notebook that is not a chapter of
    :data:`SPECS` then gets its ``parameters`` cell's names, untyped. Returns
    ``{chapter: {name: typed value}}`` with, for each chapter, the parameters it declares. A
    reserved name (``data_dir``) or a name no chosen chapter declares is an error."""
    paths = dict(chapters) if isinstance(chapters, Mapping) else {}
    chapters = list(chapters)
    for name in params:
        if name in RESERVED:
            raise ParamError(f"Parameter {name}: {RESERVED[name]}.")
    declared = {
        c: _untyped(paths[c]) if c not in SPECS and paths.get(c) else specs(c) for c in chapters
    }
    unknown = [p for p in params if not any(p in d for d in declared.values())]
    if unknown:
        known = sorted({k for d in declared.values() for k in d if k not in RESERVED})
        raise ParamError(
            f"Parameter {', '.join(unknown)}: not declared by any chosen chapter "
            f"({', '.join(chapters)}); declared parameters: {', '.join(known) or 'none'}."
        )
    return {
        c: {k: declared[c][k].check(v, c) for k, v in params.items() if k in declared[c]}
        for c in chapters
    }


def merged(typed: Mapping[str, Mapping[str, Any]]) -> dict[str, Any]:
    """One ``{name: typed value}`` from :func:`check_run`'s per-chapter result (for run.json)."""
    out: dict[str, Any] = {}
    for values in typed.values():
        for k, v in values.items():
            out.setdefault(k, v)
    return out


def parse_cli(pairs, chapters: Iterable[str]) -> dict[str, Any]:
    """``-p NAME VALUE`` pairs read like papermill and checked for the chosen chapters."""
    params = {name: parse_value(value) for name, value in (pairs or [])}
    return merged(check_run(chapters, params)) if params else {}


PAPERMILL_HEADER = "# Parameters"
"""First line of the cell papermill injects after a notebook's ``parameters`` cell."""


def injected_names(history: Iterable[str]) -> list[str]:
    """Names assigned in the cells papermill injected (their source starts with
    :data:`PAPERMILL_HEADER`), from a kernel's input history (IPython's ``In``)."""
    import ast

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


def check_namespace(chapter: str, namespace: Mapping[str, Any]) -> dict[str, Any]:
    """The chapter's parameters read from a notebook's namespace and checked, as on the CLI.

    Called by each chapter's first code cell with ``globals()``: every declared parameter's
    value is checked against its spec, and a parameter papermill injected that the chapter
    does not declare (``papermill ... -p no_such_param 1``) is an error. The messages are the
    CLI's, word for word (:func:`check_run`). Returns ``{name: typed value}`` without
    ``data_dir``."""
    __tracebackhide__ = True  # IPython shows the notebook's line and the message, not ours
    try:
        return _check_namespace(chapter, namespace)
    except ParamError as err:
        raise ParamError(str(err)) from None


def _check_namespace(chapter: str, namespace: Mapping[str, Any]) -> dict[str, Any]:
    declared = specs(chapter)
    injected = injected_names(namespace.get("In", ()))
    unknown = {n: namespace[n] for n in injected if n not in declared and n in namespace}
    if unknown:
        check_run([chapter], unknown)  # raises with the CLI's message
    if "data_dir" in namespace:
        DATA_DIR.check(namespace["data_dir"], chapter)
    values = {n: namespace[n] for n in declared if n in namespace and n not in RESERVED}
    missing = [n for n in declared if n not in namespace and n not in RESERVED]
    if missing:
        raise ParamError(
            f"Parameter {', '.join(missing)} (chapter {chapter}): not set; run the chapter's "
            "parameters cell first."
        )
    return check_run([chapter], values)[chapter]
