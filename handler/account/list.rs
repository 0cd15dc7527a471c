//! LIST: one page of ListAccounts per invocation; only accounts READ would find.

use crate::account::step::Invocation;
use crate::vocab::error::HandlerError;
use crate::vocab::model::ResourceModel;
use crate::vocab::observed::summary_model;

pub async fn run(
    inv: &Invocation<'_>,
) -> Result<(Vec<ResourceModel>, Option<String>), HandlerError> {
    let (accounts, next) = inv
        .org
        .accounts_page(inv.request.next_token.clone())
        .await?;
    let models = accounts
        .iter()
        .filter(|a| a.is_live())
        .map(summary_model)
        .collect();
    Ok((models, next))
}
