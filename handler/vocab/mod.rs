//! The vocabulary every layer speaks: identifiers, the model and the desired state, an account
//! as Organizations shows it, the schema, the errors and their codes.

pub(crate) mod baseline;
pub(crate) mod before;
pub(crate) mod credentials;
pub(crate) mod error;
pub(crate) mod error_code;
pub(crate) mod identity;
pub(crate) mod inside;
pub(crate) mod lenient;
pub(crate) mod model;
pub(crate) mod observed;
pub(crate) mod parent;
pub mod schema;

/// The record the handler keeps on an account it created (its tag key, and what it says).
pub use observed::{Bookkeeping, TAG_RECORD};
