// Reads what `medtwin export` wrote with clients no one here wrote: DuckDB
// (@duckdb/node-api) for the MEDS and Parquet outputs, apache-arrow for the
// Arrow IPC file and stream. Compares them with the MEDS file the store was
// loaded from (src.parquet, written by an independent Parquet writer path).
// Usage: node meds-duckdb.mjs DIR   (see meds-duckdb.sh)
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import { tableFromIPC } from 'apache-arrow';

const dir = process.argv[2];
let failures = 0;
let checks = 0;
function check(name, ok, detail = '') {
  checks++;
  if (!ok) {
    failures++;
    console.log(`FAIL ${name} ${detail}`);
  } else {
    console.log(`ok   ${name}`);
  }
}

// No extension may be downloaded: parquet is built in.
const db = await DuckDBInstance.create(':memory:', {
  autoinstall_known_extensions: 'false',
  autoload_known_extensions: 'false',
  threads: '2',
});
const con = await db.connect();
async function rows(sql) {
  const r = await con.runAndReadAll(sql);
  return r.getRowObjectsJson();
}
async function one(sql) {
  const r = await rows(sql);
  return r[0];
}
await con.run(`SET TimeZone = 'UTC'`);
const q = (p) => `'${join(dir, p).replaceAll("'", "''")}'`;

await con.run(`CREATE VIEW src AS SELECT * FROM read_parquet(${q('src.parquet')})`);
await con.run(`CREATE VIEW meds AS SELECT * FROM read_parquet(${q('meds/data/*.parquet')}, filename = true, file_row_number = true)`);
await con.run(`CREATE VIEW hive AS SELECT * FROM read_parquet(${q('meds_hive/data/*/*.parquet')}, hive_partitioning = true)`);
await con.run(`CREATE VIEW full_ AS SELECT * FROM read_parquet(${q('full/*.parquet')})`);

// 1. MEDS column types as MEDS 0.4 defines them.
const types = Object.fromEntries((await rows(`DESCRIBE SELECT * FROM read_parquet(${q('meds/data/*.parquet')})`)).map((r) => [r.column_name, r.column_type]));
check('MEDS column types', types.subject_id === 'BIGINT' && types.time === 'TIMESTAMP' && types.code === 'VARCHAR' &&
  types.numeric_value === 'FLOAT' && types.text_value === 'VARCHAR', JSON.stringify(types));

// 2. Same rows as the source, value for value (subject ids coincide: a
// fresh store numbers the source's subjects 1..N in order). The source was
// written by pqarrow, whose naive timestamps read as TIMESTAMPTZ; the
// export's are naive (TIMESTAMP), as MEDS wants.
const agg = `count(*) AS n, count(numeric_value) AS nv, sum(numeric_value::DECIMAL(38,6))::VARCHAR AS s, count(text_value) AS nt,
  count(*) FILTER (WHERE time IS NULL) AS static, min(time)::TIMESTAMP::VARCHAR AS t0, max(time)::TIMESTAMP::VARCHAR AS t1,
  count(DISTINCT code) AS codes, count(DISTINCT subject_id) AS subjects`;
const a = await one(`SELECT ${agg} FROM src`);
const b = await one(`SELECT ${agg} FROM meds`);
check('MEDS aggregates equal the source', JSON.stringify(a) === JSON.stringify(b), `${JSON.stringify(a)} vs ${JSON.stringify(b)}`);
const cols = 'subject_id, time, code, numeric_value, text_value';
const diff = await one(`SELECT (SELECT count(*) FROM (SELECT ${cols} FROM src EXCEPT ALL SELECT ${cols} FROM meds)) AS missing,
  (SELECT count(*) FROM (SELECT ${cols} FROM meds EXCEPT ALL SELECT ${cols} FROM src)) AS extra`);
check('MEDS rows equal the source exactly', Number(diff.missing) === 0 && Number(diff.extra) === 0, JSON.stringify(diff));

// 3. Sorted by subject and time (static rows first) within each file, each
// subject in exactly one file.
const order = await one(`SELECT count(*) AS bad FROM (
  SELECT subject_id, time, lag(subject_id) OVER w AS ps, lag(time) OVER w AS pt, lag(time IS NULL) OVER w AS pnull
  FROM meds WINDOW w AS (PARTITION BY filename ORDER BY file_row_number))
  WHERE ps IS NOT NULL AND (subject_id < ps OR (subject_id = ps AND ((time IS NULL AND NOT pnull) OR time < pt)))`);
check('MEDS rows sorted by subject, time', Number(order.bad) === 0, JSON.stringify(order));
const split = await one(`SELECT count(*) AS n FROM (SELECT subject_id FROM meds GROUP BY subject_id HAVING count(DISTINCT filename) > 1)`);
check('each subject in one MEDS shard', Number(split.n) === 0, JSON.stringify(split));
const files = await one(`SELECT count(DISTINCT filename) AS n FROM meds`);
check('MEDS export has several shards', Number(files.n) > 1, JSON.stringify(files));

// 4. metadata/codes.parquet lists every code; subject_splits every subject.
const codes = await one(`SELECT (SELECT count(*) FROM (SELECT DISTINCT code FROM meds) d
  ANTI JOIN read_parquet(${q('meds/metadata/codes.parquet')}) c USING (code)) AS missing,
  (SELECT description FROM read_parquet(${q('meds/metadata/codes.parquet')}) WHERE code = 'LOINC//1742-6') AS alt`);
check('codes.parquet covers every code', Number(codes.missing) === 0 && /ALT/.test(codes.alt ?? ''), JSON.stringify(codes));
const splits = await one(`SELECT count(*) AS n, count(DISTINCT subject_id) AS d,
  count(*) FILTER (WHERE split NOT IN ('train', 'tuning', 'held_out')) AS bad,
  (SELECT count(DISTINCT subject_id) FROM meds) AS subjects
  FROM read_parquet(${q('meds/metadata/subject_splits.parquet')})`);
check('subject_splits covers every subject once', splits.n === splits.d && splits.d === splits.subjects && Number(splits.bad) === 0, JSON.stringify(splits));
const meta = JSON.parse(readFileSync(join(dir, 'meds/metadata/dataset.json'), 'utf8'));
check('dataset.json', meta.meds_version === '0.4.0' && meta.etl_name === 'medtwin' && !Number.isNaN(Date.parse(meta.created_at)), JSON.stringify(meta));

// 5. Hive partitioning by subject bucket.
const hive = await one(`SELECT count(*) AS n, count(DISTINCT subject_bucket) AS buckets,
  (SELECT count(*) FROM (SELECT subject_id FROM hive GROUP BY subject_id HAVING count(DISTINCT subject_bucket) > 1)) AS spread
  FROM hive`);
check('Hive-partitioned MEDS: all rows, subjects in one bucket', hive.n === a.n && Number(hive.buckets) > 1 && Number(hive.spread) === 0, JSON.stringify(hive));
const pruned = await one(`SELECT count(*) AS n FROM hive WHERE subject_bucket = 0`);
check('bucket pruning reads a subset', Number(pruned.n) > 0 && Number(pruned.n) < Number(a.n), JSON.stringify(pruned));

// 6. Full-schema Parquet.
const full = await one(`SELECT count(*) AS n, sum(numeric_value) AS s, count(*) FILTER (WHERE octet_length(record_key) <> 16) AS badkeys,
  count(DISTINCT kind) AS kinds, count(*) FILTER (WHERE kind = 'lab') AS labs, typeof(any_value(time)) AS ttype FROM full_`);
check('full Parquet: rows, keys, kinds, UTC times', full.n === a.n && Number(full.badkeys) === 0 && Number(full.kinds) >= 3 &&
  Number(full.labs) > 0 && full.ttype === 'TIMESTAMP WITH TIME ZONE', JSON.stringify(full));
check('full Parquet values equal the source', Math.abs(Number(full.s) - Number(a.s)) <= 1e-6 * Math.abs(Number(a.s)), `${full.s} vs ${a.s}`);

// 7. Arrow IPC file and stream with apache-arrow.
for (const name of ['events.arrow', 'events.arrows']) {
  const t = tableFromIPC(readFileSync(join(dir, name)));
  const v = t.getChild('numeric_value');
  let s = 0;
  let nulls = 0;
  for (const x of v) {
    if (x === null) nulls++;
    else s += x;
  }
  const fields = Object.fromEntries(t.schema.fields.map((f) => [f.name, String(f.type)]));
  check(`${name}: rows`, String(t.numRows) === String(a.n), `${t.numRows} vs ${a.n}`);
  check(`${name}: numeric values`, t.numRows - nulls === Number(a.nv) && Math.abs(s - Number(a.s)) <= 1e-6 * Math.abs(Number(a.s)), `${s} vs ${a.s}`);
  check(`${name}: schema`, fields.subject_id === 'Int64' && /^Timestamp<MICROSECOND, UTC>$/.test(fields.time) && /Dictionary<Int8, Utf8>/.test(fields.kind),
    JSON.stringify(fields));
  // First subject's codes in order, as DuckDB reads them from MEDS.
  const first = await rows(`SELECT code FROM meds WHERE subject_id = 1 ORDER BY file_row_number`);
  const subj = t.getChild('subject_id');
  const code = t.getChild('code');
  const arrowCodes = [];
  for (let i = 0; i < t.numRows && subj.get(i) === 1n; i++) arrowCodes.push(code.get(i));
  check(`${name}: first subject's events match MEDS`, JSON.stringify(arrowCodes) === JSON.stringify(first.map((r) => r.code)),
    `${arrowCodes.length} vs ${first.length}`);
}

console.log(`${checks - failures} passed, ${failures} failed`);
process.exit(failures ? 1 : 0);
