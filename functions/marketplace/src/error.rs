use crate::validation::Violations;

/// Why the rules refuse something. The edge maps each kind to one HTTP status.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum Error {
    /// The input is well formed but breaks a rule; every bad field is named.
    #[error("invalid input: {0}")]
    Invalid(Violations),
    /// The input is fine but the current state does not allow it (a transition, a stale value).
    #[error("{detail}")]
    Conflict { code: &'static str, detail: String },
}

impl Error {
    pub fn conflict(code: &'static str, detail: impl Into<String>) -> Self {
        Self::Conflict { code, detail: detail.into() }
    }
}

impl From<Violations> for Error {
    fn from(violations: Violations) -> Self {
        Self::Invalid(violations)
    }
}
