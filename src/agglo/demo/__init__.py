"""Simulated yearbook extracts with known true parameters (``agglo demo-data``).

Real data for the paper's panel (31 provinces × 2006–2015 × high-tech industries T, T1–T5) cannot be
shipped, so the repository carries yearbook-style extracts written by this generator, and the truth
they were drawn from (``raw/demo/_truth/``). ``generate(out_dir, seed)`` is deterministic: the same
seed gives byte-identical files.

Data-generating process
-----------------------
Indices: province j (31), year t (2006–2015), industry i (T1–T5). ``ln`` is the natural log.

1. **Exogenous yearbook quantities**, drawn at the precision the yearbook prints (so the printed
   values *are* the truth): year-end population, GDP (per-capita GDP × population), GDP by sector,
   FIE imports + exports (千美元; converted with the real annual RMB/USD rate), urban road area,
   higher-education students and full-time teachers, industrial enterprises above designated size
   (with the 2011 threshold drop), development-zone output, HEI papers and citations; per industry:
   high-tech enterprises and invention patents. Levels and national trends are realistic; the 2006
   province anchors are rough real magnitudes (``model.ANCHORS``). Cross-province dispersion of
   per-capita GDP and openness is compressed and that of the two excluded instruments (road area per
   capita, student–teacher ratio) widened, because the published slopes make outcomes explode
   under real dispersion and identify eqs (1)/(2) only through those instruments. The national trend
   of each industry's enterprise share is set so that, with the published slopes, location quotients
   have no common trend (``model.size_trend``).
2. **Model variables** (paper's definitions): pgdp = GDP / population (元/人); open = FIE trade ×
   rate / GDP; infr = road area / population (m²/人); educ = students / teachers; size = dim =
   high-tech enterprises of i / industrial enterprises; deve = development-zone output / GDP;
   know = citations / papers; tech = invention patents of i.
3. **The simultaneous system**, eqs (1)–(2) with the published Table 2 / Table 1 3SLS slopes of
   industry i (T3's a1 changed from 0.468 to 0.300, see ``model.SLOPE_OVERRIDES``)::

       ln vocal = alpha_it + a1 ln innov + a2 ln size + a3 ln pgdp + a4 ln open + a5 ln infr + e
       ln innov = b0       + b1 ln vocal + b2 ln size + b3 ln pgdp + b4 ln open + b5 ln educ + u

   (e, u) normal, i.i.d. over province-years, with per-industry sds and correlation calibrated to
   the paper's Tables 1–2 adjusted R² (:mod:`agglo.demo.calibrate`, ``disturbances.csv``). Solved
   per observation (reduced form). The location quotient's output-weighted mean is 1 in every
   industry-year by definition, so eq (1)'s intercept cannot be a constant: alpha_it = a0 + tau_it
   is the one value per industry-year that satisfies the identity exactly (tau_it has mean 0 over
   years, sd about 0.005–0.03, no trend; recorded in ``_truth/intercepts.csv``). b0 and a0 are
   calibrated so that national new-product sales / GDP and the LQs are at realistic levels.
   Eqs (3)–(4) interactions (deve, know, tech, dim) are **not** in the DGP: their true coefficients
   are 0. The model is static (true coefficient of a lagged dependent variable: 0) and has no
   province effects.
4. **Endogenous yearbook quantities**: high-tech output q_ijt = LQ_ijt × s_it × q_jt (q_jt province
   industrial output, s_it the industry's national output share), new-product sales = innov × GDP;
   T = T1 + … + T5 for output, new-product sales, enterprises, patents (T has no structural
   equation and no true coefficients).
5. **Layouts** (``tables.py``): 12 tables × 10 data years in xlsx, xls and csv (UTF-8,
   GB18030), with bilingual titles and headers, unit lines, printed aggregates, name variants,
   blanks, notes and a unit change (development-zone output: 万元 to 2010, 亿元 from 2011).

``raw/demo/_truth/README.md`` (written by :func:`generate`) states what estimation should recover.
"""

from __future__ import annotations

import re
from pathlib import Path

from agglo import paths
from agglo.demo import layouts, model, readme, tables, truth

DEFAULT_SEED = 20061231
_DATA_FILE = re.compile(r"^\d{4}\.(xlsx|xls|csv)$")


def default_out_dir() -> Path:
    return paths.raw_dir() / "demo"


def generate(
    out_dir: Path | None = None, seed: int = DEFAULT_SEED, *, replications: int = truth.REPLICATIONS
) -> list[Path]:
    """Write the demo yearbook extracts and their truth under ``out_dir`` (default ``raw/demo``).

    Returns the paths written (data files, truth files, READMEs). Earlier data files of the demo
    tables (``<yearbook>/<table>/<year>.<ext>``) are removed first, so a format change leaves no
    stale file behind; nothing else in ``out_dir`` is touched. ``replications`` simulations (other
    seeds) estimate the sampling sd recorded in ``parameters.csv`` (0 skips them).
    """
    out = Path(out_dir) if out_dir is not None else default_out_dir()
    sim = model.simulate(seed)
    written: list[Path] = []
    for table in tables.TABLES:
        folder = out / table.folder
        if folder.is_dir():
            for old in folder.iterdir():
                if old.is_file() and _DATA_FILE.match(old.name):
                    old.unlink()
        for name in table.file_names():
            year = int(name[:4])
            grid = tables.build_grid(table, sim, year)
            path = folder / name
            layouts.write(grid, path, table.fmt, table.encoding)
            written.append(path)
    truth_dir = out / "_truth"
    files = {
        "parameters.csv": truth.parameters_frame(sim, replications),
        "intercepts.csv": truth.intercepts_frame(sim),
        "panel.csv": truth.panel_frame(sim),
        "province_year.csv": truth.province_year_frame(sim),
        "reference_estimates.csv": truth.reference_estimates(sim),
    }
    for name, frame in files.items():
        truth.write_csv(frame, truth_dir / name)
        written.append(truth_dir / name)
    for path, text in (
        (out / "README.md", readme.demo_readme(sim)),
        (truth_dir / "README.md", readme.truth_readme(sim, files["parameters.csv"])),
    ):
        path.write_bytes(text.encode("utf-8"))
        written.append(path)
    return sorted(written)


__all__ = ["DEFAULT_SEED", "generate", "default_out_dir"]
