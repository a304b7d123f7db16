r"""Supervised value forecasts: features up to a cut day, a model trained one window earlier.

No leakage, by construction. To forecast the gift value of days ``[cut, cut + horizon)`` the
model is **trained** on an earlier, fully observed split of the same shape: features from the
days before ``cut - horizon`` and, as the target, the value given in
``[cut - horizon, cut)``. It is then **applied** to features from the days before ``cut``.
The days at and after ``cut`` are never read. With the chapter's split (cut = 14 calibration
days, horizon = the 7 holdout days) the model learns "days 0-6 -> value of days 7-13" and
predicts "days 0-13 -> value of days 14-20".

**No extrapolation in window length.** The training window (7 days) is shorter than the
scoring window (14 days), so a feature that grows with the window's length (a total, a
maximum over all days, a recency) would put every scored user beyond the training range. Every
feature (:func:`user_features`) is therefore defined the same way on both windows and does not
grow with their length: **per-day rates** (over the days since the user's first gift, or first
active day, in the window), the **last ``horizon`` days'** activity (the same length in both),
and **recencies capped** at the training window's length.

Population at a cut: the users with a gifting day before it (the BG/NBD cohort). Models:

* **Poisson gradient boosting** (:func:`gradient_boosting_forecast`): scikit-learn's
  ``HistGradientBoostingRegressor(loss="poisson")`` (a log link for a non-negative, mostly
  zero, heavy-tailed target; it predicts the mean). The training target is capped at its
  :data:`TARGET_CAP_QUANTILE` quantile (training only; the holdout is scored uncapped), so that
  a handful of whales do not set the leaves; capping lowers the level (on the twin the top five
  training users hold about half of the training total), so the forecasts are then balanced.
* **zero-inflated lognormal** (:func:`ziln_forecast`, the two-part form of Wang, Liu & Miao
  2019): a logistic regression for :math:`P(Y > 0 \mid X)` and a linear regression of
  :math:`\log Y` on the users who gave, :math:`\mu(X)` with the user-level residual variance
  :math:`\sigma^2`; the mean of the mixture is

  .. math::

      E[Y \mid X] = P(Y > 0 \mid X) \exp\big(\mu(X) + \sigma^2 / 2\big).

  With the variance of users' log gift values (:math:`\sigma^2 \approx 4`, a mean 8 times the
  median) and residuals that are not normal, this mean misses the model's own training total
  by a factor of about 2, so it is balanced too.

**Balance on the training window** (:func:`training_balance`): each supervised model's
forecasts are multiplied by one factor, the actual total of its training users over the total
it forecasts for them, so that on its own training window it forecasts the right total (the
uncapped one for gradient boosting). The factor and the ratio before it are reported
(:class:`SupervisedForecast`); the holdout is never used.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

__all__ = [
    "GBM_SETTINGS",
    "PROFILE_CODES",
    "TARGET_CAP_QUANTILE",
    "SupervisedForecast",
    "gradient_boosting_forecast",
    "supervised_split",
    "target_value",
    "training_balance",
    "user_features",
    "ziln_forecast",
]

PROFILE_CODES = (
    "age",
    "gender",
    "fans_num",
    "follow_num",
    "device_price",
    "accu_watch_live_cnt",
    "accu_watch_live_duration",
)
"""Binned profile columns used as category codes."""
PROFILE_NUMERIC = ("is_live_streamer", "is_photo_author")
"""Profile flags used as numbers."""
AGE_COLUMNS = {"account_age_days": "tenure_days", "watch_age_days": "watch_age_days"}
"""Feature -> ``users`` column of days before the window start; the feature is the age at the
cut (that column plus the cut)."""
TARGET_CAP_QUANTILE = 0.995
"""Quantile of the training users' target values (zeros included) at which the gradient
boosting model's training target is capped (the top half percent of users)."""
GBM_SETTINGS = dict(
    learning_rate=0.05,
    max_iter=200,
    max_depth=3,
    min_samples_leaf=20,
    l2_regularization=1.0,
    early_stopping=False,
)
"""Settings of the gradient boosting model, fixed before any holdout was scored (not tuned)."""


def _capped(days: pd.Series, cap: int) -> pd.Series:
    return days.clip(upper=cap).astype(float)


def user_features(
    user_day: pd.DataFrame, users: pd.DataFrame | None, cut: int, recent: int, cap: int
) -> pd.DataFrame:
    """Features of the users with a gifting day before ``cut``, from days ``< cut`` only;
    index ``user_id`` (module docstring: rates per day, the last ``recent`` days, recencies
    capped at ``cap`` days).

    Rates per day are over the days from the user's first gift (``gift_*``) or first active day
    (watching and engagement) in the window to the cut, both ends included.
    """
    ud = user_day[user_day["day"] < cut]
    gift = ud[ud["n_gifts"] > 0]
    g = gift.groupby("user_id")
    first = g["day"].min()
    out = pd.DataFrame(index=pd.Index(first.index.astype(np.int32), name="user_id"))
    seen_gift = (cut - first).astype(float)
    out["gift_days_per_day"] = g.size() / seen_gift
    out["gift_value_per_day"] = g["gift_value"].sum() / seen_gift
    out["gift_value_per_gift_day"] = g["gift_value"].mean()
    out["gifts_per_gift_day"] = g["n_gifts"].mean()
    out["days_since_last_gift"] = _capped(cut - 1 - g["day"].max(), cap)
    out["days_since_first_gift"] = _capped(cut - 1 - first, cap)
    act = ud[ud["user_id"].isin(out.index)]
    rec = act[act["day"] >= cut - recent]
    rg, rgift = rec.groupby("user_id"), rec[rec["n_gifts"] > 0].groupby("user_id")
    out["recent_gift_days"] = rgift.size()
    out["recent_gift_value"] = rgift["gift_value"].sum()
    out["recent_gift_value_max_day"] = rgift["gift_value"].max()
    out["recent_watch_days"] = rec[rec["n_clicks"] > 0].groupby("user_id").size()
    out["recent_watch_hours"] = rg["watch_ms"].sum() / 3.6e6
    out["recent_clicks"] = rg["n_clicks"].sum()
    ag = act.groupby("user_id")
    seen = (cut - ag["day"].min()).astype(float)
    out["watch_days_per_day"] = act[act["n_clicks"] > 0].groupby("user_id").size() / seen
    out["watch_hours_per_day"] = ag["watch_ms"].sum() / 3.6e6 / seen
    out["comments_per_day"] = ag["n_comments"].sum() / seen
    out["likes_per_day"] = ag["n_likes"].sum() / seen
    last_active = act[act["active"]].groupby("user_id")["day"].max()
    out["days_since_last_active"] = _capped(cut - 1 - last_active, cap)
    out = out.fillna(
        {c: 0.0 for c in out.columns if c.startswith("recent_") or c.endswith("_per_day")}
    )
    if users is not None:
        prof = users.set_index("user_id")
        for c in PROFILE_CODES:
            if c in prof:
                out[c] = prof[c].cat.codes.reindex(out.index).astype(float).replace(-1, np.nan)
        for c in PROFILE_NUMERIC:
            if c in prof:
                out[c] = prof[c].reindex(out.index).astype(float)
        for name, c in AGE_COLUMNS.items():
            if c in prof:
                out[name] = prof[c].reindex(out.index).astype(float) + cut
    return out.astype(float)


def target_value(user_day: pd.DataFrame, users: pd.Index, start: int, stop: int) -> pd.Series:
    """Gift value of each user in days ``[start, stop)`` (0 for users who gave nothing)."""
    ud = user_day[(user_day["day"] >= start) & (user_day["day"] < stop)]
    return ud.groupby("user_id")["gift_value"].sum().reindex(users, fill_value=0).astype(float)


def supervised_split(user_day, users, cut: int, horizon: int):
    """``(X_train, y_train, X_apply)``: training features before ``cut - horizon`` with the
    value of ``[cut - horizon, cut)`` as target, and the features before ``cut`` to apply the
    model to; both with the last ``horizon`` days as the recent window and recencies capped at
    the training window's length ``cut - horizon``. Raises ValueError when ``cut - horizon <
    1`` (no earlier window to train on)."""
    train_cut = cut - horizon
    if train_cut < 1:
        raise ValueError(
            f"no earlier window to train on: the cut (day {cut}) minus the horizon "
            f"({horizon} days) leaves {train_cut} days of features."
        )
    X_train = user_features(user_day, users, train_cut, horizon, cap=train_cut)
    y_train = target_value(user_day, X_train.index, train_cut, cut)
    X_apply = user_features(user_day, users, cut, horizon, cap=train_cut)
    return X_train, y_train, X_apply


def training_balance(pred_train: np.ndarray, y_train) -> float:
    r"""The factor that makes a model's forecasts on its own training users add up to their
    actual total, :math:`\sum_i y_i / \sum_i \hat y_i` (1 when there is nothing to match)."""
    total, fitted = float(np.sum(y_train)), float(np.sum(pred_train))
    return total / fitted if total > 0 and fitted > 0 else 1.0


@dataclass(frozen=True)
class SupervisedForecast:
    """A supervised model's forecasts of the users of ``X_apply`` (``forecast``, coins); its
    total ratio on its own training window before the balance step (``train_total_ratio``,
    forecast / actual total of the ``n_train`` training users, whose mean target is
    ``train_mean`` coins); the ``balance`` factor applied (:func:`training_balance`); the
    training target's cap (``target_cap``, coins; gradient boosting) and the user-level
    residual variance of log value (``log_variance``; zero-inflated lognormal), NaN when they
    do not apply."""

    forecast: np.ndarray
    train_total_ratio: float
    balance: float
    n_train: int
    train_mean: float
    target_cap: float = float("nan")
    log_variance: float = float("nan")


def _balanced(pred_train, pred_apply, y, **detail) -> SupervisedForecast:
    k = training_balance(pred_train, y)
    return SupervisedForecast(
        forecast=np.clip(pred_apply, 0.0, None) * k,
        train_total_ratio=1 / k,
        balance=k,
        n_train=int(y.size),
        train_mean=float(np.mean(y)) if y.size else float("nan"),
        **detail,
    )


def gradient_boosting_forecast(X_train, y_train, X_apply, *, seed: int = 0) -> SupervisedForecast:
    """Poisson-loss gradient boosting (:data:`GBM_SETTINGS`) trained on ``y_train`` capped at
    its :data:`TARGET_CAP_QUANTILE` quantile, balanced to the uncapped training total and
    applied to ``X_apply`` (mean forecasts)."""
    from sklearn.ensemble import HistGradientBoostingRegressor

    y = y_train.to_numpy(float)
    cap = float(np.quantile(y, TARGET_CAP_QUANTILE))
    model = HistGradientBoostingRegressor(loss="poisson", random_state=seed, **GBM_SETTINGS)
    model.fit(X_train.to_numpy(), np.minimum(y, cap))
    fitted, pred = (model.predict(X.to_numpy()) for X in (X_train, X_apply))
    return _balanced(fitted, pred, y, target_cap=cap)


def _log_design(X: pd.DataFrame, medians: pd.Series) -> np.ndarray:
    return np.log1p(X.fillna(medians).clip(lower=0).to_numpy())


def ziln_forecast(X_train, y_train, X_apply) -> SupervisedForecast:
    r"""Zero-inflated lognormal two-part forecast (module docstring): logistic regression for
    ``P(value > 0)``, linear regression of ``log(value)`` on the givers, the lognormal mean
    :math:`\exp(\mu + \sigma^2/2)` with the user-level residual variance, then balanced to
    the training total. With fewer than 10 givers (or no non-giver) in training, the parts
    fall back to the training share of givers and the givers' mean log value."""
    from sklearn.linear_model import LogisticRegression, Ridge
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    med = X_train.median()
    A, B = _log_design(X_train, med), _log_design(X_apply, med)
    both, n = np.vstack([A, B]), len(A)
    y = y_train.to_numpy(float)
    pos = y > 0
    if pos.sum() >= 10 and (~pos).sum() >= 1:
        clf = make_pipeline(StandardScaler(), LogisticRegression(C=1.0, max_iter=2000))
        p = clf.fit(A, pos).predict_proba(both)[:, 1]
    else:
        p = np.full(len(both), pos.mean())
    logy = np.log(y[pos])
    if pos.sum() >= 10:
        reg = make_pipeline(StandardScaler(), Ridge(alpha=1.0))
        mu = reg.fit(A[pos], logy).predict(both)
    else:
        mu = np.full(len(both), logy.mean() if pos.any() else 0.0)
    var = float(np.var(logy - mu[:n][pos], ddof=1)) if pos.sum() > 1 else 0.0
    pred = p * np.exp(mu + var / 2)
    return _balanced(pred[:n], pred[n:], y, log_variance=var)
