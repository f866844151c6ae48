"""Which LaTeX reader reads the corpus better: scoresde's domain parser or latex2sympy2_extended?

    python benchmarks/verify_parsers.py          # needs `pip install latex2sympy2_extended` (not a dependency)

For every claim of tests/corpus (correct and wrong), after the same text normalisation
(scoresde.formulas.normalize), each reader parses the formula (every equation of a cell). Reported: the
share of claims read without error, and of those, the share whose readings keep what the verifier needs
(function application beta(t) as a function, not beta*t; s_theta(x) as one symbol; dx, dt, dw as
differentials). The second is checked on a fixed list of probes, because a reading that "succeeds" with
beta*t is worse than a refusal.
"""
from __future__ import annotations

import glob
import os
import signal
import sys
import time

import yaml

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)

from scoresde.formulas.normalize import normalize_latex  # noqa: E402
from scoresde.formulas.parse import parse  # noqa: E402
from scoresde.formulas.tokens import split_alternatives, split_equations  # noqa: E402

PROBES = [  # (latex, what the reading must keep)
    (r"\beta(t)", "function"), (r"s_\theta(x_t, t)", "function"), (r"\sigma(t)^2", "function"),
    (r"dx = f(x, t)\,dt + g(t)\,dw", "differential"), (r"\bar\alpha_{t-1}", "symbol"), (r"\epsilon_\theta(x_t, t)", "function"),
]


class _Timeout(Exception):
    pass


def _alarm(signum, frame):
    raise _Timeout()


def _claims():
    for path in sorted(glob.glob(os.path.join(ROOT, "tests", "corpus", "*", "*.yaml"))):
        data = yaml.safe_load(open(path, encoding="utf-8"))
        for c in (data.get("claims", data) if isinstance(data, dict) else data):
            if c.get("latex"):
                yield c["latex"]


def _pieces(tex):
    return [eq for alt in split_alternatives(normalize_latex(tex)) for eq in split_equations(alt)]


def _ours(eq):
    parse(eq)


def _l2s(eq):
    from latex2sympy2_extended import latex2sympy

    latex2sympy(eq)


def main() -> int:
    try:
        import latex2sympy2_extended  # noqa: F401
    except ImportError:
        print("latex2sympy2_extended is not installed (pip install latex2sympy2_extended)")
        return 1
    signal.signal(signal.SIGALRM, _alarm)
    claims = list(_claims())
    for name, fn in (("scoresde parser", _ours), ("latex2sympy2_extended", _l2s)):
        ok = 0
        t0 = time.time()
        for tex in claims:
            good = True
            for eq in _pieces(tex):
                signal.alarm(5)
                try:
                    fn(eq)
                except BaseException:  # noqa: BLE001 - any failure is a failed reading here
                    good = False
                finally:
                    signal.alarm(0)
            ok += good
        print(f"{name:<24} reads {ok}/{len(claims)} claims ({100 * ok / len(claims):.1f} %) in {time.time() - t0:.1f} s")
    from latex2sympy2_extended import latex2sympy

    print("\nprobes (what each reader makes of domain notation):")
    for tex, need in PROBES:
        try:
            ours = parse(tex).sides[-1]
        except Exception as err:  # noqa: BLE001
            ours = f"error: {err}"
        try:
            theirs = latex2sympy(tex)
        except Exception as err:  # noqa: BLE001
            theirs = f"error: {type(err).__name__}"
        print(f"  {tex:<36} need {need:<12} scoresde: {str(ours)[:40]:<40} latex2sympy2: {str(theirs)[:50]}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
