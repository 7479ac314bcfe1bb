-- Schema version 3: saved cohorts (store.SavedCohort), named definitions
-- that the Arrow services read by name. Reference data: the definition
-- (JSON: subject_ids, has_codes, min_subject, max_subject) holds the ids.
CREATE TABLE saved_cohorts (
    name        TEXT PRIMARY KEY,
    description TEXT,
    definition  TEXT NOT NULL,
    created_by  TEXT,
    created_at  INTEGER NOT NULL
);
