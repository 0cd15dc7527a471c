//! The vocabulary every layer speaks: identifiers, the model and the desired state, an account
//! as Organizations shows it, the schema, the errors and their codes.

pub mod credentials;
pub mod error;
pub mod error_code;
pub mod lenient;
pub mod model;
pub mod observed;
pub mod schema;
