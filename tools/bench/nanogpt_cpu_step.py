# The reference side of tools/cpu-vs-pytorch.sh: the nanoGPT CPU recipe's model (char-small: 4 layers, 4 heads,
# 128 dims, block 64, no bias, tied head; batch 12, fused AdamW, clip 1.0) written directly in PyTorch, timed per step.
# usage: python3 nanogpt_cpu_step.py THREADS STEPS [steps|phases|prof] [TEXT_FILE]
#   steps  (default): median ms/step (process CPU time and wall) over blocks of 10 steps
#   phases: median process CPU ms of data / fwd+bwd / clip / optimizer per step (as `textssl bench train --clock cpu`)
#   prof:   torch.profiler table of STEPS steps
# Set OPENBLAS_NUM_THREADS=1: PyTorch spreads work over THREADS itself; OpenBLAS's own threads on top oversubscribe.
import sys, time, math, torch, torch.nn as nn, torch.nn.functional as F
threads = int(sys.argv[1]); steps = int(sys.argv[2]); mode = sys.argv[3] if len(sys.argv) > 3 else 'steps'; prof = mode == 'prof'
text = sys.argv[4] if len(sys.argv) > 4 else 'corpora/moby-dick/moby-dick.txt'
torch.set_num_threads(threads); torch.manual_seed(1337)
# bytes folded into 84 ids (the size of the char vocabulary textssl builds from Moby-Dick): for timing only
data = torch.tensor(list(open(text, 'rb').read()), dtype=torch.long) % 84
V, C, H, L, T, B = 84, 128, 4, 4, 64, 12
class Block(nn.Module):
    def __init__(s):
        super().__init__(); s.ln1 = nn.LayerNorm(C, bias=False); s.attn = nn.Linear(C, 3*C, bias=False); s.proj = nn.Linear(C, C, bias=False)
        s.ln2 = nn.LayerNorm(C, bias=False); s.fc = nn.Linear(C, 4*C, bias=False); s.fc2 = nn.Linear(4*C, C, bias=False)
    def forward(s, x):
        b, t, c = x.shape
        q, k, v = s.attn(s.ln1(x)).split(C, dim=2)
        q, k, v = [z.view(b, t, H, c//H).transpose(1, 2) for z in (q, k, v)]
        y = F.scaled_dot_product_attention(q, k, v, is_causal=True).transpose(1, 2).contiguous().view(b, t, c)
        x = x + s.proj(y)
        return x + s.fc2(F.gelu(s.fc(s.ln2(x))))
class GPT(nn.Module):
    def __init__(s):
        super().__init__(); s.wte = nn.Embedding(V, C); s.wpe = nn.Embedding(T, C); s.h = nn.ModuleList([Block() for _ in range(L)]); s.lnf = nn.LayerNorm(C, bias=False)
        s.head = nn.Linear(C, V, bias=False); s.wte.weight = s.head.weight
    def forward(s, idx, y):
        x = s.wte(idx) + s.wpe(torch.arange(idx.shape[1]))
        for b in s.h: x = b(x)
        logits = s.head(s.lnf(x))
        return F.cross_entropy(logits.view(-1, V), y.view(-1))
m = GPT()
decay = [p for p in m.parameters() if p.dim() >= 2]; nodecay = [p for p in m.parameters() if p.dim() < 2]
opt = torch.optim.AdamW([{'params': decay, 'weight_decay': 0.1}, {'params': nodecay, 'weight_decay': 0.0}], lr=1e-3, betas=(0.9, 0.99), fused=True)
n = int(0.9 * len(data)); train = data[:n]
def batch():
    ix = torch.randint(len(train) - T, (B,))
    return torch.stack([train[i:i+T] for i in ix]), torch.stack([train[i+1:i+1+T] for i in ix])
def step():
    x, y = batch()
    loss = m(x, y); loss.backward()
    torch.nn.utils.clip_grad_norm_(m.parameters(), 1.0)
    opt.step(); opt.zero_grad(set_to_none=True)
    return loss
for _ in range(10): step()
if mode == 'phases':
    # process CPU time per phase, medians over `steps` steps (as textssl bench train --clock cpu)
    ph = {'data': [], 'fwd+bwd': [], 'clip': [], 'optimizer': [], 'total': []}
    for _ in range(steps):
        t0 = time.process_time(); x, y = batch(); t1 = time.process_time()
        loss = m(x, y); loss.backward(); t2 = time.process_time()
        torch.nn.utils.clip_grad_norm_(m.parameters(), 1.0); t3 = time.process_time()
        opt.step(); opt.zero_grad(set_to_none=True); t4 = time.process_time()
        for k, v in zip(ph, (t1 - t0, t2 - t1, t3 - t2, t4 - t3, t4 - t0)): ph[k].append(v * 1000)
    print(' '.join(f"{k} {sorted(v)[len(v)//2]:.2f}" for k, v in ph.items()))
    sys.exit(0)
if prof:
    from torch.profiler import profile, ProfilerActivity
    with profile(activities=[ProfilerActivity.CPU]) as p:
        for _ in range(steps): step()
    print(p.key_averages().table(sort_by="self_cpu_time_total", row_limit=40))
else:
    cpu = []; wall = []
    block = min(10, max(1, steps))
    for i in range(max(1, steps // block)):
        c0, w0 = time.process_time(), time.perf_counter()
        for _ in range(block): l = step()
        l.item(); cpu.append((time.process_time() - c0) * 1000 / block); wall.append((time.perf_counter() - w0) * 1000 / block)
    cpu.sort(); wall.sort()
    print(f"pytorch {torch.__version__} threads {threads}: median ms/step cpu {cpu[len(cpu)//2]:.2f} wall {wall[len(wall)//2]:.2f}")
