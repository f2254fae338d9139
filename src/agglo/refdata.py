"""Reference data (provinces, aggregates, out-of-scope regions, industries, units): the seeds.

The seeds under ``dbt_project/seeds/`` are the one copy of this data; the warehouse gets them
through ``dbt seed`` and the loader through this module.
"""

from __future__ import annotations

import csv
import re
import unicodedata
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from agglo import paths
from agglo.errors import AggloError

# Footnote markers and ornaments that yearbooks attach to row labels ("北京*", "河北①", "# 其中").
_LABEL_NOISE = re.compile(r"[\s\u3000*＊#①-⑳()（）\[\]【】:：,，.。、]|(?<=[^\d\s])\d{1,2}\)?$")


def normalize_label(text: str) -> str:
    """Canonical row label: NFKC, no spaces (``内 蒙 古``), no footnote marks, lower case."""
    text = unicodedata.normalize("NFKC", str(text)).strip()
    return _LABEL_NOISE.sub("", text).lower()


def normalize_unit_text(text: str) -> str:
    text = unicodedata.normalize("NFKC", str(text)).strip().lower()
    text = re.sub(r"^(单位|unit)\s*[:：]?\s*", "", text)
    text = text.strip("()（） ")
    return re.sub(r"\s+", " ", text)


def _read_seed(name: str, directory: Path | None = None) -> list[dict[str, str]]:
    path = (directory or paths.seeds_dir()) / f"{name}.csv"
    with path.open(encoding="utf-8", newline="") as fh:
        return list(csv.DictReader(fh))


def _seed_bool(text: str, seed: str, column: str) -> bool:
    """A seed's boolean cell as dbt reads it (``true`` / ``false``)."""
    value = text.strip().lower()
    if value not in ("true", "false"):
        raise AggloError(
            f"{column} must be true or false, not {text!r}",
            file=f"dbt_project/seeds/{seed}.csv",
        )
    return value == "true"


def dbt_var(name: str):
    """A ``vars:`` entry of ``dbt_project/dbt_project.yml``: a rule the SQL models use too.

    Read from the checkout (``$AGGLO_HOME``), else from the one this package came with.
    """
    import yaml

    path = paths.repo_root() / "dbt_project" / "dbt_project.yml"
    if not path.is_file():
        path = Path(__file__).resolve().parents[2] / "dbt_project" / "dbt_project.yml"
    doc = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    try:
        return (doc.get("vars") or {})[name]
    except KeyError:
        raise AggloError(
            f"no dbt var {name!r}", file=str(path), hint="add it under vars:"
        ) from None


@dataclass(frozen=True)
class Province:
    code: str
    name_short_zh: str
    name_full_zh: str
    name_en: str
    region: str


@dataclass(frozen=True)
class Unit:
    unit: str
    dimension: str
    base_unit: str
    factor_to_base: float
    is_additive: bool  # provinces add up to the national value (not rates, per-person values)


class RefData:
    """Lookups built once from the seeds."""

    def __init__(self, directory: Path | None = None) -> None:
        self.directory = directory or paths.seeds_dir()
        self.provinces = {
            r["province_code"]: Province(
                r["province_code"], r["name_short_zh"], r["name_full_zh"], r["name_en"], r["region"]
            )
            for r in _read_seed("ref_provinces", self.directory)
        }
        self._province_names: dict[str, str] = {}
        for p in self.provinces.values():
            for name in (p.name_short_zh, p.name_full_zh, p.name_en):
                self._province_names[normalize_label(name)] = p.code
        for r in _read_seed("ref_province_name_variants", self.directory):
            self._province_names[normalize_label(r["name_variant"])] = r["province_code"]
        self.aggregates = {
            r["aggregate_code"]: r for r in _read_seed("ref_aggregates", self.directory)
        }
        self._aggregates = {
            normalize_label(r["name_variant"]): r["aggregate_code"]
            for r in _read_seed("ref_aggregate_name_variants", self.directory)
        }
        self.out_of_scope = {
            r["out_of_scope_code"]: r
            for r in _read_seed("ref_out_of_scope_regions", self.directory)
        }
        self._out_of_scope = {
            normalize_label(r["name_variant"]): r["out_of_scope_code"]
            for r in _read_seed("ref_out_of_scope_name_variants", self.directory)
        }
        self.industries = {
            r["industry_code"]: r for r in _read_seed("ref_industries", self.directory)
        }
        self._industry_names = {
            normalize_label(r["name_variant"]): r["industry_code"]
            for r in _read_seed("ref_industry_name_variants", self.directory)
        }
        self.units = {
            r["unit"]: Unit(
                r["unit"],
                r["dimension"],
                r["base_unit"],
                float(r["factor_to_base"]),
                _seed_bool(r["is_additive"], "ref_unit_factors", "is_additive"),
            )
            for r in _read_seed("ref_unit_factors", self.directory)
        }
        # which provinces each printed belt subtotal covers, per grouping scheme of an edition
        self.belt_schemes: dict[str, dict[str, str]] = {}
        for r in _read_seed("ref_belt_members", self.directory):
            self.belt_schemes.setdefault(r["belt_scheme"], {})[r["province_code"]] = r[
                "aggregate_code"
            ]
        # characters a scan (OCR) confuses with digits: a cell that is not a number only because
        # of them may be repaired from a row identity (agglo.ingest.repair)
        self.scan_confusables = {
            r["scan_character"]: r["looks_like"]
            for r in _read_seed("ref_scan_confusables", self.directory)
        }
        self._unit_aliases = {
            normalize_unit_text(r["alias"]): r["unit"]
            for r in _read_seed("ref_unit_aliases", self.directory)
        }

    # -- provinces and aggregates -------------------------------------------------------------
    def province_code(self, label: str) -> str | None:
        """GB/T 2260 code of a province row label in any known variant, else None."""
        return self._province_names.get(normalize_label(label))

    def aggregate_code(self, label: str) -> str | None:
        """Code of a printed aggregate (``全国`` → national, ``东部地区`` → east), else None."""
        return self._aggregates.get(normalize_label(label))

    def out_of_scope_code(self, label: str) -> str | None:
        """Code of a region printed beside the provinces but outside the 31-province panel
        (``香港`` → hong_kong, ``Macao`` → macao, ``台湾`` → taiwan), else None."""
        return self._out_of_scope.get(normalize_label(label))

    def entity(self, label: str) -> tuple[str, str] | None:
        """(entity_kind, code) of a row label: ``province``, ``aggregate`` or ``out_of_scope``."""
        if code := self.province_code(label):
            return "province", code
        if code := self.aggregate_code(label):
            return "aggregate", code
        if code := self.out_of_scope_code(label):
            return "out_of_scope", code
        return None

    def entity_name(self, kind: str, code: str) -> str:
        """``内蒙古 (Inner Mongolia)``: the Chinese and English names of an entity, for messages."""
        if kind == "province" and code in self.provinces:
            p = self.provinces[code]
            return f"{p.name_short_zh} ({p.name_en})"
        row = (self.aggregates if kind == "aggregate" else self.out_of_scope).get(code)
        return f"{row['name_zh']} ({row['name_en']})" if row else code

    def region(self, province_code: str) -> str:
        return self.provinces[province_code].region

    # -- industries --------------------------------------------------------------------------
    def industry_code(self, label: str) -> str | None:
        return self._industry_names.get(normalize_label(label))

    def industry_code_within(self, text: str) -> str | None:
        """Industry whose name (4+ characters) occurs inside ``text``, longest name first.

        For headings that wrap an industry name in other words (``五、医药制造业 Medicines``).
        """
        key = normalize_label(text)
        found = [
            (len(variant), code)
            for variant, code in self._industry_names.items()
            if len(variant) >= 4 and variant in key
        ]
        return max(found)[1] if found else None

    # -- units -------------------------------------------------------------------------------
    def unit(self, text: str) -> str | None:
        """Canonical unit of a unit text (``万元``, ``(10 000 yuan)``, ``单位：亿元``) or None."""
        return self._unit_aliases.get(normalize_unit_text(text))

    def factor(self, from_unit: str, to_unit: str) -> float:
        """Multiplier taking a value in ``from_unit`` to ``to_unit`` (same dimension only)."""
        try:
            a, b = self.units[from_unit], self.units[to_unit]
        except KeyError as exc:
            raise AggloError(
                f"unknown unit {exc.args[0]!r}",
                hint="add it to dbt_project/seeds/ref_unit_factors.csv (and ref_unit_aliases.csv)",
            ) from None
        if a.dimension != b.dimension:
            raise AggloError(
                f"cannot convert {from_unit} ({a.dimension}) to {to_unit} ({b.dimension})"
            )
        return a.factor_to_base / b.factor_to_base

    def convert(self, value: float, from_unit: str, to_unit: str) -> float:
        return value * self.factor(from_unit, to_unit)


@cache
def refdata() -> RefData:
    """The shared :class:`RefData` of this checkout."""
    return RefData()
