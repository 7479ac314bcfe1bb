// medtwin web view: log in with a token, find a patient, draw the
// timeline, trend charts, twins and variants. Every datum comes from
// /graphql; the selected patient is page state, never part of the URL.

import { gql, setToken, clearToken, AuthError, VIEWER, FIND_BY_IDENTIFIER, FIND_BY_ID, LIST, TIMELINE, TWINS, VARIANTS } from './gql.js';
import { timeline, chart, laneOf, fmtNum, fmtTime, DAY } from './svg.js';
import { Registry } from './prov.js';
import { loadAlgorithms, evaluate } from './ai.js';
import { h, clear } from './dom.js';

const $ = id => document.getElementById(id);

// state is everything the page knows; nothing of it leaves the page.
const state = {
  viewer: null, patient: null, events: [], byKey: new Map(),
  twins: null, variants: null, range: null, extent: null, prov: new Registry(),
  aiProv: new Registry(), loadSeq: 0,
};

const identified = () => state.viewer && state.viewer.role !== 'RESEARCHER';
const ms = t => (t === null || t === undefined ? null : Date.parse(t));

function show(id, on) { $(id).hidden = !on; }

function fail(where, err) {
  if (err instanceof AuthError) { logout('Your token was refused or has expired: log in again.'); return; }
  $(where).textContent = err.message;
}

// ---- login -----------------------------------------------------------

async function login(ev) {
  ev.preventDefault();
  const input = $('token');
  const tok = input.value.trim();
  input.value = '';
  $('login-error').textContent = '';
  if (!tok) return;
  setToken(tok);
  try {
    const d = await gql(VIEWER);
    state.viewer = d.viewer;
  } catch (err) {
    clearToken();
    $('login-error').textContent = err instanceof AuthError ? 'This token was refused.' : err.message;
    return;
  }
  $('viewer').textContent = `${state.viewer.name} · ${state.viewer.role.toLowerCase()}`;
  show('login', false); show('logout', true); show('search', true);
  $('search-ident').hidden = !identified();
  $('id-label').textContent = identified() ? 'Patient id' : 'Pseudonym (ps_…)';
  $('patient-id').focus();
  loadAlgorithms().catch(err => fail('ai-error', err));
}

function logout(msg = '') {
  clearToken();
  Object.assign(state, { viewer: null, patient: null, events: [], byKey: new Map(), twins: null, variants: null, range: null, extent: null, prov: new Registry() });
  state.loadSeq++;
  for (const id of ['timeline', 'lab-chart', 'liver', 'pneumonia', 'oncology', 'variants', 'patient-list', 'prov-body']) clear($(id));
  $('viewer').textContent = '';
  clear($('ai-result')); clear($('ai-algorithm'));
  state.aiProv = new Registry();
  show('ai', false); show('patient', false); show('search', false); show('logout', false); show('prov', false); show('login', true);
  $('login-error').textContent = msg;
  $('token').focus();
}

// ---- search ----------------------------------------------------------

async function findByIdentifier(ev) {
  ev.preventDefault();
  $('search-error').textContent = '';
  try {
    const d = await gql(FIND_BY_IDENTIFIER, { system: $('ident-system').value.trim(), value: $('ident-value').value.trim() });
    if (!d.patientByIdentifier) { $('search-error').textContent = 'No patient has this identifier.'; return; }
    await openPatient(d.patientByIdentifier.id);
  } catch (err) { fail('search-error', err); }
}

async function findById(ev) {
  ev.preventDefault();
  $('search-error').textContent = '';
  try {
    const d = await gql(FIND_BY_ID, { id: $('patient-id').value.trim() });
    if (!d.patient) { $('search-error').textContent = 'No such patient.'; return; }
    await openPatient(d.patient.id);
  } catch (err) { fail('search-error', err); }
}

async function listPatients(ev) {
  ev.preventDefault();
  $('search-error').textContent = '';
  const list = $('patient-list');
  clear(list);
  const code = $('list-code').value.trim();
  try {
    const d = await gql(LIST, { codes: code ? [code] : null });
    const c = d.patients;
    for (const e of c.edges) {
      const p = e.node;
      const b = h('button', { type: 'button', 'data-patient': p.id }, `${p.id}`);
      b.addEventListener('click', () => openPatient(p.id).catch(err => fail('search-error', err)));
      list.append(h('li', {}, b, ` ${(p.sex || '').toLowerCase()} ${p.birthDate ? 'born ' + p.birthDate : ''}`));
    }
    if (c.totalCount > c.edges.length) list.append(h('li', { class: 'hint' }, `first ${c.edges.length} of ${c.totalCount}: narrow the code`));
    if (!c.edges.length) list.append(h('li', { class: 'empty' }, 'No patient matches.'));
  } catch (err) { fail('search-error', err); }
}

// ---- loading a patient ------------------------------------------------

async function openPatient(id) {
  const seq = ++state.loadSeq;
  Object.assign(state, { patient: null, events: [], byKey: new Map(), twins: null, variants: null, range: null, extent: null, prov: new Registry() });
  for (const n of ['timeline', 'lab-chart', 'liver', 'pneumonia', 'oncology', 'variants']) clear($(n));
  show('prov', false);
  show('patient', true);
  $('patient-title').textContent = 'Loading…';
  $('patient-facts').textContent = '';
  $('patient-status').textContent = '';
  document.body.dataset.loaded = '';
  // The three reads go out together; the timeline pages follow each other.
  const twins = gql(TWINS, { id }).catch(err => err);
  const variants = gql(VARIANTS, { id }).catch(err => err);
  let after = null, first = true;
  try {
    for (; ;) {
      const d = await gql(TIMELINE, { id, after, first, identified: identified() });
      if (seq !== state.loadSeq) return;
      if (!d.patient) throw new Error('No such patient.');
      if (first) { state.patient = d.patient; renderHeader(); }
      for (const e of d.patient.timeline.edges) addEvent(e.node);
      $('patient-status').textContent = `${state.events.length} of ${d.patient.timeline.totalCount} events`;
      const pi = d.patient.timeline.pageInfo;
      if (!pi.hasNextPage) break;
      after = pi.endCursor; first = false;
    }
  } catch (err) { fail('patient-status', err); return; }
  // The extent covers what the lanes draw (a birth date would squash it).
  const ts = state.events.filter(e => laneOf(e.kind)).flatMap(e => [e.t, e.end]).filter(t => t !== null);
  if (ts.length) {
    const lo = Math.min(...ts), hi = Math.max(...ts), pad = Math.max((hi - lo) * 0.02, 30 * DAY);
    state.extent = [lo - pad, hi + pad];
  } else {
    state.extent = [Date.now() - 365 * DAY, Date.now()];
  }
  state.range = state.extent.slice();
  renderTimeline();
  renderLabSelect();
  renderLab();
  const tw = await twins;
  if (seq !== state.loadSeq) return;
  if (tw instanceof Error) fail('patient-status', tw); else { state.twins = tw.patient; }
  const va = await variants;
  if (seq !== state.loadSeq) return;
  if (va instanceof Error) fail('patient-status', va); else { state.variants = va.patient.variants; }
  renderTwins();
  renderVariants();
  document.body.dataset.loaded = 'patient';
}

function addEvent(n) {
  const e = {
    t: ms(n.time), end: ms(n.endTime), kind: n.kind, code: n.code, name: n.displayName || n.code,
    value: n.value, unit: n.unit, text: n.text, n,
  };
  const valueText = n.value !== null ? ` ${fmtNum(n.value)}${n.unit ? ' ' + n.unit : ''}` : (n.text ? ` ${n.text}` : '');
  e.label = `${e.name}${valueText} — ${fmtTime(e.t)}${e.end ? ' to ' + fmtTime(e.end) : ''}`;
  e.prov = state.prov.add({
    title: e.name,
    rows: [['kind', n.kind.toLowerCase()], ['code', n.code], ['value', valueText.trim()], ['time', fmtTime(e.t)],
      ['end', e.end ? fmtTime(e.end) : null], ['available', n.availableAt ? fmtTime(ms(n.availableAt)) : null],
      ['source', n.provenance.source ?? 'withheld (pseudonymised view)'], ['record key', n.provenance.recordKey],
      ['source version', n.provenance.sourceVersion], ['ingested', fmtTime(ms(n.recordedAt))]],
  });
  state.events.push(e);
  state.byKey.set(n.provenance.recordKey, e);
}

function renderHeader() {
  const p = state.patient;
  $('patient-title').textContent = `Patient ${p.id}${p.pseudonymised ? ' (pseudonymised)' : ''}`;
  const facts = [];
  if (p.sex) facts.push(p.sex.toLowerCase());
  if (p.birthDate) facts.push('born ' + p.birthDate);
  if (p.deceased) facts.push('deceased' + (p.deceasedAt ? ' ' + fmtTime(ms(p.deceasedAt)) : ''));
  if (p.identifiers) facts.push(p.identifiers.edges.map(e => `${e.node.system}|${e.node.value}`).join(', '));
  $('patient-facts').textContent = facts.join(' · ');
}

// ---- timeline and zoom -----------------------------------------------

function setRange(a, b) {
  if (!state.extent) return;
  const [lo, hi] = state.extent;
  a = Math.max(a, lo - 365 * DAY); b = Math.min(b, hi + 365 * DAY);
  if (b - a < DAY) { const m = (a + b) / 2; a = m - DAY / 2; b = m + DAY / 2; }
  state.range = [a, b];
  renderTimeline();
  renderLab();
  renderTwins();
}

function renderTimeline() {
  const box = $('timeline');
  clear(box);
  const [t0, t1] = state.range;
  box.append(timeline(state.events, t0, t1, setRange));
  $('zoom-from').value = new Date(t0).toISOString().slice(0, 10);
  $('zoom-to').value = new Date(t1).toISOString().slice(0, 10);
}

function zoomBy(f) {
  const [a, b] = state.range, m = (a + b) / 2, half = (b - a) / 2 * f;
  setRange(m - half, m + half);
}

// rangeOpts gives a chart the zoomed time range, or none when showing all.
function rangeOpts() {
  if (!state.range || !state.extent || (state.range[0] === state.extent[0] && state.range[1] === state.extent[1])) return {};
  return { t0: state.range[0], t1: state.range[1] };
}

// ---- lab trends --------------------------------------------------------

function labSeries() {
  const m = new Map();
  for (const e of state.events) {
    if ((e.kind !== 'LAB' && e.kind !== 'TUMOR_MARKER') || e.value === null || e.t === null) continue;
    if (!m.has(e.code)) m.set(e.code, { code: e.code, name: e.name, unit: e.unit, events: [] });
    m.get(e.code).events.push(e);
  }
  return [...m.values()].sort((a, b) => b.events.length - a.events.length || a.name.localeCompare(b.name));
}

function renderLabSelect() {
  const sel = $('lab-code');
  clear(sel);
  for (const s of labSeries()) sel.append(h('option', { value: s.code }, `${s.name} (${s.events.length})`));
}

function renderLab() {
  const box = $('lab-chart');
  clear(box);
  const code = $('lab-code').value;
  const s = labSeries().find(x => x.code === code);
  if (!s) { box.append(h('p', { class: 'empty' }, 'No numeric laboratory results.')); return; }
  box.append(h('p', { class: 'hint' }, `${s.code}${s.unit ? ' · unit ' + s.unit : ''} · reference ranges are not carried by the API yet`));
  box.append(chart({ id: 'lab', title: s.name, unit: s.unit, fromZero: false, ...rangeOpts(),
    series: [{ name: s.name, points: s.events.map(e => ({ t: e.t, v: e.value, prov: e.prov })) }] }));
}

// ---- twins -------------------------------------------------------------

// inputsProv registers a computed value with the inputs (events) it read.
function inputsProv(titleText, rows, inputs) {
  const refs = (inputs || []).map(i => ({
    label: `${i.concept || i.code} ${fmtNum(i.value)}${i.unit ? ' ' + i.unit : ''} — ${fmtTime(ms(i.time))}`, ref: i.eventRef,
  }));
  return state.prov.add({ title: titleText, rows, refs });
}

function refProv(titleText, rows, refs) {
  return state.prov.add({ title: titleText, rows, refs: refs.filter(Boolean).map(r => ({ label: '', ref: r })) });
}

// Cut-offs: FIB-4 NAFLD 1.30 / 2.67 (Shah 2009; REFERENCE.md §7), APRI
// 0.5 / 1.5 significant fibrosis (Wai 2003; REFERENCE.md §7), MELD-Na the
// mortality strata 10 / 20 / 30 / 40 the liver twin categorises by
// (Wiesner 2003; twin/liver.MELDCategory), CT liver 40 HU moderate–severe
// and 48 HU ≥30 % fat on unenhanced CT (Boyce 2010, Pickhardt 2012;
// REFERENCE.md §6).
const SCORE_CHARTS = [
  { name: 'FIB-4', id: 'fib4', cutoffs: [{ v: 1.3, label: '1.30', title: 'FIB-4 1.30: advanced fibrosis unlikely below (NAFLD, Shah 2009)' },
    { v: 2.67, label: '2.67', title: 'FIB-4 2.67: advanced fibrosis likely above (NAFLD, Shah 2009)' }] },
  { name: 'APRI', id: 'apri', cutoffs: [{ v: 0.5, label: '0.5', title: 'APRI 0.5: significant fibrosis unlikely at or below (Wai 2003)' },
    { v: 1.5, label: '1.5', title: 'APRI 1.5: significant fibrosis likely above (Wai 2003)' }] },
  { name: 'MELD-Na', id: 'meldna', cutoffs: [10, 20, 30, 40].map(v => ({ v, label: String(v), soft: v > 10, title: `MELD-Na ${v}: 3-month mortality stratum boundary (Wiesner 2003)` })) },
];

function box(titleText, ...content) {
  return h('div', { class: 'chart-box' }, h('h4', {}, titleText), ...content);
}

function renderTwins() {
  for (const n of ['liver', 'pneumonia', 'oncology']) clear($(n));
  const p = state.twins;
  if (!p) return;
  renderLiver(p.liverTwin);
  renderPneumonia(p.pneumoniaEpisodes.edges.map(e => e.node));
  renderOncology(p.oncologyTwin);
}

function renderLiver(lt) {
  const out = h('div', { class: 'charts' });
  const byName = new Map(lt.scores.edges.map(e => [e.node.name, e.node]));
  for (const sc of SCORE_CHARTS) {
    const s = byName.get(sc.name);
    const pts = s ? s.points.edges.map(e => e.node).filter(p => p.computable && p.value !== null) : [];
    if (!pts.length) {
      const why = s && s.points.edges.length ? s.points.edges[s.points.edges.length - 1].node.notComputable : null;
      out.append(box(sc.name, h('p', { class: 'empty', 'data-chart': sc.id }, 'Not computable' + (why ? ': ' + why : ' (no inputs).'))));
      continue;
    }
    const unit = pts[0].unit || '';
    out.append(box(sc.name, chart({ id: sc.id, title: sc.name, unit, cutoffs: sc.cutoffs, ...rangeOpts(),
      series: [{ name: sc.name, points: pts.map(p => ({ t: ms(p.time), v: p.value, label: p.category,
        prov: inputsProv(`${sc.name} ${fmtNum(p.value)}`, [['time', fmtTime(ms(p.time))], ['category', p.category], ['formula', p.formulaVersion]], p.inputs) })) }] })));
  }
  const att = lt.imaging.attenuation.edges.map(e => e.node);
  if (att.length) {
    out.append(box('CT liver attenuation', chart({ id: 'ct-liver', title: 'CT liver attenuation', unit: 'HU', fromZero: false, ...rangeOpts(),
      cutoffs: [{ v: 40, label: '40', title: '≤40 HU moderate–severe steatosis on unenhanced CT (Boyce 2010)' },
        { v: 48, label: '48', title: '<48 HU: ≥30 % fat on unenhanced CT (Pickhardt 2012)' }],
      series: [{ name: 'liver HU', points: att.map(a => ({ t: ms(a.time), v: a.liverHU, open: a.contrast !== 'none',
        label: a.steatosis || a.excluded || a.contrast,
        prov: inputsProv(`CT liver ${fmtNum(a.liverHU)} HU`, [['time', fmtTime(ms(a.time))], ['contrast', a.contrast], ['steatosis', a.steatosis],
          ['basis', a.basis], ['not categorised', a.excluded], ['study', a.study]], a.inputs) })) }] }),
    h('p', { class: 'hint' }, 'Open circles: contrast-enhanced scans (thresholds apply to unenhanced CT only).')));
  } else {
    out.append(box('CT liver attenuation', h('p', { class: 'empty', 'data-chart': 'ct-liver' }, 'No CT liver attenuation measured.')));
  }
  $('liver').append(out);
}

const CRP = 'LOINC//1988-5', WBC = 'LOINC//6690-2';

function renderPneumonia(eps) {
  const out = $('pneumonia');
  if (!eps.length) { out.append(h('p', { class: 'empty' }, 'No pneumonia episode.')); return; }
  eps.forEach((ep, i) => {
    const start = ms(ep.start), end = ep.end ? ms(ep.end) : start + 30 * DAY;
    const t0 = start - 2 * DAY, t1 = end + 2 * DAY;
    const inEp = code => state.events.filter(e => e.code === code && e.t !== null && e.value !== null && e.t >= t0 && e.t <= t1)
      .map(e => ({ t: e.t, v: e.value, prov: e.prov }));
    const unitOf = code => (state.events.find(e => e.code === code) || {}).unit || '';
    const row = h('div', { class: 'charts' });
    const c = ep.curb65;
    row.append(h('p', {}, `Episode ${i + 1}: ${fmtTime(start)} – ${ep.end ? fmtTime(end) : 'open'} · CURB-65 `,
      numButton(c.value, inputsProv(`CURB-65 ${c.computable ? fmtNum(c.value) : ''}`, [['category', c.category], ['formula', c.formulaVersion], ['not computable', c.notComputable]], c.inputs))));
    row.append(box('CRP', chart({ id: `crp-${i}`, title: 'CRP', unit: unitOf(CRP), t0, t1, series: [{ name: 'CRP', points: inEp(CRP) }] })));
    row.append(box('WBC', chart({ id: `wbc-${i}`, title: 'WBC', unit: unitOf(WBC), t0, t1, series: [{ name: 'WBC', points: inEp(WBC) }] })));
    const cts = ep.ct.edges.map(e => e.node);
    row.append(box('CT lung involvement', chart({ id: `lung-${i}`, title: 'CT lung involvement', unit: '%', t0, t1,
      series: [{ name: 'involvement', points: cts.filter(c => c.involvementPct !== null).map(c => ({ t: ms(c.time), v: c.involvementPct, label: c.severity,
        prov: inputsProv(`lung involvement ${fmtNum(c.involvementPct)} %`, [['time', fmtTime(ms(c.time))], ['GGO', fmtNum(c.ggoPct) + ' %'],
          ['consolidation', fmtNum(c.consolidationPct) + ' %'], ['severity', c.severity], ['study', c.study]], c.inputs) })) }] })));
    out.append(row);
  });
}

function renderOncology(ot) {
  const out = $('oncology');
  const courses = ot.courses.edges.map(e => e.node);
  const lines = ot.lines.edges.map(e => e.node);
  if (!courses.length && !lines.length) { out.append(h('p', { class: 'empty' }, 'No response assessment or therapy line.')); return; }
  const bands = lines.map(l => ({ from: ms(l.start), to: l.end ? ms(l.end) : null, label: `line ${l.number}`,
    title: `line ${l.number}: ${l.agents.join(', ')} (${l.reason})`,
    prov: refProv(`therapy line ${l.number}`, [['agents', l.agents.join(', ')], ['start', fmtTime(ms(l.start))], ['end', l.end ? fmtTime(ms(l.end)) : 'ongoing']], l.eventRefs) }));
  const wrap = h('div', { class: 'charts' });
  for (const c of courses) {
    const pts = c.timePoints.edges.map(e => e.node).filter(tp => tp.sumMm !== null);
    const id = `recist-${c.criteria.replace(/[^A-Za-z0-9]/g, '').toLowerCase()}-${c.line}`;
    wrap.append(box(`${c.criteria}, line ${c.line}${c.current ? ' (current)' : ''}${c.bestOverall ? ' · best ' + c.bestOverall : ''}`,
      pts.length ? chart({ id, title: `Sum of diameters, ${c.criteria} line ${c.line}`, unit: 'mm', bands, labelPoints: true, ...rangeOpts(),
        series: [{ name: 'sum of diameters', points: pts.map(tp => ({ t: ms(tp.time), v: tp.sumMm, label: tp.overall,
          prov: state.prov.add({ title: `${c.criteria} ${tp.overall}: sum ${fmtNum(tp.sumMm)} mm`,
            rows: [['time', fmtTime(ms(tp.time))], ['from baseline', tp.pctFromBaseline !== null ? fmtNum(tp.pctFromBaseline) + ' %' : null], ['reason', tp.reason]],
            refs: tp.measurements.map(m => ({ label: `${m.role} ${m.organ || ''} ${m.valueMm !== null ? fmtNum(m.valueMm) + ' mm' : ''}`, ref: m.eventRef })) }) })) }] })
        : h('p', { class: 'empty' }, c.notComputable || 'No measured assessment.')));
  }
  out.append(wrap);
}

// ---- variants ------------------------------------------------------------

function numButton(v, prov) {
  const b = h('button', { type: 'button', class: 'num', 'data-prov': prov }, v === null || v === undefined ? '—' : fmtNum(v));
  return b;
}

function renderVariants() {
  const out = $('variants');
  clear(out);
  const v = state.variants;
  if (!v || !v.edges.length) { out.append(h('p', { class: 'empty' }, 'No variants.')); return; }
  const tbl = h('table', { id: 'variant-table' });
  tbl.append(h('thead', {}, h('tr', {}, ...['Gene', 'HGVS', 'Locus', 'Zygosity / AF', 'Origin', 'Consequence', 'Significance', 'Time'].map(s => h('th', {}, s)))));
  const body = h('tbody');
  for (const { node: n } of v.edges) {
    const ev = state.byKey.get(n.recordKey);
    const prov = state.prov.add({ title: `${n.gene || ''} ${n.hgvsp || n.hgvsc || ''}`.trim() || n.code,
      rows: [['code', n.code], ['genotype', n.genotype], ['depth', n.depth], ['alt depth', n.altDepth], ['sample', n.sample],
        ['transcript', n.transcript], ['source', ev ? ev.n.provenance.source : null], ['record key', n.recordKey]] });
    const zyg = n.alleleFraction !== null ? h('span', {}, 'AF ', numButton(n.alleleFraction, prov)) : h('span', {}, n.zygosity || '');
    body.append(h('tr', { 'data-prov': prov },
      h('td', {}, n.gene || ''), h('td', {}, [n.hgvsc, n.hgvsp].filter(Boolean).join(' ')),
      h('td', {}, `${n.chrom}:${n.pos} ${n.ref}>${n.alt}${n.rsid ? ' ' + n.rsid : ''}`), h('td', {}, zyg),
      h('td', {}, n.origin || ''), h('td', {}, n.consequence || ''), h('td', {}, n.clinicalSignificance || ''),
      h('td', {}, n.time ? fmtTime(ms(n.time)) : 'static')));
  }
  tbl.append(body);
  out.append(tbl);
  if (v.totalCount > v.edges.length) out.append(h('p', { class: 'hint' }, `first ${v.edges.length} of ${v.totalCount}`));
}

// ---- provenance panel ----------------------------------------------------

function showProv(target, registry = state.prov) {
  const idx = target.closest('[data-prov]')?.getAttribute('data-prov');
  if (idx === undefined || idx === null || idx === '') return;
  const p = registry.get(+idx);
  if (!p) return;
  const body = $('prov-body');
  clear(body);
  body.append(h('h4', {}, p.title));
  const dl = h('dl');
  for (const [k, v] of p.rows) {
    if (v === null || v === undefined || v === '') continue;
    dl.append(h('dt', {}, k), h('dd', {}, String(v)));
  }
  body.append(dl);
  if (p.refs && p.refs.length) {
    body.append(h('h4', {}, 'Computed from'));
    const ul = h('ul', { class: 'refs' });
    for (const r of p.refs) {
      const at = r.ref.lastIndexOf('@');
      const key = at >= 0 ? r.ref.slice(at + 1) : r.ref;
      const src = at >= 0 ? r.ref.slice(0, at) : null;
      const ev = state.byKey.get(key);
      const li = h('li', {}, r.label || (ev ? ev.label : ''));
      li.append(h('br'), h('span', { class: 'hint' }, `source ${src ?? (ev && ev.n.provenance.source) ?? 'withheld'} · record ${key}`));
      ul.append(li);
    }
    body.append(ul);
  }
  show('prov', true);
}

// ---- wiring --------------------------------------------------------------

function init() {
  $('login-form').addEventListener('submit', login);
  $('logout').addEventListener('click', () => logout());
  $('search-ident').addEventListener('submit', findByIdentifier);
  $('search-id').addEventListener('submit', findById);
  $('search-list').addEventListener('submit', listPatients);
  $('zoom').addEventListener('submit', ev => {
    ev.preventDefault();
    const a = Date.parse($('zoom-from').value), b = Date.parse($('zoom-to').value);
    if (Number.isFinite(a) && Number.isFinite(b) && b > a) setRange(a, b + DAY);
  });
  $('zoom-in').addEventListener('click', () => zoomBy(0.5));
  $('zoom-out').addEventListener('click', () => zoomBy(2));
  $('zoom-reset').addEventListener('click', () => state.extent && setRange(...state.extent));
  $('lab-code').addEventListener('change', renderLab);
  $('prov-close').addEventListener('click', () => show('prov', false));
  $('ai-form').addEventListener('submit', ev => {
    ev.preventDefault();
    state.aiProv = new Registry();
    evaluate(p => state.aiProv.add(p)).catch(err => fail('ai-error', err));
  });
  $('patient').addEventListener('click', ev => showProv(ev.target));
  $('ai').addEventListener('click', ev => showProv(ev.target, state.aiProv));
  $('ai').addEventListener('keydown', ev => { if (ev.key === 'Enter') showProv(ev.target, state.aiProv); });
  $('patient').addEventListener('keydown', ev => { if (ev.key === 'Enter') showProv(ev.target); });
  document.body.dataset.ready = 'true';
}

init();
