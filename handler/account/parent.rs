//! A declared parent as the id Organizations moves accounts by, and an id as the path READ
//! returns. A path is walked from the root (ListRoots, then ListOrganizationalUnitsForParent per
//! name), read anew by every step that needs it: an OU renamed or recreated between a create's
//! stages is followed, never a stale id.

use crate::account::step::Invocation;
use crate::vocab::error::HandlerError;
use crate::vocab::model::ParentId;
use crate::vocab::parent::{OuPath, ParentRef};

/// The id `parent` stands for. A path naming an OU that does not exist is InvalidRequest naming
/// the first missing name and where it was looked for.
pub async fn resolve(inv: &Invocation<'_>, parent: &ParentRef) -> Result<ParentId, HandlerError> {
    let path = match parent {
        ParentRef::Id(id) => return Ok(id.clone()),
        ParentRef::Path(path) => path,
    };
    let mut here = inv.org.root_id().await?;
    for (depth, name) in path.names().iter().enumerate() {
        let children = inv.org.ous_in(&here).await?;
        let mut matching = children.iter().filter(|(_, n)| n == name);
        here = match (matching.next(), matching.next()) {
            (Some((id, _)), None) => id.clone(),
            (None, _) => {
                let known: Vec<&str> = children.iter().map(|(_, n)| n.as_str()).collect();
                return Err(HandlerError::InvalidRequest(format!(
                    "ParentPath: {path}: there is no OU named {name:?} in {} ({here}){}; nothing was created or changed. Create the OU first or correct the path",
                    path.prefix(depth),
                    match known.is_empty() {
                        true => ", which holds no OU".to_owned(),
                        false => format!(", which holds {}", known.join(", ")),
                    }
                )));
            }
            // Organizations refuses a second OU of the same name in one parent; should it ever
            // answer so, the path names no single OU.
            (Some(_), Some(_)) => {
                return Err(HandlerError::InvalidRequest(format!(
                    "ParentPath: {path}: more than one OU is named {name:?} in {} ({here}); use ParentIds with the OU's id",
                    path.prefix(depth)
                )))
            }
        };
    }
    Ok(here)
}

/// The path of OU names from the root to `parent` (READ returns it beside ParentIds).
pub async fn path_of(inv: &Invocation<'_>, parent: &ParentId) -> Result<OuPath, HandlerError> {
    let mut names = Vec::new();
    let mut here = parent.clone();
    // The root ends the walk; Organizations nests OUs at most five deep, so a longer walk means
    // an answer that loops.
    for _ in 0..=5 {
        if here.is_root() {
            names.reverse();
            return Ok(OuPath::from_names(names));
        }
        let (name, up) = inv.org.ou_place(&here).await?;
        names.push(name);
        here = up;
    }
    Err(HandlerError::GeneralServiceException(format!(
        "the parents of {parent} did not lead to the root within five levels"
    )))
}
