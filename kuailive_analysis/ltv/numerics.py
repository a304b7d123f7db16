"""Maximum-likelihood machinery shared by the LTV models (:mod:`kuailive_analysis.ltv.bgnbd`,
:mod:`kuailive_analysis.ltv.gamma_gamma`): the optimiser, its checks and the helpers every
model's ``fit`` uses (input arrays, ridge penalty, pooling of identical rows, storing a fit).

All models are fitted on **log-parameters** ``theta = log(params)``: every parameter of the
BG/NBD and Gamma-Gamma models is strictly positive, so the optimisation is unconstrained and
the Hessian in log space is well scaled. The objective is the *mean* negative log-likelihood
(sum divided by the total weight), so tolerances do not depend on the number of customers.

Procedure (:func:`maximise`):

1. L-BFGS-B with the analytic gradient from every start value (log-parameters boxed to
   ``[-LOG_BOUND, LOG_BOUND]`` so that ``exp`` never overflows);
2. if the best point fails only the gradient test, a Nelder-Mead fallback from it, polished
   by L-BFGS-B (a boundary solution or a singular Hessian is reported at once: no optimiser
   fixes an optimum that is not in the interior);
3. the best optimum must pass :func:`check_optimum`: the gradient of the mean negative
   log-likelihood is below ``gtol`` in every coordinate, and the numerical Hessian
   (central differences of the analytic gradient) is finite and positive definite.
   Otherwise :class:`ConvergenceError` is raised with the parameters, gradient and advice.

Standard errors: the observed information of the *total* log-likelihood is
``I = n_w * H`` (``H`` the Hessian of the mean negative log-likelihood in log-parameters,
``n_w`` the total weight); ``Cov(theta) = I^-1``; by the delta method
``se(param) = param * se(theta)``. Wald intervals are built in log space
(``exp(theta +- z se)``), which keeps them positive and covers better in small samples.
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
    from threadpoolctl import threadpool_limits
except ImportError:  # pragma: no cover - optional
    threadpool_limits = None


def _single_threaded_blas():
    if threadpool_limits is None:  # pragma: no cover
        return contextlib.nullcontext()
    return threadpool_limits(limits=1, user_api="blas")


LOG_BOUND = 20.0
"""Log-parameters are boxed to [-20, 20] (params in [2e-9, 4.9e8])."""


class ConvergenceError(RuntimeError):
    """The maximum-likelihood fit did not reach a verified optimum."""


@dataclass
class MLEResult:
    """Outcome of :func:`maximise`.

    ``theta``: log-parameters at the optimum; ``mean_nll``: mean negative log-likelihood;
    ``grad``: its gradient at the optimum (log space); ``hessian``: its Hessian (log space);
    ``n_weight``: total weight (number of customers); ``method``: optimiser that produced it.
    """

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
        return np.sqrt(np.diag(self.cov_theta))


ObjFn = Callable[[np.ndarray], tuple[float, np.ndarray]]


def numerical_hessian(fun: ObjFn, theta: np.ndarray, step: float = 1e-4) -> np.ndarray:
    """Central-difference Jacobian of the analytic gradient, symmetrised.

    ``H[:, j] = (g(theta + h e_j) - g(theta - h e_j)) / (2h)`` with ``h = step``.
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
    """Value, gradient and Hessian at ``theta`` and a reason string if it is not an optimum."""
    val, grad = fun(theta)
    hess = numerical_hessian(fun, theta)
    params = ", ".join(f"{n}={v:.6g}" for n, v in zip(names, np.exp(theta)))
    if not np.isfinite(val):
        return val, grad, hess, f"{model}: log-likelihood is not finite at {params}."
    if not np.all(np.isfinite(grad)) or np.max(np.abs(grad)) > gtol:
        return (
            val,
            grad,
            hess,
            (
                f"{model}: gradient of the mean log-likelihood is {np.round(grad, 8).tolist()} "
                f"(tolerance {gtol:g}) at {params}; the optimiser stopped before an optimum."
            ),
        )
    if not np.all(np.isfinite(hess)):
        return val, grad, hess, f"{model}: Hessian is not finite at {params}."
    eig = np.linalg.eigvalsh(hess)
    if eig.min() <= 1e-10 * max(1.0, eig.max()):
        return (
            val,
            grad,
            hess,
            (
                f"{model}: Hessian is not positive definite at {params} (eigenvalues "
                f"{np.round(eig, 10).tolist()}): the parameters are not identified by these data "
                "(e.g. nobody drops out, so a and b run off to infinity)."
            ),
        )
    if np.any(np.abs(theta) >= LOG_BOUND - 1e-6):
        return (
            val,
            grad,
            hess,
            (
                f"{model}: a parameter hit the bound exp(+-{LOG_BOUND:g}) at {params}: the "
                "likelihood has no interior maximum for these data."
            ),
        )
    return val, grad, hess, None


def maximise(
    fun: ObjFn,
    starts: Sequence[np.ndarray],
    names: Sequence[str],
    *,
    n_weight: float,
    model: str,
    gtol: float = 1e-5,
) -> MLEResult:
    """Minimise the mean negative log-likelihood ``fun(theta) -> (value, gradient)``.

    See the module docstring for the procedure. Raises :class:`ConvergenceError`. BLAS runs
    single-threaded meanwhile (L-BFGS-B's tiny vector operations).
    """
    with _single_threaded_blas():
        return _maximise(fun, starts, names, n_weight=n_weight, model=model, gtol=gtol)


def _maximise(
    fun: ObjFn,
    starts: Sequence[np.ndarray],
    names: Sequence[str],
    *,
    n_weight: float,
    model: str,
    gtol: float,
) -> MLEResult:
    bounds = [(-LOG_BOUND, LOG_BOUND)] * len(names)
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
                safe,
                x0,
                jac=True,
                method="L-BFGS-B",
                bounds=bounds,
                options={"maxiter": 2000, "ftol": 1e-15, "gtol": 1e-9},
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
    pol = optimize.minimize(
        safe,
        nm.x,
        jac=True,
        method="L-BFGS-B",
        bounds=bounds,
        options={"maxiter": 2000, "ftol": 1e-15, "gtol": 1e-9},
    )
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


def param_table(names: Sequence[str], result: MLEResult, level: float = 0.95):
    """Estimates, delta-method SEs and log-space Wald intervals as a DataFrame."""
    est = np.exp(result.theta)
    se_t = result.se_theta
    z = normal_quantile(level)
    return pd.DataFrame(
        {
            "estimate": est,
            "se": est * se_t,
            "ci_low": np.exp(result.theta - z * se_t),
            "ci_high": np.exp(result.theta + z * se_t),
        },
        index=pd.Index(list(names), name="parameter"),
    )


# ---------------------------------------------------------------------------------------------
# Helpers of the models' fit methods
# ---------------------------------------------------------------------------------------------
def as_array(values, name: str) -> np.ndarray:
    """``values`` (array-like or Series) as a one-dimensional float array."""
    a = np.asarray(values.to_numpy() if isinstance(values, pd.Series) else values, dtype=float)
    if a.ndim == 0:
        a = a.reshape(1)
    if a.ndim != 1:
        raise ValueError(f"{name} must be one-dimensional; got shape {a.shape}.")
    return a


def penalised(fun: ObjFn, c: float) -> ObjFn:
    """Objective plus ``c * sum(theta^2)`` (ridge on log-parameters) and its gradient."""
    if c < 0:
        raise ValueError(f"penalizer must be >= 0; got {c!r}.")
    if c == 0:
        return fun

    def f(theta):
        v, g = fun(theta)
        return v + c * float(theta @ theta), g + 2 * c * theta

    return f


def collapse(cols: list[np.ndarray], w: np.ndarray):
    """Distinct rows of the stacked columns with summed weights (drops zero weights)."""
    keep = w > 0
    stacked = np.column_stack([c[keep] for c in cols])
    uniq, inv = np.unique(stacked, axis=0, return_inverse=True)
    ww = np.bincount(inv.ravel(), weights=w[keep], minlength=uniq.shape[0])
    return [uniq[:, j] for j in range(uniq.shape[1])], ww


def store_fit(model, res: MLEResult, W: float) -> None:
    """Attach a fit's results to a model: ``params_`` (natural scale), ``log_likelihood_``,
    ``summary_`` (estimates, SEs, CIs), ``se_``, ``cov_`` (log-parameter covariance)."""
    model.result_ = res
    model.params_ = dict(zip(model.param_names, np.exp(res.theta).tolist()))
    model.log_likelihood_ = res.log_likelihood
    model.summary_ = param_table(model.param_names, res)
    model.se_ = model.summary_["se"].to_dict()
    model.cov_ = res.cov_theta
    model.n_customers_ = float(W)
