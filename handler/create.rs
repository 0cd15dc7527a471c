//! CREATE, one step per invocation:
//! startCreate -> (adopt what this resource already started, or CreateAccount)
//! awaitCreation -> (poll DescribeCreateAccountStatus)
//! placeAccount -> (check the account is ours, record the GovCloud id, MoveAccount to the parent)
//! describeCreated -> (READ the finished account) -> SUCCESS.

use crate::backoff::create_poll_delay;
use crate::context::{CallbackContext, Stage};
use crate::dispatch::{Invocation, Step};
use crate::error::{HandlerError, RetryClass};
use crate::model::{AccountId, CreateAccountRequestId, DesiredAccount, ResourceModel};
use crate::org::CreateRequest;
use crate::read;
use crate::translate::{self, split_tags, CreateState, CreateStatus};

/// A freshly created account may take a little while to show in DescribeAccount.
const MAX_VISIBILITY_POLLS: u32 = 20;

pub async fn run(inv: &Invocation<'_>, ctx: &CallbackContext) -> Result<Step, HandlerError> {
    // Validation first: nothing reaches AWS unless the desired state is valid.
    let desired = DesiredAccount::from_properties(inv.request.resource_properties.as_ref())?;
    let model = inv.incoming_model()?;
    match &ctx.stage {
        Stage::StartCreate => start(inv, ctx, &desired, model).await,
        Stage::AwaitCreation {
            request_id,
            gov_cloud,
        } => await_creation(inv, ctx, &desired, model, request_id, *gov_cloud).await,
        Stage::PlaceAccount {
            account_id,
            gov_cloud_account_id,
        } => {
            place(
                inv,
                &desired,
                model,
                account_id,
                gov_cloud_account_id.as_ref(),
            )
            .await
        }
        Stage::DescribeCreated { account_id } => describe_created(inv, ctx, account_id).await,
        Stage::ApplyUpdate | Stage::CloseAccount | Stage::AwaitClosure { .. } => {
            Err(HandlerError::InvalidRequest(format!(
                "callbackContext.stage: {} does not belong to CREATE",
                ctx.stage.name()
            )))
        }
    }
}

async fn start(
    inv: &Invocation<'_>,
    ctx: &CallbackContext,
    desired: &DesiredAccount,
    model: ResourceModel,
) -> Result<Step, HandlerError> {
    let identity = inv.resource_identity();

    // 1. A live account with this e-mail: ours (a create whose context was lost) or someone
    // else's. Closed accounts are gone for CloudFormation and are never adopted; if one still
    // holds the address, CreateAccount fails with EMAIL_ALREADY_EXISTS (AlreadyExists).
    let accounts = inv.org.all_accounts().await?;
    if let Some(existing) = accounts.iter().find(|a| {
        a.is_live()
            && a.email
                .as_deref()
                .is_some_and(|e| e.eq_ignore_ascii_case(&desired.email))
    }) {
        let (_, book) = split_tags(&inv.org.tags_of(&existing.id).await?);
        if identity.is_some() && book.resource == identity {
            tracing::info!(account_id = %existing.id, "adopting the account this resource already created");
            let gov = book
                .gov_cloud_account_id
                .as_deref()
                .and_then(|g| AccountId::parse(g).ok());
            return Ok(to_place(model, existing.id.clone(), gov));
        }
        return Err(HandlerError::AlreadyExists(format!(
            "Email: {} is already used by account {} ({}) in this organization; choose another Email, or bring that account under CloudFormation with resource import",
            desired.email,
            existing.id,
            existing.name.as_deref().unwrap_or("unnamed")
        )));
    }

    // 2. A creation this resource started whose answer was lost: wait for it instead.
    if identity.is_some() {
        let in_flight = inv.org.creations_in_progress().await?;
        if let Some(status) = in_flight
            .iter()
            .find(|s| s.account_name.as_deref() == Some(desired.name.as_str()))
        {
            tracing::info!(request_id = %status.request_id, "adopting a creation already in progress");
            return Ok(to_await(
                model,
                status.request_id.clone(),
                desired.gov_cloud,
                0,
            ));
        }
    }

    // 3. Create, recording who asked (so a retry can adopt it) and what cannot be read back.
    let mut tags = desired.effective_tags(&inv.request.stack_tags);
    if let Some(id) = &identity {
        tags.insert(translate::TAG_RESOURCE.into(), id.clone());
    }
    tags.insert(translate::TAG_ROLE_NAME.into(), desired.role_name.clone());
    tags.insert(
        translate::TAG_BILLING.into(),
        desired.billing.as_str().into(),
    );
    if desired.gov_cloud {
        tags.insert(translate::TAG_GOVCLOUD.into(), String::new());
    }
    let status = inv
        .org
        .create_account(&CreateRequest {
            name: &desired.name,
            email: &desired.email,
            role_name: &desired.role_name,
            billing: desired.billing,
            gov_cloud: desired.gov_cloud,
            tags: &tags,
        })
        .await?;
    tracing::info!(request_id = %status.request_id, "create request accepted");
    next_after_status(
        inv,
        ctx,
        &desired.email,
        desired.gov_cloud,
        model,
        status,
        0,
    )
}

async fn await_creation(
    inv: &Invocation<'_>,
    ctx: &CallbackContext,
    desired: &DesiredAccount,
    model: ResourceModel,
    request_id: &CreateAccountRequestId,
    gov_cloud: bool,
) -> Result<Step, HandlerError> {
    let status = inv.org.describe_creation(request_id).await?;
    // The GovCloud flag comes from the stage: write-only properties are not in callback models.
    next_after_status(
        inv,
        ctx,
        &desired.email,
        gov_cloud,
        model,
        status,
        ctx.attempt.saturating_add(1),
    )
}

fn next_after_status(
    inv: &Invocation<'_>,
    ctx: &CallbackContext,
    email: &str,
    gov_cloud: bool,
    model: ResourceModel,
    status: CreateStatus,
    polls: u32,
) -> Result<Step, HandlerError> {
    match status.state {
        CreateState::InProgress => Ok(to_await(model, status.request_id, gov_cloud, polls)),
        CreateState::Succeeded {
            account_id,
            gov_cloud_account_id,
        } => {
            tracing::Span::current().record("account_id", account_id.as_str());
            Ok(to_place(model, account_id, gov_cloud_account_id))
        }
        CreateState::Failed { reason } => {
            let error = translate::creation_failure(&reason, email);
            if error.retry_class().is_some() {
                // The request is dead; a new CreateAccount is needed, after a backoff.
                let restart = CallbackContext {
                    attempt: ctx.attempt,
                    ..CallbackContext::new(Stage::StartCreate)
                };
                Ok(Step::retry(model, restart, inv.seed, &error))
            } else {
                Err(error)
            }
        }
    }
}

fn to_await(
    model: ResourceModel,
    request_id: CreateAccountRequestId,
    gov_cloud: bool,
    polls: u32,
) -> Step {
    let message = format!("account creation in progress (request {request_id})");
    Step::Continue {
        model,
        context: CallbackContext {
            attempt: polls,
            ..CallbackContext::new(Stage::AwaitCreation {
                request_id,
                gov_cloud,
            })
        },
        delay: create_poll_delay(polls),
        message,
    }
}

fn to_place(mut model: ResourceModel, account_id: AccountId, gov: Option<AccountId>) -> Step {
    // The primary identifier goes into the model as soon as it is known.
    model.account_id = Some(account_id.to_string());
    model.gov_cloud_account_id = gov.as_ref().map(AccountId::to_string);
    Step::Continue {
        model,
        message: format!("account {account_id} created; placing it"),
        context: CallbackContext::new(Stage::PlaceAccount {
            account_id,
            gov_cloud_account_id: gov,
        }),
        delay: 1,
    }
}

async fn place(
    inv: &Invocation<'_>,
    desired: &DesiredAccount,
    mut model: ResourceModel,
    account_id: &AccountId,
    gov: Option<&AccountId>,
) -> Result<Step, HandlerError> {
    tracing::Span::current().record("account_id", account_id.as_str());
    let tags = match inv.org.tags_of(account_id).await {
        Err(HandlerError::NotFound(m)) => {
            return Err(HandlerError::retry(RetryClass::NotYetVisible, m))
        }
        other => other?,
    };
    let (_, book) = split_tags(&tags);
    let identity = inv.resource_identity();
    if identity.is_some() && book.resource != identity {
        // An adopted in-flight creation turned out to be another resource's: start over.
        tracing::warn!(account_id = %account_id, "adopted creation belongs to another resource; creating anew");
        model.account_id = None;
        model.gov_cloud_account_id = None;
        return Ok(Step::Continue {
            model,
            context: CallbackContext::new(Stage::StartCreate),
            delay: 1,
            message: format!(
                "account {account_id} belongs to another resource; creating this one anew"
            ),
        });
    }
    if let Some(gov) = gov {
        if book.gov_cloud_account_id.as_deref() != Some(gov.as_str()) {
            let record = [(translate::TAG_GOVCLOUD.to_owned(), gov.to_string())].into();
            inv.org.tag(account_id, &record).await?;
        }
    }
    if let Some(parent) = &desired.parent {
        let current = inv.org.parent_of(account_id).await?;
        if &current != parent {
            inv.org.move_account(account_id, &current, parent).await?;
        }
    }
    Ok(Step::Continue {
        model,
        context: CallbackContext::new(Stage::DescribeCreated {
            account_id: account_id.clone(),
        }),
        delay: 1,
        message: format!("account {account_id} placed; reading it back"),
    })
}

async fn describe_created(
    inv: &Invocation<'_>,
    ctx: &CallbackContext,
    account_id: &AccountId,
) -> Result<Step, HandlerError> {
    match read::describe(&inv.org, account_id).await {
        Ok(model) => Ok(Step::Done(model)),
        Err(HandlerError::NotFound(m)) if ctx.attempt < MAX_VISIBILITY_POLLS => {
            Err(HandlerError::retry(RetryClass::NotYetVisible, m))
        }
        Err(HandlerError::NotFound(m)) => Err(HandlerError::NotStabilized(format!(
            "account {account_id} was created but DescribeAccount still does not show it as active: {m}"
        ))),
        Err(e) => Err(e),
    }
}
