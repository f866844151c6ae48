"""A chain's joint density as a product of its steps is judged by the chain rule (chain_joint.py)."""
import pytest

from scoresde.formulas import verify_formula

EXACT = [
    r"q(x_{1:T}|x_0) = \prod_{t=1}^T q(x_t|x_{t-1})",  # Ho et al. 2020, Eq. 2
    r"p_\theta(\mathbf{x}_{0:T}) = p(\mathbf{x}_T)\prod_{t=1}^T p_\theta(\mathbf{x}_{t-1}\mid\mathbf{x}_t)",  # Eq. 1
    r"q_\sigma(x_{1:T}|x_0) = q_\sigma(x_T|x_0)\prod_{t=2}^T q_\sigma(x_{t-1}|x_t,x_0)",  # DDIM Eq. 6
    r"q(x^{(0\cdots T)}) = q(x^{(0)})\prod_{t=1}^T q(x^{(t)}|x^{(t-1)})",  # Sohl-Dickstein et al. 2015, Eq. 3
    r"p(\mathbf{z}_{0:N}) = p(\mathbf{z}_N)\prod_{n=1}^{N} p(\mathbf{z}_{n-1}\vert\mathbf{z}_n)",  # other letters
]
WRONG = {
    r"q(x_{1:T}|x_0) = \prod_{t=1}^T q(x_{t-1}|x_t)": "drawn again",  # the given x_0 drawn by a factor
    r"p_\theta(\mathbf{x}_{0:T}) = \prod_{t=1}^T p_\theta(\mathbf{x}_{t-1}\mid\mathbf{x}_t)": "no factor draws",  # no prior
    r"q(x_{1:T}|x_0) = \prod_{t=1}^T q(x_t|x_{t+1})": "neither drawn nor given",
    r"q_\sigma(x_{1:T}|x_0) = q_\sigma(x_T|x_0)\prod_{t=1}^T q_\sigma(x_{t-1}|x_t,x_0)": "drawn again",
    r"q(x_{1:T}|x_0) = q(x_T|x_0)\prod_{t=1}^T q(x_t|x_{t-1})": "more than one factor",
    r"p_\theta(\mathbf{x}_{0:T}) = p(\mathbf{x}_T)\prod_{t=1}^T q(\mathbf{x}_{t-1}\mid\mathbf{x}_t)": "density of q",
}


@pytest.mark.parametrize("tex", EXACT)
def test_factorisations_by_the_chain_rule_are_exact(tex):
    vs = verify_formula(tex, numeric=False)
    assert [v.verdict for v in vs] == ["exact"], vs[0].detail
    assert "chain rule" in vs[0].detail


@pytest.mark.parametrize("tex,why", WRONG.items())
def test_products_that_are_not_the_joint_are_inconsistent(tex, why):
    vs = verify_formula(tex, numeric=False)
    assert [(v.verdict, v.terms) for v in vs] == [("inconsistent", ["rhs"])], vs[0].detail
    assert why in vs[0].detail
