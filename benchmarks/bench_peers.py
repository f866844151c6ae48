"""Quality per NFE against peers on the same exact-score problem (gmm2d, VP; ScoreSdeVe on VE).

Optional (``pip install scoresde[bench]``): diffusers' schedulers (DDPM, DDIM, Euler, Heun,
DPMSolverMultistep, ScoreSdeVe) and k-diffusion's samplers (euler, heun, lms, dpmpp_2m). Nothing in
the package or its default tests needs them.

How the peers see our SDE (VP, beta in [0.1, 20], N = 1000):
* diffusers: ``trained_betas`` = the betas of our discrete twin ``sde.chain(1000)``, so that
  alphas_cumprod[k] = m(t)^2 at t = (k + 1)/N exactly; the model called at integer timestep k gets
  the exact eps = -s(t) score(x, t). Euler/Heun (which work in x~ = x/m and interpolate sigmas) get
  the exact eps at the noise level sigma they are stepping at (read from the scheduler), t = t(sigma).
  ScoreSdeVe runs on the VE SDE in the SMLD convention it was written for (marginal std sigma(t)),
  with the exact score.
* k-diffusion: the exact denoiser D(x~, sigma) = x~ + sigma^2 grad log p(x~; sigma) in its
  variance-exploding coordinates x~ = x/m, sigma = s/m; ``k_diffusion/sampling.py`` is loaded from
  the installed wheel with the one helper it needs (its package __init__ imports torchvision, CLIP,
  wandb, ... which a CPU-only comparison does not need).
Every sampler starts from the same x_T (scaled into its own coordinates) and its endpoint is
compared with a scipy DOP853 PF-ODE reference (rtol = atol = 1e-10) from the same x_T and the same
start time, ending at the sampler's own end time (t = 0 for the peers, which land on the data;
t = eps for ours). Stochastic samplers are measured by sliced W2 against exact samples.
NFE counts calls of the score/eps/denoiser wrapper.

    python benchmarks/bench_peers.py [--n 4000] [--nfe 10,20,50,100,1000] [--markdown]
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
from scoresde.compare import machine_description
from scoresde.integrators import pf_ode_scipy
from scoresde.noise import PRIOR, PerSampleNoise
from scoresde.sde import VESDE


class Counter:
    def __init__(self, fn):
        self.fn, self.nfe = fn, 0

    def __call__(self, *a):
        self.nfe += 1
        return self.fn(*a)


class Setup:
    def __init__(self, n: int, seed: int = 0):
        self.prob = sd.get_problem("gmm2d")
        self.mix = self.prob.mixture
        self.sde = self.prob.sde("vp")
        self.score = self.mix.score_fn(self.sde)
        self.N = self.sde.N
        self.chain = self.sde.chain(self.N)
        self.x_T = self.sde.prior_std * PerSampleNoise(seed).randn((n, 2), PRIOR, 0, dtype=torch.float64)
        self.exact_sw2 = M.SlicedW2(self.mix.sample(n, torch.Generator().manual_seed(seed + 1)))
        self.floor = M.noise_floor(self.exact_sw2, lambda k, g: self.mix.sample(k, g), n, repeats=3, seed=seed + 2)
        self._refs = {}

    def ref(self, t_start: float, t_end: float) -> torch.Tensor:
        key = (round(t_start, 12), round(t_end, 12))
        if key not in self._refs:
            self._refs[key] = pf_ode_scipy(self.sde, self.score, self.x_T, t_start=t_start, t_end=t_end).x
        return self._refs[key]

    def t_of_k(self, k) -> float:
        return (int(k) + 1) * self.sde.T / self.N

    def ms(self, t: float):
        tt = torch.tensor(t, dtype=torch.float64)
        return float(torch.exp(self.sde.log_mean_coeff(tt))), float(torch.sqrt(self.sde.marginal_var(tt)))

    def t_of_sigma(self, sigma: float) -> float:
        """t with noise level s/m = sigma (clamped to [eps, T]: schedulers round sigmas in float32)."""
        lo = float(self.sde.noise_level(torch.tensor(self.sde.eps, dtype=torch.float64)))
        hi = float(self.sde.noise_level(torch.tensor(self.sde.T, dtype=torch.float64)))
        sigma = min(max(sigma, lo), hi)
        return float(self.sde.t_from_noise_level(torch.tensor([sigma], dtype=torch.float64))[0])


# ---------------------------------------------------------------------------- ours
OURS = {"ode_euler": S.ODEEuler, "heun": S.Heun, "ddim": S.DDIM, "dpmpp_2m": S.DPMSolverPP2M}
OURS_SDE = {"euler_maruyama": S.EulerMaruyama, "ancestral": S.Ancestral, "reverse_diffusion": S.ReverseDiffusion}


def run_ours(st: Setup, nfe: int):
    rows = []
    for gname in ("uniform", "log-snr", "karras"):
        for name, cls in OURS.items():
            step = cls()
            steps = max(1, nfe // step.nfe_per_step)
            g = grids.GRIDS[gname](st.sde, steps)
            r = _safe(lambda: sd.sample(st.sde, st.score, st.x_T.shape, predictor=cls(), grid=g, x_T=st.x_T,
                                        dtype=torch.float64))
            rows.append(_row(st, f"scoresde {name} ({gname})", r.nfe if r else nfe, "ode",
                             None if r is None else r.x, st.sde.T, st.sde.eps))
    for name, cls in OURS_SDE.items():
        r = _safe(lambda: sd.sample(st.sde, st.score, st.x_T.shape, predictor=cls(), grid=grids.uniform(st.sde, nfe),
                                    x_T=st.x_T, dtype=torch.float64, seed=0))
        rows.append(_row(st, f"scoresde {name} (uniform)", nfe, "sde", None if r is None else r.x))
    return rows


def _safe(fn):
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return fn()
    except FloatingPointError:
        return None


def _row(st, name, nfe, kind, x, t_start=None, t_end=None):
    row = {"sampler": name, "nfe": nfe, "kind": kind, "rmse": None, "sw2": None, "nan": False}
    if x is None or not bool(torch.isfinite(x).all()):
        row["nan"] = True
        return row
    x = x.detach().to(torch.float64)
    if kind == "ode":
        row["rmse"] = M.endpoint_rmse(x, st.ref(t_start, t_end))
    row["sw2"] = st.exact_sw2(x)
    return row


# ---------------------------------------------------------------------------- diffusers
def run_diffusers(st: Setup, nfe: int):
    import diffusers as D

    betas = st.chain.betas.to(torch.float64).numpy()
    rows = []

    def eps_at_k(x, k):
        t = st.t_of_k(k)
        _, s = st.ms(t)
        return -s * st.score(x, torch.full((x.shape[0],), t, dtype=x.dtype))

    # DDIM / DDPM / DPM-Solver++(2M): VP coordinates, integer timesteps
    configs = []
    for spacing in ("leading", "trailing", "linspace"):
        configs.append((f"diffusers DDIM ({spacing})", "ode", lambda sp=spacing: D.DDIMScheduler(
            trained_betas=betas, clip_sample=False, set_alpha_to_one=True, timestep_spacing=sp), nfe))
        configs.append((f"diffusers DPMSolverMultistep ({spacing})", "ode", lambda sp=spacing: D.DPMSolverMultistepScheduler(
            trained_betas=betas, algorithm_type="dpmsolver++", solver_order=2, timestep_spacing=sp), nfe))
    configs.append(("diffusers DPMSolverMultistep (karras)", "ode", lambda: D.DPMSolverMultistepScheduler(
        trained_betas=betas, algorithm_type="dpmsolver++", solver_order=2, use_karras_sigmas=True), nfe))
    configs.append(("diffusers DDPM (leading)", "sde", lambda: D.DDPMScheduler(trained_betas=betas, clip_sample=False), nfe))
    for name, kind, make, steps in configs:
        sched = make()
        sched.set_timesteps(steps)
        model = Counter(eps_at_k)
        x = st.x_T.clone()
        k0 = int(sched.timesteps[0])
        gen = torch.Generator().manual_seed(0)
        try:
            for k in sched.timesteps:
                e = model(x, int(k))
                kw = {"generator": gen} if kind == "sde" else {}
                x = sched.step(e, k, x, **kw).prev_sample
        except Exception as ex:  # a peer failing is a result, not a crash of the benchmark
            print(f"  {name}: {type(ex).__name__}: {ex}", file=sys.stderr)
            x = None
        uses_karras = getattr(sched.config, "use_karras_sigmas", False)
        t_start = st.t_of_k(k0) if not uses_karras else st.t_of_sigma(float(sched.sigmas[0]))
        rows.append(_row(st, name, model.nfe, kind, x, t_start, 0.0))

    # Euler / Heun: x~ = x/m coordinates, sigmas from the scheduler
    for cls_name, label in (("EulerDiscreteScheduler", "Euler"), ("HeunDiscreteScheduler", "Heun")):
        for spacing in ("linspace", "leading", "trailing", "karras"):
            kw = dict(trained_betas=betas)
            kw.update({"use_karras_sigmas": True} if spacing == "karras" else {"timestep_spacing": spacing})
            sched = getattr(D, cls_name)(**kw)
            steps = nfe if label == "Euler" else max(1, (nfe + 1) // 2)
            sched.set_timesteps(steps)
            sig0 = float(sched.sigmas[0])
            t0 = st.t_of_sigma(sig0)
            m0, _ = st.ms(t0)
            x = st.x_T.clone() / m0  # x~ = x / m at the first noise level

            def model(xin, sigma):
                t = st.t_of_sigma(sigma)
                _, s = st.ms(t)
                return -s * st.score(xin, torch.full((xin.shape[0],), t, dtype=xin.dtype))
            counter = Counter(model)
            try:
                for k in sched.timesteps:
                    xin = sched.scale_model_input(x, k)
                    sigma = float(sched.sigmas[sched.step_index])
                    e = counter(xin, sigma)
                    x = sched.step(e, k, x).prev_sample
            except Exception as ex:
                print(f"  {label}: {type(ex).__name__}: {ex}", file=sys.stderr)
                x = None
            rows.append(_row(st, f"diffusers {label} ({spacing})", counter.nfe, "ode", x, t0, 0.0))
    return rows


def run_score_sde_ve(st: Setup, nfe: int):
    """diffusers' ScoreSdeVe (PC: reverse diffusion + 1 Langevin step, snr 0.16) on VE (SMLD convention)."""
    import diffusers as D

    ve = VESDE(sigma_min=0.01, sigma_max=st.prob.sde("ve").sigma_max, marginal="smld")
    score = st.mix.score_fn(ve)
    steps = max(1, nfe // 2)
    sched = D.ScoreSdeVeScheduler(sigma_min=ve.sigma_min, sigma_max=ve.sigma_max, snr=0.16, sampling_eps=1e-5,
                                  correct_steps=1)
    sched.set_timesteps(steps)
    sched.set_sigmas(steps)
    x = ve.sigma_max * (st.x_T / st.sde.prior_std)
    gen = torch.Generator().manual_seed(0)
    counter = Counter(lambda xx, t: score(xx, torch.full((xx.shape[0],), t, dtype=xx.dtype)))
    x_mean = x
    try:
        for i, t in enumerate(sched.timesteps):
            for _ in range(sched.config.correct_steps):
                x = sched.step_correct(counter(x, float(t)), x, generator=gen).prev_sample
            out = sched.step_pred(counter(x, float(t)), t, x, generator=gen)
            x, x_mean = out.prev_sample, out.prev_sample_mean
    except Exception as ex:
        print(f"  ScoreSdeVe: {type(ex).__name__}: {ex}", file=sys.stderr)
        x_mean = None
    return [_row(st, "diffusers ScoreSdeVe (VE, PC)", counter.nfe, "sde", x_mean)]


# ---------------------------------------------------------------------------- k-diffusion
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


def run_kdiffusion(st: Setup, nfe: int, K):
    sig = lambda t: float(st.sde.noise_level(torch.tensor(t, dtype=torch.float64)))  # noqa: E731
    smin, smax = sig(st.sde.eps), sig(st.sde.T)
    cache = {}

    def denoiser(xt, sigma):
        s = float(sigma.reshape(-1)[0])
        t = cache.get(s)
        if t is None:
            t = cache[s] = st.t_of_sigma(s)
        m, _ = st.ms(t)
        # D(x~, sigma) = x~ + sigma^2 grad_x~ log p(x~; sigma) = x~ + sigma^2 m score(m x~, t)
        return xt + s * s * m * st.score(m * xt, torch.full((xt.shape[0],), t, dtype=xt.dtype))

    rows = []
    for gname in ("karras", "uniform-t"):
        for name in ("euler", "heun", "lms", "dpmpp_2m"):
            steps = nfe if name != "heun" else max(1, (nfe + 1) // 2)
            if gname == "karras":
                sigmas = K.get_sigmas_karras(steps, smin, smax, rho=7.0, device="cpu").to(torch.float64)
            else:
                # uniform in t from T to eps, then eps -> 0: ``steps`` intervals in all (as karras)
                g = grids.uniform(st.sde, max(1, steps - 1))
                sigmas = torch.cat([st.sde.noise_level(g), torch.zeros(1, dtype=torch.float64)])
            model = Counter(denoiser)
            t0 = st.t_of_sigma(float(sigmas[0]))
            m0, _ = st.ms(t0)
            x = st.x_T.clone() / m0
            fn = getattr(K, f"sample_{name}")
            try:
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore")
                    x = fn(model, x, sigmas, disable=True)
            except Exception as ex:
                print(f"  k-diffusion {name}: {type(ex).__name__}: {ex}", file=sys.stderr)
                x = None
            rows.append(_row(st, f"k-diffusion {name} ({gname})", model.nfe, "ode", x, t0, 0.0))
    return rows


# ---------------------------------------------------------------------------- main
def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n", type=int, default=4000)
    ap.add_argument("--nfe", default="10,20,50,100,1000")
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--markdown", action="store_true")
    a = ap.parse_args(argv)
    torch.set_num_threads(a.threads)
    nfes = [int(v) for v in a.nfe.split(",")]
    st = Setup(a.n)
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
    print(f"machine: {machine_description(torch.device('cpu'))}; diffusers {have_diffusers}; "
          f"k-diffusion {'loaded' if K else 'missing'}; n = {a.n}; sliced-W2 noise floor "
          f"{st.floor.mean:.3g} +- {st.floor.std:.2g}")
    t_all = time.perf_counter()
    summary = []
    for nfe in nfes:
        rows = run_ours(st, nfe)
        if have_diffusers:
            rows += run_diffusers(st, nfe) + run_score_sde_ve(st, nfe)
        if K is not None:
            rows += run_kdiffusion(st, nfe, K)
        _print(rows, nfe, a.markdown)
        det = [r for r in rows if r["kind"] == "ode" and r["rmse"] is not None]
        ours = min((r for r in det if r["sampler"].startswith("scoresde")), key=lambda r: r["rmse"], default=None)
        peers = min((r for r in det if not r["sampler"].startswith("scoresde")), key=lambda r: r["rmse"], default=None)
        nan_ours = [r["sampler"] for r in rows if r["nan"] and r["sampler"].startswith("scoresde")]
        nan_peers = [r["sampler"] for r in rows if r["nan"] and not r["sampler"].startswith("scoresde")]
        summary.append((nfe, ours, peers, nan_ours, nan_peers))
    print("\nbest deterministic endpoint RMSE per NFE budget (NFE actually spent in brackets):")
    for nfe, ours, peers, nan_ours, nan_peers in summary:
        o = f"{ours['sampler']} {ours['rmse']:.3g} [{ours['nfe']}]" if ours else "-"
        p = f"{peers['sampler']} {peers['rmse']:.3g} [{peers['nfe']}]" if peers else "-"
        print(f"  NFE {nfe:5d}: ours {o} | best peer {p} | NaN ours {nan_ours or 'none'} | NaN peers {nan_peers or 'none'}")
    print(f"total {time.perf_counter() - t_all:.1f} s")


def _print(rows, nfe, markdown):
    if markdown:
        print(f"\n**NFE budget {nfe}**\n\n| sampler | NFE spent | endpoint RMSE | sliced W2 | NaN |\n|---|---|---|---|---|")
        for r in rows:
            print(f"| {r['sampler']} | {r['nfe']} | {_f(r['rmse'])} | {_f(r['sw2'])} | {'NaN' if r['nan'] else ''} |")
    else:
        print(f"\nNFE budget {nfe}")
        for r in rows:
            print(f"  {r['sampler']:44s} NFE {r['nfe']:5d}  rmse {_f(r['rmse']):>9s}  sw2 {_f(r['sw2']):>9s}"
                  f"{'  NaN' if r['nan'] else ''}")


def _f(v):
    return "-" if v is None else (f"{v:.3g}" if math.isfinite(v) else "nan")


if __name__ == "__main__":
    main()
