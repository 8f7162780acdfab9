/**
 * Black-Scholes-Merton for European options on an asset with a continuous yield q (Hull,
 * "Options, Futures, and Other Derivatives", ch. 15 and 19). Times in years, rates and volatility
 * as annualized fractions. Pure: no I/O, no randomness.
 */
export type OptionRight = 'C' | 'P';

export interface Greeks {
  /** dV/dS. */
  delta: number;
  /** d2V/dS2. */
  gamma: number;
  /** dV/dsigma per 1.00 of volatility (divide by 100 for one vol point). */
  vega: number;
  /** dV/dt per year of calendar time (divide by 365 for one day); usually negative. */
  theta: number;
}

const INV_SQRT_2PI = 0.3989422804014327;
export const IV_MIN = 1e-4;
export const IV_MAX = 5;

/** Standard normal density. */
export function normPdf(x: number): number {
  return INV_SQRT_2PI * Math.exp(-0.5 * x * x);
}

/**
 * Standard normal CDF, Hart (1968) algorithm 5666 as given by G. West, "Better approximations to
 * cumulative normal functions" (Wilmott, 2005): absolute error below 1e-14 everywhere.
 */
export function normCdf(x: number): number {
  const z = Math.abs(x);
  let tail: number;
  if (z > 37) {
    tail = 0;
  } else {
    const e = Math.exp(-0.5 * z * z);
    if (z < 7.07106781186547) {
      let n = 3.52624965998911e-2 * z + 0.700383064443688;
      n = n * z + 6.37396220353165;
      n = n * z + 33.912866078383;
      n = n * z + 112.079291497871;
      n = n * z + 221.213596169931;
      n = n * z + 220.206867912376;
      let d = 8.83883476483184e-2 * z + 1.75566716318264;
      d = d * z + 16.064177579207;
      d = d * z + 86.7807322029461;
      d = d * z + 296.564248779674;
      d = d * z + 637.333633378831;
      d = d * z + 793.826512519948;
      d = d * z + 440.413735824752;
      tail = (e * n) / d;
    } else {
      let d = z + 0.65;
      d = z + 4 / d;
      d = z + 3 / d;
      d = z + 2 / d;
      d = z + 1 / d;
      tail = e / d / 2.506628274631;
    }
  }
  return x > 0 ? 1 - tail : tail;
}

function d1d2(S: number, K: number, T: number, r: number, sigma: number, q: number): [number, number] {
  const sd = sigma * Math.sqrt(T);
  const d1 = (Math.log(S / K) + (r - q) * T) / sd + 0.5 * sd;
  return [d1, d1 - sd];
}

/** Price of a European option. T <= 0 or sigma <= 0 gives the discounted intrinsic value. */
export function bsPrice(right: OptionRight, S: number, K: number, T: number, r: number, sigma: number, q = 0): number {
  const dfR = Math.exp(-r * Math.max(T, 0));
  const dfQ = Math.exp(-q * Math.max(T, 0));
  if (T <= 0 || sigma <= 0) {
    const fwdIntrinsic = right === 'C' ? S * dfQ - K * dfR : K * dfR - S * dfQ;
    return Math.max(fwdIntrinsic, 0);
  }
  const [d1, d2] = d1d2(S, K, T, r, sigma, q);
  return right === 'C'
    ? S * dfQ * normCdf(d1) - K * dfR * normCdf(d2)
    : K * dfR * normCdf(-d2) - S * dfQ * normCdf(-d1);
}

/** Delta, gamma, vega and theta (Hull, table 19.6 generalized with a yield q). Needs T, sigma > 0. */
export function bsGreeks(right: OptionRight, S: number, K: number, T: number, r: number, sigma: number, q = 0): Greeks {
  const sqrtT = Math.sqrt(T);
  const [d1, d2] = d1d2(S, K, T, r, sigma, q);
  const dfR = Math.exp(-r * T);
  const dfQ = Math.exp(-q * T);
  const pdf = normPdf(d1);
  const gamma = (dfQ * pdf) / (S * sigma * sqrtT);
  const vega = S * dfQ * pdf * sqrtT;
  const decay = -(S * dfQ * pdf * sigma) / (2 * sqrtT);
  if (right === 'C') {
    return {
      delta: dfQ * normCdf(d1),
      gamma,
      vega,
      theta: decay - r * K * dfR * normCdf(d2) + q * S * dfQ * normCdf(d1),
    };
  }
  return {
    delta: dfQ * (normCdf(d1) - 1),
    gamma,
    vega,
    theta: decay + r * K * dfR * normCdf(-d2) - q * S * dfQ * normCdf(-d1),
  };
}

/**
 * Implied volatility in [IV_MIN, IV_MAX], or null when the price is outside the no-arbitrage
 * bounds or no volatility in that range reproduces it. In-the-money options are converted to the
 * out-of-the-money option of the same strike by put-call parity (same volatility), whose price
 * carries no intrinsic value to cancel; the root is then bracketed and found by Brent's method.
 */
export function impliedVol(right: OptionRight, price: number, S: number, K: number, T: number, r: number, q = 0): number | null {
  if (!(price >= 0) || !(S > 0) || !(K > 0) || !(T > 0) || !Number.isFinite(price)) return null;
  const fwdS = S * Math.exp(-q * T);
  const pvK = K * Math.exp(-r * T);
  // Upper bounds: a call is worth less than the (discounted) asset, a put less than the strike.
  if (price >= (right === 'C' ? fwdS : pvK)) return null;
  let otmRight = right;
  let otmPrice = price;
  const callItm = fwdS > pvK;
  if ((right === 'C') === callItm) {
    otmRight = right === 'C' ? 'P' : 'C';
    otmPrice = right === 'C' ? price - fwdS + pvK : price + fwdS - pvK;
  }
  // Allow for rounding in the parity conversion: a few ulps of the larger operand.
  const slack = 4 * Number.EPSILON * Math.max(fwdS, pvK);
  if (otmPrice < -slack) return null;
  const f = (sigma: number): number => bsPrice(otmRight, S, K, T, r, sigma, q) - otmPrice;
  const fLo = f(IV_MIN);
  const fHi = f(IV_MAX);
  if (Math.abs(fLo) <= slack) return IV_MIN;
  if (Math.abs(fHi) <= slack) return IV_MAX;
  if (fLo > 0 || fHi < 0) return null;
  return brent(f, IV_MIN, IV_MAX, fLo, fHi, 1e-12);
}

/** Brent's root finder on a bracket [a, b] with f(a), f(b) of opposite signs (Numerical Recipes zbrent). */
function brent(f: (x: number) => number, a0: number, b0: number, fa0: number, fb0: number, tol: number): number {
  let a = a0, b = b0, fa = fa0, fb = fb0;
  let c = b, fc = fb, d = b - a, e = d;
  for (let iter = 0; iter < 200; iter++) {
    if ((fb > 0 && fc > 0) || (fb < 0 && fc < 0)) {
      c = a; fc = fa; d = b - a; e = d;
    }
    if (Math.abs(fc) < Math.abs(fb)) {
      a = b; b = c; c = a;
      fa = fb; fb = fc; fc = fa;
    }
    const tol1 = 2 * Number.EPSILON * Math.abs(b) + 0.5 * tol;
    const xm = 0.5 * (c - b);
    if (Math.abs(xm) <= tol1 || fb === 0) return b;
    if (Math.abs(e) >= tol1 && Math.abs(fa) > Math.abs(fb)) {
      const s = fb / fa;
      let p: number, qq: number;
      if (a === c) {
        p = 2 * xm * s;
        qq = 1 - s;
      } else {
        const qa = fa / fc, rr = fb / fc;
        p = s * (2 * xm * qa * (qa - rr) - (b - a) * (rr - 1));
        qq = (qa - 1) * (rr - 1) * (s - 1);
      }
      if (p > 0) qq = -qq;
      p = Math.abs(p);
      if (2 * p < Math.min(3 * xm * qq - Math.abs(tol1 * qq), Math.abs(e * qq))) {
        e = d; d = p / qq;
      } else {
        d = xm; e = d;
      }
    } else {
      d = xm; e = d;
    }
    a = b; fa = fb;
    b += Math.abs(d) > tol1 ? d : xm > 0 ? tol1 : -tol1;
    fb = f(b);
  }
  return b;
}
