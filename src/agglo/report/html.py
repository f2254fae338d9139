# ruff: noqa: E501  (long lines are HTML template lines)
"""The report page: one HTML file (figures as local files under ``assets/``), a plain Jinja2
template with inline CSS. No scripts, fonts or styles from the network."""

from __future__ import annotations

from typing import Any

import jinja2
import pandas as pd
from markupsafe import Markup

CSS = """
body { font-family: system-ui, -apple-system, "Segoe UI", Roboto, Helvetica, Arial, sans-serif;
       margin: 0 auto; max-width: 1400px; padding: 0 1.5rem 2rem; color: #1a1a1a;
       line-height: 1.45; font-size: 15px; }
h1 { font-size: 1.6rem; margin: 1.2rem 0 0.3rem; }
h2 { font-size: 1.3rem; border-bottom: 2px solid #ccc; padding-bottom: 0.2rem; margin-top: 2rem; }
h3 { font-size: 1.1rem; margin-top: 1.5rem; }
.meta { color: #555; font-size: 0.9rem; }
.simulated { background: #fff3cd; border: 2px solid #d39e00; border-radius: 6px;
             padding: 0.8rem 1rem; margin: 1rem 0; font-size: 1.05rem; }
.simulated strong { color: #8a5a00; }
nav ul { display: flex; flex-wrap: wrap; gap: 0.3rem 1.2rem; list-style: none; padding: 0; }
table { border-collapse: collapse; font-size: 0.8rem; margin: 0.5rem 0; }
th, td { border: 1px solid #d0d0d0; padding: 0.15rem 0.4rem; text-align: right;
         white-space: nowrap; }
th { background: #f0f0f0; }
td.label, th.label { text-align: left; }
.scroll { overflow-x: auto; max-width: 100%; }
.tall { max-height: 26rem; overflow-y: auto; }
tr.stat td { color: #555; border-top: none; }
tr.coef td { border-bottom: none; }
tr.diag td { background: #fafafa; }
td.paper { color: #333; background: #f7f7fb; }
td.ours { border-left: 2px solid #999; }
td.agreement { font-size: 0.72rem; color: #333; }
td.agree.agreement { background: #d8f0d8; }
td.stars_differ.agreement { background: #fde9c4; }
td.sign_differs.agreement { background: #f7c9c9; }
td.not_estimated.agreement { background: #e6e6e6; }
.flag { color: #a00000; font-weight: bold; }
.ok { color: #1f6f1f; }
figure { margin: 1rem 0 1.5rem; }
figure img { max-width: 100%; height: auto; border: 1px solid #ddd; }
figcaption { font-size: 0.85rem; color: #444; }
.figpair { display: flex; flex-wrap: wrap; gap: 1rem; align-items: flex-start; }
.notes { font-size: 0.8rem; color: #444; }
footer { margin-top: 2.5rem; border-top: 2px solid #ccc; font-size: 0.8rem; color: #333; }
code { font-size: 0.85em; }
table.choices td { white-space: normal; vertical-align: top; min-width: 8rem; max-width: 28rem; }
table.choices .line { color: #555; font-size: 0.75rem; }
@page { size: A4 landscape; margin: 12mm; }
@media print {
  body { max-width: none; font-size: 10pt; padding: 0; }
  .paper-table table { font-size: 5.5pt; }
  .paper-table td, .paper-table th { padding: 0 0.15rem; }
  .scroll, .tall { overflow: visible; max-height: none; }
  h2 { page-break-before: always; }
  figure, table { page-break-inside: avoid; }
  nav { display: none; }
}
"""

PAGE = """<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Replication report: high-tech agglomeration and regional innovation</title>
<style>{{ css }}</style>
</head>
<body>
<header>
<h1>Replication report: high-tech agglomeration × regional innovation</h1>
<p class="meta">Zhang Ke, “The two-way mechanism between industrial agglomeration and regional
innovation, and its test”: Tables 1–8 and Figures 1–5, rebuilt from the warehouse
<code>{{ warehouse }}</code>. Built {{ built_at }}.</p>
{% if simulated %}
<div class="simulated" id="simulated-note"><strong>Simulated data.</strong> {{ data_banner }}
The simulation's true parameters are the paper's coefficients, so agreement is partial by design: the summary shows the
agreement to expect beside the observed.</div>
{% endif %}
</header>
<nav><ul>
<li><a href="#summary">Summary</a></li><li><a href="#specification-choices">Specification choices</a></li>
<li><a href="#data">Data</a></li>
<li><a href="#figures">Figures 1–5</a></li>
{% for t in tables %}<li><a href="#table-{{ t.number }}">Table {{ t.number }}</a></li>{% endfor %}
{% if knowledge is defined and knowledge %}<li><a href="#knowledge-production">Knowledge production (real data)</a></li>{% endif %}
<li><a href="#diagnostics">Diagnostics</a></li><li><a href="#provenance">Provenance</a></li>
</ul></nav>

<section id="summary">
<h2>Summary: agreement with the published tables</h2>
<p>{{ n_files }} files loaded ({{ n_loads }} table-years); {{ dq_errors }} failed DQ error checks,
{{ dq_warnings }} failed DQ warning checks. Estimation run{{ 's' if runs|length > 1 }}
{{ runs|map(attribute='run_id')|join(', ') or 'none' }}: {{ n_fits }} reported fits,
{{ n_failed }} failed.</p>
<div class="scroll"><table id="agreement-summary">
{% set expect = summary and summary[0].expected_draws %}
<tr><th class="label">Table</th><th>coefficients compared</th><th>same sign</th>
{% if expect %}<th>same sign expected (demo design)</th>{% endif %}
<th>same stars</th>{% if expect %}<th>same stars expected (demo design)</th>{% endif %}
<th>not estimated</th><th>no published value</th></tr>
{% for s in summary %}
<tr><td class="label">{% if s.table == 'all' %}all{% else %}<a href="#table-{{ s.table }}">Table {{ s.table }}</a>{% endif %}</td>
<td>{{ s.compared }}</td><td>{{ s.same_sign }} ({{ pct(s.share_same_sign) }})</td>
{% if expect %}<td class="expected">{{ pct(s.expected_same_sign) }} ± {{ pct(s.sd_same_sign) }}</td>{% endif %}
<td>{{ s.same_stars }} ({{ pct(s.share_same_stars) }})</td>
{% if expect %}<td class="expected">{{ pct(s.expected_same_stars) }} ± {{ pct(s.sd_same_stars) }}</td>{% endif %}
<td>{{ s.not_estimated }}</td><td>{{ s.no_published }}</td></tr>
{% endfor %}
</table></div>
{% if expect %}<p id="expected-agreement" class="notes">Expected (demo design): the share of
coefficients whose sign / stars a correct estimator reproduces, mean ± sd over {{ expect }}
simulated draws of the demo's model (truth: the paper's coefficients), scored like the observed
columns; stored in <code>raw/demo/_truth/expected_agreement.csv</code> by
<code>{{ expected_command }}</code>. Observed agreement within about two sds of it is what the
design allows; far below it would point to the pipeline.</p>{% endif %}
</section>

<section id="specification-choices">
<h2>Specification choices</h2>
<p>{{ choices_intro }}</p>
<div class="scroll"><table id="choices-table" class="choices">
<tr><th class="label">choice</th><th class="label">applies to</th><th class="label">the paper</th><th class="label">ours</th><th class="label">why</th></tr>
{% for c in choices %}
<tr id="choice-{{ c.id }}"><td class="label">{{ c.topic }}</td><td class="label">{{ c.scope }}</td>
<td class="label">{% for q in c.paper %}<span class="line">{{ q.lines }}</span> <q lang="zh">{{ q.quote }}</q>{{ '<br>'|safe if not loop.last }}{% endfor %}</td>
<td class="label">{{ c.ours }}</td><td class="label">{{ c.why }}</td></tr>
{% endfor %}
</table></div>
</section>

<section id="data">
<h2>Data</h2>
<h3>Loaded yearbook files</h3>
<p>From <code>raw.load_log</code>, with the load gate's results (<code>raw.dq_results</code>):
number of checks run on each file and how many of severity error / warning failed.</p>
<div class="scroll tall"><table id="loads">
<tr><th class="label">table</th><th>years</th><th class="label">file</th><th class="label">SHA-256</th>
<th>rows</th><th>provinces</th><th>DQ checks</th><th>errors</th><th>warnings</th><th class="label">status</th></tr>
{% for r in loads %}
<tr><td class="label">{{ r.table_id }}</td><td>{{ r.first_year }}{% if r.last_year != r.first_year %}–{{ r.last_year }}{% endif %}</td><td class="label">{{ r.file_path }}</td>
<td class="label"><code title="{{ r.file_hash }}">{{ r.file_hash[:12] }}</code></td>
<td>{{ r.n_records }}</td><td>{{ r.n_provinces }}</td><td>{{ r.dq_checks }}</td>
<td>{{ r.dq_errors }}</td><td>{{ r.dq_warnings }}</td>
<td class="label">{% if r.dq_missing %}<span class="flag">no DQ results</span>{% elif r.dq_errors %}<span class="flag">errors</span>{% elif r.dq_warnings %}<span class="flag">warnings</span>{% else %}<span class="ok">passed</span>{% endif %}</td></tr>
{% endfor %}
</table></div>
{% if failed_checks %}
<h3>Failed data-quality checks</h3>
<div class="scroll tall"><table id="failed-checks">
<tr><th class="label">severity</th><th class="label">table</th><th>year</th><th class="label">check</th><th class="label">observed</th><th class="label">file</th></tr>
{% for r in failed_checks %}
<tr><td class="label">{{ r.severity }}</td><td class="label">{{ r.table_id }}</td><td>{{ r.data_year }}</td>
<td class="label">{{ r.expectation }}</td><td class="label">{{ r.observed }}</td><td class="label">{{ r.file_path }}</td></tr>
{% endfor %}
</table></div>
{% else %}
<p class="ok">Every data-quality check passed.</p>
{% endif %}
<h3>Panel coverage</h3>
{{ figure(coverage) }}
</section>

<section id="figures">
<h2>Figures 1–5: agglomeration and innovation</h2>
<p>Per industry: the paper's scatter of ln location quotient against ln innovation ratio (one point
per province and year, OLS line), and the provinces ranked in {{ year }}.</p>
{% for f in figures %}
<h3 id="figure-{{ f.industry }}">{{ f.scatter.title }}</h3>
<div class="figpair">{{ figure(f.scatter) }}{{ figure(f.bars) }}</div>
{% endfor %}
</section>

{% for t in tables %}
<section id="table-{{ t.number }}" class="paper-table">
<h2>{{ t.title }}</h2>
<p>Agreement: {{ t.summary.compared }} coefficients compared;
same sign {{ t.summary.same_sign }} ({{ pct(t.summary.share_same_sign) }}),
same stars {{ t.summary.same_stars }} ({{ pct(t.summary.share_same_stars) }}).</p>
<div class="scroll"><table id="table-{{ t.number }}-grid">
<tr><th class="label"></th>{% for h in t.heads %}<th colspan="3">{{ h }}</th>{% endfor %}</tr>
<tr><th class="label"></th>{% for h in t.heads %}<th>ours</th><th>paper</th><th>agreement</th>{% endfor %}</tr>
{% for row in t.rows %}
<tr class="{{ row.kind }}"><td class="label">{{ row.label }}</td>{% for c in row.cells %}<td class="{{ c.css }}">{{ c.text }}</td>{% endfor %}</tr>
{% endfor %}
</table></div>
<p class="notes">{{ t.legend }} {{ agreement_legend }} {{ colour_legend }}</p>
{% if t.notes %}<ul class="notes">{% for n in t.notes %}<li>{{ n }}</li>{% endfor %}</ul>{% endif %}
<p class="notes">Files: <a href="tables/table_{{ t.number }}.csv">table_{{ t.number }}.csv</a>,
<a href="tables/table_{{ t.number }}.tex">table_{{ t.number }}.tex</a></p>
</section>
{% endfor %}

{% if knowledge is defined and knowledge %}
<section id="knowledge-production">
<h2>Knowledge production (real data)</h2>
<p>ln patents granted on ln R&amp;D personnel (full-time equivalent) and ln R&amp;D expenditure, on
<code>marts.fct_innovation_indicators</code> (real yearbook files); spec
<code>estimation/specs/knowledge_production.yml</code>. Coefficients are elasticities; standard errors
in parentheses (FE: clustered by province; system GMM: Windmeijer-corrected);
* p &lt; 10%, ** p &lt; 5%, *** p &lt; 1%.</p>
{% for b in knowledge.blocks %}
<h3>{{ b.title }} (table {{ b.number }})</h3>
<div class="scroll"><table id="table-{{ b.number }}-grid">
<tr><th class="label"></th>{% for h in b.heads %}<th>{{ h }}</th>{% endfor %}</tr>
{% for row in b.rows %}
<tr class="{{ row.kind }}"><td class="label">{{ row.label }}</td>{% for c in row.cells %}<td>{{ c }}</td>{% endfor %}</tr>
{% endfor %}
</table></div>
{% if b.notes %}<ul class="notes">{% for n in b.notes %}<li>{{ n }}</li>{% endfor %}</ul>{% endif %}
{% endfor %}
</section>
{% endif %}

<section id="diagnostics">
<h2>Diagnostics</h2>
<p>Every reported fit. Flagged in red (✗): more instruments than groups; AR(2) p &lt; 0.05
(second-order serial correlation: the lagged instruments are invalid); Sargan / Hansen p &lt; 0.05
(the over-identifying restrictions are rejected). Hausman (FE vs RE): p &lt; 0.05 rejects random
effects, so fixed effects are preferred (FE), else random effects are consistent too (RE).</p>
<div class="scroll"><table id="diagnostics-table">
<tr><th>table</th><th class="label">column</th><th class="label">status</th><th>obs.</th><th>groups</th>
<th>instruments</th><th>AR(2) p</th><th>Sargan p</th><th>Hansen p</th><th>Hausman χ² (df)</th><th>Hausman p</th></tr>
{% for d in diagnostics %}
<tr><td>{{ d.table }}</td><td class="label">{{ d.column }}</td>
<td class="label">{% if d.status == 'ok' %}ok{% else %}<span class="flag">{{ d.status }}</span>{% endif %}</td>
<td>{{ num(d.nobs, 'd') }}</td><td>{{ num(d.groups, 'd') }}</td>
<td>{% if d.too_many_instruments %}<span class="flag">{{ num(d.instruments, 'd') }} &gt; {{ num(d.groups, 'd') }}</span>{% else %}{{ num(d.instruments, 'd') }}{% endif %}</td>
{% for test in ['ar2', 'sargan', 'hansen'] %}
<td>{% if d[test ~ '_rejects'] %}<span class="flag">{{ num(d[test ~ '_p'], '.3f') }} ✗</span>{% else %}{{ num(d[test ~ '_p'], '.3f') }}{% endif %}</td>
{% endfor %}
<td>{{ num(d.hausman_stat, '.2f') }}{% if num(d.hausman_stat, '.2f') and num(d.hausman_df, 'd') %} ({{ num(d.hausman_df, 'd') }}){% endif %}</td>
<td>{{ num(d.hausman_p, '.3f') }}{% if d.hausman_rejects %} <strong>(FE)</strong>{% elif num(d.hausman_p, '.3f') %} (RE){% endif %}</td></tr>
{% endfor %}
</table></div>
</section>

<footer id="provenance">
<h2>Provenance</h2>
<table id="provenance-table">
{% for r in runs %}
<tr><th class="label">run id</th><td class="label"><code>{{ r.run_id }}</code> (tables {{ r.tables|join(', ') }}, finished {{ r.finished_at }})</td></tr>
<tr><th class="label">spec hash</th><td class="label"><code>{{ r.spec_hash }}</code>{% if r.spec_hash != current_spec_hash %} <span class="flag">differs from the current spec ({{ current_spec_hash[:12] }}…): table layout follows the current spec</span>{% endif %}</td></tr>
<tr><th class="label">data hash</th><td class="label"><code>{{ r.data_hash }}</code></td></tr>
{% else %}
<tr><th class="label">run id</th><td class="label"><span class="flag">no estimation results in the warehouse</span></td></tr>
{% endfor %}
<tr><th class="label">package versions</th><td class="label">{% for k, v in versions.items() %}{{ k }} {{ v }}{{ ', ' if not loop.last }}{% endfor %}</td></tr>
<tr><th class="label">warehouse</th><td class="label"><code>{{ warehouse }}</code></td></tr>
<tr><th class="label">report built</th><td class="label">{{ built_at }} by agglo report</td></tr>
</table>
</footer>
</body>
</html>
"""

FIGURE = """<figure><img src="{{ f.file }}" width="{{ f.width }}" height="{{ f.height }}"
alt="{{ f.title }}"><figcaption>{{ f.caption }}</figcaption></figure>"""


def _missing(x: Any) -> bool:
    try:
        return x is None or bool(pd.isna(x))
    except (TypeError, ValueError):
        return False


def pct(x: Any) -> str:
    return "–" if _missing(x) else f"{x:.0%}"


def num(x: Any, fmt: str) -> str:
    if _missing(x):
        return ""
    try:
        return format(int(x) if fmt == "d" else float(x), fmt)
    except (TypeError, ValueError):
        return ""


def _env() -> jinja2.Environment:
    env = jinja2.Environment(autoescape=True, undefined=jinja2.StrictUndefined)
    figure = env.from_string(FIGURE)
    env.globals.update(
        pct=pct, num=num, css=Markup(CSS), figure=lambda f: Markup(figure.render(f=f))
    )
    return env


def render_page(context: dict[str, Any]) -> str:
    return _env().from_string(PAGE).render(**context)
