//! A finding's evidence: a JSON tree while its rule builds it, then kept as compact JSON text
//! (issue 32: a small `serde_json::Map` costs ~600 bytes of B-tree node however few keys it
//! has, and an estate of 500,000 resources holds a million findings). Written to the JSON
//! formats as that text, unparsed (results.json and OCSF are one compact finding per line); the
//! tree is built again only where a value is read or pretty-printed.

use serde::{Serialize, Serializer};
use serde_json::value::RawValue;
use serde_json::Value;
use std::borrow::Cow;

#[derive(Debug, Clone)]
pub enum Evidence {
    /// Being built by a rule.
    Tree(Box<Value>),
    /// Finished: the tree's compact JSON text.
    Text(Box<RawValue>),
}

impl Default for Evidence {
    fn default() -> Self {
        Evidence::Tree(Box::new(Value::Null))
    }
}

impl From<Value> for Evidence {
    fn from(v: Value) -> Self {
        Evidence::Tree(Box::new(v))
    }
}

impl Evidence {
    /// The evidence as a JSON tree (parsed again when it was compacted).
    pub fn value(&self) -> Cow<'_, Value> {
        match self {
            Evidence::Tree(v) => Cow::Borrowed(v),
            // Text is only ever written from a Value by `compact`: it parses.
            Evidence::Text(s) => Cow::Owned(serde_json::from_str(s.get()).unwrap_or(Value::Null)),
        }
    }

    /// One top-level key's value (from text, only that value is built: remediation text is
    /// filled in from evidence keys for every finding of every format that shows it).
    pub fn get(&self, key: &str) -> Option<Value> {
        match self {
            Evidence::Tree(v) => v.get(key).cloned(),
            Evidence::Text(raw) => {
                use serde::de::DeserializeSeed as _;
                let mut de = serde_json::Deserializer::from_str(raw.get());
                TopLevelKey(key).deserialize(&mut de).ok().flatten()
            }
        }
    }

    /// Sets a top-level key (the evidence becomes an object if it was not one).
    pub fn set(&mut self, key: &str, value: Value) {
        let mut tree = match std::mem::take(self) {
            Evidence::Tree(v) => *v,
            t @ Evidence::Text(_) => t.value().into_owned(),
        };
        if !tree.is_object() {
            tree = Value::Object(Default::default());
        }
        if let Some(o) = tree.as_object_mut() {
            o.insert(key.to_string(), value);
        }
        *self = Evidence::Tree(Box::new(tree));
    }

    /// Evidence kept as compact text from the start: a rule's findings do not hold their trees
    /// until the check is done (at 500,000 resources one check has 300,000 findings).
    pub fn compacted(v: Value) -> Self {
        // Writing a tree to text cannot fail (its keys are strings); kept as the tree if it did.
        match serde_json::value::to_raw_value(&v) {
            Ok(raw) => Evidence::Text(raw),
            Err(_) => Evidence::from(v),
        }
    }

    /// Keeps the finished evidence as compact JSON text.
    pub fn compact(&mut self) {
        if let Evidence::Tree(v) = self {
            let tree = std::mem::take(&mut **v);
            *self = Evidence::compacted(tree);
        }
    }
}

/// Reads one key of a JSON object, skipping the others without building them.
struct TopLevelKey<'k>(&'k str);

impl<'de> serde::de::DeserializeSeed<'de> for TopLevelKey<'_> {
    type Value = Option<Value>;
    fn deserialize<D: serde::Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de> serde::de::Visitor<'de> for TopLevelKey<'_> {
    type Value = Option<Value>;
    fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        f.write_str("JSON")
    }
    fn visit_map<A: serde::de::MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        let mut found = None;
        while let Some(k) = map.next_key::<std::borrow::Cow<'de, str>>()? {
            if found.is_none() && k == self.0 {
                found = Some(map.next_value::<Value>()?);
            } else {
                map.next_value::<serde::de::IgnoredAny>()?;
            }
        }
        Ok(found)
    }
    // Evidence that is not an object has no keys.
    fn visit_seq<A: serde::de::SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
        while seq.next_element::<serde::de::IgnoredAny>()?.is_some() {}
        Ok(None)
    }
    fn visit_str<E>(self, _: &str) -> Result<Self::Value, E> {
        Ok(None)
    }
    fn visit_bool<E>(self, _: bool) -> Result<Self::Value, E> {
        Ok(None)
    }
    fn visit_i64<E>(self, _: i64) -> Result<Self::Value, E> {
        Ok(None)
    }
    fn visit_u64<E>(self, _: u64) -> Result<Self::Value, E> {
        Ok(None)
    }
    fn visit_f64<E>(self, _: f64) -> Result<Self::Value, E> {
        Ok(None)
    }
    fn visit_unit<E>(self) -> Result<Self::Value, E> {
        Ok(None)
    }
}

impl PartialEq for Evidence {
    fn eq(&self, other: &Self) -> bool {
        self.value() == other.value()
    }
}

impl Serialize for Evidence {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self {
            Evidence::Tree(v) => v.serialize(s),
            // As written: no tree built per finding per format. A pretty-printed output that
            // shows evidence indented serialises `value()` instead.
            Evidence::Text(raw) => raw.serialize(s),
        }
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
        let before = serde_json::to_string(&e).unwrap();
        e.compact();
        assert!(matches!(e, Evidence::Text(_)));
        e.compact();
        assert_eq!(
            e.get("a"),
            Some(Value::Null),
            "compacting text again keeps it"
        );
        assert_eq!(serde_json::to_string(&e).unwrap(), before);
        assert_eq!(e.get("b"), v.get("b").cloned());
        assert_eq!(e.get("a"), Some(Value::Null));
        assert_eq!(e.get("missing"), None);
        let mut not_object = Evidence::from(json!([1, 2]));
        not_object.compact();
        assert_eq!(not_object.get("b"), None);
        assert_eq!(e, Evidence::from(v));
        e.set("c", json!(true));
        assert_eq!(e.get("c"), Some(json!(true)));
    }
}
