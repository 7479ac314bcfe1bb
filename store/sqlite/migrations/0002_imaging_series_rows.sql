-- Schema version 2: an imaging_study event keeps one imaging detail row per
-- series (timeline.ImagingDetail: "a series of an imaging_study event"), so
-- an imaging row is identified by its event's key and its series_uid. Rows
-- that name no series (feature provenance) store series_uid '' and read back
-- as NULL.
CREATE TABLE imaging_v2 (
    subject_id             INTEGER NOT NULL,
    record_key             BLOB NOT NULL,
    study_uid              TEXT,
    series_uid             TEXT NOT NULL DEFAULT '',
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
    PRIMARY KEY (subject_id, record_key, series_uid)
) WITHOUT ROWID;
INSERT INTO imaging_v2 SELECT subject_id, record_key, study_uid, COALESCE(series_uid, ''), instance_uid,
    modality, body_part, series_description, manufacturer, instances, "rows", "columns",
    pixel_spacing_row, pixel_spacing_col, slice_thickness, slice_spacing, orientation, contrast,
    rescale_slope, rescale_intercept, algorithm, algorithm_version, roi, finding_site, tracking_uid, settings
  FROM imaging;
DROP TABLE imaging;
ALTER TABLE imaging_v2 RENAME TO imaging;
