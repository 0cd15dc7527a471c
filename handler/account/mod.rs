//! The account lifecycle, shared by both doors and knowing no wire format: one file per action,
//! the stages each write action moves through, and what the actions and doors share.

pub mod backoff;
pub mod baseline;
pub mod create;
pub mod delete;
pub mod inside;
pub mod lifecycle;
pub mod list;
pub mod pace;
pub mod parent;
pub mod preflight;
pub mod read;
pub mod stages;
pub mod step;
pub mod update;
