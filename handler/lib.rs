//! CloudFormation resource handler for AWS Organizations member accounts.
//!
//! Layers, from the wire inwards:
//! - `protocol`: the resource-provider protocol (requests, ProgressEvent, error codes); knows
//!   nothing of Organizations.
//! - `dispatch`: one exhaustive match on the action; retries through the callback loop.
//! - `create`, `read`, `update`, `delete`, `list`: the account logic, one file per action.
//! - `step`: what the actions and the front door share (an invocation's view, a step's
//!   outcome, the time budget), below both so that no module imports its caller.
//! - `org` (the seam to Organizations) and `translate` (pure model <-> SDK translation);
//!   `logs` and `metrics`, the seams to the type owner's CloudWatch, used by `telemetry`.
//! - `schema`, `model`, `context`, `error`, `backoff`: the rules, the types, the stages.

pub mod backoff;
pub mod context;
pub mod create;
pub mod custom;
pub mod delete;
pub mod dispatch;
pub mod error;
pub mod invoke;
pub mod lambda;
pub mod lifecycle;
pub mod list;
pub mod logging;
pub mod logs;
pub mod metrics;
pub mod model;
pub mod org;
pub mod protocol;
pub mod read;
pub mod response_url;
pub mod schema;
pub mod step;
pub mod telemetry;
pub mod translate;
pub mod update;
