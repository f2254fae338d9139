"""Estimates do not depend on the machine's BLAS kernel or thread count.

Machines of this project's kind differ in CPU and OpenBLAS kernel (some set OPENBLAS_CORETYPE), so
the last bits of a matrix product differ between them. The estimator reference checks must pass,
and give the same numbers within tolerance, whatever the kernel and thread count. Each setting runs
in its own interpreter, since OpenBLAS reads these variables once, when it is loaded.

Tolerance: a kernel or thread change only reorders floating-point sums, which perturbs each inner
product by about eps = 2.2e-16 relative (times a small multiple of log n) and a least-squares
solution by the design's condition number times that. The worst design here is the demo's T3
eq (1), nearly unidentified by construction, with condition number ≈ 8e5 after QR (so ≲ 1e-9;
measured: 4e-10 between OpenBLAS's Prescott and Zen kernels). 1e-8 leaves room for that and is
still two orders below the 1e-6 at which the abdata estimates are checked against xtabond2.
"""

from __future__ import annotations

import json
import os
import platform
import subprocess
import sys
from pathlib import Path

import pytest
from numpy.testing import assert_allclose

HERE = Path(__file__).resolve().parent
RTOL = 1e-8
ATOL = 1e-12

# name -> environment changes (None removes the variable)
SETTINGS = {
    "one thread": {"OPENBLAS_NUM_THREADS": "1", "OMP_NUM_THREADS": "1"},
    "two threads": {"OPENBLAS_NUM_THREADS": "2", "OMP_NUM_THREADS": "2"},
    "kernel chosen by OpenBLAS": {"OPENBLAS_CORETYPE": None, "OPENBLAS_L2_SIZE": None},
}
if platform.machine() in ("x86_64", "AMD64"):
    # the baseline x86-64 kernel, which every such CPU runs: other SIMD widths, other sum orders
    SETTINGS["generic x86-64 kernel"] = {"OPENBLAS_CORETYPE": "Prescott"}

# Fits the reference estimators and prints their estimates as JSON.
SCRIPT = """
import importlib.util, json, sys
import pandas as pd
from agglo.paths import shared_dir
from estimation.gmm import DynamicPanelGMM
from estimation.simulate import simulate_system_panel
from estimation.spec import Covariance, load_spec
from estimation.system import fit_3sls

spec = importlib.util.spec_from_file_location("test_gmm", sys.argv[1])
test_gmm = importlib.util.module_from_spec(spec)
spec.loader.exec_module(test_gmm)
abdata = pd.read_csv(shared_dir() / "gmm-reference" / "abdata.csv").set_index(["id", "year"])
gmm = DynamicPanelGMM(abdata[["n", "w", "k", "ys", "ind"]], **test_gmm.SYS_SPEC).fit()
out = {
    "gmm_params": gmm.params.to_dict(),
    "gmm_std_errors": gmm.std_errors.to_dict(),
    "gmm_hansen": float(gmm.hansen.stat),
}
system = load_spec().column(1, "3sls_T_national")
from agglo.refdata import refdata
regions = {code: p.region for code, p in refdata().provinces.items()}
data = simulate_system_panel(0, regions=regions, industries=("T",))
data = data.set_index(["province_code", "year"])
fit = fit_3sls(data.assign(const=1.0), system.equations, system.exogenous,
               cov=Covariance("robust"))
for label, eq in fit.equations.items():
    out[f"3sls_{label}_params"] = eq.params.to_dict()
    out[f"3sls_{label}_std_errors"] = eq.std_errors.to_dict()
# the demo generator's reference estimates (raw/demo/_truth/reference_estimates.csv)
from agglo.demo import truth
from agglo.paths import raw_dir
panel = pd.read_csv(raw_dir() / "demo" / "_truth" / "panel.csv", dtype={"province_code": str})
for industry in sorted(panel["industry_code"].unique()):
    for label, (est, se) in truth.two_sls(panel, industry).items():
        out[f"demo_{industry}_{label}_params"] = est
        out[f"demo_{industry}_{label}_std_errors"] = se
print(json.dumps(out))
"""


def _env(changes: dict[str, str | None]) -> dict[str, str]:
    env = dict(os.environ)
    for key, value in changes.items():
        if value is None:
            env.pop(key, None)
        else:
            env[key] = value
    return env


def _run(args: list[str], changes: dict[str, str | None]) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, *args],
        env=_env(changes),
        capture_output=True,
        text=True,
        timeout=600,
        cwd=HERE.parents[1],
    )


def _fits(changes: dict[str, str | None]) -> dict:
    proc = _run(["-c", SCRIPT, str(HERE / "test_gmm.py")], changes)
    assert proc.returncode == 0, proc.stderr[-3000:]
    return json.loads(proc.stdout.strip().splitlines()[-1])


@pytest.fixture(scope="module")
def baseline() -> dict:
    return _fits({})


@pytest.mark.slow
@pytest.mark.reference
@pytest.mark.parametrize("setting", sorted(SETTINGS))
def test_estimates_agree_across_blas_settings(baseline, setting):
    other = _fits(SETTINGS[setting])
    assert other.keys() == baseline.keys()
    for key, value in baseline.items():
        if isinstance(value, dict):
            assert other[key].keys() == value.keys(), key
            terms = sorted(value)
            got = [other[key][t] for t in terms]
            want = [value[t] for t in terms]
            assert_allclose(got, want, rtol=RTOL, atol=ATOL, err_msg=f"{key} under {setting}")
        else:
            assert_allclose(other[key], value, rtol=RTOL, atol=ATOL, err_msg=key)


@pytest.mark.slow
@pytest.mark.reference
@pytest.mark.parametrize("setting", ["one thread", "kernel chosen by OpenBLAS"])
def test_reference_checks_pass_under_other_blas_settings(setting):
    """The published-number checks (xtabond2 on abdata) themselves, in another BLAS setting."""
    proc = _run(
        [
            "-m",
            "pytest",
            "-q",
            "-m",
            "reference",
            "-p",
            "no:cacheprovider",
            str(HERE / "test_gmm.py"),
        ],
        SETTINGS[setting],
    )
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-2000:]
    assert " passed" in proc.stdout and "failed" not in proc.stdout
