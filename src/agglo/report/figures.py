"""The report's figures as PNG files (matplotlib, Agg canvas; no pyplot, no display needed).

Provinces are labelled with their English names (``dim_province.name_en``), so no CJK font is
needed. Regions are told apart by colour and marker, so the figures also read in black and white.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
from matplotlib.figure import Figure

DPI = 110
REGIONS = {  # the paper's belts: colour (Okabe-Ito, colour-blind safe) and marker
    "east": ("#0072B2", "o"),
    "central": ("#E69F00", "s"),
    "west": ("#009E73", "^"),
}
#: The paper's Figures 1–5 (scatter of agglomeration vs innovation) by industry; T is extra.
PAPER_FIGURES = {"T1": 1, "T2": 2, "T3": 3, "T5": 4, "T4": 5}


@dataclass(frozen=True)
class FigureFile:
    key: str
    file: str  # path relative to the report folder
    title: str
    caption: str
    width: int  # pixels
    height: int


def _save(fig: Figure, out_dir: Path, key: str, title: str, caption: str) -> FigureFile:
    out_dir.mkdir(parents=True, exist_ok=True)
    path = out_dir / f"{key}.png"
    fig.savefig(path, dpi=DPI, facecolor="white")
    width, height = (round(v * DPI) for v in fig.get_size_inches())
    return FigureFile(key, f"{out_dir.name}/{path.name}", title, caption, width, height)


def ols_line(x: np.ndarray, y: np.ndarray) -> tuple[float, float, float]:
    """Slope, intercept and R² of y on x (with a constant)."""
    slope, intercept = np.polyfit(x, y, 1)
    resid = y - (intercept + slope * x)
    total = ((y - y.mean()) ** 2).sum()
    r2 = 1 - (resid**2).sum() / total if total > 0 else float("nan")
    return float(slope), float(intercept), float(r2)


def scatter(panel: pd.DataFrame, industry: str, name: str, out_dir: Path) -> FigureFile:
    """ln LQ (agglomeration) vs ln innovation ratio, one point per province-year, OLS line."""
    rows = panel[(panel["industry_code"] == industry)].dropna(subset=["ln_vocal", "ln_innov"])
    number = PAPER_FIGURES.get(industry)
    label = f"Figure {number}" if number else "Figure (all high-tech)"
    fig = Figure(figsize=(7.0, 5.0), layout="constrained")
    ax = fig.add_subplot()
    for region, (colour, marker) in REGIONS.items():
        part = rows[rows["region"] == region]
        ax.scatter(
            part["ln_vocal"],
            part["ln_innov"],
            s=22,
            c=colour,
            marker=marker,
            alpha=0.75,
            edgecolors="white",
            linewidths=0.4,
            label=f"{region} ({len(part)})",
        )
    if len(rows) >= 2:
        x, y = rows["ln_vocal"].to_numpy(float), rows["ln_innov"].to_numpy(float)
        slope, intercept, r2 = ols_line(x, y)
        grid = np.linspace(x.min(), x.max(), 50)
        ax.plot(
            grid,
            intercept + slope * grid,
            color="black",
            lw=1.6,
            label=f"OLS: slope {slope:.2f}, R² {r2:.2f}",
        )
    years = f"{int(rows['year'].min())}–{int(rows['year'].max())}" if len(rows) else ""
    ax.set_title(f"{label}. {name} ({industry}), {years}", fontsize=11)
    ax.set_xlabel("agglomeration: ln location quotient (ln vocal)")
    ax.set_ylabel("innovation: ln (new-product sales / GDP)")
    ax.grid(True, alpha=0.3)
    ax.legend(fontsize=8, loc="best", frameon=True)
    caption = (
        f"{label}: {name}. One point per province and year (n = {len(rows)}), coloured by region; "
        "black line: OLS fit of ln innovation on ln LQ."
    )
    return _save(fig, out_dir, f"scatter-{industry}", f"{label}. {name}", caption)


def bars(
    lq: pd.DataFrame, innovation: pd.DataFrame, industry: str, name: str, year: int, out_dir: Path
) -> FigureFile:
    """Provinces ranked by location quotient and by innovation ratio in one year."""
    fig = Figure(figsize=(10.0, 6.6), layout="constrained")
    axes = fig.subplots(1, 2)
    for ax, frame, column, xlabel in [
        (axes[0], lq, "location_quotient", "location quotient (1 = national share)"),
        (axes[1], innovation, "innovation_ratio", "innovation ratio (new-product sales / GDP)"),
    ]:
        rows = frame[(frame["industry_code"] == industry) & (frame["year"] == year)]
        rows = rows.dropna(subset=[column]).sort_values(column)
        colours = [REGIONS.get(r, ("#777777", "o"))[0] for r in rows["province_region"]]
        ax.barh(rows["name_en"], rows[column], color=colours)
        ax.tick_params(axis="y", labelsize=7)
        ax.set_xlabel(xlabel, fontsize=9)
        ax.grid(True, axis="x", alpha=0.3)
        if column == "location_quotient":
            ax.axvline(1.0, color="black", lw=0.8, ls="--")
    from matplotlib.patches import Patch

    handles = [Patch(color=c, label=r) for r, (c, _) in REGIONS.items()]
    axes[1].legend(handles=handles, fontsize=8, loc="lower right")
    fig.suptitle(f"{name} ({industry}), {year}: provinces ranked", fontsize=11)
    caption = (
        f"{name}, {year}: location quotient (left) and innovation ratio (right) by province, "
        "ranked; colour = region."
    )
    return _save(fig, out_dir, f"bars-{industry}-{year}", f"{name}: ranking {year}", caption)


def coverage(
    panel: pd.DataFrame, industries: list[tuple[str, str]], provinces: pd.DataFrame, out_dir: Path
) -> FigureFile:
    """Province × year heat-map per industry: is the row usable (ln_vocal and ln_innov present)?"""
    from matplotlib.colors import ListedColormap

    years = sorted(panel["year"].unique())
    order = provinces.sort_values("province_code")
    fig = Figure(figsize=(12.0, 6.4), layout="constrained")
    axes = fig.subplots(1, len(industries), sharey=True, squeeze=False)[0]
    cmap = ListedColormap(["#D55E00", "#56B4E9"])  # missing, present
    for ax, (code, _name) in zip(axes, industries, strict=True):
        rows = panel[panel["industry_code"] == code].assign(
            ok=lambda f: (f["ln_vocal"].notna() & f["ln_innov"].notna()).astype(float)
        )
        grid = rows.pivot_table(index="province_code", columns="year", values="ok", aggfunc="max")
        grid = grid.reindex(index=order["province_code"], columns=years).fillna(0.0)
        ax.imshow(
            grid.to_numpy(), cmap=cmap, vmin=0, vmax=1, aspect="auto", interpolation="nearest"
        )
        share = grid.to_numpy().mean() if grid.size else 0.0
        ax.set_title(f"{code}: {share:.0%}", fontsize=9)
        ax.set_xticks(range(len(years)), [str(y)[2:] for y in years], fontsize=7)
        ax.set_yticks(range(len(order)), order["name_en"], fontsize=6.5)
    from matplotlib.patches import Patch

    fig.legend(
        handles=[
            Patch(color="#56B4E9", label="ln vocal and ln innov present"),
            Patch(color="#D55E00", label="missing or not positive"),
        ],
        loc="outside lower center",
        ncol=2,
        fontsize=8,
    )
    fig.suptitle(
        "Estimation panel coverage (province × year, per industry; year as '06 = 2006)", fontsize=11
    )
    caption = (
        "Rows of marts.fct_estimation_panel with both ln_vocal and ln_innov (blue) or not (red); "
        "share of usable rows per industry in each panel's title."
    )
    return _save(fig, out_dir, "coverage", "Panel coverage", caption)
