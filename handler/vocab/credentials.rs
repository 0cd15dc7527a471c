//! Credentials a request brings (the caller's, or the type owner's for its logs): used for the
//! calls made on their behalf, never shown.

use std::fmt;

/// The caller's credentials. Debug never shows the secret parts.
#[derive(Clone, PartialEq, Eq)]
pub struct CallerCredentials {
    pub access_key_id: String,
    pub secret_access_key: String,
    pub session_token: Option<String>,
}

impl fmt::Debug for CallerCredentials {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CallerCredentials")
            .field("access_key_id", &"<redacted>")
            .field("secret_access_key", &"<redacted>")
            .field(
                "session_token",
                &self.session_token.as_ref().map(|_| "<redacted>"),
            )
            .finish()
    }
}
