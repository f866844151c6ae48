"""Fenced code in documents: a sampling loop is read as the update it implements and judged like its formula."""
from scoresde.formulas import verify_text
from scoresde.formulas.snippets import find_snippets, read_update

# seed 001's snippet (a syntax error: the line breaks after `*` and `+` have no continuation)
SEED001 = '''```python
# 简化的DDPM采样代码
def ddpm_sampling(model, noise, T, alpha_bars):
    x = noise
    for t in range(T, 0, -1):
        z = torch.randn_like(x) if t > 1 else 0
        eps = model(x, t)  # U-Net预测噪声
        x = (1 / torch.sqrt(alpha_bars[t])) * 
             (x - (1 - alpha_bars[t]) / torch.sqrt(1 - alpha_bars[t]) * eps) + 
             torch.sqrt(1 - alpha_bars[t]) * z
    return x
```
'''

CORRECT = '''```python
for t in reversed(range(1, T + 1)):
    eps = net(x, t)
    mean = (x - betas[t] / torch.sqrt(1 - alphas_cumprod[t]) * eps) / torch.sqrt(alphas[t])
    x = mean + torch.sqrt(betas[t]) * torch.randn_like(x)
```
'''


def test_syntax_error_reported_and_intended_update_judged():
    upd, err = read_update(find_snippets(SEED001)[0][1])
    assert err and "syntax error at line 7" in err
    assert upd.startswith("x = ") and "eps_theta" in upd and "randn" not in upd
    vs = verify_text(SEED001, numeric=False)
    assert len(vs) == 1
    v = vs[0]
    assert v.verdict == "inconsistent" and "syntax error" in v.notes[0] and "code block" in v.location
    assert set(v.terms) >= {"mean.x", "variance"}  # ᾱ_t where α_t is needed, and 1 − ᾱ_t as the noise variance


def test_correct_loop_is_exact():
    vs = verify_text(CORRECT, numeric=False)
    assert [v.verdict for v in vs] == ["exact"] and vs[0].target == "vp.ancestral"


def test_code_without_a_sampling_loop_is_ignored():
    assert find_snippets("```python\nmodel = UNet(alpha=1)\n```\n") == []
    assert find_snippets("```js\nfor (;;) { alpha = 1 }\n```\n") == []
