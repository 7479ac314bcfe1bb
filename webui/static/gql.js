// GraphQL client of the web view. The bearer token lives in this module's
// memory only: never in a URL, a cookie or web storage.

let token = null;

export class AuthError extends Error {}

export function setToken(t) { token = t; }
export function clearToken() { token = null; }
export function hasToken() { return token !== null; }

// gql posts one operation to /graphql and returns its data, or throws an
// AuthError (401) or an Error carrying the GraphQL error messages.
export async function gql(query, variables = {}) {
  if (token === null) throw new AuthError('not logged in');
  const resp = await fetch('/graphql', {
    method: 'POST',
    headers: { 'Content-Type': 'application/json', 'Authorization': 'Bearer ' + token },
    body: JSON.stringify({ query, variables }),
    credentials: 'omit',
    cache: 'no-store',
    referrerPolicy: 'no-referrer',
  });
  if (resp.status === 401) throw new AuthError('the token was refused');
  let body;
  try { body = await resp.json(); } catch { throw new Error('the server answered ' + resp.status); }
  if (body.errors && body.errors.length) {
    const err = new Error(body.errors.map(e => e.message).join('; '));
    err.codes = body.errors.map(e => (e.extensions || {}).code);
    err.data = body.data;
    throw err;
  }
  return body.data;
}

export const VIEWER = `query UiViewer { viewer { name role } }`;

export const FIND_BY_IDENTIFIER = `query UiFindByIdentifier($system: String!, $value: String!) {
  patientByIdentifier(system: $system, value: $value) { id }
}`;

export const FIND_BY_ID = `query UiFindById($id: ID!) { patient(id: $id) { id } }`;

export const LIST = `query UiList($codes: [String!], $after: String) {
  patients(filter: { hasCodes: $codes }, first: 50, after: $after) {
    totalCount
    pageInfo { hasNextPage endCursor }
    edges { node { id sex birthDate } }
  }
}`;

// TIMELINE reads the patient's whole timeline in pages of 1,000 events.
export const TIMELINE = `query UiTimeline($id: ID!, $after: String, $first: Boolean!, $identified: Boolean!) {
  patient(id: $id) {
    id pseudonymised
    birthDate @include(if: $first)
    sex @include(if: $first)
    deceased @include(if: $first)
    deceasedAt @include(if: $first)
    identifiers(first: 20) @include(if: $identified) { edges { node { system value } } }
    timeline(first: 1000, after: $after) {
      totalCount
      pageInfo { hasNextPage endCursor }
      edges { node { time endTime kind code displayName value text unit availableAt recordedAt
        provenance { source recordKey sourceVersion } } }
    }
  }
}`;

const INPUT = `code concept time value unit eventRef`;

// TWINS reads what the charts draw: liver scores and CT attenuation,
// pneumonia episodes and the oncology response courses and therapy lines.
export const TWINS = `query UiTwins($id: ID!) {
  patient(id: $id) {
    id
    liverTwin {
      reference
      scores(names: ["FIB-4", "APRI", "MELD-Na"], first: 3) {
        edges { node { name points(last: 500) { edges { node {
          time value category unit formulaVersion computable notComputable inputs { ${INPUT} } } } } } }
      }
      imaging { attenuation(first: 200) { edges { node {
        time study contrast liverHU spleenHU liverMinusSpleen steatosis basis excluded inputs { ${INPUT} } } } } }
    }
    pneumoniaEpisodes(first: 20) { edges { node {
      start end presentation
      curb65 { value category computable notComputable formulaVersion inputs { ${INPUT} } }
      ct(first: 20) { edges { node { time study involvementPct ggoPct consolidationPct severity inputs { ${INPUT} } } } }
    } } }
    oncologyTwin {
      courses(first: 20) { edges { node {
        criteria line current treatmentStart baselineSumMm bestOverall notComputable
        timePoints(first: 100) { edges { node {
          time sumMm pctFromBaseline overall reason
          measurements { lesionId role organ valueMm eventRef } } } }
      } } }
      lines(first: 20) { edges { node { number start end agents reason eventRefs } } }
    }
  }
}`;

export const VARIANTS = `query UiVariants($id: ID!) {
  patient(id: $id) {
    id
    variants(first: 500) {
      totalCount
      edges { node { gene chrom pos ref alt rsid genotype zygosity alleleFraction depth altDepth
        origin consequence hgvsc hgvsp clinicalSignificance code time sample recordKey } }
    }
  }
}`;

export const AI_ALGORITHMS = `query UiAIAlgorithms { aiAlgorithms { algorithm version outputs } }`;

const BA = `n bias sd multiplier lower upper biasCI { lower upper } lowerCI { lower upper } upperCI { lower upper } meanAI meanReference`;

// AI_EVALUATION reads what the evaluation page draws: per quantity the
// Bland–Altman figures, the per-month agreement, drift and change points,
// and the paired values behind them.
export const AI_EVALUATION = `query UiAIEvaluation($algorithm: String!, $version: String) {
  aiEvaluation(algorithm: $algorithm, version: $version) {
    algorithm version reference subjects studies notes
    versions { version first last outputs }
    quantities {
      quantity unit
      pairing { outputs paired aiOnly referenceOnly multiReader }
      overall { n notComputable blandAltman { ${BA} } icc21 { value ci { lower upper } } icc31 { value ci { lower upper } }
        errors { n mae rmse mre } }
      byMonth { value first last pairing { paired } agreement { n notComputable blandAltman { n bias lower upper biasCI { lower upper } } } }
      drift { flagged shiftAt coincides perYear { slope p } shift { p meanBefore meanAfter } }
      changePoints { dimension from to at flagged reason bias { diff p } }
    }
    pairs(status: "paired", first: 1000) {
      totalCount
      edges { node { patientId pseudonymised study time quantity unit version site finding ai reference difference references aiRef referenceRef } }
    }
  }
}`;
