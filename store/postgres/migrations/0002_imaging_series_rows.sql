-- Schema version 2: an imaging_study event keeps one imaging detail row per
-- series (timeline.ImagingDetail), so imaging rows are keyed by their
-- event and series_uid ('' when the row names no series; read as NULL).
UPDATE imaging SET series_uid = '' WHERE series_uid IS NULL;
ALTER TABLE imaging ALTER COLUMN series_uid SET DEFAULT '';
ALTER TABLE imaging ALTER COLUMN series_uid SET NOT NULL;
ALTER TABLE imaging DROP CONSTRAINT imaging_pkey;
ALTER TABLE imaging ADD PRIMARY KEY (subject_id, record_key, series_uid);
