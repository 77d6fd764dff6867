"""Parameter distributions and samplers.

Every numeric parameter of a model is either fixed or uncertain. An uncertain parameter is a distribution,
sampled by mapping uniform numbers u in (0, 1) through its inverse CDF (quantile function) ``ppf(u)``.
Where the uniforms come from is the sampler's business:

* ``mc``     plain Monte Carlo: each parameter has its own stream, seeded from
             ``SeedSequence(seed, spawn_key=(key(parameter path), chunk))``. The same parameter path gets
             the same draws in any config that shares it, so comparisons use common random numbers.
* ``lhs``    Latin hypercube (McKay, Beckman & Conover 1979) via ``scipy.stats.qmc.LatinHypercube``,
             one design per chunk.
* ``sobol``  scrambled Sobol' sequence (Sobol' 1967; Owen 1998 scrambling) via ``scipy.stats.qmc.Sobol``,
             one sequence continued across chunks; balance properties need a power-of-two trial count.

Distributions (all vectorised; ``ppf`` maps an array of shape (n,) to shape (n,)):

* fixed(value)
* uniform(low, high)
* normal(mean, sd[, low, high])   truncated to [low, high] when given:
  ppf(u) = mean + sd * Phi^-1(Phi(a) + u (Phi(b) - Phi(a))), a, b the standardised bounds
* triangular(low, mode, high)
* pert(low, mode, high[, shape=4])  Beta(1 + shape (mode-low)/(high-low), 1 + shape (high-mode)/(high-low))
  rescaled to [low, high] (Malcolm et al. 1959; Vose 2008)
* beta(a, b[, low=0, high=1])
* lognormal(median, sigma)         exp(ln(median) + sigma Phi^-1(u)); sigma the sd of ln X
* choice(values[, weights])        discrete; ppf by the cumulative weights
"""

from __future__ import annotations

import functools
import hashlib
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np
from scipy import special

if TYPE_CHECKING:  # scipy.stats costs ~1 s to import: loaded where a sampler or an inverter needs it
    from scipy.stats import qmc
    from scipy.stats.sampling import NumericalInversePolynomial

SAMPLERS = ("mc", "lhs", "sobol")

# u is kept strictly inside (0, 1) so that quantile functions with infinite support stay finite.
_U_EPS = 1e-12


def _clip_u(u: np.ndarray) -> np.ndarray:
    return np.clip(u, _U_EPS, 1.0 - _U_EPS)


@dataclass(frozen=True)
class Fixed:
    value: float

    def ppf(self, u: np.ndarray) -> np.ndarray:
        return np.full(np.shape(u), float(self.value))

    def mean(self) -> float:
        return float(self.value)

    def var(self) -> float:
        return 0.0

    def support(self) -> tuple[float, float]:
        return (float(self.value), float(self.value))

    def describe(self) -> str:
        return f"{self.value:g}"


@dataclass(frozen=True)
class Uniform:
    low: float
    high: float

    def ppf(self, u: np.ndarray) -> np.ndarray:
        return self.low + (self.high - self.low) * np.asarray(u)

    def mean(self) -> float:
        return 0.5 * (self.low + self.high)

    def var(self) -> float:
        return (self.high - self.low) ** 2 / 12.0

    def support(self) -> tuple[float, float]:
        return (self.low, self.high)

    def describe(self) -> str:
        return f"uniform({self.low:g}, {self.high:g})"


@dataclass(frozen=True)
class Normal:
    mean_: float
    sd: float
    low: float | None = None
    high: float | None = None

    def _std_bounds(self) -> tuple[float, float]:
        a = -np.inf if self.low is None else (self.low - self.mean_) / self.sd
        b = np.inf if self.high is None else (self.high - self.mean_) / self.sd
        return a, b

    def ppf(self, u: np.ndarray) -> np.ndarray:
        a, b = self._std_bounds()
        pa, pb = special.ndtr(a), special.ndtr(b)
        z = special.ndtri(_clip_u(pa + np.asarray(u) * (pb - pa)))
        x = self.mean_ + self.sd * z
        if self.low is not None or self.high is not None:
            x = np.clip(x, -np.inf if self.low is None else self.low, np.inf if self.high is None else self.high)
        return x

    def _trunc_moments(self) -> tuple[float, float]:
        from scipy.stats import truncnorm

        a, b = self._std_bounds()
        m, v = truncnorm.stats(a, b, loc=self.mean_, scale=self.sd, moments="mv")
        return float(m), float(v)

    def mean(self) -> float:
        return self._trunc_moments()[0]

    def var(self) -> float:
        return self._trunc_moments()[1]

    def support(self) -> tuple[float, float]:
        return (-np.inf if self.low is None else self.low, np.inf if self.high is None else self.high)

    def describe(self) -> str:
        trunc = "" if self.low is None and self.high is None else f", [{self.low}, {self.high}]"
        return f"normal({self.mean_:g}, sd {self.sd:g}{trunc})"


@dataclass(frozen=True)
class Triangular:
    low: float
    mode: float
    high: float

    def ppf(self, u: np.ndarray) -> np.ndarray:
        u = np.asarray(u)
        lo, c, hi = self.low, self.mode, self.high
        width = hi - lo
        fc = (c - lo) / width if width > 0 else 0.5
        left = lo + np.sqrt(u * width * (c - lo))
        right = hi - np.sqrt((1.0 - u) * width * (hi - c))
        return np.where(u < fc, left, right)

    def mean(self) -> float:
        return (self.low + self.mode + self.high) / 3.0

    def var(self) -> float:
        a, c, b = self.low, self.mode, self.high
        return (a * a + b * b + c * c - a * b - a * c - b * c) / 18.0

    def support(self) -> tuple[float, float]:
        return (self.low, self.high)

    def describe(self) -> str:
        return f"triangular({self.low:g}, {self.mode:g}, {self.high:g})"


class _LogitBetaDensity:
    """The density of Y = logit(X), X ~ Beta(a, b), standardised: Z = (Y - c) / s with c = ln(a / b) (the mode of
    Y) and s^2 = psi'(a) + psi'(b) (the variance of Y), up to a constant factor (PINV normalises):
    f(z) ~ exp(a ln expit(y) + b ln expit(-y)), y = c + s z. Log-concave with exponential tails, smooth
    everywhere, for any a, b > 0: no boundary where the density vanishes like a power of x or 1 - x."""

    def __init__(self, a: float, b: float):
        self.a, self.b = a, b
        self.center = float(np.log(a / b))
        self.scale = float(np.sqrt(special.polygamma(1, a) + special.polygamma(1, b)))
        self._top = a * special.log_expit(self.center) + b * special.log_expit(-self.center)

    def pdf(self, z: float) -> float:
        y = self.center + self.scale * z
        return float(np.exp(self.a * special.log_expit(y) + self.b * special.log_expit(-y) - self._top))


class _BetaInverter:
    """x(u) = expit(c + s PINV(u)): the quantile function of Beta(a, b) through that of its logit."""

    def __init__(self, density: _LogitBetaDensity, pinv: NumericalInversePolynomial):
        self.center, self.scale, self.pinv = density.center, density.scale, pinv

    def ppf(self, u: np.ndarray) -> np.ndarray:
        y = np.asarray(self.pinv.ppf(u), dtype=float)  # a fresh array: scaled and mapped in place
        y *= self.scale
        y += self.center
        return special.expit(y, out=y)


#: u in (0, 1) where `_beta_inverter` checks its u-error against the exact regularised incomplete beta
_CHECK_U = np.concatenate([np.linspace(1e-6, 1.0 - 1e-6, 101), np.logspace(-12, -6, 13), 1.0 - np.logspace(-12, -6, 13)])


@functools.lru_cache(maxsize=256)
def _beta_inverter(a: float, b: float) -> _BetaInverter | None:
    """Hormann & Leydold's (2003) polynomial interpolation of the inverse CDF (scipy's PINV) with a u-error
    below 1e-12: about 30x faster than betaincinv per draw. For a, b >= 1 (what a PERT has); None (the exact
    betaincinv) for other shapes, or if the set-up fails or misses 1e-10 on a check grid.

    PINV runs on the standardised logit of X (`_LogitBetaDensity`), not on X: on [0, 1] a density that vanishes
    at an end like x^(a-1) or (1 - x)^(b-1) (e.g. Beta(4, 2), a PERT with its mode at three quarters of its range,
    or Beta(4.1, 1.9)) made the set-up search its tail for minutes before giving up; the logit's density is
    smooth with exponential tails for every shape (set-up in a few ms)."""
    if a < 1 or b < 1:
        return None
    from scipy.stats.sampling import NumericalInversePolynomial

    density = _LogitBetaDensity(a, b)
    try:
        inverter = _BetaInverter(density, NumericalInversePolynomial(density, center=0.0, u_resolution=1e-12))
    except Exception:  # noqa: BLE001 - PINV setup can fail on extreme shapes; fall back to the exact inverse
        return None
    error = np.max(np.abs(special.betainc(a, b, inverter.ppf(_CHECK_U)) - _CHECK_U))
    return inverter if error <= 1e-10 else None


def _beta_ppf(a: float, b: float, u: np.ndarray) -> np.ndarray:
    inverter = _beta_inverter(float(a), float(b))
    if inverter is None:
        return special.betaincinv(a, b, u)
    return inverter.ppf(u)


@dataclass(frozen=True)
class Beta:
    a: float
    b: float
    low: float = 0.0
    high: float = 1.0

    def ppf(self, u: np.ndarray) -> np.ndarray:
        return self.low + (self.high - self.low) * _beta_ppf(self.a, self.b, np.asarray(u, dtype=float))

    def mean(self) -> float:
        return self.low + (self.high - self.low) * self.a / (self.a + self.b)

    def var(self) -> float:
        s = self.a + self.b
        return (self.high - self.low) ** 2 * self.a * self.b / (s * s * (s + 1.0))

    def support(self) -> tuple[float, float]:
        return (self.low, self.high)

    def describe(self) -> str:
        scale = "" if (self.low, self.high) == (0.0, 1.0) else f" on [{self.low:g}, {self.high:g}]"
        return f"beta({self.a:g}, {self.b:g}){scale}"


def Pert(low: float, mode: float, high: float, shape: float = 4.0) -> Beta:
    """PERT distribution as a scaled Beta (Malcolm et al. 1959; Vose 2008, Risk Analysis, ch. 9)."""
    width = high - low
    a = 1.0 + shape * (mode - low) / width
    b = 1.0 + shape * (high - mode) / width
    return Beta(a, b, low, high)


@dataclass(frozen=True)
class Lognormal:
    median: float
    sigma: float

    def ppf(self, u: np.ndarray) -> np.ndarray:
        return self.median * np.exp(self.sigma * special.ndtri(_clip_u(np.asarray(u))))

    def mean(self) -> float:
        return self.median * float(np.exp(0.5 * self.sigma**2))

    def var(self) -> float:
        s2 = self.sigma**2
        return self.median**2 * float(np.exp(s2) * (np.exp(s2) - 1.0))

    def support(self) -> tuple[float, float]:
        return (0.0, np.inf)

    def describe(self) -> str:
        return f"lognormal(median {self.median:g}, sigma {self.sigma:g})"


@dataclass(frozen=True)
class Choice:
    values: tuple[float, ...]
    weights: tuple[float, ...] = field(default=())

    def _probs(self) -> np.ndarray:
        w = np.asarray(self.weights if self.weights else [1.0] * len(self.values), dtype=float)
        return w / w.sum()

    def ppf(self, u: np.ndarray) -> np.ndarray:
        cum = np.cumsum(self._probs())
        cum[-1] = 1.0
        idx = np.searchsorted(cum, np.asarray(u), side="right")
        return np.asarray(self.values, dtype=float)[np.minimum(idx, len(self.values) - 1)]

    def mean(self) -> float:
        return float(np.dot(self._probs(), self.values))

    def var(self) -> float:
        p, v = self._probs(), np.asarray(self.values, dtype=float)
        return float(np.dot(p, (v - np.dot(p, v)) ** 2))

    def support(self) -> tuple[float, float]:
        return (float(min(self.values)), float(max(self.values)))

    def describe(self) -> str:
        vals = ", ".join(f"{v:g}" for v in self.values)
        if self.weights:
            return f"choice([{vals}], weights [{', '.join(f'{w:g}' for w in self.weights)}])"
        return f"choice([{vals}])"


Distribution = Fixed | Uniform | Normal | Triangular | Beta | Lognormal | Choice


def stream_key(path: str) -> int:
    """A stable 32-bit key for a parameter path (Python's hash() is salted per process)."""
    return int.from_bytes(hashlib.blake2b(path.encode(), digest_size=4).digest(), "little")


def child_seed(seed: int, *keys: int) -> np.random.SeedSequence:
    """The SeedSequence for a sub-stream of a run: (seed; keys...) always gives the same stream."""
    return np.random.SeedSequence(int(seed), spawn_key=tuple(int(k) for k in keys))


NOISE_KEY = 0x6E6F6973  # "nois": model-internal randomness, separate from parameter streams


@dataclass
class Sampler:
    """Uniforms for ``names`` (parameter paths), chunk by chunk.

    ``mc`` and ``lhs`` chunks are independent and may be drawn in any order. The Sobol' sampler continues one
    sequence across chunks: give ``start`` (the index of the chunk's first trial) to draw a chunk out of order;
    the sequence is fast-forwarded to it (forward only).
    """

    names: Sequence[str]
    seed: int
    method: str = "mc"
    _sobol: qmc.Sobol | None = None
    _position: int = 0

    def __post_init__(self) -> None:
        if self.method not in SAMPLERS:
            raise ValueError(f"unknown sampler {self.method!r}; allowed: {', '.join(SAMPLERS)}")
        if self.method == "sobol" and self.names:
            from scipy.stats import qmc

            self._sobol = qmc.Sobol(len(self.names), scramble=True, seed=np.random.default_rng(child_seed(self.seed, 1)))

    def uniforms(self, chunk: int, n: int, start: int | None = None) -> np.ndarray:
        """Uniform numbers of shape (n, len(names)) for chunk ``chunk`` (whose first trial is ``start``)."""
        d = len(self.names)
        if d == 0:
            return np.empty((n, 0))
        if self.method == "mc":
            out = np.empty((n, d))
            for j, name in enumerate(self.names):
                out[:, j] = np.random.default_rng(child_seed(self.seed, stream_key(name), chunk)).random(n)
            return out
        if self.method == "lhs":
            from scipy.stats import qmc

            rng = np.random.default_rng(child_seed(self.seed, 2, chunk))
            return qmc.LatinHypercube(d, seed=rng).random(n)
        assert self._sobol is not None
        if start is not None and start != self._position:
            if start < self._position:
                raise ValueError("the Sobol' sampler only moves forward")
            self._sobol.fast_forward(start - self._position)
            self._position = start
        self._position += n
        return self._sobol.random(n)


def draw(dists: dict[str, Distribution], sampler: Sampler, chunk: int, n: int,
         start: int | None = None) -> dict[str, np.ndarray]:
    """Draw ``n`` values of every uncertain parameter for one chunk: {path: array of shape (n,)}."""
    u = sampler.uniforms(chunk, n, start)
    return {name: dists[name].ppf(u[:, j]) for j, name in enumerate(sampler.names)}


def chunk_sizes(n_trials: int, chunk_size: int) -> list[int]:
    """Split ``n_trials`` into chunks of at most ``chunk_size``."""
    full, rest = divmod(n_trials, chunk_size)
    return [chunk_size] * full + ([rest] if rest else [])
