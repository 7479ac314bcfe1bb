-- Schema version 4: variants becomes a rowid table with a unique index on
-- its key. As a WITHOUT ROWID table (a b-tree index) a row keeps at most
-- about 1,000 bytes on its page and spills the rest to an overflow page of
-- its own; a variant with VEP or SnpEff annotations is 1-1.5 KB, so each
-- row took a 4 KB overflow page: 3.4 KB per variant on disk and most of a
-- VCF ingest's time. A rowid table keeps rows of up to 4 KB on the page.
CREATE TABLE variants_v4 (
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
    annotations            TEXT
);
INSERT INTO variants_v4 SELECT subject_id, record_key, sample, assembly, chrom, pos, ref, alt, rsid, qual,
    filter, genotype, zygosity, depth, alt_depth, allele_fraction, origin, gene, consequence, impact,
    hgvs_c, hgvs_p, transcript, clinical_significance, annotations
  FROM variants ORDER BY subject_id, record_key;
DROP TABLE variants;
ALTER TABLE variants_v4 RENAME TO variants;
CREATE UNIQUE INDEX variants_key ON variants (subject_id, record_key);
