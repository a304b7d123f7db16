"""The metric registry: declarations, compute functions on a hand-made dataset with known
answers, one value per KPI across chapters, and the glossary page."""

from __future__ import annotations

import json
import re

import pandas as pd
import pytest
import yaml

from kuailive_analysis import config, eda, funnel as F, metrics as M
from kuailive_analysis.app import chapters as chs, site
from kuailive_analysis.core import calendar as cal
from kuailive_analysis.data.data_source import DataSource
from kuailive_analysis.data.schema import WINDOW_START_MS as W
from kuailive_analysis.dataset import Dataset
from kuailive_analysis.engine.frames import run_on_frames
from kuailive_analysis.engine.queries import model as QM

H = 3_600_000
EV = ["user_id", "live_id", "streamer_id", "ts_ms"]


# --------------------------------------------------------------------------------------------
# A hand-made cleaned dataset (answers worked out by hand in the comments)
# --------------------------------------------------------------------------------------------
def _events(rows, extra=None):
    df = pd.DataFrame(rows, columns=EV + ([extra] if extra else []))
    df["day"] = cal.beijing_day(df["ts_ms"]).astype("int8")
    df["hour"] = cal.beijing_hour(df["ts_ms"]).astype("int8")
    return df


def hand_dataset() -> Dataset:
    """Users 1-3, streamers 100-400 (400 idle), rooms 10, 11 (100), 12 (200), 13 (300).

    * clicks: u1 room 10 (8 s, qualified), u1 room 11 (2 s), u2 room 10 (60 s, qualified),
      u2 room 12 (1 s) -> 4 clicks.
    * negatives: u1 room 12, u2 room 11, u3 room 13, u3 room 10 -> 4; exposures 8, CTR 1/2.
    * comments: u1 room 10 500 ms after the click (attributed); u2 room 12 5,000 s after the
      click (late with a 1 h window) -> comments per click 2/4, attributed 1/4.
    * like: u2 room 10 after the click (attributed) -> 1/4.
    * gifts: two by u1 on room 10 at and after the click (5 + 15 coins, attributed), one by u3
      on room 13 without a click (7 coins) -> gifts per click 3/4, attributed 2/4, GTR 1/4.
    * sessions: 8 (user, room) pairs, 4 with a click, 1 of those with a gift -> gift-session
      share 1/4; (the old chapter-2 reading, gift sessions among sessions with any click,
      comment, like or gift, gave 2/5).
    """
    clicks = _events(
        [
            (1, 10, 100, W + 1000, 8000),
            (1, 11, 100, W + 5000, 2000),
            (2, 10, 100, W + 2000, 60000),
            (2, 12, 200, W + 9000, 1000),
        ],
        "watch_live_time",
    )
    negatives = _events(
        [
            (1, 12, 200, W + 1000),
            (2, 11, 100, W + 2000),
            (3, 13, 300, W + 3000),
            (3, 10, 100, W + 4000),
        ]
    )
    comments = _events([(1, 10, 100, W + 1500), (2, 12, 200, W + 9000 + 5_000_000)])
    likes = _events([(2, 10, 100, W + 3000)])
    gifts = _events(
        [(1, 10, 100, W + 1000, 5), (1, 10, 100, W + 1200, 15), (3, 13, 300, W + 3500, 7)],
        "gift_price",
    )
    rooms = pd.DataFrame(
        {
            "live_id": [10, 11, 12, 13],
            "streamer_id": [100, 100, 200, 300],
            "live_type": [1, 1, 2, 1],
            "live_content_category": ["shop", "other", "other", "shop"],
        }
    )
    users = pd.DataFrame(
        {
            "user_id": [1, 2, 3],
            "age": ["18-23", "50+", "24-30"],
            "gender": ["M", "F", "M"],
            "device_price": ["0", "5000+", "0"],
        }
    )
    streamers = pd.DataFrame({"streamer_id": [100, 200, 300, 400]})
    ev = {"clicks": clicks, "comments": comments, "likes": likes, "gifts": gifts}
    ev["negatives"] = negatives
    tables = {
        "users": users,
        "streamers": streamers,
        "rooms": rooms,
        "clicks": clicks,
        "comments": comments,
        "likes": likes,
        "gifts": gifts,
        "negatives": negatives,
        "sessions": run_on_frames(QM.SESSIONS, rooms=rooms, **ev),
        "user_day": run_on_frames(QM.USER_DAY, **ev),
    }
    source = DataSource("folder", "hand-made", None, None, "0", "hand-made data")
    return Dataset(tables=tables, source=source, params={})


EXPECTED = {
    "n_users": 3,
    "n_streamers": 4,
    "n_rooms": 4,
    "n_clicks": 4,
    "n_negatives": 4,
    "n_exposures": 8,
    "n_sessions": 8,
    "n_click_sessions": 4,
    "share_sessions_click": 4 / 8,
    "n_exposed_users": 3,
    "n_gift_pairs": 2,
    "ctr": 4 / 8,
    "negatives_per_click": 4 / 4,
    "comments_per_click": 2 / 4,
    "likes_per_click": 1 / 4,
    "gifts_per_click": 3 / 4,
    "gift_session_share": 1 / 4,
    # streamers 100 (20 coins) and 300 (7) of 4 received a gift
    "share_streamers_gifted": 2 / 4,
    "qualified_rate": 2 / 4,
    "comment_rate": 1 / 4,
    "like_rate": 1 / 4,
    "gtr": 1 / 4,
    "interaction_rate": 2 / 4,
    "attributed_comments_per_click": 1 / 4,
    "attributed_likes_per_click": 1 / 4,
    "attributed_gifts_per_click": 2 / 4,
    "overall_gift": 1 / 8,  # u1's 8 s click on room 10 carries the gifts
    "user_share_gift": 1 / 3,
    "revenue": 27,
    "gift_price_mean": 27 / 3,
    "rpm": 1000 * 20 / 8,
    "rpm_all": 1000 * 27 / 8,
    # user revenue 20, 0, 7: sum |xi - xj| / (2 n^2 mean) = 80 / (2 * 9 * 9)
    "gini_revenue_users": 80 / 162,
    "top1_users_revenue": 0.03 * 20 / 27,  # 1% of 3 users = 0.03 of the top user
    "top10_users_revenue": 0.3 * 20 / 27,
    "gini_revenue_gifted": 26 / 108,  # streamers with 20 and 7 coins
    # interactions per streamer: 100 -> 3 clicks + comment + like + 2 gifts = 7; 200 -> 2;
    # 300 -> 1 gift; 400 -> 0: three of four below 5
    "streamers_lt_cold": 3 / 4,
}


@pytest.fixture(scope="module")
def ds():
    return hand_dataset()


# --------------------------------------------------------------------------------------------
# Declarations
# --------------------------------------------------------------------------------------------
def test_every_metric_is_fully_declared():
    names = [m.name for m in M.METRICS.values()]
    assert len(set(names)) == len(names), "metric names must be unique"
    assert len({d.name for d in M.DEFINITIONS.values()}) == len(M.DEFINITIONS)
    for key, m in M.METRICS.items():
        assert m.key == key and re.fullmatch(r"[a-z][a-z0-9_]*", key)
        assert m.unit in M.UNITS, (key, m.unit)
        assert m.definition.strip() and m.formula.strip() and m.population.strip(), key
        assert m.kind in M.KINDS, key
        assert m.chapter and all(c in M.CHAPTERS for c in m.chapter), key
        assert bool(m.numerator) == bool(m.denominator), key
        if m.unit == "share" and m.numerator:
            assert m.denominator, key
        # one implementation: computed by the registry, or by the named function, not both
        assert M.is_computable(key) != bool(m.computed_by), key
    for key, d in M.DEFINITIONS.items():
        assert d.key == key and d.name.strip() and d.text.strip()


def test_differently_defined_quantities_have_different_names():
    per_click = {
        M.METRICS[k].name
        for k in ("gifts_per_click", "attributed_gifts_per_click", "gtr", "gift_session_share")
    }
    assert len(per_click) == 4
    assert "gift-through" in M.METRICS["gtr"].name.lower()


def test_unknown_metric_and_model_metrics_are_explained(ds):
    with pytest.raises(KeyError, match="unknown metric"):
        M.compute("nope", ds)
    with pytest.raises(ValueError, match="retention.km_summary"):
        M.compute("km_s7", ds)
    with pytest.raises(TypeError, match="unknown parameter"):
        M.MetricContext(ds, churn_dayz=7)


# --------------------------------------------------------------------------------------------
# Compute functions
# --------------------------------------------------------------------------------------------
def test_every_computable_metric_has_a_hand_computed_answer():
    assert set(M.computable()) == set(EXPECTED)


@pytest.mark.parametrize("key", sorted(EXPECTED))
def test_compute_gives_the_hand_computed_answer(ds, key):
    v = M.compute(key, ds)
    assert v.value == pytest.approx(EXPECTED[key], rel=1e-12), key
    assert v.unit == M.METRICS[key].unit
    if v.denominator is not None:
        scale = 1000.0 if M.METRICS[key].unit == "coins per 1,000 exposures" else 1.0
        assert v.value == pytest.approx(scale * v.numerator / v.denominator)


def test_context_parameters_change_the_parameterised_metrics(ds):
    unlimited = M.MetricContext(ds, attribution_window_s=None)
    assert unlimited.value("comment_rate") == pytest.approx(2 / 4)  # the late comment counts
    strict = M.MetricContext(ds, qualified_watch_s=10)
    assert strict.value("qualified_rate") == pytest.approx(1 / 4)
    assert strict.value("overall_gift") == 0.0  # the gifting click lasted 8 s
    assert M.MetricContext(ds, cold_start_max=2).value("streamers_lt_cold") == pytest.approx(2 / 4)


def test_values_and_compute_many_share_one_context(ds):
    vals = M.values(["ctr", "gtr", "n_clicks"], ds)
    assert vals == {"ctr": 0.5, "gtr": 0.25, "n_clicks": 4}
    assert isinstance(vals["n_clicks"], int)


# --------------------------------------------------------------------------------------------
# One KPI, one value across chapters (execute-free: the functions the chapters call)
# --------------------------------------------------------------------------------------------
def _markdown_glue_keys() -> dict[str, set[str]]:
    """Glue keys each chapter's prose reads -> chapters."""
    out: dict[str, set[str]] = {}
    for ch in chs.all_chapters():
        nb = json.loads(ch.path.read_text())
        for c in nb["cells"]:
            if c["cell_type"] == "markdown":
                for key in re.findall(r"\{glue:text\}`([A-Za-z0-9_]+)", "".join(c["source"])):
                    out.setdefault(key, set()).add(ch.name)
    return out


NOT_KPIS = {"data_kind", "data_name", "source_label", "data_source"}


def test_keys_glued_by_two_chapters_are_registry_metrics():
    shared = {k: v for k, v in _markdown_glue_keys().items() if len(v) > 1}
    assert "ctr" in shared and "gifts_per_click" in shared and "gift_session_share" in shared
    for key, chapters in shared.items():
        assert key in M.METRICS or key in NOT_KPIS, (key, sorted(chapters))
        if key in M.METRICS:
            assert set(chapters) <= set(M.METRICS[key].chapter), (key, sorted(chapters))


def test_old_divergent_keys_are_gone():
    keys = _markdown_glue_keys()
    for old in (
        "rate_gifts_per_click",
        "rate_share_sessions_gift",
        "sess_gift",
        "neg_per_click",
        "gift_mean_all",
        "n_users",
    ):
        chapters = keys.get(old, set())
        assert chapters <= ({"02_eda"} if old == "n_users" else set()), (old, chapters)


def test_chapter5_headline_numbers_are_the_registry_values(ds):
    from kuailive_analysis.funnel.analysis import METRIC_KEYS

    res = F.analyse(ds, n_boot=20)
    h = res.numbers()
    for key in METRIC_KEYS:
        assert res.overview.metrics[key].value == M.compute(key, ds).value, key
        if key in h:
            assert h[key] == M.compute(key, ds).value, key
    # the funnel's own tables agree with the registry (same definition, one value)
    k = res.kpis.kpis.iloc[0]
    assert k["gtr"] == h["gtr"] and k["ctr"] == h["ctr"] and k["rpm"] == h["rpm"]
    assert k["attributed_gifts_per_click"] == h["attributed_gifts_per_click"]
    sk = res.kpis.session_kpis
    assert sk.loc["gift rate per click session", "rate"] == h["gift_session_share"]
    units = res.steps.units.set_index(["unit", "step"])
    assert units.loc[("user", "gift"), "overall_rate"] == pytest.approx(h["user_share_gift"])
    assert units.loc[("exposure", "gift"), "overall_rate"] == pytest.approx(h["overall_gift"])
    summary = res.kpis.summary.set_index("kpi")
    assert summary.loc["Gifts per click", "value"] == pytest.approx(3 / 4)
    assert summary.loc["Attributed gifts per click", "value"] == pytest.approx(2 / 4)
    assert summary.loc["Gift-session share", "value"] == pytest.approx(1 / 4)
    assert "sess_gift" not in h and "neg_per_click" not in h and "n_users" not in h


def test_chapter2_concentration_table_agrees_with_the_registry(ds):
    from kuailive_analysis.engine.queries import eda as EQ

    sa, ua = ds.query(EQ.STREAMER_ACTIVITY), ds.query(EQ.USER_ACTIVITY)
    mc = M.MetricContext(ds, tables={"streamer_activity": sa, "user_activity": ua})
    assert mc.value("gini_revenue_gifted") == pytest.approx(
        eda.concentration_table({"r": sa["gift_value"]}).loc["r", "gini_positive"]
    )
    assert mc.value("share_streamers_gifted") == pytest.approx(
        eda.concentration_table({"r": sa["gift_value"]}).loc["r", "n_positive"] / len(sa)
    )


def test_published_figures_use_registry_keys():
    from kuailive_analysis.eda.published import CALIBRATION_KEYS

    keys = set(CALIBRATION_KEYS)
    assert "gift_session_share" in keys and "share_sessions_gift" not in keys
    for k in ("ctr", "comments_per_click", "likes_per_click", "gifts_per_click"):
        assert k in keys and k in M.METRICS


# --------------------------------------------------------------------------------------------
# Glossary
# --------------------------------------------------------------------------------------------
def test_glossary_renders_every_metric_and_definition():
    md = M.glossary_markdown()
    assert md.startswith("(glossary)=\n# ")
    for m in M.METRICS.values():
        assert f"### {m.name}\n" in md, m.key
        assert f"${m.formula}$" in md, m.key
        assert f"`{m.key}`" in md
    for d in M.DEFINITIONS.values():
        assert f"\n{d.name}\n: " in md, d.key
    labels = re.findall(r"^\((metric-[a-z0-9-]+)\)=$", md, flags=re.M)
    assert len(labels) == len(set(labels)) == len(M.METRICS)
    for line in md.splitlines():
        if line.startswith("| Formula |"):
            assert line.count("$") == 2 and line.count("|") == 3, line
    for title in M.KINDS.values():
        assert f"## {title}\n" in md
    assert "{doc}`2. Exploratory analysis <chapters/02_eda>`" in md


def test_registry_table_lists_every_metric():
    t = M.registry_table()
    assert t["key"].tolist() == list(M.METRICS)
    assert t["computed_by"].notna().all()


def test_glossary_is_staged_into_the_build_not_the_source(tmp_path, monkeypatch):
    monkeypatch.setenv("KUAILIVE_BUILD_DIR", str(tmp_path / "build"))
    root = config.project_root()
    stage = site._stage(root, {"data": {"kind": "twin", "scale": 0.1, "seed": 1}})
    assert (stage / "book" / site.GLOSSARY).read_text() == M.glossary_markdown()
    assert not (root / "book" / site.GLOSSARY).exists()
    toc = yaml.safe_load((root / "_toc.yml").read_text())
    files = [c["file"] for c in toc["chapters"]]
    assert files[-2:] == ["book/chapters/06_fidelity", "book/glossary"]
    assert "{doc}`glossary <glossary>`" in (root / "book" / "intro.md").read_text()


def test_units_are_explained():
    assert all(isinstance(v, str) and v for v in M.UNITS.values())
