-- ATCPath registry, schema version 2 (SQLite; twin: ../postgres/0002_analysis.sql).
-- Projections for the network's analyses, derived like the others from each patient's CURRENT
-- version, so that `metrics` and `outcomes` read a few columns instead of every case.

-- One row per patient: the fast-track intervals it has started (clinical-pathway §8), their
-- start and end events as the pathway finds them (atcpath_core::pathway::intervals::spans), one
-- entry per interval definition of the knowledge base in `projection_state` (in its order),
-- separated by ';': `FROM,TO,U` (ISO dates, TO empty when not done, U 1 when done with its date
-- not recorded), empty when not started; with the date of death (a step not done by then is not
-- overdue). One short row per patient keeps `metrics` over a whole network to one read of each.
CREATE TABLE fasttrack (
    patient_id INTEGER PRIMARY KEY REFERENCES patients (id),
    case_version_id INTEGER NOT NULL REFERENCES case_versions (id),
    death_date TEXT,
    spans TEXT NOT NULL
);

-- One row per patient: overall survival data (atcpath_core::outcomes::survival_record).
CREATE TABLE survival (
    patient_id INTEGER PRIMARY KEY REFERENCES patients (id),
    case_version_id INTEGER NOT NULL REFERENCES case_versions (id),
    diagnosis_date TEXT,
    end_date TEXT,
    died INTEGER NOT NULL CHECK (died IN (0, 1)),
    stage TEXT NOT NULL,
    first_treatment TEXT NOT NULL,
    first_treatment_date TEXT
);

-- What knowledge base the analysis projections were built with (a fingerprint of the interval
-- definitions and treatment groups): when it changes they are rebuilt from the current versions.
CREATE TABLE projection_state (
    name TEXT PRIMARY KEY,
    fingerprint TEXT NOT NULL,
    built_at TEXT NOT NULL
);
