// The imaging AI evaluation page: per quantity a tool outputs, its
// Bland–Altman plot (tool − radiologist against their mean, with the bias
// and the 95 % limits of agreement) and the bias per calendar month with
// its limits and the tool's versions shaded. Figures come from the
// GraphQL aiEvaluation field (package evaluation); every point links to
// the two events it pairs.

import { gql, AI_ALGORITHMS, AI_EVALUATION } from './gql.js';
import { chart, scatter, fmtNum, fmtTime } from './svg.js';
import { h, clear } from './dom.js';

const $ = id => document.getElementById(id);



const ms = t => (t === null || t === undefined ? null : Date.parse(t));
const monthStart = v => Date.parse(v + '-01T00:00:00Z');
const ci = i => (i && i.lower !== null && i.upper !== null ? ` (95 % CI ${fmtNum(i.lower)} to ${fmtNum(i.upper)})` : '');

// loadAlgorithms fills the tool list; the section stays hidden when the
// store holds no AI output.
export async function loadAlgorithms() {
  const sel = $('ai-algorithm');
  clear(sel);
  const d = await gql(AI_ALGORITHMS);
  for (const a of d.aiAlgorithms) {
    sel.append(h('option', { value: JSON.stringify([a.algorithm, a.version]) },
      `${a.algorithm}${a.version ? ' ' + a.version : ' (all versions)'} — ${a.outputs} outputs`));
  }
  // Each tool as a whole as well, to see its versions side by side.
  const names = [...new Set(d.aiAlgorithms.map(a => a.algorithm))];
  for (const n of names) {
    if (d.aiAlgorithms.filter(a => a.algorithm === n).length > 1) {
      sel.append(h('option', { value: JSON.stringify([n, null]) }, `${n}, every version`));
    }
  }
  $('ai').hidden = d.aiAlgorithms.length === 0;
}

// evaluate draws the evaluation of the selected tool; register(p) stores a
// provenance record and returns its index.
export async function evaluate(register) {
  const out = $('ai-result');
  clear(out);
  $('ai-error').textContent = '';
  document.body.dataset.ai = '';
  const [algorithm, version] = JSON.parse($('ai-algorithm').value);
  const d = await gql(AI_EVALUATION, { algorithm, version: version || null });
  const ev = d.aiEvaluation;
  out.append(h('p', {}, `${ev.algorithm}${ev.version ? ' ' + ev.version : ''}: ${ev.subjects} patients, ${ev.studies} studies. Reference: ${ev.reference}.`));
  const pairs = ev.pairs.edges.map(e => e.node);
  if (ev.pairs.totalCount > pairs.length) out.append(h('p', { class: 'hint' }, `Bland–Altman plots show the first ${pairs.length} of ${ev.pairs.totalCount} pairs; the figures use all.`));
  const versionBands = ev.versions.filter(v => v.first).map(v => ({ from: ms(v.first), to: ms(v.last), label: v.version || 'no version',
    title: `version ${v.version}: ${v.outputs} outputs, ${fmtTime(ms(v.first))} to ${fmtTime(ms(v.last))}` }));
  ev.quantities.forEach((q, qi) => {
    const box = h('div', { class: 'ai-quantity', 'data-quantity': q.quantity });
    box.append(h('h3', {}, `${q.quantity}${q.unit ? ' (' + q.unit + ')' : ''}`));
    const ba = q.overall.blandAltman;
    const facts = [`${q.pairing.paired} paired of ${q.pairing.outputs} outputs (${q.pairing.aiOnly} without a radiologist value; ${q.pairing.referenceOnly} radiologist values the tool did not match)`];
    if (ba && ba.bias !== null) {
      facts.push(`bias ${fmtNum(ba.bias)}${ci(ba.biasCI)}, limits of agreement ${fmtNum(ba.lower)} to ${fmtNum(ba.upper)}`);
    } else if (q.overall.notComputable) {
      facts.push(q.overall.notComputable);
    }
    if (q.overall.icc21 && q.overall.icc21.value !== null) facts.push(`ICC(2,1) ${fmtNum(q.overall.icc21.value)}${ci(q.overall.icc21.ci)}`);
    if (q.overall.errors && q.overall.errors.mae !== null) facts.push(`MAE ${fmtNum(q.overall.errors.mae)}, RMSE ${fmtNum(q.overall.errors.rmse)}`);
    if (q.drift && q.drift.flagged) facts.push(`drift: the mean difference shifted ${q.drift.shiftAt ? 'at ' + fmtTime(ms(q.drift.shiftAt)) : ''}${q.drift.coincides ? ' (with ' + q.drift.coincides + ')' : ''}`);
    for (const c of q.changePoints) {
      facts.push(`${c.dimension} ${c.from} → ${c.to}${c.at ? ' (' + fmtTime(ms(c.at)) + ')' : ''}: bias change ${fmtNum(c.bias.diff)}, p ${fmtNum(c.bias.p)}${c.flagged ? ' — flagged' : ''}`);
    }
    box.append(h('ul', {}, ...facts.map(f => h('li', {}, f))));
    const row = h('div', { class: 'charts' });
    const qp = pairs.filter(p => p.quantity === q.quantity && p.ai !== null && p.reference !== null);
    const lines = ba && ba.bias !== null ? [
      { name: 'bias', v: ba.bias, label: 'bias ' + fmtNum(ba.bias), cls: 'ba-bias', title: 'mean difference' + ci(ba.biasCI) },
      { name: 'upper', v: ba.upper, label: '+1.96 SD ' + fmtNum(ba.upper), title: 'upper limit of agreement' + ci(ba.upperCI) },
      { name: 'lower', v: ba.lower, label: '−1.96 SD ' + fmtNum(ba.lower), title: 'lower limit of agreement' + ci(ba.lowerCI) },
    ] : [];
    row.append(h('div', { class: 'chart-box' }, h('h4', {}, 'Bland–Altman'), scatter({
      id: `ba-${qi}`, title: `Bland–Altman, ${q.quantity}`, xLabel: `mean of tool and radiologist${q.unit ? ' (' + q.unit + ')' : ''}`,
      yLabel: `tool − radiologist${q.unit ? ' (' + q.unit + ')' : ''}`, lines,
      points: qp.map(p => ({ x: (p.ai + p.reference) / 2, y: p.difference,
        label: `${fmtTime(ms(p.time))}: tool ${fmtNum(p.ai)}, radiologist ${fmtNum(p.reference)} (version ${p.version || '—'})`,
        prov: register({ title: `${q.quantity}: tool ${fmtNum(p.ai)} vs radiologist ${fmtNum(p.reference)}`,
          rows: [['patient', p.patientId + (p.pseudonymised ? ' (pseudonym)' : '')], ['study', p.study], ['time', fmtTime(ms(p.time))],
            ['finding', p.finding], ['version', p.version], ['site', p.site], ['difference', fmtNum(p.difference)],
            ['radiologist readings', p.references]],
          refs: [p.aiRef, p.referenceRef].filter(Boolean).map((r, i) => ({ label: i === 0 && p.aiRef ? 'tool output' : 'radiologist value', ref: r })) }) })),
    })));
    const months = q.byMonth.filter(m => m.agreement.blandAltman && m.agreement.blandAltman.bias !== null);
    const monthPts = key => months.filter(m => m.agreement.blandAltman[key] !== null).map(m => ({ t: monthStart(m.value), v: m.agreement.blandAltman[key],
      label: `${m.value}: ${m.agreement.n} pairs`,
      prov: register({ title: `${q.quantity}, ${m.value}`, rows: [['pairs', m.agreement.n], ['bias', fmtNum(m.agreement.blandAltman.bias) + ci(m.agreement.blandAltman.biasCI)],
        ['limits of agreement', `${fmtNum(m.agreement.blandAltman.lower)} to ${fmtNum(m.agreement.blandAltman.upper)}`]] }) }));
    row.append(h('div', { class: 'chart-box' }, h('h4', {}, 'Bias per month'), months.length
      ? chart({ id: `month-${qi}`, title: `Bias per month, ${q.quantity}`, unit: q.unit, fromZero: false, bands: versionBands,
        cutoffs: [{ v: 0, label: '0', title: 'no difference' }],
        series: [{ name: 'bias', points: monthPts('bias') }, { name: 'upper limit', points: monthPts('upper') }, { name: 'lower limit', points: monthPts('lower') }] })
      : h('p', { class: 'empty' }, 'Too few pairs in any month.')));
    box.append(row);
    out.append(box);
  });
  if (ev.notes.length) out.append(h('ul', { class: 'hint' }, ...ev.notes.map(n => h('li', {}, n))));
  document.body.dataset.ai = 'done';
}
