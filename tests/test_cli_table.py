"""`scoresde table`: the command works, fails cleanly, and the formulas it prints are the code's."""
from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys

import pytest
import sympy as sp
import torch
from sympy.parsing.sympy_parser import convert_xor, implicit_multiplication, parse_expr, standard_transformations

from scoresde import VESDE, cli
from scoresde.sde import SDES
from scoresde.table import FORMULAS, format_table, rows

ENV = {**os.environ, "PYTHONPATH": os.pathsep.join([os.getcwd(), os.environ.get("PYTHONPATH", "")]).rstrip(os.pathsep)}


def _run(*args, exe=(sys.executable, "-m", "scoresde")):
    return subprocess.run([*exe, *args], capture_output=True, text=True, env=ENV, timeout=120, stdin=subprocess.DEVNULL)


def test_python_m_scoresde_table():
    r = _run("table")
    assert r.returncode == 0, r.stderr
    for name, ctor in SDES.items():
        assert repr(ctor()) in r.stdout
    assert "DDPM" in r.stdout and "SMLD" in r.stdout and "PF-ODE" in r.stdout
    assert r.stdout == format_table()


def test_table_help():
    exe = ("scoresde",) if shutil.which("scoresde") else (sys.executable, "-m", "scoresde")  # console script once installed
    r = _run("table", "--help", exe=exe)
    assert r.returncode == 0 and "usage:" in r.stdout and "--sde" in r.stdout


def test_bad_sde_exits_2_with_one_line():
    r = _run("table", "--sde", "nope")
    assert r.returncode == 2, (r.returncode, r.stdout, r.stderr)
    lines = r.stderr.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in r.stderr, r.stderr
    assert "error" in lines[0] and "nope" in lines[0] and "--sde" in lines[0]
    assert r.stdout == ""


def test_table_selection_in_process(capsys):
    assert cli.main(["table", "--sde", "vp,ve"]) == 0
    out = capsys.readouterr().out
    assert "VPSDE(" in out and "VESDE(" in out and "subVPSDE(" not in out and "CosineVPSDE(" not in out


@pytest.mark.parametrize("args", [["table", "--sde", "vp,nope"], ["nope"], [], ["table", "--bogus"]])
def test_bad_input_in_process(args, capsys):
    try:
        code = cli.main(args)
    except SystemExit as e:  # argparse errors
        code = e.code
    assert code == 2
    err = capsys.readouterr().err
    lines = err.strip().splitlines()
    assert len(lines) == 1 and "error" in lines[0], err


# ---------------------------------------------------------------------------- the printed formulas
_t = sp.Symbol("t")
_TR = standard_transformations + (implicit_multiplication, convert_xor)


def _schedules(sde):
    """Independent symbolic schedules from the papers (Song et al. 2021, App. C; Nichol & Dhariwal 2021, Eq. 17)."""
    u = sp.Symbol("u")
    out = {}
    if sde.name in ("vp", "subvp"):
        beta = sde.beta_min + (sde.beta_max - sde.beta_min) * u / sde.T
        out["beta"] = sp.Lambda(u, beta)
        out["B"] = sp.Lambda(u, sp.integrate(beta, (u, 0, u)))
    if sde.name == "vp-cosine":
        phi = sp.Lambda(u, (u + sp.Float(sde.s)) / (1 + sp.Float(sde.s)) * sp.pi / 2)
        abar = sp.cos(phi(u)) ** 2 / sp.cos(phi(0)) ** 2
        out["phi"] = phi
        out["beta"] = sp.Lambda(u, -sp.diff(sp.log(abar), u))
        out["m"] = sp.cos(phi(_t)) / sp.cos(phi(0))
        out["s"] = sp.Float(sde.s)
    if sde.name == "ve":
        out["sigma"] = sp.Lambda(u, sde.sigma_min * (sde.sigma_max / sde.sigma_min) ** (u / sde.T))
        out["sigma_min"] = sp.Float(sde.sigma_min)
    return out


def _parse(text, sde):
    text = text.replace("d sigma(t)^2/dt", "Derivative(sigma(t)^2, t)")
    text = re.sub(r"phi(?!\()", "phi(t)", text)
    loc = {"t": _t, "pi": sp.pi, "Derivative": sp.Derivative}
    loc.update({k: sp.Function(k) for k in ("beta", "B", "phi", "sigma")})
    loc.update({k: sp.Symbol(k) for k in ("m", "s", "sigma_min")})
    expr = parse_expr(text, local_dict=loc, transformations=_TR)
    for k, v in _schedules(sde).items():
        expr = expr.subs(loc[k], v) if not isinstance(v, sp.Lambda) else expr.replace(loc[k], v)
    return sp.lambdify(_t, expr.doit(), "mpmath")


@pytest.mark.parametrize("sde", [SDES[n]() for n in FORMULAS] + [VESDE(marginal="smld")], ids=list(FORMULAS) + ["ve-smld"])
def test_printed_formulas_are_the_codes(sde):
    """Every formula cell of the table (f, g^2, m, s^2; each side of an '='; the SDE's convention of a
    '|' alternative) evaluates, through sympy, to the code's value at 5 times (relative 1e-10)."""
    cells = FORMULAS[sde.name]
    ts = torch.linspace(0.1 * sde.T, sde.T, 5, dtype=torch.float64)
    x1 = torch.ones(5, 1, dtype=torch.float64)
    drift, g = sde.sde(x1, ts)
    code = {"f": drift.flatten(), "g2": g.flatten() ** 2, "m": sde.mean_coeff(ts), "s2": sde.marginal_std(ts) ** 2}
    checked = 0
    for key, want in code.items():
        text = cells[key]
        if "|" in text:  # "A [exact] | B [smld]": the alternative of this SDE's convention
            parts = dict((p.split("[")[1].strip(" ]"), p.split("[")[0]) for p in text.split("|"))
            text = parts[sde.marginal]
        for side in text.split("="):
            fn = _parse(side.strip(), sde)
            got = torch.tensor([float(fn(float(t))) for t in ts], dtype=torch.float64)
            torch.testing.assert_close(got, want, rtol=1e-10, atol=1e-12, msg=f"{sde.name} {key}: {side}")
            checked += 1
    assert checked >= 4


def test_table_rows_report_the_objects():
    for sde in [ctor() for ctor in SDES.values()]:
        (row,) = rows([sde])
        ch = sde.chain()
        twin = row[f"twin (N={ch.N})"]
        assert f"{float(ch.a[0]):.6g}" in twin and f"{float(ch.b[-1]):.4g}" in twin
        assert f"N(0, {sde.prior_std:.6g}^2 I)" == row["prior"]
        if sde.chain_kind == "ddpm":
            assert f"beta_1..beta_N = {float(ch.betas[0]):.4g}..{float(ch.betas[-1]):.4g}" in twin
