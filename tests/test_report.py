"""The shared glue helper and the provenance table."""

from __future__ import annotations

import ast
from datetime import UTC, datetime
from types import SimpleNamespace

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, strategies as st

from kuailive_analysis import report
from kuailive_analysis.core.format import format_number


def test_numpy_scalars_become_python_scalars_myst_can_eval():
    for v, expected_type in (
        (np.float64(0.25), float),
        (np.int64(3), int),
        (np.int8(-2), int),
        (np.bool_(True), bool),
        (np.float32(1.5), float),
    ):
        out = report.text_value(v)
        assert type(out) is expected_type
        # myst-nb formats {glue:text}`k:spec` by literal_eval of the repr
        assert ast.literal_eval(repr(out)) == out
    assert report.text_value("x") == "x" and report.text_value(None) is None


def test_spec_preformats_and_missing_values_read_na():
    assert report.text_value(np.float64(0.25), ".1%") == "25.0%"
    assert report.text_value(1234567, ",.0f") == "1,234,567"
    for missing in (float("nan"), np.float64("nan"), None, float("inf"), pd.NA):
        assert report.text_value(missing, ".2f") == "n/a"


@given(st.floats(allow_nan=False, allow_infinity=False, width=64))
def test_preformatting_equals_python_format(x):
    assert report.text_value(np.float64(x), ".3g") == format(x, ".3g")


def test_glue_stores_plain_value_in_the_notebook_output(monkeypatch):
    seen = {}

    def fake_glue(name, value, display=True):
        seen[name] = (value, display)

    import myst_nb

    monkeypatch.setattr(myst_nb, "glue", fake_glue)
    assert report.glue("share", np.float64(0.5)) is None  # nothing echoed as cell output
    report.glue("share_txt", np.float64(0.5), ".0%")
    assert seen == {"share": (0.5, False), "share_txt": ("50%", False)}
    assert type(seen["share"][0]) is float
    with pytest.raises(ValueError, match="not a valid identifier"):
        report.glue("bad key", 1)


def test_volatile_keys_follow_the_time_prefix_convention():
    assert report.is_volatile("time_elapsed_s") and report.is_volatile("time_bg_fit_ms")
    assert not report.is_volatile("qualified_watch_s") and not report.is_volatile("ctr")


def test_provenance_for_a_twin():
    ds = SimpleNamespace(
        source={
            "kind": "twin",
            "path": "/x/twin-scale0.02-seed7",
            "scale": 0.02,
            "seed": 7,
            "fingerprint": "abc123",
        }
    )
    when = datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)
    tab = report.provenance(
        ds, now=when, churn_days=7, segments=["gender", "age"], level=np.float64(0.9), data_dir=None
    )
    assert list(tab.columns) == ["section", "item", "value"]
    params = tab[tab["section"] == "parameter"].set_index("item")["value"]
    assert params.to_dict() == {
        "churn_days": "7",
        "segments": "['gender', 'age']",
        "level": "0.9",
        "data_dir": "None",
    }
    data = tab[tab["section"] == "data"].set_index("item")["value"]
    assert data["kind"] == "synthetic twin" and data["twin seed"] == "7"
    assert data["twin scale"] == "0.02" and data["fingerprint"] == "abc123"
    assert data["folder"] == "twin-scale0.02-seed7"
    versions = tab[tab["section"] == "version"].set_index("item")["value"]
    assert versions["pandas"] == pd.__version__ and versions["numpy"] == np.__version__
    assert tab.iloc[-1].tolist() == ["run", "executed at", "2026-01-02 03:04:05 UTC"]
    assert tab["value"].map(type).eq(str).all()


def test_provenance_for_a_real_folder_has_no_seed():
    ds = SimpleNamespace(source={"kind": "folder", "path": "/data/KuaiLive", "fingerprint": "f00d"})
    tab = report.provenance(ds)
    data = tab[tab["section"] == "data"].set_index("item")["value"]
    assert data.to_dict() == {"kind": "data folder", "folder": "KuaiLive", "fingerprint": "f00d"}
    assert (tab["section"] == "parameter").sum() == 0
    assert report.provenance(None)["section"].eq("data").sum() == 1  # kind: unknown


def test_show_provenance_renders_html_without_index():
    html = report.show_provenance(
        SimpleNamespace(source={"kind": "twin", "seed": 1, "scale": 0.1}), a=1
    ).to_html()
    assert "twin seed" in html and "executed at" in html


def test_staging_bundles_mathjax_and_drops_thebe(tmp_path):
    """The site's offline set-up (kuailive_analysis.app.book): local MathJax, no thebe CDN."""
    from kuailive_analysis.app import site

    cfg: dict = {}
    site._offline_sphinx_config(cfg, tmp_path)
    assert cfg["mathjax_path"] == "mathjax/tex-chtml.js"
    assert site.OFFLINE_STATIC in cfg["html_static_path"]
    bundled = tmp_path / site.OFFLINE_STATIC / cfg["mathjax_path"]
    assert bundled.stat().st_size > 100_000
    fonts = list((bundled.parent / "output" / "chtml" / "fonts" / "woff-v2").glob("*.woff"))
    assert len(fonts) >= 20
    assert "sphinx_thebe" not in cfg["extensions"] and "myst_nb" in cfg["extensions"]
    # nothing under a source "_static": jupyter-book would add every .js there to every page
    assert not (tmp_path / "_static").exists()


def test_show_table_formats_counts_shares_and_missing_values():
    from kuailive_analysis.report import show_table

    df = pd.DataFrame(
        {
            "kpi": ["CTR", "value"],
            "value": [0.280171, 177.812],
            "numerator": [96966.0, 1387.0],
            "share_attributed": [0.9816, 0.5],
            "lo": [0.27868, float("nan")],
        }
    )
    html = show_table(df).to_html()
    assert "96,966" in html and "98.2%" in html and "0.2802" in html and "177.8" in html
    assert "\u2013" in html  # NaN shown as a dash, not 'nan'
    assert "nan" not in html.lower().replace("nanosecond", "")
    named = show_table(df.set_index("kpi")).to_html()
    assert "CTR" in named
    with_inf = show_table(pd.DataFrame({"max_days": [0.5, 1.0, float("inf")]})).to_html()
    assert "0.5" in with_inf and "inf" in with_inf


def test_show_table_readable_headers_p_values_near_zero_and_no_scientific_notation():
    from kuailive_analysis.report import show_table

    df = pd.DataFrame(
        {
            "S_a": [0.5, 0.25],
            "fixed_p_holm": [1e-9, 0.0456],
            "corr": [-5.5e-17, 0.123456],
            "value": [190_500.25, 0.00012345],
            "gift_rate": [0.0148, 0.25],
        }
    )
    html = show_table(df).to_html()
    assert "Survival, group A" in html and "p-value (Holm-adjusted)" in html
    assert "S_a" not in html and "fixed_p_holm" not in html
    assert "&lt; 0.001" in html and "0.046" in html
    assert "e-" not in html and "e+" not in html  # never scientific notation
    assert ">0<" in html.replace(" ", "")  # -5.5e-17 shown as 0
    assert "190,500" in html and "0.000123" in html
    assert "1.48%" in html and "25.0%" in html
    assert "overflow-x: auto" in html  # wide tables scroll


def test_show_table_collapses_long_tables():
    from kuailive_analysis.report import show_table

    df = pd.DataFrame({"group": [f"g{i}" for i in range(34)], "n_users": range(34)})
    t = show_table(df, max_rows=10)
    html = t._repr_html_()
    assert "24 more rows hidden" in html and "<details>" in html and "Show all 34 rows" in html
    assert "Number of users" in html
    assert "<details>" not in show_table(df.head(5), max_rows=10).to_html()


@pytest.mark.parametrize(
    "x,text", [(0.0, "0"), (1e-12, "0"), (-5.5e-17, "0"), (1.905e5, "190,500"), (0.5, "0.5")]
)
def test_format_number(x, text):
    assert format_number(x) == text


def test_glued_prose_is_not_bold_and_wide_tables_scroll():
    """myst-nb bolds every glued text; the book's assets un-bold glued prose (> 3 words)."""
    import yaml

    from kuailive_analysis import config

    root = config.project_root()
    cfg = yaml.safe_load((root / "_config.yml").read_text())["sphinx"]["config"]
    assets = root / cfg["html_static_path"][0]
    assert "kuailive.css" in cfg["html_css_files"] and "kuailive.js" in cfg["html_js_files"]
    css = (assets / "kuailive.css").read_text()
    assert "span.pasted-text.kl-prose" in css and "font-weight: inherit" in css
    assert "overflow-x: auto" in css
    js = (assets / "kuailive.js").read_text()
    assert "span.pasted-text" in js and "kl-prose" in js


def test_format_percent_with_fixed_digits_and_range():
    from kuailive_analysis.core.format import format_percent, format_range

    assert format_percent(0.0656) == "6.56%" and format_percent(0.0656, 1) == "6.6%"
    assert format_percent(0.2857, 0) == "29%" and format_percent(float("nan"), 1) == "\u2013"
    assert format_range(0.712, 0.7841, 1) == "71.2% to 78.4%"
    assert format_range(float("nan"), 0.5, 1) == format_range(None, 0.5) == "n/a"
