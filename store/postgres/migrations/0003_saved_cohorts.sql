-- Schema version 3: saved cohorts (store.SavedCohort), named definitions
-- that the Arrow services read by name. A small reference table (no
-- subject_id column): the definition (subject_ids, has_codes, min_subject,
-- max_subject) holds the ids.
CREATE TABLE saved_cohorts (
    name        text COLLATE "C" PRIMARY KEY,
    description text,
    definition  jsonb NOT NULL,
    created_by  text,
    created_at  timestamptz NOT NULL
);
