//! The PhysicalResourceId a custom resource answers with, decided in one place. Pure.
//!
//! - Update and Delete keep the id CloudFormation already has (a different one would be a
//!   replacement, and a Delete of the old id).
//! - A Create answers its account's id, once proven this declaration's; before that, the
//!   creation request in flight (`creating:<request>`), so that the rollback Delete can settle
//!   it; else `not-created:<RequestId>`, which names nothing.

use crate::account::lifecycle::Standing;

use super::event::{Echo, CREATING, NOT_CREATED};

/// The id for an answer to `echo`'s request: `proven` is the account id the lifecycle proved
/// this declaration's (never one the request carried), `standing` where a pending create stands.
pub fn physical_id(echo: &Echo, proven: Option<&str>, standing: Option<&Standing>) -> String {
    let not_created = || format!("{NOT_CREATED}{}", echo.request_id);
    if echo.request_type != "Create" {
        // Update, Delete, and a request too malformed to say: the id CloudFormation knows.
        return echo
            .physical_resource_id
            .clone()
            .unwrap_or_else(not_created);
    }
    match (proven, standing) {
        (Some(id), _) => id.to_owned(),
        (None, Some(Standing::CreationInFlight(request))) => format!("{CREATING}{request}"),
        (None, Some(Standing::NothingRequested | Standing::Underway) | None) => not_created(),
    }
}

/// Whether a PhysicalResourceId names an account or a creation request in flight, rather than
/// nothing (`not-created:`).
pub fn names_something(physical_id: &str) -> bool {
    !physical_id.starts_with(NOT_CREATED)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::vocab::model::CreateAccountRequestId;

    fn echo(request_type: &str, physical: Option<&str>) -> Echo {
        Echo {
            request_type: request_type.into(),
            request_id: "r-1".into(),
            physical_resource_id: physical.map(str::to_owned),
            ..Echo::default()
        }
    }

    #[test]
    fn each_answer_carries_the_one_physical_id_its_situation_calls_for() {
        let request = CreateAccountRequestId::parse("car-0123456789").unwrap();
        let in_flight = Standing::CreationInFlight(request);
        let account = Some("111122223333");
        for (what, echo, proven, standing, id) in [
            (
                "create, proven",
                echo("Create", None),
                account,
                Some(&in_flight),
                "111122223333",
            ),
            (
                "create, request in flight",
                echo("Create", None),
                None,
                Some(&in_flight),
                "creating:car-0123456789",
            ),
            (
                "create, nothing requested",
                echo("Create", None),
                None,
                Some(&Standing::NothingRequested),
                "not-created:r-1",
            ),
            (
                "create, otherwise underway",
                echo("Create", None),
                None,
                Some(&Standing::Underway),
                "not-created:r-1",
            ),
            (
                "create, finished or failed early",
                echo("Create", None),
                None,
                None,
                "not-created:r-1",
            ),
            // A create's carried id never decides: only `proven` does.
            (
                "create carrying a foreign id",
                echo("Create", Some("999999999999")),
                None,
                None,
                "not-created:r-1",
            ),
            (
                "update keeps its id",
                echo("Update", Some("111122223333")),
                Some("444455556666"),
                None,
                "111122223333",
            ),
            (
                "delete keeps its id",
                echo("Delete", Some("creating:car-1")),
                None,
                Some(&in_flight),
                "creating:car-1",
            ),
            (
                "malformed request",
                echo("", None),
                None,
                None,
                "not-created:r-1",
            ),
        ] {
            assert_eq!(physical_id(&echo, proven, standing), id, "{what}");
        }
    }
}
