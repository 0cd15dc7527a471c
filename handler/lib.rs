//! CloudFormation resource handler for AWS Organizations member accounts.
//!
//! Four layers, one folder each, from the wire inwards; a module uses only its own layer and
//! those below it:
//! - [`doors`]: the front doors and [`doors::route`], which picks one. [`doors::body`] (the raw-body guard before the runtime's
//!   decoder), [`doors::logging`] (the JSON subscriber, the per-request line capture),
//!   [`doors::registry`] (the resource-provider protocol: `protocol` its wire types, `dispatch`
//!   one exhaustive match on the action, `telemetry` the type owner's logs and metrics) and
//!   [`doors::custom`] (CloudFormation's custom-resource events and the CDK provider
//!   framework's).
//! - `account`: the account lifecycle, shared by both doors and knowing no wire format.
//!   `lifecycle` (one write step, bounded), one file per action (`create`, `read`, `update`,
//!   `delete`, `list`), `baseline` (contacts, Regions and readiness, shared by create and
//!   update), `stages` (each write action's stages, the callback context), `step` (an
//!   invocation's view, a step's outcome, the time budget) and `backoff`.
//! - [`aws`]: the seams. `clients` (the shared configuration, each request's clients), one module
//!   per service (`organizations`, `account` for the Account Management API, `sts` for whether a
//!   new account is usable, `lambda` for a custom resource's hand-off to itself,
//!   `response_url` for a presigned ResponseURL, `logs` and `metrics` for the owner's
//!   CloudWatch), `translate` (pure SDK <-> vocabulary translation, the service-error table) and `error`
//!   (why a call through the smaller seams failed).
//! - [`vocab`]: what every layer speaks. `model` (identifiers, the model, the desired state),
//!   `observed` (an account as Organizations shows it, the record the handler keeps),
//!   `identity` (a declaration's identity as that record holds it), `baseline` (contacts,
//!   Region codes and statuses),
//!   `credentials`, `schema` (the embedded resource schema), `error` (HandlerError) and
//!   `error_code` (HandlerErrorCode), `lenient` (scalars as CloudFormation sends them).

#![warn(missing_docs)]

pub(crate) mod account;
pub mod aws;
pub mod doors;
pub mod vocab;
