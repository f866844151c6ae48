"""The solver configurations every shared test iterates: built from the registries, so a
solver registered in one line is enrolled in the contract and order tests automatically."""
from __future__ import annotations

from scoresde import solvers as S

#: extra configurations beyond each class's defaults
EXTRA_PREDICTORS = [S.Ancestral(variance="beta"), S.DDIM(eta=0.5), S.DDIM(eta=1.0),
                    S.UniPC(order=1), S.UniPC(order=2, corrector=False, variant="bh1"),
                    S.DEIS(order=4), S.DPMSolverPP3M(coef="reference"), S.UniPC(order=4)]


def predictor_cases():
    """(id, predictor) for every registered predictor (defaults) plus the extra configurations."""
    out = [(name, cls()) for name, cls in S.PREDICTORS.items()]
    out += [(f"{p.name}{p.config()}", p) for p in EXTRA_PREDICTORS]
    return out


def corrector_cases():
    """(id, corrector) for every registered corrector, with few inner steps to stay fast."""
    out = []
    for name, cls in S.CORRECTORS.items():
        try:
            c = cls(n_steps=2)
        except TypeError:
            c = cls()
        out.append((name, c))
    out.append(("langevin{'rule': 'snr'}", S.Langevin(n_steps=2, rule="snr")))
    return out


def predictor_for(corrector):
    """A predictor the corrector accepts (UniC follows deterministic predictors only)."""
    return S.DDIM() if hasattr(corrector, "check_predictor") else S.ReverseDiffusion()
