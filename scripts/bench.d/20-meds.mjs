// DuckDB reference figures for scripts/bench.d/20-meds.sh: reading a MEDS
// Parquet file (count and sum over every row) and rewriting it as Parquet.
// Prints "name wall_s cpu_s" lines. Usage: node 20-meds.mjs SRC OUT THREADS
import { DuckDBInstance } from '@duckdb/node-api';

const [src, out, threads] = process.argv.slice(2);
const db = await DuckDBInstance.create(':memory:', {
  autoinstall_known_extensions: 'false', autoload_known_extensions: 'false', threads: threads ?? '2',
});
const con = await db.connect();
const lit = (p) => `'${p.replaceAll("'", "''")}'`;
async function timed(name, sql) {
  const c0 = process.cpuUsage();
  const t0 = process.hrtime.bigint();
  await con.runAndReadAll(sql);
  const wall = Number(process.hrtime.bigint() - t0) / 1e9;
  const c = process.cpuUsage(c0);
  console.log(`${name} ${wall.toFixed(3)} ${((c.user + c.system) / 1e6).toFixed(3)}`);
}
await timed('read', `SELECT count(*), sum(numeric_value), count(DISTINCT code), min(time), max(subject_id) FROM read_parquet(${lit(src)})`);
await timed('write', `COPY (SELECT * FROM read_parquet(${lit(src)})) TO ${lit(out)} (FORMAT parquet, COMPRESSION snappy)`);
