r"""Maximum likelihood shared by the LTV models (:mod:`~kuailive_analysis.ltv.base`,
:mod:`~kuailive_analysis.ltv.gamma_gamma`): the optimiser and its checks, standard errors, the
ridge fallback, and the helpers every model's ``fit`` uses.

Every parameter of the models is strictly positive, so they are fitted on **log-parameters**
:math:`\theta = \log(\text{params})`: the optimisation is unconstrained and the Hessian well
scaled. The objective is the *mean* negative log-likelihood (the weighted sum divided by the
total weight :math:`n_w`), so tolerances do not depend on the number of customers.

Procedure (:func:`maximise`):

1. L-BFGS-B with the analytic gradient from every start value (log-parameters boxed to
   :math:`[-20, 20]`, :data:`LOG_BOUND`, so that ``exp`` never overflows);
2. if the best point fails only the gradient test, a Nelder-Mead search from it, polished by
   L-BFGS-B (a boundary solution or a singular Hessian is reported at once: no optimiser fixes
   an optimum that is not in the interior);
3. the optimum must pass :func:`check_optimum`: the gradient is below ``gtol`` in every
   coordinate and the numerical Hessian :math:`H` (central differences of the analytic
   gradient) is finite and positive definite; otherwise :class:`ConvergenceError`.

Standard errors come from the observed information of the total log-likelihood and the delta
method; Wald intervals are built on the log scale (positive, better coverage in small samples):

.. math::

    \operatorname{Cov}(\hat\theta) = (n_w H)^{-1}, \qquad
    \operatorname{se}(\hat\beta) = \hat\beta \operatorname{se}(\hat\theta), \qquad
    \hat\beta \exp(\pm z_{(1+\ell)/2} \operatorname{se}(\hat\theta)).

A ridge penalty :math:`c \lVert\theta\rVert^2` (:func:`penalised`) gives an interior maximum
when the plain one lies on the boundary (e.g. no visible dropout); :func:`fit_with_ridge` tries
:data:`PENALIZERS` in turn.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import optimize

from kuailive_analysis.core.stats import normal_quantile

try:  # tiny 3-4 parameter problems: BLAS threads only add hand-off latency (15x on a busy box)
    from threadpoolctl import ThreadpoolController
except ImportError:  # pragma: no cover - optional
    ThreadpoolController = None

LOG_BOUND = 20.0
"""Log-parameters are boxed to [-20, 20] (params in [2e-9, 4.9e8])."""
PENALIZERS = (0.0, 1e-4, 1e-3, 1e-2, 1e-1)
"""Ridge strengths :func:`fit_with_ridge` tries in turn (0: the plain maximum likelihood)."""


class ConvergenceError(RuntimeError):
    """The maximum-likelihood fit did not reach a verified optimum."""


@dataclass
class MLEResult:
    """Outcome of :func:`maximise`: ``theta`` (log-parameters at the optimum), ``mean_nll``
    (mean negative log-likelihood there), ``grad`` and ``hessian`` of the objective at
    ``theta``, ``n_weight`` (total weight of the data), ``method`` (the optimiser that found
    it) and ``n_evals`` (objective evaluations)."""

    theta: np.ndarray
    mean_nll: float
    grad: np.ndarray
    hessian: np.ndarray
    n_weight: float
    method: str
    n_evals: int

    @property
    def log_likelihood(self) -> float:
        """Total log-likelihood (sum over customers, weighted)."""
        return -self.mean_nll * self.n_weight

    @property
    def cov_theta(self) -> np.ndarray:
        """Covariance of the log-parameters: inverse observed information."""
        return np.linalg.inv(self.hessian * self.n_weight)

    @property
    def se_theta(self) -> np.ndarray:
        """Standard errors of the log-parameters."""
        return np.sqrt(np.diag(self.cov_theta))


ObjFn = Callable[[np.ndarray], tuple[float, np.ndarray]]


_CONTROLLER: list = []
"""The process's one ThreadpoolController (built on first use): building one scans every loaded
library (about 5 ms, once per fit before; the bootstrap fits hundreds of times)."""


def _single_threaded_blas():
    if ThreadpoolController is None:  # pragma: no cover
        return contextlib.nullcontext()
    if not _CONTROLLER:
        _CONTROLLER.append(ThreadpoolController())
    return _CONTROLLER[0].limit(limits=1, user_api="blas")


def numerical_hessian(fun: ObjFn, theta: np.ndarray, step: float = 1e-4) -> np.ndarray:
    r"""Central-difference Jacobian of the analytic gradient ``fun(theta)[1]``, symmetrised:
    :math:`H_{\cdot j} = (g(\theta + h e_j) - g(\theta - h e_j)) / 2h` with :math:`h` = ``step``.
    """
    k = theta.size
    h = np.empty((k, k))
    for j in range(k):
        e = np.zeros(k)
        e[j] = step
        h[:, j] = (fun(theta + e)[1] - fun(theta - e)[1]) / (2 * step)
    return 0.5 * (h + h.T)


def check_optimum(
    fun: ObjFn, theta: np.ndarray, names: Sequence[str], *, gtol: float, model: str
) -> tuple[float, np.ndarray, np.ndarray, str | None]:
    """``(value, gradient, hessian, reason)`` at ``theta``; ``reason`` is None for a verified
    interior optimum, else says what failed (non-finite value, gradient above ``gtol``, Hessian
    not finite or not positive definite, a parameter on :data:`LOG_BOUND`)."""
    val, grad = fun(theta)
    hess = numerical_hessian(fun, theta)
    params = ", ".join(f"{n}={v:.6g}" for n, v in zip(names, np.exp(theta)))
    reason = None
    if not np.isfinite(val):
        reason = f"{model}: log-likelihood is not finite at {params}."
    elif not np.all(np.isfinite(grad)) or np.max(np.abs(grad)) > gtol:
        reason = (
            f"{model}: gradient of the mean log-likelihood is {np.round(grad, 8).tolist()} "
            f"(tolerance {gtol:g}) at {params}; the optimiser stopped before an optimum."
        )
    elif not np.all(np.isfinite(hess)):
        reason = f"{model}: Hessian is not finite at {params}."
    elif (eig := np.linalg.eigvalsh(hess)).min() <= 1e-10 * max(1.0, eig.max()):
        reason = (
            f"{model}: Hessian is not positive definite at {params} (eigenvalues "
            f"{np.round(eig, 10).tolist()}): the parameters are not identified by these data "
            "(e.g. nobody drops out, so a and b run off to infinity)."
        )
    elif np.any(np.abs(theta) >= LOG_BOUND - 1e-6):
        reason = (
            f"{model}: a parameter hit the bound exp(+-{LOG_BOUND:g}) at {params}: the "
            "likelihood has no interior maximum for these data."
        )
    return val, grad, hess, reason


def maximise(
    fun: ObjFn,
    starts: Sequence[np.ndarray],
    names: Sequence[str],
    *,
    n_weight: float,
    model: str,
    gtol: float = 1e-5,
) -> MLEResult:
    """Minimise the mean negative log-likelihood ``fun(theta) -> (value, gradient)`` from each
    of the ``starts`` (log-parameters named ``names``); the module docstring gives the procedure.

    Returns
    -------
    MLEResult
        The verified optimum (``n_weight``: total weight of the data, for standard errors).

    Raises
    ------
    ConvergenceError
        When no verified interior optimum is found (``model`` names the model in the message).
    """
    with _single_threaded_blas():
        return _maximise(fun, starts, names, n_weight=n_weight, model=model, gtol=gtol)


def _maximise(fun, starts, names, *, n_weight, model, gtol) -> MLEResult:
    bounds = [(-LOG_BOUND, LOG_BOUND)] * len(names)
    lbfgs = {"maxiter": 2000, "ftol": 1e-15, "gtol": 1e-9}
    best = None
    n_evals = 0

    def safe(theta):
        v, g = fun(theta)
        if not np.isfinite(v):
            return 1e100, np.zeros_like(theta)
        return v, g

    for x0 in starts:
        x0 = np.clip(np.asarray(x0, float), -LOG_BOUND + 1, LOG_BOUND - 1)
        try:
            res = optimize.minimize(
                safe, x0, jac=True, method="L-BFGS-B", bounds=bounds, options=lbfgs
            )
        except (ValueError, FloatingPointError):
            continue
        n_evals += res.nfev
        if np.isfinite(res.fun) and (best is None or res.fun < best[1]):
            best = (res.x, res.fun, "L-BFGS-B")
    reason = "no start value gave a finite log-likelihood"
    if best is not None:
        val, grad, hess, reason = check_optimum(fun, best[0], names, gtol=gtol, model=model)
        if reason is None:
            return MLEResult(best[0], float(val), grad, hess, n_weight, best[2], n_evals)
        if "gradient" not in reason:
            # a boundary solution or a flat direction: another optimiser will not fix it
            raise ConvergenceError(
                f"{reason} Check the inputs (time units consistent, enough repeat customers) "
                "or fit with a small `penalizer`."
            )
    # Fallback: derivative-free search from the best point, then a gradient polish.
    x0 = best[0] if best is not None else np.asarray(starts[0], float)
    nm = optimize.minimize(
        lambda t: safe(t)[0],
        x0,
        method="Nelder-Mead",
        options={"maxiter": 3000, "maxfev": 3000, "xatol": 1e-9, "fatol": 1e-13},
    )
    pol = optimize.minimize(safe, nm.x, jac=True, method="L-BFGS-B", bounds=bounds, options=lbfgs)
    n_evals += nm.nfev + pol.nfev
    theta = pol.x if pol.fun <= nm.fun else nm.x
    val, grad, hess, reason2 = check_optimum(fun, theta, names, gtol=gtol, model=model)
    if reason2 is None:
        return MLEResult(theta, float(val), grad, hess, n_weight, "Nelder-Mead+L-BFGS-B", n_evals)
    raise ConvergenceError(
        f"{reason2} (first attempt: {reason}) Check the inputs (time units consistent, enough "
        "repeat customers), pass other start values via `start=` or fit with a small "
        "`penalizer`."
    )


def param_table(names: Sequence[str], result: MLEResult, level: float = 0.95) -> pd.DataFrame:
    """Estimates, delta-method standard errors and log-scale Wald intervals (module docstring).

    Returns
    -------
    DataFrame
        Index ``parameter`` (``names``); columns ``estimate``, ``se``, ``ci_low``, ``ci_high``.
    """
    est = np.exp(result.theta)
    se_t = result.se_theta
    z = normal_quantile(level)
    with np.errstate(over="ignore"):  # a flat direction: the interval is unbounded (inf)
        return pd.DataFrame(
            {
                "estimate": est,
                "se": est * se_t,
                "ci_low": np.exp(result.theta - z * se_t),
                "ci_high": np.exp(result.theta + z * se_t),
            },
            index=pd.Index(list(names), name="parameter"),
        )


def fit_with_ridge(fit: Callable[[float], object], penalizers=PENALIZERS) -> tuple[object, str]:
    """Fit unpenalised first, then with each larger ridge ``penalizer`` until a fit succeeds.

    Parameters
    ----------
    fit : callable
        ``fit(penalizer) -> fitted model``; may raise :class:`ConvergenceError` or ValueError.
    penalizers : sequence of float
        Ridge strengths in the order tried (:data:`PENALIZERS`).

    Returns
    -------
    tuple
        ``(model, reason)``: the first model that fitted (its ``penalizer_`` says which
        strength) or None, and why the plain fit failed (empty when it succeeded).
    """
    first = ""
    for c in penalizers:
        try:
            return fit(c), first
        except (ConvergenceError, ValueError) as e:
            first = first or str(e)
    return None, first


# -- helpers of the models' fit methods ------------------------------------------------------
def as_array(values, name: str) -> np.ndarray:
    """``values`` (array-like or Series) as a one-dimensional float array."""
    a = np.asarray(values.to_numpy() if isinstance(values, pd.Series) else values, dtype=float)
    if a.ndim == 0:
        a = a.reshape(1)
    if a.ndim != 1:
        raise ValueError(f"{name} must be one-dimensional; got shape {a.shape}.")
    return a


def penalised(fun: ObjFn, c: float) -> ObjFn:
    r"""``fun`` plus the ridge :math:`c \lVert\theta\rVert^2` on log-parameters, with its
    gradient (``fun`` itself for ``c = 0``)."""
    if c < 0:
        raise ValueError(f"penalizer must be >= 0; got {c!r}.")
    if c == 0:
        return fun

    def f(theta):
        v, g = fun(theta)
        return v + c * float(theta @ theta), g + 2 * c * theta

    return f


def collapse(cols: list[np.ndarray], w: np.ndarray):
    """Distinct rows of the stacked columns with summed weights (zero weights dropped)."""
    keep = w > 0
    stacked = np.column_stack([c[keep] for c in cols])
    uniq, inv = np.unique(stacked, axis=0, return_inverse=True)
    ww = np.bincount(inv.ravel(), weights=w[keep], minlength=uniq.shape[0])
    return [uniq[:, j] for j in range(uniq.shape[1])], ww


def store_fit(model, res: MLEResult, W: float) -> None:
    """Attach a fit to a model: ``result_``, ``params_`` (natural scale), ``log_likelihood_``,
    ``summary_`` (:func:`param_table`), ``se_``, ``cov_`` (log-parameter covariance),
    ``n_customers_``."""
    model.result_ = res
    model.params_ = dict(zip(model.param_names, np.exp(res.theta).tolist()))
    model.log_likelihood_ = res.log_likelihood
    model.summary_ = param_table(model.param_names, res)
    model.se_ = model.summary_["se"].to_dict()
    model.cov_ = res.cov_theta
    model.n_customers_ = float(W)
