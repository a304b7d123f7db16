"""Typed chapter parameters: one declaration per chapter (a ``Params`` class in its analysis
package, :mod:`kuailive_analysis.core.params`), checked the same way on the command line, in
``run_chapters`` (papermill), in a notebook's first code cell and in ``analyse``."""

from __future__ import annotations

import ast

import pytest

from kuailive_analysis.app import book, chapters as chs, params as P
from kuailive_analysis.app.cli import main
from kuailive_analysis.core.params import parse_value, unknown_error

# (chapter, name, value as typed on the command line, words the message must contain)
BAD = [
    ("retention", "churn_days", "2.5", "2.5"),
    ("retention", "churn_days", "true", "True"),
    ("retention", "churn_days", "abc", "'abc'"),
    ("retention", "churn_days", "null", "null"),
    ("retention", "churn_days", "100", "100"),
    ("retention", "churn_days", "0", "0"),
    ("retention", "heavy_quantile", "1", "1"),
    ("retention", "segments", "[gender, shoe_size]", "shoe_size"),
    ("retention", "churn_days_grid", "[3, 5.5]", "5.5"),
    ("ltv", "n_boot", "0", "0"),
    ("ltv", "n_boot", "5", "5"),
    ("ltv", "level", "1.5", "1.5"),
    ("ltv", "level", "0", "0"),
    ("ltv", "seed", "1.5", "1.5"),
    ("funnel_ctr", "n_boot", "0", "0"),
    ("funnel_ctr", "interval", "bayes", "bayes"),
    ("funnel_ctr", "split_fractions", "[0.5, 0.2, 0.2]", "0.5"),
    ("eda", "peak_hours", "25", "25"),
    ("eda", "repeat_definition", "nothing", "nothing"),
    ("cleaning", "long_rooms", "keep", "keep"),
    ("cleaning", "drop_duplicate_events", "1", "1"),
    ("cleaning", "max_room_days", "-1", "-1"),
]


@pytest.mark.parametrize(("chapter", "name", "text", "shown"), BAD)
def test_cli_rejects_a_bad_value_naming_it_before_any_work(
    chapter, name, text, shown, tmp_path, capsys
):
    missing = tmp_path / "no_such_folder"  # never looked at: the parameter fails first
    code = main(["run", "--data-dir", str(missing), "--chapters", chapter, "-p", name, text])
    err = capsys.readouterr().err
    assert code == 2
    assert f"Parameter {name}" in err and shown in err and "must be" in err
    assert "no_such_folder" not in err and len(err.strip().splitlines()) == 1


@pytest.mark.parametrize(("chapter", "name", "text", "shown"), BAD)
def test_run_chapters_rejects_a_bad_value_before_executing(chapter, name, text, shown, tmp_path):
    value = parse_value(text)
    with pytest.raises(chs.BookError, match=f"Parameter {name}") as info:
        book.run_chapters(tmp_path / "absent", chs.select_chapters([chapter]), {name: value})
    assert shown in str(info.value) and "\n" not in str(info.value)


def test_unknown_and_reserved_parameters_are_errors_on_every_path(tmp_path, capsys):
    assert main(["run", "--data-dir", str(tmp_path), "-p", "churn_dayz", "7"]) == 2
    err = capsys.readouterr().err
    assert "churn_dayz" in err and "churn_days" in err
    # declared by chapter 3, but chapter 4 alone is chosen
    assert main(["run", "--data-dir", str(tmp_path), "--chapters", "4", "-p", "churn_days", "7"])
    assert "churn_days" in capsys.readouterr().err
    assert main(["book", "--data-dir", str(tmp_path), "-p", "data_dir", str(tmp_path)]) == 2
    assert "--data-dir" in capsys.readouterr().err
    for params in ({"churn_dayz": 7}, {"data_dir": str(tmp_path)}):
        with pytest.raises(chs.BookError, match="Parameter"):
            book.run_chapters(tmp_path, chs.select_chapters(["retention"]), params)
    with pytest.raises(P.ParamError, match="churn_dayz: not declared"):
        P.PARAMS["03_retention"].from_values({"churn_dayz": 7})


def test_good_values_are_typed_without_silent_changes():
    chapters = [c.name for c in chs.all_chapters()]
    pairs = [("churn_days", "5"), ("churn_days_grid", "3,5"), ("level", "0.95")]
    pairs += [("max_room_days", "null"), ("heavy_quantile", "1e-1"), ("calibration_days", "7.0")]
    got = P.parse_cli(pairs, chapters)
    assert got == {
        "churn_days": 5,
        "churn_days_grid": [3, 5],
        "level": 0.95,
        "max_room_days": None,
        "heavy_quantile": 0.1,
        "calibration_days": 7,
    }
    assert type(got["calibration_days"]) is int  # 7.0 is 7 exactly; nothing is rounded
    typed = P.check_run(["04_ltv", "05_funnel_ctr"], {"n_boot": 40, "seed": 3})
    assert typed["04_ltv"] == typed["05_funnel_ctr"] == {"n_boot": 40, "seed": 3}
    assert P.PARAMS["04_ltv"](discount_rate_daily=0).discount_rate_daily == 0.0
    assert P.parse_cli(None, chapters) == {}


@pytest.mark.parametrize(
    ("chapter", "values", "name"),
    [
        ("03_retention", {"churn_days": 2.5}, "churn_days"),
        ("03_retention", {"churn_days": True}, "churn_days"),
        ("04_ltv", {"n_boot": 0}, "n_boot"),
        ("04_ltv", {"level": 1.5}, "level"),
        ("02_eda", {"peak_hours": 2.5}, "peak_hours"),
        ("05_funnel_ctr", {"n_boot": 0}, "n_boot"),
        ("01_cleaning", {"max_room_days": "abc"}, "max_room_days"),
    ],
)
def test_each_chapter_checks_its_own_parameters_with_the_same_message(chapter, values, name):
    """A JupyterLab or plain papermill run builds the chapter's Params directly (``analyse``
    does too): the same declaration, the same words as the command line."""
    with pytest.raises(ValueError, match=f"Parameter {name} \\(chapter {chapter}\\).*must be"):
        P.PARAMS[chapter](**values)
    with pytest.raises(ValueError, match=f"Parameter {name} \\(chapter {chapter}\\).*must be"):
        P.PARAMS[chapter].resolve(None, values)


@pytest.mark.parametrize("analyse", ["retention", "ltv", "eda", "funnel", "fidelity", "cleaning"])
def test_analyse_checks_overrides_before_touching_the_data(analyse):
    """``analyse(ds, params=None, **overrides)``: an unknown name fails before ``ds`` is read
    (``ds`` is None here), with the command line's message."""
    import importlib

    mod = importlib.import_module(f"kuailive_analysis.{analyse}")
    with pytest.raises(ValueError, match="Parameter no_such_param: not declared"):
        mod.analyse(None, no_such_param=1)


@pytest.mark.parametrize("chapter", [c.name for c in chs.all_chapters()])
def test_the_notebook_parameters_cell_is_the_declaration(chapter):
    """The ``parameters`` cell is generated from the chapter's Params class (one source):
    ``Params.cell_source()``, and every default is allowed."""
    import nbformat

    nb = nbformat.read(chs.chapters_dir() / f"{chapter}.ipynb", as_version=4)
    cells = [c for c in nb.cells if "parameters" in c.metadata.get("tags", [])]
    assert len(cells) == 1
    cls = P.PARAMS[chapter]
    assert cells[0].source.strip() == cls.cell_source()
    cell = P.notebook_parameters(chs.chapters_dir() / f"{chapter}.ipynb")
    for name, spec in cls.specs().items():
        default = ast.literal_eval(cell[name])
        assert spec.check(default, chapter) == default, name
        assert spec.meaning and "\n" not in spec.allowed()
    assert cls() == cls.from_values({})


def test_a_papermill_injected_parameter_the_chapter_does_not_declare_is_an_error():
    """``Params.from_namespace(globals())`` in a chapter's first code cell: a name papermill
    injected (its cell starts with "# Parameters") that the chapter does not declare fails with
    the command line's message; the declared values are checked and typed."""
    from kuailive_analysis.retention import Params

    base = {n: s.default for n, s in Params.specs().items()}
    history = ["", "churn_days = 7", "# Parameters\nno_such_param = 1\nchurn_days = 5\n"]
    ns = {**base, "no_such_param": 1, "churn_days": 5, "In": history}
    with pytest.raises(P.ParamError) as info:
        Params.from_namespace(ns)
    cli = unknown_error(["no_such_param"], ["03_retention"], Params.specs())
    assert str(info.value) == str(cli)
    ok = Params.from_namespace({**base, "churn_days": 5, "In": history[:2]})
    assert ok.churn_days == 5 and ok.segments == tuple(base["segments"])
    with pytest.raises(P.ParamError, match="churn_days .*no rounding"):
        Params.from_namespace({**base, "churn_days": 2.5, "In": history[:2]})
