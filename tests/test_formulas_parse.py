"""The LaTeX / plain-math reader of scoresde.formulas."""
import pytest
import sympy as sp

from scoresde.formulas.parse import (DDT, DT, DW, DWBAR, DX, NORMAL, ParseError, parse, plain_to_latex,
                                     split_alternatives, split_equations)


def _atom(p, name):
    return next(a for s, a in p.atoms.items() if s.name == name)


def test_decorated_symbols_and_applications():
    p = parse(r"\mu_\theta(x_t, t) = \frac{1}{\sqrt{\alpha_t}}(x_t - \frac{\beta_t}{\sqrt{1-\bar{\alpha}_{t-1}}}\epsilon_\theta(x_t, t))")
    assert any(a.base == "α" and a.deco == "bar" and a.sub == "t-1" for a in p.atoms.values())
    eps = _atom(p, "ε_θ(x_t, t)")
    assert eps.base == "ε" and eps.sub == "θ" and eps.args == ("x_t", "t")
    # beta_t(...) multiplies; beta(t) applies
    q = parse(r"y = \beta_t(x_t - 1) + \beta(t)")
    assert any(a.base == "β" and a.args == ("t",) for a in q.atoms.values())
    assert sp.expand(q.sides[1]).has(sp.Symbol("x_t", real=True))


def test_differentials_derivative_and_brownian():
    p = parse(r"dx = -[\frac{d[\sigma(t)^2]}{dt} s_\theta(x, t)]dt + \sqrt{\frac{d[\sigma(t)^2]}{dt}}d\bar{w}")
    assert p.sides[0] == DX
    rhs = p.sides[1]
    assert rhs.has(DT) and rhs.has(DWBAR) and not rhs.has(DW) and rhs.has(DDT)
    q = parse(r"\frac{dx}{dt} = -\frac{1}{2}\beta(t)x")
    assert q.sides[0] == DX / DT


def test_normal_integral_product_and_norms():
    p = parse(r"q(x_t|x_0) = \mathcal{N}(x_t; \sqrt{\bar\alpha_t}x_0, (1-\bar\alpha_t)I)")
    assert p.sides[1].func == NORMAL and len(p.sides[1].args) == 3
    q = parse(r"m = e^{-\frac{1}{2}\int_0^t \beta(s) ds}")
    assert q.sides[1].has(sp.Integral)
    r = parse(r"\bar\alpha_t = \prod_{s=1}^t \alpha_s")
    assert r.sides[1].has(sp.Product)
    n = parse(r"\epsilon = 2 (r \|z\|_2 / \|s_\theta\|_2)^2")
    assert sum(1 for a in n.atoms.values() if a.base == "norm") == 2


def test_zero_denominator_is_recorded():
    p = parse(r"\bar{\alpha}_t = \frac{\cos(t/T \cdot \pi/2)}{\cos(\pi/2)}")
    assert p.issues and "division by zero" in p.issues[0]
    assert p.sides[1].has(sp.cos)  # the numerator is kept for the rest of the reading


def test_splitting_alternatives_and_equations():
    assert len(split_alternatives(r"x_{i-1} = a 或 x_{i-1} = b")) == 2
    assert len(split_alternatives(r"x = a \text{ or } x = b")) == 2
    assert split_equations(r"\beta_t = 1 - a, \ \bar\alpha_t = b") == [r"\beta_t = 1 - a", r"\ \bar\alpha_t = b"]
    assert len(split_equations(r"X_t = a, \quad Z_t \sim \mathcal{N}(0, I)")) == 2
    assert split_equations(r"f(x, t) = 1") == [r"f(x, t) = 1"]  # commas inside brackets stay


def test_plain_math():
    tex = plain_to_latex("1 / sqrt(alpha_bars[t]) * (x - eps_theta)")
    assert r"\bar{\alpha}_{t}" in tex and r"\sqrt" in tex
    p = parse("x_prev = sqrt(1 - beta_t) * x + z")
    assert any(a.base == "β" and a.sub == "t" for a in p.atoms.values())


@pytest.mark.parametrize("bad", [r"\frac{1}{", r"x = (a", r"x = \unknowncommand{y}", "", r"x = \partial_t y"])
def test_parse_errors(bad):
    with pytest.raises(ParseError):
        parse(bad)


def test_argument_lists_and_function_of_eta():
    """(a, b) after a name is an argument list; σ_t(η) is DDIM's σ as a function of η, not σ_t·η."""
    from scoresde.formulas.parse import parse

    assert str(parse(r"y = x_\theta(x_t, t)").sides[1]) == "x_θ(x_t, t)"
    assert str(parse(r"y = \mathbf{x}_t(\mathbf{x}_0, \epsilon)").sides[1]) == "x_t(x_0, ε)"
    assert str(parse(r"\sigma_t(\eta) = \eta").sides[0]) == "σ_t(η)"
    assert str(parse(r"y = \sigma_t (a + b)").sides[1]) == "σ_t*(a + b)"
