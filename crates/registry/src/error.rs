//! The registry's errors. Messages name what went wrong and what to do; none ever contains a
//! direct identifier's value.

use atcpath_core::case::Problem;

/// Anything a registry operation can fail with.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The database URL or path is not usable.
    #[error("{0}")]
    Url(String),
    /// The database has no registry schema yet.
    #[error(
        "{0}: no ATCPath registry here (schema not initialised); run `atcpath registry init` first"
    )]
    NotInitialised(String),
    /// The database was written by a newer ATCPath: refuse rather than misread it.
    #[error(
        "the registry's schema is version {found}, newer than this ATCPath supports (version {supported}); use a newer ATCPath"
    )]
    SchemaTooNew {
        /// Highest schema version applied to the database.
        found: i64,
        /// Highest schema version this build knows.
        supported: i64,
    },
    /// The database's schema is older than this build's: `init` upgrades it.
    #[error(
        "the registry's schema is version {found}, older than this ATCPath's (version {supported}); run `atcpath registry init` to upgrade it"
    )]
    SchemaOutdated {
        /// Highest schema version applied to the database.
        found: i64,
        /// Highest schema version this build knows.
        supported: i64,
    },
    /// No patient with this pseudonym.
    #[error("no patient {0:?} in the registry")]
    UnknownPatient(String),
    /// No such version of a patient's case.
    #[error("patient {pseudonym:?} has no case version {version} (current version is {current})")]
    UnknownVersion {
        /// The patient.
        pseudonym: String,
        /// The version asked for.
        version: i64,
        /// The patient's current version.
        current: i64,
    },
    /// A read of patient data without a reason.
    #[error(
        "a reason is required to read patient data (--reason \"...\"); it is kept in the audit trail"
    )]
    ReasonRequired,
    /// An argument that is not acceptable (bad event kind, date, user name...).
    #[error("{0}")]
    Invalid(String),
    /// A case (imported, or built by an edit) that does not validate: nothing was stored.
    #[error("invalid case ({} problem{})", .0.len(), if .0.len() == 1 { "" } else { "s" })]
    InvalidCase(Vec<Problem>),
    /// Stored data that cannot be read back (should never happen; the audit trail says who wrote it).
    #[error("stored data is unreadable: {0}")]
    Corrupt(String),
    /// Stored data that was changed outside ATCPath (a case version whose JSON does not hash to
    /// its SHA-256, or whose SHA-256 is not the one its audit row recorded; a version no audit
    /// row created): refused rather than used.
    #[error(
        "the registry was changed outside ATCPath: {0}; refused (run `atcpath registry audit verify`, and restore from a backup)"
    )]
    Tampered(String),
    /// The database refused or failed.
    #[error("database error: {0}")]
    Db(#[from] sqlx::Error),
    /// Migrations could not be applied.
    #[error("cannot apply the registry schema: {0}")]
    Migrate(#[from] sqlx::migrate::MigrateError),
    /// Writing an export failed.
    #[error("cannot write: {0}")]
    Io(#[from] std::io::Error),
}

impl Error {
    /// Whether the error is the caller's input (exit status 2 on the command line) rather than a
    /// failure of the system (exit status 1).
    pub fn is_invalid_input(&self) -> bool {
        matches!(
            self,
            Error::Url(_)
                | Error::UnknownPatient(_)
                | Error::UnknownVersion { .. }
                | Error::ReasonRequired
                | Error::Invalid(_)
                | Error::InvalidCase(_)
        )
    }
}

/// Result of a registry operation.
pub type Result<T, E = Error> = std::result::Result<T, E>;
