"""Would a shift that depends on length read short texts better? With a variant's trained weights
fixed (`benchmarks/model_variants.py --dump` saves each validation review's and window's log-odds
and positions read), fit z' = z / T + a + c / sqrt(n) on other windows of the validation reviews
(seed 8) plus the whole reviews, and score it on the seed-7 windows and the whole reviews: the
runs behind "Short texts" in docs/better-model.md.

    uv run --group train python benchmarks/length_shift.py build/variant_TAG_z.npz
"""

import sys

import numpy as np
from scipy.optimize import minimize

dumped = np.load(sys.argv[1])
labels = dumped["labels"].astype(np.float64)


def accuracy(z):
    return float(((z > 0) == (labels > 0.5)).mean())


def loss(z, y=labels):
    return float(np.mean(np.logaddexp(0, -z) * y + np.logaddexp(0, z) * (1 - y)))


for part in ("whole", "windows", "fit_windows"):
    z, n = dumped[part + "_z"], dumped[part + "_n"]
    print(f"{part}: accuracy {accuracy(z):.4f}, called positive {(z > 0).mean():.3f}, loss {loss(z):.4f}, "
          f"median positions {np.median(n):.0f}")

fit_z = np.concatenate([dumped["fit_windows_z"], dumped["whole_z"]])
fit_n = np.concatenate([dumped["fit_windows_n"], dumped["whole_n"]])
fit_y = np.concatenate([labels, labels])
for name, free in (("T", (1, 0, 0)), ("T, a", (1, 1, 0)), ("T, c / sqrt(n)", (1, 0, 1)),
                   ("T, a, c / sqrt(n)", (1, 1, 1))):
    mask = np.array(free, bool)

    def shifted(q, z, n):
        t, a, c = np.where(mask, q, [1.0, 0.0, 0.0])
        return z / t + a + c / np.sqrt(n)

    found = minimize(lambda q: loss(shifted(q, fit_z, fit_n), fit_y), [1.0, 0.0, 0.0], method="Nelder-Mead",
                     options={"xatol": 1e-6, "fatol": 1e-9, "maxiter": 4000}).x
    t, a, c = np.where(mask, found, [1.0, 0.0, 0.0])
    scored = [f"{part} {accuracy(s):.4f} (positive {(s > 0).mean():.3f}, loss {loss(s):.4f})"
              for part in ("whole", "windows")
              for s in [shifted(found, dumped[part + "_z"], dumped[part + "_n"])]]
    print(f"fitted {name}: T={t:.3f} a={a:+.3f} c={c:+.3f} | " + " | ".join(scored))
