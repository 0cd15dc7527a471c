//! Lenient scalar decoding: CloudFormation sends scalar values as strings, numbers or booleans
//! depending on the path they took, and sometimes as explicit `null`.

use std::collections::BTreeMap;

use serde::{Deserialize, Deserializer};
use serde_json::Value;

/// Accepts a string, number or boolean (as its text) or null/absent (as None).
pub fn opt_string<'de, D: Deserializer<'de>>(d: D) -> Result<Option<String>, D::Error> {
    match Option::<Value>::deserialize(d)? {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) => Ok(Some(s)),
        Some(Value::Number(n)) => Ok(Some(n.to_string())),
        Some(Value::Bool(b)) => Ok(Some(b.to_string())),
        Some(other) => Err(serde::de::Error::custom(format!(
            "expected a string, found {}",
            kind(&other)
        ))),
    }
}

/// A whole number as CloudFormation may send it: 15, "15", or null/absent.
pub fn opt_u32<'de, D: Deserializer<'de>>(d: D) -> Result<Option<u32>, D::Error> {
    let bad = |what: &Value| {
        serde::de::Error::custom(format!("expected a whole number, found {}", kind(what)))
    };
    match Option::<Value>::deserialize(d)? {
        None | Some(Value::Null) => Ok(None),
        Some(Value::Number(n)) => n
            .as_u64()
            .and_then(|n| u32::try_from(n).ok())
            .map(Some)
            .ok_or_else(|| bad(&Value::Number(n))),
        Some(Value::String(s)) => s
            .trim()
            .parse::<u32>()
            .map(Some)
            .map_err(|_| bad(&Value::String(s))),
        Some(other) => Err(bad(&other)),
    }
}

/// The one rule for a boolean written as text, as CloudFormation sends custom-resource
/// properties and sometimes protocol fields: "true" or "false", any case, spaces around.
pub fn boolean_text(s: &str) -> Option<bool> {
    let s = s.trim();
    if s.eq_ignore_ascii_case("true") {
        Some(true)
    } else if s.eq_ignore_ascii_case("false") {
        Some(false)
    } else {
        None
    }
}

/// An optional boolean property: true/false, their text (`boolean_text`), or null/absent.
pub fn opt_flag<'de, D: Deserializer<'de>>(d: D) -> Result<Option<bool>, D::Error> {
    match Option::<Value>::deserialize(d)? {
        None | Some(Value::Null) => Ok(None),
        Some(Value::Bool(b)) => Ok(Some(b)),
        Some(Value::String(s)) if boolean_text(&s).is_some() => Ok(boolean_text(&s)),
        Some(other) => Err(serde::de::Error::custom(format!(
            "expected true or false, found {}",
            kind(&other)
        ))),
    }
}

/// A protocol flag: true/false, their text, or null/absent/empty (false).
pub fn flag<'de, D: Deserializer<'de>>(d: D) -> Result<bool, D::Error> {
    match Option::<Value>::deserialize(d)? {
        None | Some(Value::Null) => Ok(false),
        Some(Value::Bool(b)) => Ok(b),
        Some(Value::String(s)) if s.trim().is_empty() => Ok(false),
        Some(Value::String(s)) if boolean_text(&s).is_some() => Ok(boolean_text(&s) == Some(true)),
        Some(other) => Err(serde::de::Error::custom(format!(
            "expected a boolean, found {}",
            kind(&other)
        ))),
    }
}

/// A map of tag key to value (stackTags, systemTags); values may be scalars of any kind.
pub fn tag_map<'de, D: Deserializer<'de>>(d: D) -> Result<BTreeMap<String, String>, D::Error> {
    match Option::<Value>::deserialize(d)? {
        None | Some(Value::Null) => Ok(BTreeMap::new()),
        Some(Value::Object(map)) => map
            .into_iter()
            .map(|(k, v)| match v {
                Value::String(s) => Ok((k, s)),
                Value::Number(n) => Ok((k, n.to_string())),
                Value::Bool(b) => Ok((k, b.to_string())),
                Value::Null => Ok((k, String::new())),
                other => Err(serde::de::Error::custom(format!(
                    "tag {}: expected a string, found {}",
                    quote(&k),
                    kind(&other)
                ))),
            })
            .collect(),
        Some(other) => Err(serde::de::Error::custom(format!(
            "expected an object of tag keys to values, found {}",
            kind(&other)
        ))),
    }
}

/// A JSON value's kind, for messages.
pub fn kind(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

/// Quotes a value for a message, cut short so that a huge input never becomes a huge message.
pub fn quote(s: &str) -> String {
    const MAX: usize = 64;
    if s.chars().count() <= MAX {
        format!("{s:?}")
    } else {
        let head: String = s.chars().take(MAX).collect();
        format!("{head:?}... ({} characters)", s.chars().count())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn booleans_as_text_follow_one_rule_everywhere() {
        for (text, want) in [
            ("true", Some(true)),
            (" TRUE ", Some(true)),
            ("False", Some(false)),
            ("yes", None),
            ("", None),
        ] {
            assert_eq!(boolean_text(text), want, "{text:?}");
        }
        #[derive(serde::Deserialize)]
        struct Flags {
            #[serde(default, deserialize_with = "opt_flag")]
            opt: Option<bool>,
            #[serde(default, deserialize_with = "flag")]
            flag: bool,
        }
        let f: Flags = serde_json::from_str(r#"{"opt": "True", "flag": " true"}"#).unwrap();
        assert_eq!((f.opt, f.flag), (Some(true), true));
        let f: Flags = serde_json::from_str(r#"{"flag": ""}"#).unwrap();
        assert_eq!((f.opt, f.flag), (None, false));
        assert!(serde_json::from_str::<Flags>(r#"{"opt": "maybe"}"#).is_err());
    }

    #[test]
    fn quote_cuts_huge_values_short() {
        let huge = "x".repeat(1_000_000);
        let q = quote(&huge);
        assert!(q.len() < 120, "{q}");
        assert!(q.ends_with("(1000000 characters)"));
    }
}
