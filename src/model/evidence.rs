//! A finding's evidence: a JSON tree while its rule builds it, then kept as compact JSON text
//! (issue 32: a small `serde_json::Map` costs ~600 bytes of B-tree node however few keys it
//! has, and an estate of 500,000 resources holds a million findings). Written to every format
//! as the same JSON, keys in the same order.

use serde::{Serialize, Serializer};
use serde_json::Value;
use std::borrow::Cow;

#[derive(Debug, Clone)]
pub enum Evidence {
    /// Being built by a rule.
    Tree(Value),
    /// Finished: the tree's compact JSON text.
    Text(Box<str>),
}

impl Default for Evidence {
    fn default() -> Self {
        Evidence::Tree(Value::Null)
    }
}

impl From<Value> for Evidence {
    fn from(v: Value) -> Self {
        Evidence::Tree(v)
    }
}

impl Evidence {
    /// The evidence as a JSON tree (parsed again when it was compacted).
    pub fn value(&self) -> Cow<'_, Value> {
        match self {
            Evidence::Tree(v) => Cow::Borrowed(v),
            // Text is only ever written from a Value by `compact`: it parses.
            Evidence::Text(s) => Cow::Owned(serde_json::from_str(s).unwrap_or(Value::Null)),
        }
    }

    /// One top-level key's value.
    pub fn get(&self, key: &str) -> Option<Value> {
        match self {
            Evidence::Tree(v) => v.get(key).cloned(),
            Evidence::Text(_) => self.value().get(key).cloned(),
        }
    }

    /// Sets a top-level key (the evidence becomes an object if it was not one).
    pub fn set(&mut self, key: &str, value: Value) {
        let mut tree = match std::mem::take(self) {
            Evidence::Tree(v) => v,
            t @ Evidence::Text(_) => t.value().into_owned(),
        };
        if !tree.is_object() {
            tree = Value::Object(Default::default());
        }
        if let Some(o) = tree.as_object_mut() {
            o.insert(key.to_string(), value);
        }
        *self = Evidence::Tree(tree);
    }

    /// Keeps the finished evidence as compact JSON text.
    pub fn compact(&mut self) {
        if let Evidence::Tree(v) = self {
            *self = Evidence::Text(v.to_string().into_boxed_str());
        }
    }
}

impl PartialEq for Evidence {
    fn eq(&self, other: &Self) -> bool {
        self.value() == other.value()
    }
}

impl Serialize for Evidence {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        // Through the tree, so a pretty-printed file indents it as before.
        self.value().serialize(s)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn compact_evidence_reads_and_writes_as_the_tree() {
        let v = json!({"b": [1, {"x": "é\"<"}], "a": null});
        let mut e = Evidence::from(v.clone());
        let before = serde_json::to_string_pretty(&e).unwrap();
        e.compact();
        assert!(matches!(e, Evidence::Text(_)));
        assert_eq!(serde_json::to_string_pretty(&e).unwrap(), before);
        assert_eq!(e.get("b"), v.get("b").cloned());
        assert_eq!(e, Evidence::from(v));
        e.set("c", json!(true));
        assert_eq!(e.get("c"), Some(json!(true)));
    }
}
