"""The ordinal logit model: statsmodels' OrderedModel with a fast cdf and an analytic
gradient (see :func:`ordered_logit_class`)."""

from __future__ import annotations

import functools

import numpy as np


@functools.cache
def ordered_logit_class():
    """statsmodels' OrderedModel (logit), faster where its time went:

    * the logistic cdf is ``scipy.special.expit``, the function ``scipy.stats.logistic``
      evaluates (its ``_cdf``), without the generic ``rv_continuous.cdf`` wrapper (argument
      checks, masks, ``np.place``): the same values bit for bit, also at the -inf/+inf
      bounds of the outer categories;
    * BFGS gets the analytic gradient of the log-likelihood instead of a central numerical
      one (two log-likelihoods per parameter and step). The optimum is the same up to the
      optimiser's tolerance (estimates within 1e-6, tests/test_models.py); the covariance
      (numerical Hessian, numerical per-observation scores) is statsmodels' own.

    The class keeps statsmodels' name, so the summary text reads the same."""
    from scipy.special import expit
    from statsmodels.miscmodels.ordinal_model import OrderedModel as _OrderedModel

    class OrderedModel(_OrderedModel):
        def cdf(self, x):
            if self.distr.name != "logistic":
                return super().cdf(x)
            return expit(np.asarray(x, dtype=float))

        def score(self, params):
            """The log-likelihood's gradient, analytic (statsmodels differentiates it
            numerically: 2 log-likelihoods per parameter for each BFGS step). Parameters as
            statsmodels': slopes, the first cut-point, log increments of the others."""
            if self.distr.name != "logistic" or self.exog is None:
                return super().score(params)
            params = np.asarray(params, dtype=float)
            lo, up = (expit(b) for b in self._bounds(params))
            p = np.maximum(up - lo, 0) + 1e-20  # as in loglikeobs
            a, b = up * (1 - up) / p, lo * (1 - lo) / p  # d log p / d upper, -d / d lower
            k = self.k_levels
            # the cut-point j (0-based) moves with increment i >= 1 when j >= i: the upper
            # bound of category c is cut-point c, the lower one c - 1
            at = np.bincount(self.endog, weights=a, minlength=k)[::-1].cumsum()[::-1]
            bt = np.bincount(self.endog, weights=b, minlength=k)[::-1].cumsum()[::-1]
            incr = np.exp(params[-(k - 2) :]) if k > 2 else np.empty(0)
            grad_th = np.concatenate([[at[0] - bt[0]], incr * (at[1 : k - 1] - bt[2:k])])
            return np.concatenate([-(a - b) @ np.asarray(self.exog, dtype=float), grad_th])

    return OrderedModel
