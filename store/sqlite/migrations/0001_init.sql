-- medtwin embedded store, schema version 1.
-- Times are INTEGER microseconds since the Unix epoch (UTC).
CREATE TABLE subjects (
    subject_id INTEGER PRIMARY KEY,
    created_at INTEGER NOT NULL
);

CREATE TABLE identifiers (
    system     TEXT NOT NULL,
    value      TEXT NOT NULL,
    subject_id INTEGER NOT NULL,
    PRIMARY KEY (system, value)
) WITHOUT ROWID;
CREATE INDEX identifiers_subject ON identifiers (subject_id);

-- A merged-away subject and the subject that absorbed it: rows that still
-- arrive for the old id (a resolver cache, another process) are remapped.
CREATE TABLE merges (
    from_subject INTEGER PRIMARY KEY,
    into_subject INTEGER NOT NULL,
    merged_at    INTEGER NOT NULL
);

-- Events are clustered by subject (WITHOUT ROWID, primary key first on
-- subject_id): one patient's timeline is one contiguous range of the b-tree.
-- rev numbers the versions of one record; the current one has
-- superseded_at NULL.
CREATE TABLE events (
    subject_id     INTEGER NOT NULL,
    record_key     BLOB    NOT NULL,
    rev            INTEGER NOT NULL,
    time           INTEGER,
    code           TEXT    NOT NULL,
    numeric_value  REAL,
    text_value     TEXT,
    unit           TEXT,
    kind           INTEGER NOT NULL,
    end_time       INTEGER,
    source         TEXT,
    superseded_at  INTEGER,
    available_at   INTEGER,
    recorded_at    INTEGER NOT NULL,
    source_version INTEGER,
    content_hash   INTEGER NOT NULL,
    PRIMARY KEY (subject_id, record_key, rev)
) WITHOUT ROWID;

-- Which subjects have which codes: the candidate set of has-code cohorts,
-- far smaller than an index on every event.
CREATE TABLE subject_codes (
    code       TEXT    NOT NULL,
    subject_id INTEGER NOT NULL,
    PRIMARY KEY (code, subject_id)
) WITHOUT ROWID;

CREATE TABLE runs (
    run_id   INTEGER PRIMARY KEY,
    command  TEXT NOT NULL,
    started  INTEGER NOT NULL,
    finished INTEGER,
    status   TEXT NOT NULL
);

CREATE TABLE run_files (
    run_id     INTEGER NOT NULL REFERENCES runs (run_id),
    path       TEXT    NOT NULL,
    format     TEXT,
    size       INTEGER NOT NULL,
    sha256     TEXT,
    accepted   INTEGER NOT NULL,
    rejected   INTEGER NOT NULL,
    duplicate  INTEGER NOT NULL,
    superseded INTEGER NOT NULL,
    stale      INTEGER NOT NULL,
    status     TEXT    NOT NULL,
    error      TEXT,
    started    INTEGER,
    finished   INTEGER,
    PRIMARY KEY (run_id, path)
);

CREATE TABLE audit (
    id         INTEGER PRIMARY KEY,
    time       INTEGER NOT NULL,
    actor      TEXT    NOT NULL,
    role       TEXT    NOT NULL,
    subject_id INTEGER NOT NULL,
    action     TEXT    NOT NULL,
    fields     TEXT    NOT NULL,
    detail     TEXT
);
CREATE INDEX audit_subject ON audit (subject_id, time);
CREATE INDEX audit_time ON audit (time);

CREATE TABLE variants (
    subject_id             INTEGER NOT NULL,
    record_key             BLOB NOT NULL,
    sample                 TEXT,
    assembly               TEXT,
    chrom                  TEXT,
    pos                    INTEGER,
    ref                    TEXT,
    alt                    TEXT,
    rsid                   TEXT,
    qual                   REAL,
    filter                 TEXT,
    genotype               TEXT,
    zygosity               TEXT,
    depth                  INTEGER,
    alt_depth              INTEGER,
    allele_fraction        REAL,
    origin                 TEXT,
    gene                   TEXT,
    consequence            TEXT,
    impact                 TEXT,
    hgvs_c                 TEXT,
    hgvs_p                 TEXT,
    transcript             TEXT,
    clinical_significance  TEXT,
    annotations            TEXT,
    PRIMARY KEY (subject_id, record_key)
) WITHOUT ROWID;

CREATE TABLE imaging (
    subject_id             INTEGER NOT NULL,
    record_key             BLOB NOT NULL,
    study_uid              TEXT,
    series_uid             TEXT,
    instance_uid           TEXT,
    modality               TEXT,
    body_part              TEXT,
    series_description     TEXT,
    manufacturer           TEXT,
    instances              INTEGER,
    "rows"                 INTEGER,
    "columns"              INTEGER,
    pixel_spacing_row      REAL,
    pixel_spacing_col      REAL,
    slice_thickness        REAL,
    slice_spacing          REAL,
    orientation            TEXT,
    contrast               TEXT,
    rescale_slope          REAL,
    rescale_intercept      REAL,
    algorithm              TEXT,
    algorithm_version      TEXT,
    roi                    TEXT,
    finding_site           TEXT,
    tracking_uid           TEXT,
    settings               TEXT,
    PRIMARY KEY (subject_id, record_key)
) WITHOUT ROWID;

CREATE TABLE lesions (
    subject_id             INTEGER NOT NULL,
    record_key             BLOB NOT NULL,
    lesion_id              TEXT,
    study_uid              TEXT,
    site                   TEXT,
    site_code              TEXT,
    long_axis_mm           REAL,
    short_axis_mm          REAL,
    is_node                INTEGER,
    target                 INTEGER,
    too_small              INTEGER,
    x_mm                   REAL,
    y_mm                   REAL,
    z_mm                   REAL,
    observer               TEXT,
    algorithm              TEXT,
    algorithm_version      TEXT,
    PRIMARY KEY (subject_id, record_key)
) WITHOUT ROWID;
