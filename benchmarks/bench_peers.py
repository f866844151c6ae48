"""Deterministic endpoint RMSE and stochastic exact KL per NFE against peers, same problems, same x_T.

Optional (``pip install scoresde[bench]``; k-diffusion with ``pip install --no-deps k-diffusion``):
diffusers' schedulers (DDIM, DPMSolverMultistep orders 2/3, UniPC orders 2/3/4, DEIS, Heun, Euler,
sde-dpmsolver++) and k-diffusion's samplers (heun, lms, dpm_2, dpmpp_2m, dpmpp_3m_sde with eta = 0,
dpm_fast, dpm_adaptive; dpmpp_2m_sde / dpmpp_3m_sde for the stochastic part). Nothing in the package
or its default tests needs them.

Problems (deterministic part): gmm2d VP (beta 0.1-20), gmm2d VE (sigma 0.01 -> the problem's
sigma_max), gmm64d VP, exact mixture score, float64. How the peers see our SDE:
* diffusers: ``trained_betas`` with alphas_cumprod[k] = 1/(1 + sigma(t_k)^2), t_k = (k + 1) T/N, N = 1000
  (sigma = s/m; for VP this is m(t)^2, for VE the variance-preserving twin of the same noise levels,
  whose PF-ODE is ours in x~ = x/m). The model is called with the exact eps = -s(t) score(x, t) at the
  noise level the scheduler is stepping at (its ``sigmas``, or alphas_cumprod for DDIM), t = t(sigma).
* k-diffusion: the exact denoiser D(x~, sigma) = x~ + sigma^2 m score(m x~, t(sigma)); ``sampling.py``
  is loaded from the installed wheel with the one helper it imports.
Our grids: uniform in t, log-SNR and Karras (rho = 7) over [eps, T], the last two also with a final
step to t = 0 ("+0"), and "karras(twin)+0": diffusers' ``use_karras_sigmas`` grid (rho = 7 from
sigma(T) to its table's smallest level sigma(T/N), then 0). diffusers' UniPC-4 (``solver_order=4``) is
not in issue 14's peer list; the summary gives the ratio with it and without it.
Every sampler starts from the same x_T (scaled into its own coordinates) at t = T; its endpoint is
compared with a scipy DOP853 PF-ODE reference (rtol = atol = 1e-10) from T to the sampler's own end
time (t = 0 for peers landing on the data, t = eps for ours and dpm_fast / dpm_adaptive). Mode flips
(endpoint and reference in different mixture components, ``component_of``) are counted apart: the
RMSE is over the samples that did not flip. NFE counts calls of the score/eps/denoiser wrapper;
dpm_adaptive is run at several tolerances and each budget gets its best run that spent <= the budget.

Stochastic part: Gaussian data (problem "gaussian"), VP, NFE 20, from the prior N(0, I): exact KL of
the output law to the data law -- by exact moment propagation for ours (scoresde.moments) and from the
sample mean/variance of n = 100,000 samples for everybody (fit error ~ 1e-4).

    python benchmarks/bench_peers.py [--n 4000] [--nfe 10,20,50,100] [--problems gmm2d:vp,gmm2d:ve,gmm64d:vp]
"""
from __future__ import annotations

import argparse
import importlib.util
import math
import sys
import time
import types
import warnings

import torch

import scoresde as sd
from scoresde import grids
from scoresde import metrics as M
from scoresde import solvers as S
from scoresde.integrators import pf_ode_scipy
from scoresde.moments import propagate_gaussian
from scoresde.noise import PRIOR, PerSampleNoise

try:
    from scoresde.compare import machine_description
except ImportError:  # compare is being restructured elsewhere
    def machine_description(device) -> str:
        import platform
        return f"{platform.processor() or platform.machine()}, torch {torch.__version__}"


class Counter:
    def __init__(self, fn):
        self.fn, self.nfe = fn, 0

    def __call__(self, *a):
        self.nfe += 1
        return self.fn(*a)


class Setup:
    """One problem + SDE: shared x_T, exact score, reference solutions, sigma <-> t maps."""

    def __init__(self, problem: str, sde_name: str, n: int, seed: int = 0):
        self.label = f"{problem} {sde_name.upper()}"
        self.prob = sd.get_problem(problem)
        self.mix = self.prob.mixture
        self.sde = self.prob.sde(sde_name)
        self.score = self.mix.score_fn(self.sde)
        self.N = 1000
        shape = (n,) + tuple(self.mix.event_shape)
        self.x_T = self.sde.prior_std * PerSampleNoise(seed).randn(shape, PRIOR, 0, dtype=torch.float64)
        self._refs, self._t = {}, {}
        T = torch.tensor(self.sde.T, dtype=torch.float64)
        self.sig_max = float(self.sde.noise_level(T))
        self.sig_min = float(self.sde.noise_level(torch.tensor(self.sde.eps, dtype=torch.float64)))
        tk = torch.arange(1, self.N + 1, dtype=torch.float64) * self.sde.T / self.N
        ac = 1.0 / (1.0 + self.sde.noise_level(tk) ** 2)
        prev = torch.cat([torch.ones(1, dtype=torch.float64), ac[:-1]])
        self.betas = (1.0 - ac / prev).clamp(1e-12, 0.999).numpy()

    def ref(self, t_end: float) -> torch.Tensor:
        key = round(t_end, 12)
        if key not in self._refs:
            self._refs[key] = pf_ode_scipy(self.sde, self.score, self.x_T, t_start=self.sde.T, t_end=t_end).x
        return self._refs[key]

    def ms(self, t: float):
        tt = torch.tensor(t, dtype=torch.float64)
        return float(torch.exp(self.sde.log_mean_coeff(tt))), float(torch.sqrt(self.sde.marginal_var(tt)))

    def t_of_sigma(self, sigma: float) -> float:
        """t with noise level s/m = sigma (clamped to [0, T]: schedulers round sigmas in float32)."""
        key = round(sigma, 14)
        if key not in self._t:
            if sigma >= self.sig_max * (1 - 1e-6):
                self._t[key] = self.sde.T
            elif sigma <= 0:
                self._t[key] = 0.0
            else:
                lo = float(self.sde.noise_level(torch.tensor(0.0, dtype=torch.float64)))
                self._t[key] = 0.0 if sigma <= lo else float(
                    self.sde.t_from_noise_level(torch.tensor([sigma], dtype=torch.float64))[0])
        return self._t[key]

    def eps_at_sigma(self, x_vp, sigma: float):
        """Exact eps for diffusers' VP coordinates x_vp = x~/sqrt(1 + sigma^2) at noise level sigma."""
        t = self.t_of_sigma(sigma)
        m, s = self.ms(t)
        x = x_vp * math.sqrt(1.0 + sigma * sigma) * m
        return -s * self.score(x, torch.full((x.shape[0],), t, dtype=x.dtype))

    def denoiser(self, xt, sigma):
        s_ = float(sigma.reshape(-1)[0])
        t = self.t_of_sigma(s_)
        m, _ = self.ms(t)
        return xt + s_ * s_ * m * self.score(m * xt, torch.full((xt.shape[0],), t, dtype=xt.dtype))


def _row(st, name, nfe, x, t_end, family):
    row = {"sampler": name, "nfe": nfe, "rmse": None, "flips": None, "nan": False, "family": family}
    if x is None or not bool(torch.isfinite(x).all()):
        row["nan"] = True
        return row
    x = x.detach().to(torch.float64)
    ref = st.ref(t_end)
    keep = st.mix.component_of(x) == st.mix.component_of(ref)
    row["flips"] = int((~keep).sum())
    row["rmse"] = M.endpoint_rmse(x[keep], ref[keep]) if bool(keep.any()) else float("nan")
    return row


def _quiet(fn):
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return fn()
    except Exception as ex:  # a sampler failing is a result, not a crash of the benchmark
        print(f"    failed: {type(ex).__name__}: {ex}", file=sys.stderr)
        return None


# ---------------------------------------------------------------------------- ours
OURS = {
    "ode_euler": lambda: S.ODEEuler(), "heun": lambda: S.Heun(), "ddim": lambda: S.DDIM(),
    "dpmpp_2m": lambda: S.DPMSolverPP2M(), "dpmpp_3m": lambda: S.DPMSolverPP3M(),
    "unipc-2": lambda: S.UniPC(order=2), "unipc-3": lambda: S.UniPC(order=3), "deis": lambda: S.DEIS(),
    "lms": lambda: S.LMS(), "lms(warmup=unic)": lambda: S.LMS(warmup="unic"),
    "deis-4(warmup=unic)": lambda: S.DEIS(order=4, warmup="unic"), "unipc-2(bh1)": lambda: S.UniPC(variant="bh1"),
    "unipc-3(lower_order_final=always)": lambda: S.UniPC(order=3, lower_order_final="always"),
    "unipc-4(lower_order_final=always)": lambda: S.UniPC(order=4, lower_order_final="always"),
    "dpm_solver_2": lambda: S.DPMSolver2(), "dpm_solver_3": lambda: S.DPMSolver3(),
}
def _twin_karras(sde, steps):
    """diffusers' ``use_karras_sigmas`` range: rho = 7 from sigma(T) down to its trained table's smallest
    noise level sigma(T/N) (N = 1000, as ``Setup.betas``); the caller appends the final 0."""
    return grids.karras(sde, steps, sigma_min=float(sde.noise_level(torch.tensor(sde.T / sde.N, dtype=torch.float64))))


#: grid name -> (grid function, whether the last interval goes on to t = 0 as the peers' do)
OUR_GRIDS = {"uniform": (grids.uniform, False), "log-snr": (grids.log_snr, False), "karras": (grids.karras, False),
             "karras+0": (grids.karras, True), "log-snr+0": (grids.log_snr, True), "karras(twin)+0": (_twin_karras, True)}


def fit_grid(sde, gname, to_zero: bool, step, nfe: int):
    """The finest grid of this family (a name in grids.GRIDS or a grid function) whose declared NFE is within the budget."""
    make = grids.GRIDS[gname] if isinstance(gname, str) else gname
    steps = max(1, nfe // step.nfe_per_step)
    while True:
        g = make(sde, max(1, steps - (1 if to_zero else 0)))
        if to_zero:
            g = torch.cat([g, torch.zeros(1, dtype=g.dtype)])
        if step.nfe(g) <= nfe or steps <= 1:
            return g
        steps -= 1


def run_ours(st: Setup, nfe: int):
    rows = []
    for label, (gname, to_zero) in OUR_GRIDS.items():
        for name, make in OURS.items():
            step = make()
            g = fit_grid(st.sde, gname, to_zero, step, nfe)
            r = _quiet(lambda: sd.sample(st.sde, st.score, st.x_T.shape, predictor=step, grid=g, x_T=st.x_T,
                                         dtype=torch.float64))
            rows.append(_row(st, f"scoresde {name} ({label})", r.nfe if r else step.nfe(g), None if r is None else r.x,
                             float(g[-1]), "ours"))
    return rows


# ---------------------------------------------------------------------------- diffusers
#: peers run here beyond issue 14's list (diffusers UniPC-2/3, DPM++2M/3M, DEIS, Heun, DDIM; k-diffusion ...)
EXTRA_PEER = ("diffusers UniPC-4",)


def run_diffusers(st: Setup, nfe: int):
    import diffusers as D

    b = st.betas
    multistep = {
        "DDIM": lambda **kw: D.DDIMScheduler(trained_betas=b, clip_sample=False, set_alpha_to_one=True, **kw),
        "DPM++2M": lambda **kw: D.DPMSolverMultistepScheduler(trained_betas=b, algorithm_type="dpmsolver++", solver_order=2, **kw),
        "DPM++3M": lambda **kw: D.DPMSolverMultistepScheduler(trained_betas=b, algorithm_type="dpmsolver++", solver_order=3, **kw),
        "UniPC-2": lambda **kw: D.UniPCMultistepScheduler(trained_betas=b, solver_order=2, **kw),
        "UniPC-3": lambda **kw: D.UniPCMultistepScheduler(trained_betas=b, solver_order=3, **kw),
        "UniPC-4": lambda **kw: D.UniPCMultistepScheduler(trained_betas=b, solver_order=4, **kw),
        "DEIS": lambda **kw: D.DEISMultistepScheduler(trained_betas=b, solver_order=3, **kw),
    }
    rows = []
    for label, make in multistep.items():
        for spacing in ("trailing", "karras"):
            if spacing == "karras" and label == "DDIM":
                continue
            kw = {"use_karras_sigmas": True} if spacing == "karras" else {"timestep_spacing": "trailing"}
            sched = make(**kw)
            sched.set_timesteps(nfe)
            ac = torch.as_tensor(sched.alphas_cumprod, dtype=torch.float64)
            sigmas = getattr(sched, "sigmas", None)
            counter = Counter(st.eps_at_sigma)

            def go():
                x = None
                for i, k in enumerate(sched.timesteps):
                    if sigmas is not None:
                        sig = float(sigmas[i])
                    else:
                        a = float(ac[int(k)])
                        sig = math.sqrt((1 - a) / a)
                    if x is None:
                        x = st.x_T / st.ms(st.t_of_sigma(sig))[0] / math.sqrt(1 + sig * sig)
                    x = sched.step(counter(x, sig), k, x).prev_sample
                return x
            x = _quiet(go)
            rows.append(_row(st, f"diffusers {label} ({spacing})", counter.nfe, x, 0.0, "peer"))
    # Heun: x~ coordinates, sigmas from the scheduler
    for spacing in ("trailing", "karras"):
        kw = {"use_karras_sigmas": True} if spacing == "karras" else {"timestep_spacing": "trailing"}
        sched = D.HeunDiscreteScheduler(trained_betas=b, **kw)
        sched.set_timesteps(max(1, (nfe + 1) // 2))
        counter = Counter(lambda xin, sig: st.eps_at_sigma(xin, sig))

        def go_heun():
            x = st.x_T / st.ms(st.t_of_sigma(float(sched.sigmas[0])))[0]
            for k in sched.timesteps:
                xin = sched.scale_model_input(x, k)
                x = sched.step(counter(xin, float(sched.sigmas[sched.step_index])), k, x).prev_sample
            return x
        x = _quiet(go_heun)
        rows.append(_row(st, f"diffusers Heun ({spacing})", counter.nfe, x, 0.0, "peer"))
    return rows


def load_k_sampling():
    """k_diffusion/sampling.py from the installed wheel, with the one helper it imports."""
    spec = importlib.util.find_spec("k_diffusion")
    if spec is None or not spec.submodule_search_locations:
        raise ImportError("k-diffusion is not installed (pip install --no-deps k-diffusion)")
    folder = list(spec.submodule_search_locations)[0]
    pkg = types.ModuleType("_kdiff")
    pkg.__path__ = [folder]
    utils = types.ModuleType("_kdiff.utils")

    def append_dims(x, target_dims):
        return x[(...,) + (None,) * (target_dims - x.ndim)]
    utils.append_dims = append_dims
    pkg.utils = utils
    sys.modules["_kdiff"], sys.modules["_kdiff.utils"] = pkg, utils
    s = importlib.util.spec_from_file_location("_kdiff.sampling", f"{folder}/sampling.py")
    mod = importlib.util.module_from_spec(s)
    sys.modules["_kdiff.sampling"] = mod
    s.loader.exec_module(mod)
    return mod


def run_kdiffusion(st: Setup, nfe: int, K, adaptive_runs):
    rows = []
    fixed = {"heun": 2, "lms": 1, "dpm_2": 2, "dpmpp_2m": 1, "dpmpp_3m_sde": 1}
    for gname in ("karras", "uniform-t"):
        for name, per in fixed.items():
            steps = max(1, (nfe + per - 1) // per) if per == 2 else nfe
            if gname == "karras":
                sigmas = K.get_sigmas_karras(steps, st.sig_min, st.sig_max, rho=7.0, device="cpu").to(torch.float64)
            else:  # uniform in t from T to eps, then eps -> 0: ``steps`` intervals in all
                g = grids.uniform(st.sde, max(1, steps - 1))
                sigmas = torch.cat([st.sde.noise_level(g), torch.zeros(1, dtype=torch.float64)])
            model = Counter(st.denoiser)
            kw = {"eta": 0.0} if name == "dpmpp_3m_sde" else {}
            x = _quiet(lambda: getattr(K, f"sample_{name}")(model, st.x_T / st.ms(st.sde.T)[0], sigmas, disable=True, **kw))
            label = "dpmpp_3m_sde(eta=0)" if name == "dpmpp_3m_sde" else name
            rows.append(_row(st, f"k-diffusion {label} ({gname})", model.nfe, x, 0.0, "peer"))
    model = Counter(st.denoiser)
    x = _quiet(lambda: K.sample_dpm_fast(model, st.x_T / st.ms(st.sde.T)[0], st.sig_min, st.sig_max, nfe, disable=True))
    rows.append(_row(st, "k-diffusion dpm_fast", model.nfe, x, st.sde.eps, "peer"))
    within = [r for r in adaptive_runs if r[1] <= nfe]
    if within:
        tol, spent, x = max(within, key=lambda r: r[1])
        rows.append(_row(st, f"k-diffusion dpm_adaptive (rtol=atol={tol:g})", spent, x, st.sde.eps, "peer"))
    return rows


def adaptive_runs(st: Setup, K):
    out = []
    for tol in (0.1, 0.03, 0.01, 3e-3, 1e-3, 3e-4):
        model = Counter(st.denoiser)
        x = _quiet(lambda: K.sample_dpm_adaptive(model, st.x_T / st.ms(st.sde.T)[0], st.sig_min, st.sig_max,
                                                 rtol=tol, atol=tol, disable=True))
        if x is not None:
            out.append((tol, model.nfe, x))
    return out


# ---------------------------------------------------------------------------- stochastic, Gaussian data
def stochastic_kl(nfe: int, n: int, K, have_diffusers: bool):
    prob = sd.get_problem("gaussian")
    mix, sde = prob.mixture, prob.sde("vp")
    score = mix.score_fn(sde)
    target = (mix.means[0], mix.stds[0] ** 2)
    x_T = sde.prior_std * PerSampleNoise(1).randn((n, 2), PRIOR, 0, dtype=torch.float64)

    def fitted(x):
        return M.gaussian_kl(x.mean(0), x.var(0), *target) if x is not None and bool(torch.isfinite(x).all()) else float("nan")

    rows = []
    ours = {"euler_maruyama": S.EulerMaruyama(), "sde_dpmpp_2m": S.SDEDPMSolverPP2M(),
            "sde_dpmpp_2m(eta=0.5)": S.SDEDPMSolverPP2M(eta=0.5), "sde_dpmpp_3m": S.SDEDPMSolverPP3M(),
            "edm(s_churn=1)": S.EDMStochastic(s_churn=1.0), "restart(K=1)": S.Restart(K=1)}
    for name, step in ours.items():
        for gname in ("uniform", "log-snr"):
            g = fit_grid(sde, gname, False, step, nfe)
            exact = _quiet(lambda: M.gaussian_kl(*propagate_gaussian(sde, mix, step, None, g, start="prior"), *target))
            r = _quiet(lambda: sd.sample(sde, score, x_T.shape, predictor=step, grid=g, x_T=x_T, dtype=torch.float64, seed=3))
            rows.append((f"scoresde {name} ({gname})", step.nfe(g), exact, fitted(None if r is None else r.x)))
    if have_diffusers:
        import diffusers as D
        ac_grid = torch.arange(1, 1001, dtype=torch.float64) / 1000 * sde.T
        ac = torch.exp(2 * sde.log_mean_coeff(ac_grid))
        betas = (1 - ac / torch.cat([torch.ones(1, dtype=torch.float64), ac[:-1]])).numpy()
        for label, make in (("SDE-DPM-Solver++(2M)", lambda: D.DPMSolverMultistepScheduler(
                trained_betas=betas, algorithm_type="sde-dpmsolver++", solver_order=2, timestep_spacing="trailing")),
                            ("DDPM", lambda: D.DDPMScheduler(trained_betas=betas, clip_sample=False, timestep_spacing="trailing"))):
            sched = make()
            sched.set_timesteps(nfe)
            gen = torch.Generator().manual_seed(0)

            def eps(x, k):
                t = (int(k) + 1) * sde.T / 1000
                tt = torch.tensor(t, dtype=torch.float64)
                s = float(torch.sqrt(sde.marginal_var(tt)))
                return -s * score(x, torch.full((x.shape[0],), t, dtype=x.dtype))

            def go():
                x = x_T.clone()  # VP: diffusers' coordinates are ours (alphas_cumprod = m^2)
                for k in sched.timesteps:
                    x = sched.step(eps(x, k), k, x, generator=gen).prev_sample
                return x
            rows.append((f"diffusers {label} (trailing)", nfe, None, fitted(_quiet(go))))
    if K is not None:
        def den(xt, sigma):
            s_ = float(sigma.reshape(-1)[0])
            t = float(sde.t_from_noise_level(torch.tensor([min(s_, float(sde.noise_level(torch.tensor(sde.T, dtype=torch.float64))))],
                                                          dtype=torch.float64))[0])
            m = float(torch.exp(sde.log_mean_coeff(torch.tensor(t, dtype=torch.float64))))
            return xt + s_ * s_ * m * score(m * xt, torch.full((xt.shape[0],), t, dtype=xt.dtype))
        smin = float(sde.noise_level(torch.tensor(sde.eps, dtype=torch.float64)))
        smax = float(sde.noise_level(torch.tensor(sde.T, dtype=torch.float64)))
        mT = float(torch.exp(sde.log_mean_coeff(torch.tensor(sde.T, dtype=torch.float64))))
        for name in ("dpmpp_2m_sde", "dpmpp_3m_sde", "euler_ancestral"):
            sig = K.get_sigmas_karras(nfe, smin, smax, rho=7.0, device="cpu").to(torch.float64)
            torch.manual_seed(0)
            x = _quiet(lambda: getattr(K, f"sample_{name}")(den, x_T / mT, sig, disable=True))
            rows.append((f"k-diffusion {name} (karras)", nfe, None, fitted(x)))
    return rows


# ---------------------------------------------------------------------------- main
def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n", type=int, default=4000)
    ap.add_argument("--n64", type=int, default=1000, help="samples for gmm64d")
    ap.add_argument("--nfe", default="10,20,50,100")
    ap.add_argument("--problems", default="gmm2d:vp,gmm2d:ve,gmm64d:vp")
    ap.add_argument("--kl-n", type=int, default=100_000, help="samples for the stochastic part (0: skip it)")
    ap.add_argument("--threads", type=int, default=1)
    a = ap.parse_args(argv)
    torch.set_num_threads(a.threads)
    nfes = [int(v) for v in a.nfe.split(",")]
    try:
        K = load_k_sampling()
    except ImportError as e:
        print(f"k-diffusion skipped: {e}", file=sys.stderr)
        K = None
    try:
        import diffusers
        have_diffusers = diffusers.__version__
    except ImportError as e:
        print(f"diffusers skipped: {e}", file=sys.stderr)
        have_diffusers = None
    with open("/proc/loadavg") as f:
        load = f.read().split()[:3]
    print(f"machine: {machine_description(torch.device('cpu'))}; load average {' '.join(load)}; "
          f"diffusers {have_diffusers}; k-diffusion {'loaded' if K else 'missing'}")
    t_all = time.perf_counter()
    table = []
    for spec in a.problems.split(","):
        problem, sde_name = spec.split(":")
        st = Setup(problem, sde_name, a.n64 if problem == "gmm64d" else a.n)
        ad = adaptive_runs(st, K) if K is not None else []
        for nfe in nfes:
            rows = run_ours(st, nfe)
            if have_diffusers:
                rows += run_diffusers(st, nfe)
            if K is not None:
                rows += run_kdiffusion(st, nfe, K, ad)
            _print(st, rows, nfe)
            ok = [r for r in rows if r["rmse"] is not None and math.isfinite(r["rmse"])]
            ours = min((r for r in ok if r["family"] == "ours"), key=lambda r: r["rmse"], default=None)
            peer = min((r for r in ok if r["family"] == "peer"), key=lambda r: r["rmse"], default=None)
            listed = min((r for r in ok if r["family"] == "peer" and not r["sampler"].startswith(EXTRA_PEER)),
                         key=lambda r: r["rmse"], default=None)
            table.append((st.label, nfe, ours, peer, listed))
        print(f"  [{st.label} done at {time.perf_counter() - t_all:.0f} s]", flush=True)
    print("\n| problem | NFE | best scoresde (flips) | RMSE | best peer (flips) | RMSE | ratio | best peer of issue 14's list | RMSE | ratio |"
          "\n|---|---|---|---|---|---|---|---|---|---|")
    for label, nfe, o, p, q in table:
        ratio = o["rmse"] / p["rmse"] if o and p else float("nan")
        ratio_q = o["rmse"] / q["rmse"] if o and q else float("nan")
        print(f"| {label} | {nfe} | {o['sampler'][9:] if o else '-'} [{o['nfe'] if o else '-'}] ({o['flips'] if o else '-'}) | "
              f"{_f(o['rmse'] if o else None)} | {p['sampler'] if p else '-'} [{p['nfe'] if p else '-'}] "
              f"({p['flips'] if p else '-'}) | {_f(p['rmse'] if p else None)} | {ratio:.2f} | "
              f"{q['sampler'] if q else '-'} | {_f(q['rmse'] if q else None)} | {ratio_q:.2f} |")
    if a.kl_n <= 0:
        print(f"\ntotal {time.perf_counter() - t_all:.1f} s")
        return
    print("\nGaussian data, VP, NFE 20: KL(output || data)\n\n| sampler | NFE | exact KL (moments) | KL of fitted Gaussian |\n|---|---|---|---|")
    for name, nfe, exact, fit in stochastic_kl(20, a.kl_n, K, bool(have_diffusers)):
        print(f"| {name} | {nfe} | {_f(exact)} | {_f(fit)} |")
    print(f"\ntotal {time.perf_counter() - t_all:.1f} s")


def _print(st, rows, nfe):
    print(f"\n{st.label}, NFE budget {nfe}")
    for r in rows:
        print(f"  {r['sampler']:52s} NFE {r['nfe']:5d}  rmse {_f(r['rmse']):>9s}  flips {r['flips'] if r['flips'] is not None else '-':>4}"
              f"{'  NaN' if r['nan'] else ''}", flush=True)


def _f(v):
    return "-" if v is None else (f"{v:.3g}" if math.isfinite(v) else "nan")


if __name__ == "__main__":
    main()
