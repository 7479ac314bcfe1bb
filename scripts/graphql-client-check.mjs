// Checks medtwin's GraphQL endpoint with graphql-js, a client no one on the
// project wrote: introspect the running server, rebuild the schema from the
// introspection result (buildClientSchema), validate it, compare it with
// schema.graphqls in both directions, validate queries against it and run
// one. Usage: node graphql-client-check.mjs URL TOKEN SCHEMA_FILE
import { readFileSync } from 'node:fs';
import {
  GraphQLSchema, buildClientSchema, buildSchema, assertValidSchema, getIntrospectionQuery, printSchema,
  findBreakingChanges, findDangerousChanges, lexicographicSortSchema, parse, validate, version,
} from 'graphql';

const [url, token, schemaFile] = process.argv.slice(2);
let failures = 0;
const fail = (msg) => { failures++; console.error('FAIL', msg); };

async function post(query, variables) {
  const res = await fetch(url, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json', Authorization: `Bearer ${token}` },
    body: JSON.stringify({ query, variables }),
  });
  return { status: res.status, body: await res.json() };
}

console.log(`graphql-js ${version}`);
if (!version.startsWith('16.')) fail(`graphql-js ${version}: want 16.x`);

const intro = await post(getIntrospectionQuery({ descriptions: true, schemaDescription: true, specifiedByUrl: true, inputValueDeprecation: true }));
if (intro.status !== 200 || intro.body.errors) {
  fail(`introspection: HTTP ${intro.status} ${JSON.stringify(intro.body.errors)}`);
  process.exit(1);
}
const client = buildClientSchema(intro.body.data);
assertValidSchema(client);
// gqlgen's prelude (gqlparser) declares @defer on every schema; it is the
// server's, not ours, so it is left out of the comparison.
const served = new GraphQLSchema({ ...client.toConfig(), directives: client.getDirectives().filter((d) => d.name !== 'defer') });
assertValidSchema(served);
const types = Object.keys(served.getTypeMap()).filter((n) => !n.startsWith('__'));
console.log(`introspected schema: ${types.length} types, valid`);

// The served schema is the one in the repository, in both directions.
const source = buildSchema(readFileSync(schemaFile, 'utf8'));
for (const [name, a, b] of [['repository → served', source, served], ['served → repository', served, source]]) {
  const changes = [...findBreakingChanges(a, b), ...findDangerousChanges(a, b)];
  if (changes.length) fail(`${name}: ${changes.map((c) => c.description).join('; ')}`);
}
const printed = (x) => printSchema(lexicographicSortSchema(x));
if (printed(served) !== printed(source)) {
  const a = printed(served).split('\n'), b = printed(source).split('\n');
  const i = a.findIndex((l, k) => l !== b[k]);
  fail(`printed schemas differ from line ${i + 1}: served ${JSON.stringify(a.slice(i, i + 3))}, repository ${JSON.stringify(b.slice(i, i + 3))}`);
}
else console.log('served schema equals schema.graphqls');

// Queries a client would send validate against the served schema; wrong
// ones do not.
const good = [
  `query P($id: ID!) { patient(id: $id) { id birthDate sex timeline(last: 10, kinds: [LAB]) { totalCount pageInfo { hasPreviousPage startCursor } edges { cursor node { time code displayName value unit provenance { source recordKey } } } } } }`,
  `{ patients(first: 5, filter: { sex: FEMALE, minAge: 40 }) { totalCount edges { node { id labs(concepts: ["alt"]) { edges { node { code latest { value } } } } } } } }`,
  `{ patient(id: "1") { liverTwin { reference scores(names: ["FIB-4"]) { edges { node { name current { value inputs { code eventRef } } } } } } } }`,
];
const bad = [
  [`{ patient(id: "1") { name } }`, 'Cannot query field "name"'],
  [`{ patients(first: "ten") { totalCount } }`, 'Int cannot represent'],
  [`{ patient { id } }`, 'argument "id"'],
];
for (const q of good) {
  const errs = validate(served, parse(q));
  if (errs.length) fail(`valid query rejected: ${errs.map((e) => e.message).join('; ')}`);
}
for (const [q, want] of bad) {
  const errs = validate(served, parse(q));
  if (!errs.some((e) => e.message.includes(want))) fail(`invalid query accepted or wrong error: ${q}`);
}
console.log(`${good.length} queries valid, ${bad.length} invalid queries refused`);

// A real round trip.
const r = await post(`{ viewer { role } patients(first: 1) { totalCount edges { node { id } } } }`);
if (r.status !== 200 || r.body.errors || typeof r.body.data.patients.totalCount !== 'number') fail(`query: ${JSON.stringify(r.body)}`);
const unauth = await fetch(url, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: '{"query":"{ viewer { name } }"}' });
if (unauth.status !== 401) fail(`no token: HTTP ${unauth.status}, want 401`);

console.log(failures ? `${failures} failed` : 'graphql client check passed');
process.exit(failures ? 1 : 0);
