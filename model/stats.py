"""Monte Carlo summaries that merge across chunks, so memory stays bounded whatever the trial count.

For a metric X observed on n trials (NaN = undefined for that trial, e.g. a threshold that does not exist):

* mean and variance by the pairwise-update formulas of Chan, Golub & LeVeque (1979):
  n = n_a + n_b,  delta = mean_b - mean_a,  mean = mean_a + delta n_b / n,
  M2 = M2_a + M2_b + delta^2 n_a n_b / n,  var = M2 / (n - 1);
* standard error of the mean  se = sqrt(var / n)  (for a 0/1 outcome this is the binomial sqrt(p(1-p)/n));
* quantiles from the first ``quantile_cap`` trials (default 100,000), and for a metric with many values per
  trial from at most ``quantile_values`` values (default 1,000,000: e.g. 100,000 trials of a 10-year path),
  so memory stays bounded whatever the trial count. Trials are exchangeable, so these are a simple random
  sample of the whole; at 100,000 trials the 5% quantile's own sampling error is about 0.07 percentile points.
  The number used is stated in the manifest. The sample is stored in single precision (SAMPLE_DTYPE: 7
  significant digits, far below that sampling error; half the memory of a run's ~150 samples) and read back
  in double (`Accumulator.values`);
* 95% intervals: for a 0/1 outcome (a proportion of trials) Wilson's score interval (Wilson 1927); for
  anything else, including a per-trial probability averaged over trials, mean +- 1.96 s.e., clipped to
  [0, 1] when the metric is a probability. The accumulator tracks whether every value it saw was 0 or 1.

Arrays: a metric may have trailing axes, e.g. shape (n_trials, n_years); statistics keep those axes. A
metric (n_trials, ..., K) whose values are given by a category per trial and cell may come as the codes:
a one-hot (`OneHot`) or values defined in one category only (`ByCategory`), summarised by category.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

Z95 = 1.959963984540054  # scipy.special.ndtri(0.975), written out: importing scipy.special costs ~0.3 s


#: the stored quantile sample's precision (relative rounding 6e-8; the sample's own error is ~1e-3)
SAMPLE_DTYPE = np.float32


def _column_sum(x: np.ndarray) -> np.ndarray:
    """Sum over trials (axis 0). For (n, ...) arrays einsum's loop is 3-4x faster than sum(axis=0), whose
    inner loop runs over the short trailing axes; neither uses BLAS, so the result does not depend on
    threads."""
    return x.sum(axis=0) if x.ndim == 1 else np.einsum("i...->...", x)


def _zero_one(x: np.ndarray, total: np.ndarray) -> bool:
    """Whether every value of x is 0, 1 or NaN, given its sums over trials: a finite sum that is not a whole
    number rules it out at once (the usual case for a per-trial probability), else the values are checked."""
    finite = np.isfinite(total)
    if np.any(finite & (total != np.round(total))):
        return False
    zero_one = (x == 0) | (x == 1)
    return bool(zero_one.all() or np.all(zero_one | np.isnan(x)))


class _Coded:
    """An (n, ..., K) metric given by a category code per trial and cell (see OneHot, ByCategory)."""

    codes: np.ndarray
    categories: int

    def __len__(self) -> int:
        return len(self.codes)

    @property
    def shape(self) -> tuple[int, ...]:
        return self.codes.shape + (self.categories,)


@dataclass(frozen=True)
class OneHot(_Coded):
    """Per-trial one-hot values given by category codes, for an accumulator: the value at (trial, ..., k) is
    1 where codes[trial, ...] == k and 0 elsewhere; all NaN (undefined for the trial) where the code is
    UNDEFINED; all 0 where it is NONE. `Accumulator.add` summarises it exactly as that (n, ..., K) array,
    from counts, without building it (K times less data)."""

    codes: np.ndarray  # integer, (n, ...): a category 0..K-1, NONE or UNDEFINED
    categories: int  # K

    UNDEFINED = -2
    NONE = -1

    def dense(self, trials: int | None = None) -> np.ndarray:
        """The (n, ..., K) float array (of the first ``trials`` trials)."""
        codes = self.codes[:trials]
        out = (codes[..., None] == np.arange(self.categories)).astype(float)
        out[codes == self.UNDEFINED] = np.nan
        return out


@dataclass(frozen=True)
class ByCategory(_Coded):
    """Per-trial values that each belong to one category, for an accumulator: the value at (trial, ..., k) is
    values[trial, ...] where codes[trial, ...] == k and NaN (undefined) elsewhere; a negative code is
    undefined in every category. E.g. the move a trial needs on the dimension that is its best one.
    `Accumulator.add` summarises it exactly as that (n, ..., K) array, by category (K times less data)."""

    codes: np.ndarray  # integer, (n, ...)
    values: np.ndarray  # float, (n, ...)
    categories: int  # K

    def dense(self, trials: int | None = None) -> np.ndarray:
        """The (n, ..., K) float array (of the first ``trials`` trials)."""
        codes = self.codes[:trials]
        return np.where(codes[..., None] == np.arange(self.categories), self.values[:trials][..., None], np.nan)


def _cells(codes: np.ndarray, *more: np.ndarray) -> list[np.ndarray]:
    """(n, ...) arrays as (cells, n) rows (views when stored trials last)."""
    cells = math.prod(codes.shape[1:])
    return [np.moveaxis(a, 0, -1).reshape(cells, len(a)) for a in (codes, *more)]


@dataclass
class Accumulator:
    """Running summary of one metric, shape (n_trials, *shape) per update."""

    quantile_cap: int = 100_000
    quantile_values: int = 1_000_000
    binary: bool = True  # every value seen so far was 0, 1 or NaN
    n: np.ndarray | None = None
    mean: np.ndarray | None = None
    m2: np.ndarray | None = None
    sample: list[np.ndarray] = field(default_factory=list)
    _sampled: int = 0

    def add(self, x: np.ndarray | OneHot | ByCategory) -> None:
        if isinstance(x, OneHot):
            return self._add_one_hot(x)
        if isinstance(x, ByCategory):
            return self._add_by_category(x)
        x = np.asarray(x, dtype=float)
        if x.ndim > 1 and not x.flags.c_contiguous and np.moveaxis(x, 0, -1).flags.c_contiguous:
            return self._add_trials_last(x)
        with np.errstate(over="ignore", invalid="ignore"):  # inf + -inf, overflow: handled below
            total = _column_sum(x)
        if self.binary:
            self.binary = _zero_one(x, total)
        # A finite sum means every value is finite (a NaN or inf anywhere makes it NaN or inf): then plain
        # sums, no NaN bookkeeping. (A sum that overflows takes the careful path below, which is still right.)
        all_finite = bool(np.all(np.isfinite(total)))
        if all_finite:
            n_b = np.full(x.shape[1:], float(len(x)))
            mean_b = total / len(x) if len(x) else np.zeros(x.shape[1:])
            dev = x - mean_b
        else:  # non-finite values (NaN: undefined for that trial) are left out of the count and the sums
            finite = np.isfinite(x)
            n_b = finite.sum(axis=0, dtype=float)
            dev = np.where(finite, x, 0.0)
            with np.errstate(invalid="ignore", divide="ignore"):
                mean_b = np.where(n_b > 0, _column_sum(dev) / np.maximum(n_b, 1), 0.0)
            dev -= mean_b
            dev *= finite
        m2_b = np.einsum("i...,i...->...", dev, dev)
        self._merge(n_b, mean_b, m2_b)
        self._keep_sample(x, all_finite)

    def _add_trials_last(self, x: np.ndarray) -> None:
        """`add` for an (n, ...) view of an array stored with the trials last (e.g. np.moveaxis(a, -1, 0)):
        the same statistics, computed over its contiguous rows of trials (x - mean and the sums then run
        over long contiguous rows instead of short strided ones)."""
        shape = x.shape[1:]
        rows = np.moveaxis(x, 0, -1).reshape(math.prod(shape), len(x))  # a view: (cells, n), C-contiguous
        with np.errstate(over="ignore", invalid="ignore"):
            total = rows.sum(axis=-1)
        if self.binary:
            self.binary = _zero_one(rows, total)
        all_finite = bool(np.all(np.isfinite(total)))
        if all_finite:
            n_b = np.full(len(rows), float(len(x)))
            mean_b = total / len(x) if len(x) else np.zeros(len(rows))
            dev = rows - mean_b[:, None]
            m2_b = np.einsum("ij,ij->i", dev, dev)
        else:
            finite = np.isfinite(rows)
            count = np.count_nonzero(finite, axis=-1)
            n_b = count.astype(float)
            if 4 * int(count.sum()) < rows.size:
                # mostly undefined (e.g. a move that exists only where an actor rejects): the statistics of
                # the finite values alone, gathered, with bincount over their rows
                where = np.flatnonzero(finite)
                values, row = rows.ravel()[where], where // len(x)
                with np.errstate(invalid="ignore", divide="ignore"):
                    mean_b = np.where(count > 0, np.bincount(row, values, len(rows)) / np.maximum(n_b, 1), 0.0)
                values -= mean_b[row]
                m2_b = np.bincount(row, values * values, len(rows))
            else:
                dev = np.where(finite, rows, 0.0)
                with np.errstate(invalid="ignore", divide="ignore"):
                    mean_b = np.where(count > 0, dev.sum(axis=-1) / np.maximum(n_b, 1), 0.0)
                dev -= mean_b[:, None]
                dev *= finite
                m2_b = np.einsum("ij,ij->i", dev, dev)
        self._merge(n_b.reshape(shape), mean_b.reshape(shape), m2_b.reshape(shape))
        self._keep_sample(x, all_finite)

    def _add_one_hot(self, x: OneHot) -> None:
        """`add` of the one-hot array x stands for, from its category codes (without building it): per cell
        and category, n = the trials where the cell is defined, mean = the share of them in the category,
        M2 = count (1 - mean) (the sum of squared deviations of 0/1 values)."""
        codes, K = x.codes, x.categories
        (rows,) = _cells(codes)
        cells = len(rows)
        n_b = np.count_nonzero(rows != OneHot.UNDEFINED, axis=-1).astype(float)
        hit = rows >= 0
        index = rows[hit] + K * np.nonzero(hit)[0]
        counts = np.bincount(index, minlength=cells * K).astype(float).reshape(cells, K)
        with np.errstate(invalid="ignore", divide="ignore"):
            mean_b = np.where(n_b[:, None] > 0, counts / np.maximum(n_b, 1)[:, None], 0.0)
        m2_b = counts * (1.0 - mean_b)
        shape = codes.shape[1:] + (K,)
        self._merge(np.broadcast_to(n_b[:, None], (cells, K)).reshape(shape), mean_b.reshape(shape),
                    m2_b.reshape(shape))
        self._keep_dense_sample(x)

    def _add_by_category(self, x: ByCategory) -> None:
        """`add` of the array x stands for, from its codes and values (without building it): per cell and
        category, the count, mean and M2 of the finite values in that category, by bincount."""
        K = x.categories
        rows, values = _cells(x.codes, np.asarray(x.values, dtype=float))
        cells = len(rows)
        hit = (rows >= 0) & np.isfinite(values)
        index = rows[hit] + K * np.nonzero(hit)[0]
        v = values[hit]
        if self.binary:
            self.binary = bool(np.all((v == 0) | (v == 1)))
        n_b = np.bincount(index, minlength=cells * K).astype(float)
        with np.errstate(invalid="ignore", divide="ignore"):
            mean_b = np.where(n_b > 0, np.bincount(index, v, cells * K) / np.maximum(n_b, 1), 0.0)
        v = v - mean_b[index]
        m2_b = np.bincount(index, v * v, cells * K)
        shape = x.codes.shape[1:] + (K,)
        self._merge(n_b.reshape(shape), mean_b.reshape(shape), m2_b.reshape(shape))
        self._keep_dense_sample(x)

    def _keep_dense_sample(self, x: _Coded) -> None:
        room = self.sample_room(x)
        if room > 0:
            self.sample.append(x.dense(room).astype(SAMPLE_DTYPE))
            self._sampled += min(room, len(x))

    def _keep_sample(self, x: np.ndarray, all_finite: bool) -> None:
        room = self.sample_room(x)
        if room > 0:
            head = x[:room] if all_finite else np.where(np.isfinite(x[:room]), x[:room], np.nan)
            self.sample.append(head.astype(SAMPLE_DTYPE))
            self._sampled += min(room, len(x))

    def sample_room(self, x: np.ndarray | _Coded) -> int:
        """How many more trials of ``x``-shaped values (trials first) the quantile sample takes."""
        width = math.prod(x.shape[1:]) or 1
        return min(self.quantile_cap, max(self.quantile_values // width, 1)) - self._sampled

    def _merge(self, n_b: np.ndarray, mean_b: np.ndarray, m2_b: np.ndarray) -> None:
        if self.n is None:
            self.n, self.mean, self.m2 = n_b, mean_b, m2_b
            return
        n_a, mean_a, m2_a = self.n, self.mean, self.m2
        n = n_a + n_b
        safe = np.maximum(n, 1)
        delta = mean_b - mean_a
        self.mean = np.where(n > 0, mean_a + delta * n_b / safe, 0.0)
        self.m2 = m2_a + m2_b + delta**2 * n_a * n_b / safe
        self.n = n

    def merge(self, other: Accumulator) -> None:
        """Fold another accumulator's trials in after this one's (order matters only for quantiles)."""
        if other.n is None:
            return
        self.binary = self.binary and other.binary
        self._merge(other.n, other.mean, other.m2)
        for part in other.sample:
            room = self.sample_room(part)
            if room <= 0:
                break
            self.sample.append(part[:room])
            self._sampled += min(room, len(part))

    @property
    def count(self) -> np.ndarray:
        return self.n

    def var(self) -> np.ndarray:
        with np.errstate(invalid="ignore", divide="ignore"):
            return np.where(self.n > 1, self.m2 / np.maximum(self.n - 1, 1), np.nan)

    def se(self) -> np.ndarray:
        with np.errstate(invalid="ignore", divide="ignore"):
            return np.sqrt(self.var() / np.maximum(self.n, 1))

    def mean_value(self) -> np.ndarray:
        return np.where(self.n > 0, self.mean, np.nan)

    def values(self) -> np.ndarray:
        """The stored sample of per-trial values (the first trials, up to the cap), trials first, in double
        precision (an empty array if there is none)."""
        if not self.sample:
            return np.empty(0)
        return np.concatenate(self.sample, axis=0, dtype=float)

    def quantiles(self, qs: tuple[float, ...] = (0.05, 0.5, 0.95)) -> np.ndarray:
        """Quantiles over trials, shape (len(qs), *shape); NaN trials are ignored. Cached until the sample
        changes (a report asks for the same quantiles of an output many times)."""
        key = (tuple(float(q) for q in qs), self._sampled, len(self.sample))
        cache = self.__dict__.setdefault("_quantile_cache", {})
        if key not in cache:
            data = self.values()
            with np.errstate(all="ignore"):
                import warnings

                with warnings.catch_warnings():
                    warnings.simplefilter("ignore", RuntimeWarning)
                    if np.isnan(data).any():
                        cache[key] = np.nanquantile(data, key[0], axis=0)
                    else:  # one vectorised partition instead of nanquantile's loop over cells
                        cache[key] = np.quantile(data, key[0], axis=0)
        return cache[key]


SPREAD_QUANTILES = (0.1, 0.9)  # the spread over assumptions: 10% and 90% of the per-draw value


@dataclass(frozen=True)
class Estimate:
    """A Monte Carlo estimate with its two spreads, named apart (MODELS.md section 6):

    - the Monte Carlo error of the mean: ``se`` and the 95% interval ``lo``-``hi`` (it shrinks with trials);
    - the spread over assumptions: ``spread_lo``-``spread_hi``, the 10% and 90% quantiles of the per-draw
      value (what the number is in one draw of the uncertain parameters; it does not shrink with trials);
      NaN when the per-draw value is not defined (a difference of two runs, say).

    ``n`` is the trial count; ``n_eff`` the effective sample size where trials are weighted (Kish 1965:
    n_eff = (sum w)^2 / sum w^2; for a conditional probability weighted by P(adopted)), else equal to n."""

    mean: float
    se: float
    lo: float
    hi: float
    n: int
    spread_lo: float = float("nan")
    spread_hi: float = float("nan")
    n_eff: float | None = None

    @property
    def effective_n(self) -> float:
        return float(self.n if self.n_eff is None else self.n_eff)

    def as_dict(self) -> dict[str, float]:
        return {"mean": self.mean, "se": self.se, "ci95_low": self.lo, "ci95_high": self.hi, "n_trials": self.n,
                "n_effective": self.effective_n, "spread10": self.spread_lo, "spread90": self.spread_hi}

    def digits(self, percent: bool = False) -> int:
        """Decimals the s.e. warrants: one significant digit of it (at least one for percentages), so a
        small probability reads 0.025%, not 0.0%."""
        se = abs(self.se * (100.0 if percent else 1.0))
        if se > 0 and np.isfinite(se):
            return int(np.clip(-np.floor(np.log10(se)), 1 if percent else 0, 4))
        return 1 if percent else 3

    def text(self, digits: int | None = None, percent: bool = False) -> str:
        """Mean, the Monte Carlo error (s.e. and 95% interval), the spread over assumptions (10-90% of the
        per-draw value) and the trial count (and the effective sample size where it differs)."""
        scale, unit = (100.0, "%") if percent else (1.0, "")
        digits = self.digits(percent) if digits is None else digits

        def f(x: float) -> str:
            return f"{x * scale:,.{digits}f}"

        spread = ""
        if np.isfinite(self.spread_lo) and np.isfinite(self.spread_hi):
            spread = f"; over assumptions 10-90% {f(self.spread_lo)}-{f(self.spread_hi)}{unit}"
        n = f"n={self.n:,}"
        if self.n_eff is not None and round(self.n_eff) != self.n:
            n += f", effective {self.n_eff:,.0f}"
        return (f"{f(self.mean)}{unit} (MC s.e. {f(self.se)}{unit}; 95% CI {f(self.lo)}-{f(self.hi)}{unit}"
                f"{spread}; {n})")


def estimate(acc: Accumulator, index: tuple = (), proportion: bool = False) -> Estimate:
    """The estimate of one element of an accumulator's metric. ``proportion``: the metric is a probability;
    a 0/1 outcome then gets Wilson's interval, a per-trial probability the normal interval clipped to [0, 1].
    The spread over assumptions is the 10-90% range of the per-trial values in the accumulator's sample."""
    n = int(np.asarray(acc.n)[index]) if acc.n is not None else 0
    mean = float(np.asarray(acc.mean_value())[index])
    se = float(np.asarray(acc.se())[index])
    if proportion and acc.binary:
        lo, hi = wilson_interval(mean, n)
    else:
        lo, hi = mean - Z95 * se, mean + Z95 * se
        if proportion:
            lo, hi = max(lo, 0.0), min(hi, 1.0)
    spread = (float("nan"), float("nan"))
    if acc.sample:
        q = acc.quantiles(SPREAD_QUANTILES)
        spread = (float(np.asarray(q[0])[index]), float(np.asarray(q[1])[index]))
    return Estimate(mean, se, lo, hi, n, *spread)


def weighted_quantiles(values: np.ndarray, weights: np.ndarray, qs: tuple[float, ...]) -> np.ndarray:
    """Quantiles of ``values`` (n,) under non-negative ``weights`` (n,) (the weighted empirical CDF, inverted
    at its first crossing); NaN values and zero weights are left out; NaN if no weight remains."""
    v, w = np.asarray(values, dtype=float), np.asarray(weights, dtype=float)
    keep = np.isfinite(v) & np.isfinite(w) & (w > 0)
    v, w = v[keep], w[keep]
    if v.size == 0:
        return np.full(len(qs), np.nan)
    order = np.argsort(v, kind="stable")
    v, cdf = v[order], np.cumsum(w[order])
    cdf /= cdf[-1]
    idx = np.searchsorted(cdf, np.asarray(qs, dtype=float) - 1e-12, side="left")
    return v[np.minimum(idx, v.size - 1)]


def wilson_interval(p_hat: np.ndarray | float, n: np.ndarray | int, z: float = Z95) -> tuple:
    """Wilson (1927) score interval for a proportion estimated as p_hat from n trials."""
    p_hat = np.asarray(p_hat, dtype=float)
    n = np.asarray(n, dtype=float)
    with np.errstate(invalid="ignore", divide="ignore"):
        denom = 1.0 + z * z / n
        centre = (p_hat + z * z / (2 * n)) / denom
        half = z * np.sqrt(p_hat * (1 - p_hat) / n + z * z / (4 * n * n)) / denom
    lo, hi = np.clip(centre - half, 0.0, 1.0), np.clip(centre + half, 0.0, 1.0)
    if lo.ndim == 0:
        return float(lo), float(hi)
    return lo, hi


def difference(a: Estimate, b: Estimate, paired_se: float | None = None) -> Estimate:
    """a - b with its 95% interval; ``paired_se`` (from common random numbers) replaces the independent
    sqrt(se_a^2 + se_b^2) when given."""
    se = paired_se if paired_se is not None else float(np.hypot(a.se, b.se))
    d = a.mean - b.mean
    return Estimate(d, se, d - Z95 * se, d + Z95 * se, min(a.n, b.n))
