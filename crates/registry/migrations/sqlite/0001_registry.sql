-- ATCPath registry, schema version 1 (SQLite). The PostgreSQL twin is
-- ../postgres/0001_registry.sql: same tables, columns and rules; types differ only as the
-- backends require (INTEGER here, BIGINT there). Dates are ISO 8601 `YYYY-MM-DD` text and
-- timestamps UTC `YYYY-MM-DDTHH:MM:SS.ffffffZ` text on both backends, so that what is hashed in
-- the audit chain is exactly what is stored.

-- Centres of the network; a patient belongs to one.
CREATE TABLE centres (
    id INTEGER PRIMARY KEY,
    code TEXT NOT NULL UNIQUE CHECK (length(code) BETWEEN 1 AND 64),
    name TEXT NOT NULL,
    created_at TEXT NOT NULL
);

-- People who read or write the registry (recorded on first use).
CREATE TABLE users (
    id INTEGER PRIMARY KEY,
    name TEXT NOT NULL UNIQUE CHECK (length(name) BETWEEN 1 AND 128),
    role TEXT NOT NULL CHECK (role IN ('admin', 'clinician', 'data_manager', 'auditor')),
    created_at TEXT NOT NULL
);

-- One row per patient; the pseudonym is the case file's `id`.
CREATE TABLE patients (
    id INTEGER PRIMARY KEY,
    pseudonym TEXT NOT NULL UNIQUE CHECK (length(pseudonym) >= 1),
    centre_id INTEGER NOT NULL REFERENCES centres (id),
    created_at TEXT NOT NULL,
    created_by INTEGER NOT NULL REFERENCES users (id)
);

-- Direct identifiers (hospital number...), only when given; never printed.
CREATE TABLE identifiers (
    id INTEGER PRIMARY KEY,
    patient_id INTEGER NOT NULL REFERENCES patients (id),
    centre_id INTEGER NOT NULL REFERENCES centres (id),
    kind TEXT NOT NULL CHECK (length(kind) BETWEEN 1 AND 64),
    value TEXT NOT NULL CHECK (length(value) >= 1),
    created_at TEXT NOT NULL,
    created_by INTEGER NOT NULL REFERENCES users (id),
    UNIQUE (centre_id, kind, value),
    UNIQUE (patient_id, kind)
);

-- Every accepted case, exactly as accepted; append-only. The current version is the highest.
CREATE TABLE case_versions (
    id INTEGER PRIMARY KEY,
    patient_id INTEGER NOT NULL REFERENCES patients (id),
    version INTEGER NOT NULL CHECK (version >= 1),
    case_json TEXT NOT NULL,
    sha256 TEXT NOT NULL CHECK (length(sha256) = 64),
    source TEXT NOT NULL,
    as_of TEXT NOT NULL,
    created_at TEXT NOT NULL,
    created_by INTEGER NOT NULL REFERENCES users (id),
    UNIQUE (patient_id, version)
);

-- Projections of each patient's CURRENT version, rebuilt in the transaction that stores it.
CREATE TABLE events (
    patient_id INTEGER NOT NULL REFERENCES patients (id),
    case_version_id INTEGER NOT NULL REFERENCES case_versions (id),
    seq INTEGER NOT NULL,
    kind TEXT NOT NULL,
    date TEXT NOT NULL,
    PRIMARY KEY (patient_id, seq)
);
CREATE INDEX events_kind_date ON events (kind, date);

CREATE TABLE molecular (
    patient_id INTEGER PRIMARY KEY REFERENCES patients (id),
    case_version_id INTEGER NOT NULL REFERENCES case_versions (id),
    pd_l1_tps_percent REAL,
    mmr TEXT,
    msi TEXT,
    tmb_mut_per_mb REAL
);

CREATE TABLE molecular_tests (
    patient_id INTEGER NOT NULL REFERENCES patients (id),
    case_version_id INTEGER NOT NULL REFERENCES case_versions (id),
    test TEXT NOT NULL,
    status TEXT NOT NULL CHECK (status IN ('resulted', 'pending')),
    PRIMARY KEY (patient_id, test, status)
);

CREATE TABLE molecular_variants (
    patient_id INTEGER NOT NULL REFERENCES patients (id),
    case_version_id INTEGER NOT NULL REFERENCES case_versions (id),
    seq INTEGER NOT NULL,
    gene TEXT NOT NULL,
    hgvs_p TEXT,
    hgvs_c TEXT,
    PRIMARY KEY (patient_id, seq)
);
CREATE INDEX molecular_variants_gene ON molecular_variants (gene);

CREATE TABLE molecular_fusions (
    patient_id INTEGER NOT NULL REFERENCES patients (id),
    case_version_id INTEGER NOT NULL REFERENCES case_versions (id),
    seq INTEGER NOT NULL,
    five_prime TEXT NOT NULL,
    three_prime TEXT NOT NULL,
    PRIMARY KEY (patient_id, seq)
);

CREATE TABLE treatments (
    patient_id INTEGER NOT NULL REFERENCES patients (id),
    case_version_id INTEGER NOT NULL REFERENCES case_versions (id),
    seq INTEGER NOT NULL,
    drug TEXT NOT NULL,
    start_date TEXT,
    end_date TEXT,
    cumulative_dose REAL,
    cumulative_dose_unit TEXT,
    PRIMARY KEY (patient_id, seq)
);

CREATE TABLE outcomes (
    patient_id INTEGER PRIMARY KEY REFERENCES patients (id),
    case_version_id INTEGER NOT NULL REFERENCES case_versions (id),
    vital_status TEXT NOT NULL CHECK (vital_status IN ('dead', 'alive', 'unknown')),
    death_date TEXT,
    last_follow_up_date TEXT,
    progression_date TEXT,
    last_event_date TEXT
);

-- Assessments produced from a case version by a knowledge-base version; append-only.
CREATE TABLE assessments (
    id INTEGER PRIMARY KEY,
    patient_id INTEGER NOT NULL REFERENCES patients (id),
    case_version_id INTEGER NOT NULL REFERENCES case_versions (id),
    kb_version TEXT NOT NULL,
    kb_date TEXT NOT NULL,
    assessment_json TEXT NOT NULL,
    created_at TEXT NOT NULL,
    created_by INTEGER NOT NULL REFERENCES users (id)
);
CREATE INDEX assessments_patient ON assessments (patient_id, id);

-- The audit trail: one row per read or write of patient data, hash-chained; append-only.
CREATE TABLE audit (
    seq INTEGER PRIMARY KEY CHECK (seq >= 1),
    at TEXT NOT NULL,
    user_name TEXT NOT NULL,
    action TEXT NOT NULL,
    record TEXT NOT NULL,
    patient TEXT,
    detail TEXT NOT NULL,
    reason TEXT,
    prev_hash TEXT NOT NULL CHECK (length(prev_hash) = 64),
    hash TEXT NOT NULL UNIQUE CHECK (length(hash) = 64)
);
CREATE INDEX audit_patient ON audit (patient);

CREATE TRIGGER audit_no_update BEFORE UPDATE ON audit
BEGIN SELECT RAISE(ABORT, 'the audit trail is append-only'); END;
CREATE TRIGGER audit_no_delete BEFORE DELETE ON audit
BEGIN SELECT RAISE(ABORT, 'the audit trail is append-only'); END;
CREATE TRIGGER case_versions_no_update BEFORE UPDATE ON case_versions
BEGIN SELECT RAISE(ABORT, 'case versions are never changed: store a new version'); END;
CREATE TRIGGER case_versions_no_delete BEFORE DELETE ON case_versions
BEGIN SELECT RAISE(ABORT, 'case versions are never deleted'); END;
CREATE TRIGGER assessments_no_update BEFORE UPDATE ON assessments
BEGIN SELECT RAISE(ABORT, 'assessments are never changed'); END;
CREATE TRIGGER assessments_no_delete BEFORE DELETE ON assessments
BEGIN SELECT RAISE(ABORT, 'assessments are never deleted'); END;
