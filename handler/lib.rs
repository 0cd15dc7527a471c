//! CloudFormation resource handler for AWS Organizations member accounts.
//!
//! Layers, from the wire inwards; each module uses only its own layer and those below it:
//! - Runtime glue (used by `main.rs`): `lambda` (the raw-body guard before the runtime's
//!   decoder), `logging` (the JSON subscriber and the per-request line capture).
//! - Front doors: the registry protocol (`protocol`: requests and ProgressEvent; `dispatch`:
//!   one exhaustive match on the action; `telemetry`: the type owner's logs and metrics) and
//!   custom resources (`custom`: CloudFormation's events and the CDK provider framework's).
//! - The account lifecycle, shared by both doors and knowing no wire format: `lifecycle` (one
//!   write step, bounded), the actions `create`, `read`, `update`, `delete`, `list`, and what
//!   they and the doors share below them: `step` (an invocation's view, a step's outcome, the
//!   time budget), `context` (the stages and the actions that have them), `backoff`.
//! - AWS seams: `clients` (the shared configuration, and each request's clients), `org`
//!   (Organizations), `invoke` (Lambda, a
//!   custom resource's hand-off to itself), `response_url` (a presigned ResponseURL), `logs` and
//!   `metrics` (the owner's CloudWatch), and `translate` (pure SDK <-> model translation and the
//!   service-error table).
//! - The vocabulary every layer speaks: `model` (identifiers, the model, the desired state),
//!   `observed` (an account as Organizations shows it, and the record the handler keeps),
//!   `credentials` (what a request brings, never shown), `schema` (the embedded resource
//!   schema), `error` (HandlerError) and `error_code`
//!   (HandlerErrorCode), `lenient` (scalars as CloudFormation sends them).

pub mod backoff;
pub mod clients;
pub mod context;
pub mod create;
pub mod credentials;
pub mod custom;
pub mod delete;
pub mod dispatch;
pub mod error;
pub mod error_code;
pub mod invoke;
pub mod lambda;
pub mod lenient;
pub mod lifecycle;
pub mod list;
pub mod logging;
pub mod logs;
pub mod metrics;
pub mod model;
pub mod observed;
pub mod org;
pub mod protocol;
pub mod read;
pub mod response_url;
pub mod schema;
pub mod step;
pub mod telemetry;
pub mod translate;
pub mod update;
