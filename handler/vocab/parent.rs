//! Where an account belongs, as a template declares it: an id (`ParentIds`) or a path of OU
//! names from the root (`ParentPath`, e.g. `/Workloads/Prod`), which reads like the console and
//! survives an OU being recreated with a new id.

use std::fmt;

use crate::vocab::error::HandlerError;
use crate::vocab::lenient;
use crate::vocab::model::ParentId;

/// Organizations' limit on an OU name (CreateOrganizationalUnit: 1 to 128 characters).
const MAX_NAME: usize = 128;
/// Organizations nests OUs at most five levels below the root.
const MAX_DEPTH: usize = 5;

/// A path of OU names from the root: `/` is the root itself, `/Workloads/Prod` the OU named Prod
/// in the OU named Workloads in the root.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OuPath {
    names: Vec<String>,
}

impl OuPath {
    pub fn parse(s: &str) -> Result<OuPath, HandlerError> {
        let bad = |rule: &str| {
            HandlerError::InvalidRequest(format!(
                "ParentPath: {} {rule}; write the OU names from the root, e.g. /Workloads/Prod (/ is the root)",
                lenient::quote(s)
            ))
        };
        let Some(rest) = s.strip_prefix('/') else {
            return Err(bad("does not start with /"));
        };
        if rest.is_empty() {
            return Ok(OuPath::root());
        }
        let names: Vec<String> = rest.split('/').map(str::to_owned).collect();
        if names.iter().any(String::is_empty) {
            return Err(bad("has an empty OU name (// or a trailing /)"));
        }
        if let Some(long) = names.iter().find(|n| n.chars().count() > MAX_NAME) {
            return Err(bad(&format!(
                "has an OU name of {} characters ({}...); OU names have at most {MAX_NAME}",
                long.chars().count(),
                long.chars().take(20).collect::<String>()
            )));
        }
        if names.len() > MAX_DEPTH {
            return Err(bad(&format!(
                "is {} OUs deep; Organizations nests OUs at most {MAX_DEPTH} levels below the root",
                names.len()
            )));
        }
        Ok(OuPath { names })
    }

    /// The root.
    pub fn root() -> OuPath {
        OuPath { names: Vec::new() }
    }

    /// The OU names from the root down.
    pub fn names(&self) -> &[String] {
        &self.names
    }

    /// The path of the first `n` names.
    pub fn prefix(&self, n: usize) -> OuPath {
        OuPath {
            names: self.names.iter().take(n).cloned().collect(),
        }
    }

    /// The path from names read from the root down.
    pub fn from_names(names: Vec<String>) -> OuPath {
        OuPath { names }
    }
}

impl fmt::Display for OuPath {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.names.is_empty() {
            return f.write_str("/");
        }
        for name in &self.names {
            write!(f, "/{name}")?;
        }
        Ok(())
    }
}

/// The parent a template declares: by id or by path.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ParentRef {
    Id(ParentId),
    Path(OuPath),
}

impl fmt::Display for ParentRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ParentRef::Id(id) => write!(f, "{id}"),
            ParentRef::Path(path) => write!(f, "{path}"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_path_names_ous_from_the_root() {
        let p = OuPath::parse("/Workloads/Prod").unwrap();
        assert_eq!(p.names(), ["Workloads", "Prod"]);
        assert_eq!(p.to_string(), "/Workloads/Prod");
        assert_eq!(p.prefix(1).to_string(), "/Workloads");
        assert_eq!(OuPath::parse("/").unwrap(), OuPath::root());
        assert_eq!(OuPath::root().to_string(), "/");
        assert_eq!(
            OuPath::parse("/Team A (prod)").unwrap().names(),
            ["Team A (prod)"]
        );
    }

    #[test]
    fn a_malformed_path_is_refused_naming_the_rule() {
        for (path, rule) in [
            ("Workloads/Prod", "does not start with /"),
            ("/Workloads/", "empty OU name"),
            ("/Workloads//Prod", "empty OU name"),
            ("", "does not start with /"),
            ("/a/b/c/d/e/f", "at most 5 levels"),
        ] {
            let e = OuPath::parse(path).unwrap_err().to_string();
            assert!(e.contains("ParentPath") && e.contains(rule), "{path}: {e}");
        }
        let long = format!("/{}", "x".repeat(129));
        assert!(OuPath::parse(&long)
            .unwrap_err()
            .to_string()
            .contains("at most 128"));
    }
}
