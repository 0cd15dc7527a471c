//! The resource schema, embedded in the binary: the single source of truth for properties,
//! patterns and the read-only, write-only and primary-identifier sets. Desired states are
//! validated against it before any AWS call. The validator understands exactly the JSON-Schema
//! keywords the schema uses and refuses to load a schema that uses any other.

use std::collections::{BTreeMap, HashSet};
use std::sync::OnceLock;

use regex::Regex;
use serde_json::{Map, Value};

use crate::vocab::error_code::HandlerErrorCode;
use crate::vocab::lenient::{self, kind, quote};

/// The resource schema, embedded at build time.
pub const SCHEMA_JSON: &str = include_str!("../../schema/aws-organizations-account.json");

/// A rule a value broke, with the path of the value (`Tags[0].Key`).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{path}: {rule}")]
pub struct Violation {
    /// Where the value is (`Tags[0].Key`).
    pub path: String,
    /// What it broke.
    pub rule: String,
}

impl Violation {
    /// The code a broken rule answers with.
    pub fn code(&self) -> HandlerErrorCode {
        HandlerErrorCode::InvalidRequest
    }
}

/// The resource schema, with its patterns compiled once.
pub struct Schema {
    raw: Value,
    patterns: BTreeMap<String, Regex>,
}

const KNOWN_KEYWORDS: &[&str] = &[
    "type",
    "description",
    "pattern",
    "minLength",
    "maxLength",
    "enum",
    "default",
    "items",
    "maxItems",
    "minItems",
    "uniqueItems",
    "insertionOrder",
    "properties",
    "additionalProperties",
    "required",
    "$ref",
    "minimum",
    "maximum",
];

impl Schema {
    /// The embedded schema. Loading is checked by a test, so a broken schema never ships.
    pub fn get() -> &'static Schema {
        static SCHEMA: OnceLock<Schema> = OnceLock::new();
        SCHEMA.get_or_init(|| match Schema::load(SCHEMA_JSON) {
            Ok(s) => s,
            // The schema is compiled into the binary and covered by tests; this cannot be input.
            Err(e) => panic!("embedded resource schema is invalid: {e}"),
        })
    }

    /// Reads a schema, compiling its patterns; refuses keywords the checker does not know.
    pub fn load(text: &str) -> Result<Schema, String> {
        let raw: Value = serde_json::from_str(text).map_err(|e| e.to_string())?;
        let mut patterns = BTreeMap::new();
        let mut stack = vec![raw.clone()];
        while let Some(node) = stack.pop() {
            let Value::Object(obj) = node else { continue };
            if let Some(Value::String(p)) = obj.get("pattern") {
                let re = Regex::new(p).map_err(|e| format!("pattern {p}: {e}"))?;
                patterns.insert(p.clone(), re);
            }
            for key in ["properties", "definitions"] {
                if let Some(Value::Object(children)) = obj.get(key) {
                    for child in children.values() {
                        check_keywords(child)?;
                        stack.push(child.clone());
                    }
                }
            }
            if let Some(items) = obj.get("items") {
                check_keywords(items)?;
                stack.push(items.clone());
            }
        }
        Ok(Schema { raw, patterns })
    }

    /// The schema as JSON.
    pub fn raw(&self) -> &Value {
        &self.raw
    }

    /// Property names (without `/properties/`) of a pointer list such as `writeOnlyProperties`.
    pub fn property_set(&self, key: &str) -> Vec<String> {
        self.raw[key]
            .as_array()
            .map(|a| {
                a.iter()
                    .filter_map(Value::as_str)
                    .map(|p| p.trim_start_matches("/properties/").to_owned())
                    .collect()
            })
            .unwrap_or_default()
    }

    /// Every property's name.
    pub fn property_names(&self) -> Vec<String> {
        self.raw["properties"]
            .as_object()
            .map(|m| m.keys().cloned().collect())
            .unwrap_or_default()
    }

    /// Checks a desired state against the schema; the first violation found is returned.
    pub fn validate(&self, value: &Value) -> Result<(), Violation> {
        self.check(&self.raw, value, "")
    }

    fn resolve<'a>(&'a self, node: &'a Value) -> &'a Value {
        match node.get("$ref").and_then(Value::as_str) {
            Some(r) => {
                let name = r.trim_start_matches("#/definitions/");
                &self.raw["definitions"][name]
            }
            None => node,
        }
    }

    fn check(&self, node: &Value, value: &Value, path: &str) -> Result<(), Violation> {
        let node = self.resolve(node);
        let fail = |rule: String| {
            Err(Violation {
                path: if path.is_empty() {
                    "resourceProperties".into()
                } else {
                    path.into()
                },
                rule,
            })
        };
        match node.get("type").and_then(Value::as_str) {
            Some("string") => {
                let Some(s) = scalar_text(value) else {
                    return fail(format!("expected a string, found {}", kind(value)));
                };
                let len = s.chars().count() as u64;
                if let Some(min) = node.get("minLength").and_then(Value::as_u64) {
                    if len < min {
                        return fail(format!("{} is shorter than {min} characters", quote(&s)));
                    }
                }
                if let Some(max) = node.get("maxLength").and_then(Value::as_u64) {
                    if len > max {
                        return fail(format!("{} is longer than {max} characters", quote(&s)));
                    }
                }
                if let Some(p) = node.get("pattern").and_then(Value::as_str) {
                    if !self.patterns.get(p).is_some_and(|re| re.is_match(&s)) {
                        return fail(format!("{} does not match {p}", quote(&s)));
                    }
                }
                if let Some(Value::Array(allowed)) = node.get("enum") {
                    if !allowed.iter().any(|a| a.as_str() == Some(s.as_str())) {
                        let names: Vec<&str> = allowed.iter().filter_map(Value::as_str).collect();
                        return fail(format!("{} is not one of {}", quote(&s), names.join(", ")));
                    }
                }
                Ok(())
            }
            Some("integer") => {
                let n = match value {
                    Value::Number(n) => n.as_i64(),
                    Value::String(s) => s.trim().parse::<i64>().ok(),
                    _ => None,
                };
                let Some(n) = n else {
                    return fail(format!(
                        "expected a whole number, found {}",
                        describe(value)
                    ));
                };
                if let Some(min) = node.get("minimum").and_then(Value::as_i64) {
                    if n < min {
                        return fail(format!("{n} is less than {min}"));
                    }
                }
                if let Some(max) = node.get("maximum").and_then(Value::as_i64) {
                    if n > max {
                        return fail(format!("{n} is more than {max}"));
                    }
                }
                Ok(())
            }
            Some("boolean") => match value {
                Value::Bool(_) => Ok(()),
                Value::String(s) if lenient::boolean_text(s).is_some() => Ok(()),
                other => fail(format!("expected true or false, found {}", describe(other))),
            },
            Some("array") => {
                let Value::Array(items) = value else {
                    return fail(format!("expected an array, found {}", kind(value)));
                };
                if let Some(max) = node.get("maxItems").and_then(Value::as_u64) {
                    if items.len() as u64 > max {
                        return fail(format!("has {} items; at most {max} allowed", items.len()));
                    }
                }
                if let Some(min) = node.get("minItems").and_then(Value::as_u64) {
                    if (items.len() as u64) < min {
                        return fail(format!(
                            "has {} items; at least {min} required",
                            items.len()
                        ));
                    }
                }
                if let Some(item_schema) = node.get("items") {
                    for (i, item) in items.iter().enumerate() {
                        self.check(item_schema, item, &format!("{path}[{i}]"))?;
                    }
                }
                if node.get("uniqueItems") == Some(&Value::Bool(true)) {
                    let mut seen = HashSet::new();
                    for (i, item) in items.iter().enumerate() {
                        if !seen.insert(item.to_string()) {
                            return fail(format!("item {i} repeats an earlier item"));
                        }
                    }
                }
                Ok(())
            }
            Some("object") | None if node.get("properties").is_some() => {
                let Value::Object(obj) = value else {
                    return fail(format!("expected an object, found {}", kind(value)));
                };
                self.check_object(node, obj, path)
            }
            Some(other) => fail(format!("schema type {other} is not supported")),
            None => Ok(()),
        }
    }

    fn check_object(
        &self,
        node: &Value,
        obj: &Map<String, Value>,
        path: &str,
    ) -> Result<(), Violation> {
        let join = |k: &str| {
            if path.is_empty() {
                k.to_owned()
            } else {
                format!("{path}.{k}")
            }
        };
        let props = node.get("properties").and_then(Value::as_object);
        if let Some(Value::Array(required)) = node.get("required") {
            for name in required.iter().filter_map(Value::as_str) {
                if obj.get(name).is_none_or(Value::is_null) {
                    return Err(Violation {
                        path: join(name),
                        rule: "is required".into(),
                    });
                }
            }
        }
        for (k, v) in obj {
            match props.and_then(|p| p.get(k)) {
                // An explicit null is the same as an absent optional property.
                Some(_) if v.is_null() => {}
                Some(child) => self.check(child, v, &join(k))?,
                None if node.get("additionalProperties") == Some(&Value::Bool(false)) => {
                    let allowed: Vec<&str> = props
                        .map(|p| p.keys().map(String::as_str).collect())
                        .unwrap_or_default();
                    return Err(Violation {
                        path: join(k),
                        rule: format!(
                            "is not a property of this type; allowed: {}",
                            allowed.join(", ")
                        ),
                    });
                }
                None => {}
            }
        }
        Ok(())
    }
}

fn check_keywords(node: &Value) -> Result<(), String> {
    if let Value::Object(obj) = node {
        if let Some(k) = obj.keys().find(|k| !KNOWN_KEYWORDS.contains(&k.as_str())) {
            return Err(format!("keyword {k} is not understood by the validator"));
        }
    }
    Ok(())
}

/// Scalars may arrive as strings, numbers or booleans; a string property takes their text.
fn scalar_text(v: &Value) -> Option<String> {
    match v {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        Value::Bool(b) => Some(b.to_string()),
        _ => None,
    }
}

fn describe(v: &Value) -> String {
    match v {
        Value::String(s) => quote(s),
        other => kind(other).to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn violation(v: Value) -> String {
        Schema::get().validate(&v).unwrap_err().to_string()
    }

    #[test]
    fn embedded_schema_loads_and_compiles_every_pattern() {
        let s = Schema::get();
        assert!(s.patterns.len() >= 7);
    }

    #[test]
    fn valid_desired_state_passes() {
        let ok = json!({"AccountName": "Team A", "Email": "a@example.com", "ParentIds": ["ou-ab12-abcdefgh"],
            "RoleName": "Admin", "IamUserAccessToBilling": "DENY", "CreateGovCloudAccount": "true",
            "Tags": [{"Key": "team", "Value": ""}], "AccountId": null});
        Schema::get().validate(&ok).unwrap();
    }

    #[test]
    fn contact_and_identifier_patterns_are_ascii_as_aws_evaluates_them() {
        // AWS checks these with Java's regular expressions, where \w and \s are ASCII: a
        // letter outside ASCII, a no-break space or another script's digits pass Unicode-aware
        // classes but are refused by the service, so they are refused here, before any call.
        let contact = |email: &str, phone: &str| {
            json!({"AccountName": "a", "Email": "a@b.co", "AlternateContacts": {"Security":
                {"Name": "n", "Title": "t", "EmailAddress": email, "PhoneNumber": phone}}})
        };
        Schema::get()
            .validate(&contact(" sec_ops+1@example.com\t", "+1 (555) 0100"))
            .unwrap();
        for (bad, field) in [
            (contact("séc@example.com", "+1 555 0100"), "EmailAddress"),
            (contact("sec@exämple.com", "+1 555 0100"), "EmailAddress"),
            (
                contact("sec@example.com", "+1\u{a0}555 0100"),
                "PhoneNumber",
            ),
            (
                json!({"AccountName": "a", "Email": "a@b.co", "RoleName": "Rôle"}),
                "RoleName",
            ),
            (
                json!({"AccountName": "a", "Email": "a@b.co", "AccountId": "١٢٣٤٥٦٧٨٩٠١٢"}),
                "AccountId",
            ),
        ] {
            let e = violation(bad);
            assert!(e.contains(field) && e.contains("does not match"), "{e}");
        }
    }

    #[test]
    fn bad_email_names_the_field_and_the_pattern() {
        assert_eq!(
            violation(json!({"AccountName": "a", "Email": "not-an-email"})),
            r#"Email: "not-an-email" does not match ^[^\s@]+@[^\s@]+\.[^\s@]+$"#
        );
    }

    #[test]
    fn unanchored_garbage_is_rejected_by_anchored_patterns() {
        // The AWS schema's unanchored ParentIds pattern accepts this; ours does not.
        let e = violation(
            json!({"AccountName": "a", "Email": "a@b.co", "ParentIds": ["xx r-abcd yy"]}),
        );
        assert!(
            e.starts_with("ParentIds[0]: \"xx r-abcd yy\" does not match"),
            "{e}"
        );
    }

    #[test]
    fn more_than_one_parent_is_rejected() {
        let e = violation(
            json!({"AccountName": "a", "Email": "a@b.co", "ParentIds": ["r-abcd", "r-efgh"]}),
        );
        assert_eq!(e, "ParentIds: has 2 items; at most 1 allowed");
    }

    #[test]
    fn missing_required_and_unknown_properties_are_named() {
        assert_eq!(
            violation(json!({"Email": "a@b.co"})),
            "AccountName: is required"
        );
        let e = violation(json!({"AccountName": "a", "Email": "a@b.co", "Colour": "red"}));
        assert!(
            e.starts_with("Colour: is not a property of this type"),
            "{e}"
        );
    }

    #[test]
    fn nested_tag_errors_carry_the_index() {
        let e = violation(
            json!({"AccountName": "a", "Email": "a@b.co", "Tags": [{"Key": "k", "Value": "v"}, {"Key": ""}]}),
        );
        assert_eq!(e, "Tags[1].Value: is required");
        let e = violation(
            json!({"AccountName": "a", "Email": "a@b.co", "Tags": [{"Key": "", "Value": "v"}]}),
        );
        assert_eq!(e, "Tags[0].Key: \"\" is shorter than 1 characters");
    }

    #[test]
    fn enum_and_length_rules_are_enforced() {
        let e = violation(
            json!({"AccountName": "a", "Email": "a@b.co", "IamUserAccessToBilling": "MAYBE"}),
        );
        assert_eq!(
            e,
            "IamUserAccessToBilling: \"MAYBE\" is not one of ALLOW, DENY"
        );
        let e = violation(json!({"AccountName": "x".repeat(51), "Email": "a@b.co"}));
        assert!(
            e.starts_with("AccountName: ") && e.ends_with("is longer than 50 characters"),
            "{e}"
        );
    }

    #[test]
    fn schema_with_unknown_keyword_is_refused() {
        let e = Schema::load(r#"{"properties": {"A": {"type": "string", "format": "email"}}}"#);
        assert!(e.is_err_and(|e| e.contains("format")));
    }
}
