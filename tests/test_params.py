"""Typed chapter parameters (kuailive_analysis/app/params.py): one declaration per chapter,
checked the same way on the command line, in ``run_chapters`` (papermill) and in each
chapter's own ``analyse``."""

from __future__ import annotations

import ast
from dataclasses import fields

import pytest

from kuailive_analysis.app import book, params as P
from kuailive_analysis.app.cli import main

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
    value = P.parse_value(text)
    with pytest.raises(book.BookError, match=f"Parameter {name}") as info:
        book.run_chapters(tmp_path / "absent", book.select_chapters([chapter]), {name: value})
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
        with pytest.raises(book.BookError, match="Parameter"):
            book.run_chapters(tmp_path, book.select_chapters(["retention"]), params)
    with pytest.raises(P.ParamError, match="no such parameter"):
        P.check("03_retention", {"churn_dayz": 7}, strict=True)


def test_good_values_are_typed_without_silent_changes():
    chapters = [c.name for c in book.all_chapters()]
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
    assert P.check("04_ltv", {"discount_rate_daily": 0})["discount_rate_daily"] == 0.0
    assert P.parse_cli(None, chapters) == {}


@pytest.mark.parametrize(
    ("call", "name"),
    [
        (lambda: __import__("kuailive_analysis.retention").retention.analyse(None, churn_days=2.5),
         "churn_days"),
        (lambda: __import__("kuailive_analysis.retention").retention.analyse(None, churn_days=True),
         "churn_days"),
        (lambda: __import__("kuailive_analysis.ltv").ltv.analyse(None, n_boot=0), "n_boot"),
        (lambda: __import__("kuailive_analysis.ltv").ltv.analyse(None, level=1.5), "level"),
        (lambda: __import__("kuailive_analysis.eda").eda.analyse(None, peak_hours=2.5),
         "peak_hours"),
        (lambda: __import__("kuailive_analysis.funnel").funnel.analyse(None, n_boot=0), "n_boot"),
        (lambda: __import__("kuailive_analysis.data.clean").data.clean.CleaningParams(
            max_room_days="abc"), "max_room_days"),
    ],
)  # fmt: skip
def test_each_chapter_checks_its_own_parameters_with_the_same_message(call, name):
    """A JupyterLab or plain papermill run calls ``analyse`` directly: same specs, same words,
    raised before the data is touched (``ds`` is None here)."""
    with pytest.raises(ValueError, match=f"Parameter {name} \\(chapter .*must be"):
        call()


@pytest.mark.parametrize("chapter", [c.name for c in book.all_chapters()])
def test_every_spec_matches_the_notebook_parameters_cell(chapter):
    cell = book.notebook_parameters(book.chapters_dir() / f"{chapter}.ipynb")
    specs = P.SPECS[chapter]
    assert [s.name for s in specs] == list(cell)
    for spec in specs:
        default = ast.literal_eval(cell[spec.name])
        assert spec.default == default, spec.name
        assert spec.check(default, chapter) == default  # every default is allowed
        assert spec.meaning and "\n" not in spec.allowed()


def test_specs_agree_with_the_modules_constants_and_dataclasses():
    from kuailive_analysis.core.calendar import N_WINDOW_DAYS
    from kuailive_analysis.data import clean
    from kuailive_analysis.eda import EDAParams
    from kuailive_analysis.eda.returns import REPEAT_DEFINITIONS
    from kuailive_analysis.funnel import DEFAULT_FUNNEL_SEGMENTS, DEFAULT_SEGMENTS
    from kuailive_analysis.funnel.common import INTERVALS
    from kuailive_analysis.ltv.analysis import LTVParams
    from kuailive_analysis.retention.activity import ACTIVITY_BEHAVIOURS
    from kuailive_analysis.retention.result import RetentionParams
    from kuailive_analysis.retention.segments import SEGMENTS

    assert P.N_WINDOW_DAYS == N_WINDOW_DAYS
    assert P.REPEAT_DEFINITIONS == tuple(REPEAT_DEFINITIONS)
    assert P.BEHAVIOURS == ACTIVITY_BEHAVIOURS and P.RETENTION_SEGMENTS == SEGMENTS
    c1, c5 = P.specs("01_cleaning"), P.specs("05_funnel_ctr")
    assert c1["long_rooms"].choices == clean.LONG_ROOM_MODES
    assert c1["room_name_rule"].choices == clean.NAME_RULES
    assert c1["streamer_mismatch"].choices == clean.STREAMER_MISMATCH_MODES
    assert set(c5["interval"].choices) == set(INTERVALS)
    assert c5["segments"].default == list(DEFAULT_SEGMENTS)
    assert c5["funnel_segments"].default == list(DEFAULT_FUNNEL_SEGMENTS)
    for chapter, cls in (("02_eda", EDAParams), ("03_retention", RetentionParams),
                         ("04_ltv", LTVParams), ("01_cleaning", clean.CleaningParams)):  # fmt: skip
        specs = P.specs(chapter)
        for f in fields(cls):
            if f.name in specs:
                default = f.default
                want = list(default) if isinstance(default, tuple) else default
                assert specs[f.name].default == want, (chapter, f.name)
