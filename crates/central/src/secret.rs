//! Values that must never reach a log: their `Debug` says only that they are there.

use std::fmt;

/// A secret string (a database URL with a password, an enrolment code).
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    /// Wraps `value`.
    pub fn new(value: impl Into<String>) -> Self {
        Secret(value.into())
    }

    /// The secret itself, for the one place that needs it.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Secret(<redacted>)")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_hides_the_value() {
        let secret = Secret::new("postgres://svc:hunter2@db/placeforte");
        assert!(!format!("{secret:?}").contains("hunter2"));
        assert_eq!(secret.expose(), "postgres://svc:hunter2@db/placeforte");
    }
}
