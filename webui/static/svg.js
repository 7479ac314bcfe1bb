// SVG drawing of the web view: a time axis, the lane timeline and a line
// chart with cut-offs, bands and labelled points. Every drawn datum carries
// data-prov, the index of its provenance record in the registry the caller
// passes (see prov.js), and data-t / data-v with its time and value.

const NS = 'http://www.w3.org/2000/svg';

export function el(name, attrs = {}, ...children) {
  const e = document.createElementNS(NS, name);
  for (const [k, v] of Object.entries(attrs)) {
    if (v !== undefined && v !== null) e.setAttribute(k, String(v));
  }
  for (const c of children) e.append(c);
  return e;
}

function text(x, y, s, attrs = {}) { return el('text', { x, y, ...attrs }, String(s)); }
function title(s) { return el('title', {}, s); }

// A linear scale from [d0, d1] to [r0, r1].
export function scale(d0, d1, r0, r1) {
  const span = d1 - d0 || 1;
  const f = v => r0 + (v - d0) / span * (r1 - r0);
  f.domain = [d0, d1];
  return f;
}

export const DAY = 86400000;

// timeTicks returns about n round tick times in [t0, t1] and a formatter.
function timeTicks(t0, t1, n) {
  const span = t1 - t0;
  const steps = [[DAY, 'day'], [7 * DAY, 'day'], [30 * DAY, 'month'], [91 * DAY, 'month'],
    [182 * DAY, 'month'], [365 * DAY, 'year'], [2 * 365 * DAY, 'year'], [5 * 365 * DAY, 'year'], [10 * 365 * DAY, 'year']];
  let [step, unit] = steps[steps.length - 1];
  for (const s of steps) { if (span / s[0] <= n) { [step, unit] = s; break; } }
  const fmt = t => {
    const d = new Date(t);
    if (unit === 'year') return String(d.getUTCFullYear());
    if (unit === 'month') return d.toISOString().slice(0, 7);
    return d.toISOString().slice(0, 10);
  };
  const ticks = [];
  const d = new Date(t0);
  let start;
  if (unit === 'year') {
    const years = Math.round(step / (365 * DAY));
    start = Date.UTC(Math.ceil(d.getUTCFullYear() / years) * years, 0, 1);
    for (let y = new Date(start).getUTCFullYear(); ; y += years) {
      const t = Date.UTC(y, 0, 1);
      if (t > t1) break;
      if (t >= t0) ticks.push(t);
    }
  } else if (unit === 'month') {
    const months = Math.round(step / (30 * DAY));
    let y = d.getUTCFullYear(), m = d.getUTCMonth() + 1;
    for (; ;) {
      if (m >= 12) { y += Math.floor(m / 12); m %= 12; }
      const t = Date.UTC(y, m, 1);
      if (t > t1) break;
      if (m % months === 0 && t >= t0) ticks.push(t);
      m++;
    }
  } else {
    for (let t = Math.ceil(t0 / step) * step; t <= t1; t += step) ticks.push(t);
  }
  return { ticks, fmt };
}

function niceTicks(v0, v1, n) {
  const span = v1 - v0 || 1;
  const raw = span / n;
  const mag = Math.pow(10, Math.floor(Math.log10(raw)));
  const step = [1, 2, 5, 10].map(m => m * mag).find(s => span / s <= n) || 10 * mag;
  const out = [];
  for (let v = Math.ceil(v0 / step) * step; v <= v1 + step * 1e-9; v += step) out.push(+v.toFixed(10));
  return out;
}

export function fmtNum(v) {
  if (v === null || v === undefined || Number.isNaN(v)) return '';
  const a = Math.abs(v);
  if (a !== 0 && (a >= 1e5 || a < 1e-3)) return v.toExponential(2);
  return String(+v.toPrecision(4));
}

export function fmtTime(t) {
  if (t === null || t === undefined) return 'no time';
  return new Date(t).toISOString().replace('T', ' ').replace(/:00\.000Z$|\.000Z$/, '').replace(/ 00:00$/, '');
}

function xAxis(g, x, y, t0, t1, height) {
  const { ticks, fmt } = timeTicks(t0, t1, 8);
  const ax = el('g', { class: 'axis x' });
  ax.append(el('line', { x1: x(t0), x2: x(t1), y1: y, y2: y }));
  for (const t of ticks) {
    ax.append(el('line', { class: 'grid', x1: x(t), x2: x(t), y1: y - height, y2: y }));
    ax.append(el('line', { x1: x(t), x2: x(t), y1: y, y2: y + 4 }));
    ax.append(text(x(t), y + 15, fmt(t), { 'text-anchor': 'middle' }));
  }
  g.append(ax);
}

// Lanes of the timeline, in drawing order.
export const LANES = [
  { id: 'encounter', label: 'Encounters', kinds: ['ENCOUNTER'], bars: true },
  { id: 'diagnosis', label: 'Diagnoses', kinds: ['DIAGNOSIS', 'STAGE'], bars: true },
  { id: 'medication', label: 'Medications', kinds: ['MEDICATION'], bars: true },
  { id: 'lab', label: 'Labs', kinds: ['LAB', 'TUMOR_MARKER'] },
  { id: 'imaging', label: 'Imaging studies', kinds: ['IMAGING_STUDY', 'IMAGING_FEATURE', 'LESION'] },
  { id: 'variant', label: 'Variants', kinds: ['VARIANT'] },
  { id: 'other', label: 'Other', kinds: ['PROCEDURE', 'VITAL', 'OBSERVATION', 'DERIVED'] },
];

export function laneOf(kind) {
  return LANES.find(l => l.kinds.includes(kind)) || null;
}

// timeline draws events (objects with t, end, kind, code, label, prov) in
// one lane per kind over [t0, t1]. Static events (no time) are counted at
// the lane's left edge. onBrush(from, to) is called when the user drags.
export function timeline(events, t0, t1, onBrush) {
  const W = 1100, left = 130, right = 16, laneH = 30, top = 8;
  const H = top + LANES.length * laneH + 28;
  const x = scale(t0, t1, left, W - right);
  const svg = el('svg', { viewBox: `0 0 ${W} ${H}`, width: W, height: H, class: 'timeline', role: 'img',
    'aria-label': 'Patient timeline, one lane per kind of event' });
  const bottom = top + LANES.length * laneH;
  const lanes = new Map();
  LANES.forEach((l, i) => {
    const y = top + i * laneH;
    const g = el('g', { class: 'lane lane-' + l.id, 'data-lane': l.id });
    g.append(el('rect', { class: 'lane-bg', x: left, y, width: W - right - left, height: laneH }));
    g.append(text(8, y + laneH / 2 + 4, l.label, { class: 'lane-label' }));
    lanes.set(l.id, { g, y, n: 0, statics: 0, rows: [] });
    svg.append(g);
  });
  xAxis(svg, x, bottom, t0, t1, bottom - top);
  for (const e of events) {
    const lane = laneOf(e.kind);
    if (!lane) continue;
    const L = lanes.get(lane.id);
    if (e.t === null) { L.statics++; continue; }
    const end = e.end !== null && e.end > e.t ? e.end : null;
    if ((end ?? e.t) < t0 || e.t > t1) continue;
    const attrs = { class: 'ev ' + lane.id, 'data-prov': e.prov, 'data-t': new Date(e.t).toISOString(), 'data-code': e.code, tabindex: 0 };
    if (e.value !== null && e.value !== undefined) attrs['data-v'] = e.value;
    let mark;
    if (lane.bars && end !== null) {
      // Stack overlapping bars on up to three rows of the lane.
      const xs = Math.max(x(e.t), left), xe = Math.min(x(end), W - right);
      let row = L.rows.findIndex(r => r <= xs);
      if (row < 0) { row = L.rows.length < 3 ? L.rows.length : L.rows.indexOf(Math.min(...L.rows)); }
      L.rows[row] = xe + 1;
      mark = el('rect', { ...attrs, class: attrs.class + ' bar', x: xs, y: L.y + 4 + row * 7.5, width: Math.max(xe - xs, 2), height: 6 });
    } else {
      mark = el('circle', { ...attrs, cx: x(e.t), cy: L.y + laneH / 2, r: 3 });
    }
    mark.append(title(e.label));
    L.g.append(mark);
    L.n++;
  }
  for (const [id, L] of lanes) {
    L.g.setAttribute('data-count', L.n);
    if (L.statics) {
      L.g.append(text(left + 4, L.y + 11, `${L.statics} without a time`, { class: 'hint', 'data-static': L.statics }));
    }
    void id;
  }
  // Drag to zoom.
  const brush = el('rect', { class: 'brush', x: 0, y: top, width: 0, height: bottom - top, visibility: 'hidden' });
  svg.append(brush);
  let startX = null;
  const toSvgX = ev => {
    const r = svg.getBoundingClientRect();
    return (ev.clientX - r.left) * W / r.width;
  };
  svg.addEventListener('pointerdown', ev => {
    if (ev.button !== 0) return;
    startX = toSvgX(ev);
  });
  svg.addEventListener('pointermove', ev => {
    if (startX === null) return;
    const cx = toSvgX(ev);
    brush.setAttribute('x', Math.min(startX, cx));
    brush.setAttribute('width', Math.abs(cx - startX));
    brush.setAttribute('visibility', 'visible');
  });
  svg.addEventListener('pointerup', ev => {
    if (startX === null) return;
    const cx = toSvgX(ev);
    const a = Math.max(Math.min(startX, cx), left), b = Math.min(Math.max(startX, cx), W - right);
    startX = null;
    brush.setAttribute('visibility', 'hidden');
    if (b - a > 6) {
      const inv = px => t0 + (px - left) / (W - right - left) * (t1 - t0);
      onBrush(inv(a), inv(b));
    }
  });
  return svg;
}

// chart draws series of points over time.
//   opts.series: [{ name, points: [{ t, v, label?, open?, prov }] }]
//   opts.cutoffs: [{ v, label }]; opts.bands: [{ from, to, label }] shaded
//   periods (therapy lines); opts.refRange: { low, high } shaded band;
//   opts.t0/t1: the time domain (default: the data's).
export function chart(opts) {
  const W = 540, H = 230, left = 48, right = 60, top = 14, bottom = 30;
  const pts = opts.series.flatMap(s => s.points).filter(p => p.t !== null && p.v !== null && Number.isFinite(p.v));
  let t0 = opts.t0, t1 = opts.t1;
  if (t0 === undefined || t1 === undefined) {
    const ts = pts.map(p => p.t).concat((opts.bands || []).flatMap(b => [b.from, b.to]).filter(t => t !== null));
    t0 = Math.min(...ts); t1 = Math.max(...ts);
    const pad = Math.max((t1 - t0) * 0.04, 15 * DAY);
    t0 -= pad; t1 += pad;
  }
  const shown = pts.filter(p => p.t >= t0 && p.t <= t1);
  // Cut-offs extend the value axis unless soft (drawn only when in range).
  const vs = shown.map(p => p.v).concat((opts.cutoffs || []).filter(c => !c.soft).map(c => c.v));
  if (opts.refRange) vs.push(...[opts.refRange.low, opts.refRange.high].filter(v => v !== null && v !== undefined));
  let v0 = Math.min(0, ...vs), v1 = Math.max(...vs, 0);
  if (opts.fromZero === false && shown.length) { v0 = Math.min(...vs); }
  if (v1 === v0) v1 = v0 + 1;
  const padV = (v1 - v0) * 0.08;
  v1 += padV;
  if (opts.fromZero === false) v0 -= padV;
  const x = scale(t0, t1, left, W - right), y = scale(v0, v1, H - bottom, top);
  const svg = el('svg', { viewBox: `0 0 ${W} ${H}`, width: W, height: H, class: 'chart', 'data-chart': opts.id,
    role: 'img', 'aria-label': opts.title });
  const clip = 'clip-' + opts.id;
  svg.append(el('defs', {}, el('clipPath', { id: clip }, el('rect', { x: left, y: top, width: W - left - right, height: H - top - bottom }))));
  for (const b of opts.bands || []) {
    const a = Math.max(x(b.from), left), e = Math.min(x(b.to ?? t1), W - right);
    if (e <= a) continue;
    const g = el('g', { class: 'band', 'data-band': b.label, 'data-prov': b.prov });
    g.append(el('rect', { class: 'line-band', x: a, y: top, width: e - a, height: H - top - bottom }, title(b.title || b.label)));
    g.append(text(a + 3, top + 10, b.label, { class: 'line-band-label' }));
    svg.append(g);
  }
  if (opts.refRange) {
    const lo = opts.refRange.low ?? v0, hi = opts.refRange.high ?? v1;
    svg.append(el('rect', { class: 'refband', x: left, width: W - left - right, y: y(hi), height: Math.max(y(lo) - y(hi), 0) },
      title(`reference range ${fmtNum(opts.refRange.low)}–${fmtNum(opts.refRange.high)}`)));
  }
  const ya = el('g', { class: 'axis y' });
  ya.append(el('line', { x1: left, x2: left, y1: top, y2: H - bottom }));
  for (const v of niceTicks(v0, v1, 5)) {
    ya.append(el('line', { class: 'grid', x1: left, x2: W - right, y1: y(v), y2: y(v) }));
    ya.append(text(left - 4, y(v) + 4, fmtNum(v), { 'text-anchor': 'end' }));
  }
  if (opts.unit) ya.append(text(4, top - 2, opts.unit, { class: 'unit' }));
  svg.append(ya);
  xAxis(svg, x, H - bottom, t0, t1, H - top - bottom);
  for (const c of opts.cutoffs || []) {
    if (c.v < v0 || c.v > v1) continue;
    svg.append(el('line', { class: 'cutoff', 'data-cutoff': c.v, x1: left, x2: W - right, y1: y(c.v), y2: y(c.v) }, title(c.title || c.label)));
    svg.append(text(W - right + 3, y(c.v) + 3, c.label, { class: 'cutoff-label' }));
  }
  opts.series.forEach((s, i) => {
    const sp = s.points.filter(p => p.t !== null && p.v !== null && Number.isFinite(p.v) && p.t >= t0 && p.t <= t1);
    const g = el('g', { class: 'series-group', 'data-series': s.name, 'clip-path': `url(#${clip})` });
    if (sp.length > 1) {
      g.append(el('path', { class: 'series s' + i, d: sp.map((p, j) => (j ? 'L' : 'M') + x(p.t).toFixed(1) + ' ' + y(p.v).toFixed(1)).join(' ') }));
    }
    for (const p of sp) {
      const c = el('circle', { class: 'pt s' + i + (p.open ? ' open' : ''), cx: x(p.t), cy: y(p.v), r: 3.5, tabindex: 0,
        'data-t': new Date(p.t).toISOString(), 'data-v': p.v, 'data-prov': p.prov });
      c.append(title(`${s.name} ${fmtNum(p.v)}${opts.unit ? ' ' + opts.unit : ''} — ${fmtTime(p.t)}${p.label ? ' — ' + p.label : ''}`));
      g.append(c);
      if (p.label && opts.labelPoints) g.append(text(x(p.t), y(p.v) - 7, p.label, { class: 'pt-label', 'text-anchor': 'middle' }));
    }
    svg.append(g);
  });
  if (opts.series.length > 1) {
    opts.series.forEach((s, i) => {
      svg.append(el('circle', { class: 's' + i, cx: left + 10 + i * 110, cy: H - 4, r: 4 }));
      svg.append(text(left + 18 + i * 110, H - 1, s.name));
    });
  }
  return svg;
}

// scatter draws points over a numeric x axis with horizontal reference
// lines (a Bland–Altman plot: x the mean of the two methods, y their
// difference, lines the bias and the limits of agreement).
//   opts.points: [{ x, y, prov, label }]; opts.lines: [{ v, label, cls, title }]
export function scatter(opts) {
  const W = 540, H = 260, left = 52, right = 92, top = 14, bottom = 34;
  const pts = opts.points.filter(p => Number.isFinite(p.x) && Number.isFinite(p.y));
  const xs = pts.map(p => p.x), ys = pts.map(p => p.y).concat((opts.lines || []).map(l => l.v).filter(Number.isFinite));
  let x0 = Math.min(...xs), x1 = Math.max(...xs), y0 = Math.min(...ys, 0), y1 = Math.max(...ys, 0);
  if (!pts.length) { x0 = 0; x1 = 1; }
  const px = (x1 - x0) * 0.05 || 1, py = (y1 - y0) * 0.08 || 1;
  x0 -= px; x1 += px; y0 -= py; y1 += py;
  const x = scale(x0, x1, left, W - right), y = scale(y0, y1, H - bottom, top);
  const svg = el('svg', { viewBox: `0 0 ${W} ${H}`, width: W, height: H, class: 'chart scatter', 'data-chart': opts.id,
    role: 'img', 'aria-label': opts.title });
  const ax = el('g', { class: 'axis' });
  ax.append(el('line', { x1: left, x2: left, y1: top, y2: H - bottom }), el('line', { x1: left, x2: W - right, y1: H - bottom, y2: H - bottom }));
  for (const v of niceTicks(y0, y1, 5)) {
    ax.append(el('line', { class: 'grid', x1: left, x2: W - right, y1: y(v), y2: y(v) }));
    ax.append(text(left - 4, y(v) + 4, fmtNum(v), { 'text-anchor': 'end' }));
  }
  for (const v of niceTicks(x0, x1, 6)) {
    ax.append(el('line', { class: 'grid', x1: x(v), x2: x(v), y1: top, y2: H - bottom }));
    ax.append(text(x(v), H - bottom + 14, fmtNum(v), { 'text-anchor': 'middle' }));
  }
  ax.append(text((left + W - right) / 2, H - 4, opts.xLabel || '', { 'text-anchor': 'middle' }));
  ax.append(text(4, top - 2, opts.yLabel || '', { class: 'unit' }));
  svg.append(ax);
  for (const l of opts.lines || []) {
    if (!Number.isFinite(l.v)) continue;
    svg.append(el('line', { class: l.cls || 'cutoff', 'data-line': l.name, 'data-v': l.v, x1: left, x2: W - right, y1: y(l.v), y2: y(l.v) }, title(l.title || l.label)));
    svg.append(text(W - right + 3, y(l.v) + 3, l.label, { class: 'cutoff-label' }));
  }
  const g = el('g', { class: 'series-group', 'data-series': opts.title });
  for (const p of pts) {
    const c = el('circle', { class: 'pt s0', cx: x(p.x), cy: y(p.y), r: 3, tabindex: 0, 'data-x': p.x, 'data-v': p.y, 'data-prov': p.prov });
    c.append(title(p.label || `${fmtNum(p.x)}, ${fmtNum(p.y)}`));
    g.append(c);
  }
  svg.append(g);
  return svg;
}
