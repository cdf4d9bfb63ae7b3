-- ATCPath registry, schema version 2 (PostgreSQL; twin: ../sqlite/0002_analysis.sql).
-- Projections for the network's analyses, derived like the others from each patient's CURRENT
-- version, so that `metrics` and `outcomes` read a few columns instead of every case.

-- One row per fast-track interval a patient has started (clinical-pathway §8): its start and end
-- events as the pathway finds them (atcpath_core::pathway::intervals::spans).
CREATE TABLE fasttrack_spans (
    patient_id BIGINT NOT NULL REFERENCES patients (id),
    case_version_id BIGINT NOT NULL REFERENCES case_versions (id),
    interval_id TEXT NOT NULL,
    from_date TEXT NOT NULL,
    to_date TEXT,
    done_undated BIGINT NOT NULL CHECK (done_undated IN (0, 1)),
    PRIMARY KEY (patient_id, interval_id)
);
CREATE INDEX fasttrack_spans_interval ON fasttrack_spans (interval_id, from_date);

-- One row per patient: overall survival data (atcpath_core::outcomes::survival_record).
CREATE TABLE survival (
    patient_id BIGINT PRIMARY KEY REFERENCES patients (id),
    case_version_id BIGINT NOT NULL REFERENCES case_versions (id),
    diagnosis_date TEXT,
    end_date TEXT,
    died BIGINT NOT NULL CHECK (died IN (0, 1)),
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
