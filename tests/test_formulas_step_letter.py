"""x_{t±h}: a one-letter step in the state's time index is the time step Δt (em_updates.step_letter)."""
import pytest
from conftest import claim_verdicts

from scoresde.formulas.em_updates import step_letter


@pytest.mark.parametrize("text, want", [
    # forward Euler–Maruyama (Kloeden & Platen 1992, Eq. 9.1.1) and the reverse one (Song et al. 2021, Eq. 6)
    (r"\mathbf{x}(t + h) = \mathbf{x}(t) + h\,\mathbf{f}(\mathbf{x}(t), t) + \sqrt{h}\,g(t)\,\mathbf{z}", "exact"),
    (r"x_{t-h} = x_t - h\,[f(x_t, t) - g(t)^2 s_\theta(x_t, t)] + g(t)\sqrt{h}\,z", "exact"),
    (r"x_{t-h} = x_t - h\,[f(x_t, t) - g(t)^2 s_\theta(x_t, t)] + g(t)\,h\,z", "inconsistent"),       # h for √h
    (r"x_{t-h} = x_t - h\,[f(x_t, t) - \tfrac12 g(t)^2 s_\theta(x_t, t)] + g(t)\sqrt{h}\,z", "inconsistent"),
])
def test_step_letterclaim_verdicts(text, want):
    assert claim_verdicts(text) == [want]


def test_only_in_the_state_index():
    assert step_letter(r"h_i = \lambda_{t_i} - \lambda_{t_{i-1}}") == (r"h_i = \lambda_{t_i} - \lambda_{t_{i-1}}", [])
    out, notes = step_letter(r"x_{t+h} = x_t + h f(x_t, t)")
    assert out == r"x_{t+\Delta t} = x_t + \Delta t f(x_t, t)" and notes
