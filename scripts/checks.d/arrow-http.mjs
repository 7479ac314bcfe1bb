// Reads `medtwin serve`'s Arrow over HTTP with apache-arrow (npm), a client
// no one here wrote, and checks what it gets against the fixture cohort's
// formulas (internal/fixture): patient n is subject n of a fresh store; lab
// j is taken on day j from 2020-01-01 08:00 UTC (ALT, AST, platelets in
// turn), issued 6 hours later, valued round((base + n%17 + j%11)·10)/10.
// Usage: node arrow-http.mjs BASE ADMIN_TOKEN RESEARCHER_TOKEN PATIENTS LABS
import { RecordBatchReader, Table } from 'apache-arrow';

const [base, admin, researcher, P, L] = process.argv.slice(2);
const patients = Number(P), labs = Number(L);
let failures = 0;
function check(name, ok, detail = '') {
  console.log(`${ok ? 'ok  ' : 'FAIL'} ${name}${ok ? '' : ' ' + detail}`);
  if (!ok) failures++;
}

const EPOCH = Date.UTC(2020, 0, 1, 8);
const DAY = 86400000;
const CODES = ['LOINC//1742-6', 'LOINC//1920-8', 'LOINC//777-3'];
const labValue = (n, j) => Math.round(([30, 25, 250][j % 3] + (n % 17) + (j % 11)) * 10) / 10;
const num = (v) => (typeof v === 'bigint' ? Number(v) : v);
// Timestamp<MICROSECOND>: apache-arrow gives milliseconds as a number (or
// microseconds as a bigint in some builds).
const ms = (v) => (v === null ? null : typeof v === 'bigint' ? Number(v / 1000n) : v);

async function get(path, token) {
  return fetch(base + path, { headers: token ? { Authorization: `Bearer ${token}` } : {} });
}
async function table(path, token) {
  const res = await get(path, token);
  if (res.status !== 200) throw new Error(`${path}: HTTP ${res.status}: ${await res.text()}`);
  if (res.headers.get('content-type') !== 'application/vnd.apache.arrow.stream') throw new Error(`content-type ${res.headers.get('content-type')}`);
  const reader = await RecordBatchReader.from(res.body);
  const batches = [];
  for await (const b of reader) batches.push(b);
  return { table: new Table(reader.schema, batches) };
}

// 1. The whole timeline, streamed in several batches.
{
  const { table: t } = await table('/arrow/timeline', admin);
  const deaths = Math.floor(patients / 10);
  check('timeline: row count', t.numRows === patients * (labs + 7) + deaths, `${t.numRows}`);
  check('timeline: schema', String(t.schema.fields.map((f) => `${f.name}:${f.type}`)).startsWith(
    'subject_id:Int64,time:Timestamp<MICROSECOND, UTC>,code:Utf8,numeric_value:Float64,text_value:Utf8,unit:Utf8,kind:Dictionary<Int8, Utf8>'),
    String(t.schema.fields.map((f) => `${f.name}:${f.type}`)));
  const subj = t.getChild('subject_id'), time = t.getChild('time'), code = t.getChild('code');
  const val = t.getChild('numeric_value'), kind = t.getChild('kind'), avail = t.getChild('available_at');
  let labRows = 0, bad = 0, sum = 0, want = 0, statics = 0;
  for (let i = 0; i < t.numRows; i++) {
    if (time.get(i) === null) statics++;
    if (kind.get(i) !== 'lab') continue;
    labRows++;
    const n = num(subj.get(i));
    const j = Math.round((ms(time.get(i)) - EPOCH) / DAY);
    const v = val.get(i);
    sum += v;
    if (code.get(i) !== CODES[j % 3] || v !== labValue(n, j) || ms(avail.get(i)) !== ms(time.get(i)) + 6 * 3600000) bad++;
  }
  for (let n = 1; n <= patients; n++) for (let j = 0; j < labs; j++) want += labValue(n, j);
  check('timeline: lab rows', labRows === patients * labs, `${labRows}`);
  check('timeline: every lab value, code and issue time', bad === 0, `${bad} rows differ`);
  check('timeline: sum of lab values', Math.abs(sum - want) < 1e-6, `${sum} vs ${want}`);
  check('timeline: static rows have null time', statics === patients * 2, `${statics}`);
}

// 2. A cohort, a code filter, a projection and as_of.
{
  const asOf = new Date(EPOCH + 30 * DAY + 3 * 3600000).toISOString(); // day 30, 11:00: that morning's ALT not yet issued
  const { table: t } = await table(`/arrow/timeline?subjects=3,7&codes=LOINC//1742-6&columns=subject_id,time,numeric_value&as_of=${asOf}`, admin);
  check('filtered: columns', t.schema.fields.map((f) => f.name).join() === 'subject_id,time,numeric_value');
  const perSubject = Math.ceil(30 / 3); // ALT on days 0, 3, …, 27 (day 30 issued after as_of)
  check('filtered: row count', t.numRows === 2 * perSubject, `${t.numRows}`);
  let bad = 0;
  for (let i = 0; i < t.numRows; i++) {
    const n = num(t.getChild('subject_id').get(i));
    const j = Math.round((ms(t.getChild('time').get(i)) - EPOCH) / DAY);
    if ((n !== 3 && n !== 7) || j % 3 !== 0 || j >= 30 || t.getChild('numeric_value').get(i) !== labValue(n, j)) bad++;
  }
  check('filtered: values', bad === 0, `${bad} rows differ`);
}

// 3. A researcher sees pseudonyms and no sources.
{
  const { table: t } = await table('/arrow/timeline?kinds=lab,demographic&columns=subject_id,time,source', researcher);
  const subj = t.getChild('subject_id'), src = t.getChild('source');
  const ids = new Set();
  let nonPseudo = 0;
  for (let i = 0; i < t.numRows; i++) {
    ids.add(subj.get(i));
    if (!/^ps_[A-Z2-7]{24}$/.test(subj.get(i))) nonPseudo++;
  }
  check('researcher: subject_id is Utf8', String(t.schema.fields[0].type) === 'Utf8', String(t.schema.fields[0].type));
  check('researcher: pseudonyms only', nonPseudo === 0 && ids.size === patients, `${nonPseudo} not pseudonyms, ${ids.size} subjects`);
  check('researcher: sources withheld', src.nullCount === t.numRows, `${src.nullCount}/${t.numRows}`);
}

// 4. A feature matrix: day 9, 11:00. Platelets (lab j%3==2) last known is
// day 8's (issued day 8 14:00); ALT counted in the last 7 days.
{
  const asOf = new Date(EPOCH + 9 * DAY + 3 * 3600000).toISOString();
  const spec = JSON.stringify({ columns: [
    { name: 'platelets', code: 'LOINC//777-3' },
    { name: 'alt_n_7d', concept: 'alt', agg: 'count', window: '7d' },
    { name: 'sex', demographic: 'sex' }] });
  const { table: t } = await table(`/arrow/features?as_of=${asOf}&features=${encodeURIComponent(spec)}`, admin);
  check('features: one row per subject', t.numRows === patients, `${t.numRows}`);
  let bad = 0;
  for (let i = 0; i < t.numRows; i++) {
    const n = num(t.getChild('subject_id').get(i));
    // ALT on days 3 and 6 and 9 (9: 08:00, issued 14:00, after 11:00): 2 within 7 days of day 9 11:00.
    if (t.getChild('platelets').get(i) !== labValue(n, 8) || num(t.getChild('alt_n_7d').get(i)) !== 2 ||
        t.getChild('sex').get(i) !== (n % 2 === 1 ? 'F' : 'M') || ms(t.getChild('index_time').get(i)) !== Date.parse(asOf)) bad++;
  }
  check('features: values as of the index time', bad === 0, `${bad} rows differ`);
}

// 5. Errors answer statuses.
{
  check('unknown dataset: 404', (await get('/arrow/patients', admin)).status === 404);
  check('bad parameter: 400', (await get('/arrow/timeline?as_of=never', admin)).status === 400);
  check('no token: 401', (await get('/arrow/timeline')).status === 401);
  check('wrong token: 401', (await get('/arrow/timeline', 'not-a-token-of-this-server')).status === 401);
}

console.log(`${failures === 0 ? 'arrow-http: all checks passed' : `arrow-http: ${failures} checks failed`}`);
process.exit(failures === 0 ? 0 : 1);
