"""The ``kuailive`` command line: help texts, exit codes and one-paragraph errors."""

from __future__ import annotations

import pytest

from kuailive_analysis.app.cli import main

SUBCOMMANDS = ["sample", "validate", "run", "build", "book"]


def test_top_level_help_lists_every_subcommand(capsys):
    with pytest.raises(SystemExit) as exc:
        main(["--help"])
    assert exc.value.code == 0
    out = capsys.readouterr().out
    for name in SUBCOMMANDS:
        assert name in out


@pytest.mark.parametrize("name", SUBCOMMANDS)
def test_each_subcommand_has_help(name, capsys):
    with pytest.raises(SystemExit) as exc:
        main([name, "--help"])
    assert exc.value.code == 0
    assert len(capsys.readouterr().out) > 200


def test_sample_writes_the_eight_files(tmp_path, capsys):
    out = tmp_path / "twin"
    assert main(["sample", "--out", str(out), "--scale", "0.005", "--seed", "3", "--quiet"]) == 0
    names = {p.name.removesuffix(".gz") for p in out.iterdir()}
    for f in [
        "user.csv",
        "streamer.csv",
        "room.csv",
        "click.csv",
        "comment.csv",
        "like.csv",
        "gift.csv",
        "negative.csv",
    ]:
        assert f in names
    assert "written to" in capsys.readouterr().out


def test_validate_accepts_the_twin(small_twin, capsys):
    assert main(["validate", "--data-dir", str(small_twin)]) == 0
    assert "click.csv" in capsys.readouterr().out


def test_validate_missing_folder_is_a_clear_error(tmp_path, capsys):
    missing = tmp_path / "nope"
    assert main(["validate", "--data-dir", str(missing)]) == 2
    err = capsys.readouterr().err
    assert "nope" in err and "Traceback" not in err


def test_run_with_missing_data_dir_is_a_clear_error(tmp_path, capsys):
    assert main(["run", "--data-dir", str(tmp_path / "absent"), "--chapters", "1"]) == 2
    assert "absent" in capsys.readouterr().err


def test_run_rejects_unknown_chapter(small_twin, capsys):
    assert main(["run", "--data-dir", str(small_twin), "--chapters", "churn"]) == 2
    assert "No chapter matches" in capsys.readouterr().err


def test_run_rejects_undeclared_parameter(small_twin, capsys):
    code = main(
        ["run", "--data-dir", str(small_twin), "--chapters", "1", "-p", "no_such_param", "3"]
    )
    assert code == 2
    assert "no_such_param" in capsys.readouterr().err
