r"""Supervised value forecasts: features up to a cut day, a model trained one window earlier.

No leakage, by construction. To forecast the gift value of days ``[cut, cut + horizon)`` the
model is **trained** on an earlier, fully observed split of the same shape: features from the
days before ``cut - horizon`` and, as the target, the value given in
``[cut - horizon, cut)``. It is then **applied** to features from the days before ``cut``.
The days at and after ``cut`` are never read. With the chapter's split (cut = 14 calibration
days, horizon = the 7 holdout days) the model learns "days 0-6 -> value of days 7-13" and
predicts "days 0-13 -> value of days 14-20".

Population at a cut: the users with a gifting day before it (the BG/NBD cohort). Features
(:func:`user_features`): per-day rates over the days observed since the user's first gift,
the same counts over the last ``horizon`` days (equal length in training and application),
recency and age of the gifting history, watching and engagement, and the user's profile
(tenure, bins of fans / follows / device price / watch history, flags).

Models:

* **gradient boosting** (:func:`gradient_boosting_forecast`): scikit-learn's
  ``HistGradientBoostingRegressor`` with the Poisson loss (a log link for a non-negative,
  mostly zero, heavy-tailed target; it predicts the mean).
* **zero-inflated lognormal** (:func:`ziln_forecast`; the two-part form of Wang, Liu & Miao
  2019): a logistic regression for :math:`P(Y > 0 \mid X)` and a linear regression of
  :math:`\log Y` on the users who gave (mean :math:`\mu(X)`, residual variance
  :math:`\sigma^2`); the forecast is the mixture's mean,

  .. math::

      E[Y \mid X] = P(Y > 0 \mid X) \exp(\mu(X) + \sigma^2 / 2).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

__all__ = [
    "PROFILE_CODES",
    "gradient_boosting_forecast",
    "supervised_split",
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
PROFILE_NUMERIC = ("tenure_days", "watch_age_days", "is_live_streamer", "is_photo_author")


def user_features(user_day: pd.DataFrame, users: pd.DataFrame | None, cut: int, recent: int):
    """Features of the users with a gifting day before ``cut``, from days ``< cut`` only
    (see the module docstring); index ``user_id``. ``recent`` is the length of the "last days"
    window (the forecast horizon)."""
    ud = user_day[user_day["day"] < cut]
    gift = ud[ud["n_gifts"] > 0]
    g = gift.groupby("user_id")
    first = g["day"].min()
    out = pd.DataFrame(index=pd.Index(first.index.astype(np.int32), name="user_id"))
    days_seen = (cut - first).astype(float)  # days observed since the first gift, inclusive
    out["gift_days_per_day"] = g.size() / days_seen
    out["gift_value_per_day"] = g["gift_value"].sum() / days_seen
    out["gift_value_per_gift_day"] = g["gift_value"].mean()
    out["gift_value_max_day"] = g["gift_value"].max()
    out["gifts_per_gift_day"] = g["n_gifts"].mean()
    out["days_since_last_gift"] = cut - 1 - g["day"].max()
    out["days_since_first_gift"] = cut - 1 - first
    rec = ud[(ud["day"] >= cut - recent) & ud["user_id"].isin(out.index)]
    rg = rec.groupby("user_id")
    out["recent_gift_days"] = rec[rec["n_gifts"] > 0].groupby("user_id").size()
    out["recent_gift_value"] = rg["gift_value"].sum()
    out["recent_watch_days"] = rec[rec["n_clicks"] > 0].groupby("user_id").size()
    out["recent_watch_hours"] = rg["watch_ms"].sum() / 3.6e6
    out["recent_clicks"] = rg["n_clicks"].sum()
    act = ud[ud["user_id"].isin(out.index)]
    ag = act.groupby("user_id")
    seen = (cut - ag["day"].min()).astype(float)
    out["watch_days_per_day"] = act[act["n_clicks"] > 0].groupby("user_id").size() / seen
    out["watch_hours_per_day"] = ag["watch_ms"].sum() / 3.6e6 / seen
    out["comments_per_day"] = ag["n_comments"].sum() / seen
    out["likes_per_day"] = ag["n_likes"].sum() / seen
    out["days_since_last_active"] = cut - 1 - act[act["active"]].groupby("user_id")["day"].max()
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
    return out.astype(float)


def target_value(user_day: pd.DataFrame, users: pd.Index, start: int, stop: int) -> pd.Series:
    """Gift value of each user in days ``[start, stop)`` (0 for users who gave nothing)."""
    ud = user_day[(user_day["day"] >= start) & (user_day["day"] < stop)]
    return ud.groupby("user_id")["gift_value"].sum().reindex(users, fill_value=0).astype(float)


def supervised_split(user_day, users, cut: int, horizon: int):
    """``(X_train, y_train, X_apply)``: training features before ``cut - horizon`` with the
    value of ``[cut - horizon, cut)`` as target, and the features before ``cut`` to apply the
    model to. Raises ValueError when ``cut - horizon < 1`` (no earlier window to train on)."""
    train_cut = cut - horizon
    if train_cut < 1:
        raise ValueError(
            f"no earlier window to train on: the cut (day {cut}) minus the horizon "
            f"({horizon} days) leaves {train_cut} days of features."
        )
    X_train = user_features(user_day, users, train_cut, horizon)
    y_train = target_value(user_day, X_train.index, train_cut, cut)
    X_apply = user_features(user_day, users, cut, horizon)
    return X_train, y_train, X_apply


def gradient_boosting_forecast(X_train, y_train, X_apply, *, seed: int = 0) -> np.ndarray:
    """Poisson-loss gradient boosting (mean forecast of the value), trained and applied."""
    from sklearn.ensemble import HistGradientBoostingRegressor

    model = HistGradientBoostingRegressor(
        loss="poisson",
        learning_rate=0.05,
        max_iter=200,
        max_depth=3,
        min_samples_leaf=20,
        l2_regularization=1.0,
        early_stopping=False,
        random_state=seed,
    )
    model.fit(X_train.to_numpy(), y_train.to_numpy())
    return np.clip(model.predict(X_apply.to_numpy()), 0.0, None)


def _log_design(X: pd.DataFrame, medians: pd.Series) -> np.ndarray:
    return np.log1p(X.fillna(medians).clip(lower=0).to_numpy())


def ziln_forecast(X_train, y_train, X_apply) -> np.ndarray:
    """Zero-inflated lognormal two-part forecast (module docstring): logistic regression for
    ``P(value > 0)``, linear regression of ``log(value)`` on the givers, mean of the mixture.
    With fewer than 10 givers (or no non-giver) in training, the parts fall back to the
    training share of givers and the givers' mean log value."""
    from sklearn.linear_model import LogisticRegression, Ridge
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    med = X_train.median()
    A, B = _log_design(X_train, med), _log_design(X_apply, med)
    y = y_train.to_numpy(float)
    pos = y > 0
    if pos.sum() >= 10 and (~pos).sum() >= 1:
        clf = make_pipeline(StandardScaler(), LogisticRegression(C=1.0, max_iter=2000))
        p = clf.fit(A, pos).predict_proba(B)[:, 1]
    else:
        p = np.full(len(B), pos.mean())
    if pos.sum() >= 10:
        reg = make_pipeline(StandardScaler(), Ridge(alpha=1.0))
        reg.fit(A[pos], np.log(y[pos]))
        mu = reg.predict(B)
        sigma2 = float(np.var(np.log(y[pos]) - reg.predict(A[pos]), ddof=1))
    else:
        mu = np.full(len(B), np.log(y[pos]).mean() if pos.any() else 0.0)
        sigma2 = float(np.var(np.log(y[pos]))) if pos.sum() > 1 else 0.0
    return p * np.exp(mu + sigma2 / 2)
