"""The unified table: every registered SDE with its (m, s), (f, g^2), EDM view and discrete twin."""
from __future__ import annotations

from typing import Iterable, List

import torch

from .sde import SDES, LinearSDE

#: symbolic rows per SDE name (Song et al. 2021, Eq. 9, 11, 12, 29; Ho et al. 2020, Eq. 2, 4;
#: Song & Ermon 2019; Nichol & Dhariwal 2021, Eq. 17). Checked against the code through sympy by tests/test_cli_table.py.
FORMULAS = {
    "vp": dict(f="-beta(t)/2", g2="beta(t)", m="exp(-B(t)/2)", s2="1 - exp(-B(t))",
               twin="DDPM: x_i = sqrt(1-beta_i) x_{i-1} + sqrt(beta_i) z,  beta_i = 1 - abar(t_i)/abar(t_{i-1})"),
    "vp-cosine": dict(f="-beta(t)/2", g2="beta(t) = pi tan(phi)/(1+s)", m="cos(phi(t))/cos(phi(0))", s2="1 - m^2",
                      twin="DDPM (improved, cosine): beta_i = 1 - abar(t_i)/abar(t_{i-1})"),
    "subvp": dict(f="-beta(t)/2", g2="beta(t)(1 - exp(-2B(t)))", m="exp(-B(t)/2)", s2="(1 - exp(-B(t)))^2",
                  twin="DDPM-type: a_i = m_i/m_{i-1}, b_i^2 = (1-e^{-dB})(1-e^{-(B_{i-1}+B_i)})"),
    "ve": dict(f="0", g2="d sigma(t)^2/dt", m="1", s2="sigma(t)^2 - sigma_min^2  [exact]  |  sigma(t)^2  [smld]",
               twin="SMLD: x_i = x_{i-1} + sqrt(sigma_i^2 - sigma_{i-1}^2) z,  sigma_0 = 0"),
}


def rows(sdes: Iterable[LinearSDE]) -> List[dict]:
    out = []
    for sde in sdes:
        f = FORMULAS.get(sde.name, {})
        T = torch.tensor(sde.T, dtype=torch.float64)
        e = torch.tensor(sde.eps, dtype=torch.float64)
        ch = sde.chain()
        out.append({
            "sde": repr(sde),
            "forward": f"dx = [{f.get('f', 'f(t)')}] x dt + sqrt({f.get('g2', 'g(t)^2')}) dw",
            "kernel": f"x_t = m x_0 + s z,  m = {f.get('m', 'm(t)')},  s^2 = {f.get('s2', 's(t)^2')}",
            "reverse SDE": "dx = [f x - g^2 score] dt + g dw_bar   (Anderson 1982; Song et al. 2021, Eq. 6)",
            "PF-ODE": "dx/dt = f x - g^2 score / 2   (Song et al. 2021, Eq. 13)",
            "EDM view": f"sigma(t) = s/m in [{float(sde.noise_level(e)):.4g}, {float(sde.noise_level(T)):.4g}],  scale m(T) = {float(sde.mean_coeff(T)):.4g}",
            "prior": f"N(0, {sde.prior_std:.6g}^2 I)",
            "discrete twin": f.get("twin", "a_i = m_i/m_{i-1}, b_i^2 = s_i^2 - a_i^2 s_{i-1}^2"),
            f"twin (N={ch.N})": f"a_1..a_N = {float(ch.a[0]):.6g}..{float(ch.a[-1]):.6g},  b_1..b_N = {float(ch.b[0]):.4g}..{float(ch.b[-1]):.4g}"
            + (f",  beta_1..beta_N = {float(ch.betas[0]):.4g}..{float(ch.betas[-1]):.4g}" if sde.chain_kind == "ddpm" else "")
            + (f",  sigma_1..sigma_N = {float(ch.sigmas[1]):.4g}..{float(ch.sigmas[-1]):.4g}" if sde.chain_kind == "smld" else ""),
        })
    return out


def format_table(sdes: Iterable[LinearSDE] | None = None) -> str:
    sdes = list(sdes) if sdes is not None else [ctor() for ctor in SDES.values()]
    lines = ["Every forward process is a linear SDE dx = f(t) x dt + g(t) dw with x_t = m(t) x_0 + s(t) z;",
             "DDPM and SMLD are the discrete twins of VP and VE. Reverse SDE and PF-ODE follow from (f, g).", ""]
    for r in rows(sdes):
        lines.append(r["sde"])
        for k, v in r.items():
            if k != "sde":
                lines.append(f"  {k:<16} {v}")
        lines.append("")
    return "\n".join(lines).rstrip() + "\n"
