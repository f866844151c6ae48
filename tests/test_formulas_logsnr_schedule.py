"""A schedule stated as its log-SNR λ(t) = f(t) (Kingma et al. 2021, Sec. 3.4; Kingma & Gao 2023, Sec. 2)."""
import pytest
import torch

from scoresde.formulas import verify_claims
from scoresde.formulas.claims import ClaimSpec

from scoresde.formulas.logsnr_schedule import _NAMED, judge_logsnr_schedule
from scoresde.sde import VESDE, VPSDE

_P = {"s": 0.008, "βmin": 0.1, "βmax": 20.0, "σmin": 0.01, "σmax": 50.0}


@pytest.mark.parametrize("k, sde", [(0, lambda: VPSDE.cosine(s=1e-12)), (1, lambda: VPSDE.cosine(s=0.008)),
                                    (2, lambda: VPSDE(0.1, 20.0)), (3, lambda: VESDE(0.01, 50.0, marginal="smld"))])
def test_named_log_snr_is_the_package_sdes(k, sde):
    """Each named schedule's log-SNR is 2 LinearSDE.log_snr (= log(m²/s²)) of the package's SDE."""
    sde_ = sde()
    for t in (0.1, 0.37, 0.8):
        want = 2 * float(sde_.log_snr(torch.tensor(t, dtype=torch.float64)))
        assert _NAMED[k][1](t, _P) == pytest.approx(want, rel=1e-9, abs=1e-9)


@pytest.mark.parametrize("text, verdict", [
    (r"\lambda(t) = -2\log\tan\left(\frac{\pi t}{2}\right)", "exact"),   # Kingma & Gao 2023: full log-SNR
    (r"f_\lambda(t) = -2\log\left(\tan(\pi t/2)\right)", "exact"),
    (r"\lambda_t = -\log\tan(\tfrac{\pi t}{2})", "exact"),               # DPM-Solver's half log-SNR
    (r"\gamma(t) = 2\log\tan(\pi t/2)", "exact"),                        # VDM's γ = −log SNR
    (r"\log\mathrm{SNR}(t) = -\log\left(e^{\beta_{min}t + \frac{1}{2}(\beta_{max} - \beta_{min})t^2} - 1\right)", "exact"),
    (r"\lambda(t) = -2\log\sigma_{min} - 2t\log\frac{\sigma_{max}}{\sigma_{min}}", "exact"),  # geometric VE
    (r"\lambda(t) = \lambda_{max} + (\lambda_{min} - \lambda_{max})\,t", "exact"),
    (r"\lambda(t) = -\log\tan(\pi t/2)", "inconsistent"),                # half the cosine's: a dropped 2
    (r"\lambda_t = -2\log\tan(\pi t/2)", "consistent"),                  # twice DPM-Solver's half log-SNR: never exact
    (r"\lambda(t) = -2\log\tan(\pi t/2) + 2\log\frac{64}{d}", "consistent"),  # shifted (Hoogeboom et al. 2023)
    (r"\lambda(t) = 4 - 9t^3", "consistent"),                            # decreasing: valid, not named
    (r"\lambda(t) = 2\log\tan(\pi t/2)", "inconsistent"),                # sign: SNR would increase
    (r"\gamma(t) = -2\log\tan(\pi t/2)", "inconsistent"),
    (r"\lambda(t) = -2\log\tan(\pi t)", "ill-defined"),                  # tan < 0 past t = 1/2
    (r"\lambda(t) = \cos(4\pi t) - t", "inconsistent"),                  # not monotone
])
def test_log_snr_verdicts(text, verdict):
    assert judge_logsnr_schedule(text).verdict == verdict
    got = [v for _, v in verify_claims([ClaimSpec(name="c", text=text)], numeric=False)]
    assert [v.verdict for v in got] == [verdict], got[0].detail
    if verdict != "exact":
        assert got[0].terms == ["rhs"]


@pytest.mark.parametrize("text", [r"\lambda(t) = \beta(t)^2", r"\lambda_t = \log\frac{\alpha_t}{\sigma_t}",
                                  r"\lambda(t) = -2\log\tan(\pi t/2) + c", r"x_t = -2\log t"])
def test_not_a_schedule_in_t_alone(text):
    """Other symbols (a β(t), the α_t, σ_t of the kernel, an unknown c) or another left side: not this reader's."""
    assert judge_logsnr_schedule(text) is None


def test_snr_itself_must_be_positive():
    v = judge_logsnr_schedule(r"\mathrm{SNR}(t) = \cos(\pi t)")
    assert v.verdict == "ill-defined" and v.terms == ["rhs"]
