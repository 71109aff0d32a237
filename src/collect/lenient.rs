//! Serde helpers for ARM's loose payloads: booleans sent as `"True"`, `null` lists, empty-string
//! ids that mean "none", numbers as `75.0`. Narrow models in the area files use these.

use serde::{Deserialize, Deserializer};

/// `true`, `"True"`, `"true"`, `1` → true; `null`/absent → false.
pub fn bool_lenient<'de, D: Deserializer<'de>>(d: D) -> Result<bool, D::Error> {
    Ok(opt_bool_lenient(d)?.unwrap_or(false))
}

pub fn opt_bool_lenient<'de, D: Deserializer<'de>>(d: D) -> Result<Option<bool>, D::Error> {
    let v = Option::<serde_json::Value>::deserialize(d)?;
    Ok(match v {
        Some(serde_json::Value::Bool(b)) => Some(b),
        Some(serde_json::Value::String(s)) => match s.trim().to_ascii_lowercase().as_str() {
            "true" | "yes" | "1" | "enabled" => Some(true),
            "false" | "no" | "0" | "disabled" => Some(false),
            _ => None,
        },
        Some(serde_json::Value::Number(n)) => n.as_f64().map(|f| f != 0.0),
        _ => None,
    })
}

/// `""`, `"-"` and `null` mean "not set".
pub fn opt_nonempty<'de, D: Deserializer<'de>>(d: D) -> Result<Option<String>, D::Error> {
    let v = Option::<serde_json::Value>::deserialize(d)?;
    Ok(match v {
        Some(serde_json::Value::String(s)) => {
            let t = s.trim();
            if t.is_empty() || t == "-" {
                None
            } else {
                Some(t.to_string())
            }
        }
        _ => None,
    })
}

/// A string where ARM may send null or a non-string.
pub fn string_or_empty<'de, D: Deserializer<'de>>(d: D) -> Result<String, D::Error> {
    Ok(opt_nonempty(d)?.unwrap_or_default())
}

/// `null` or absent list → empty list.
pub fn null_vec<'de, D: Deserializer<'de>, T: Deserialize<'de>>(d: D) -> Result<Vec<T>, D::Error> {
    Ok(Option::<Vec<T>>::deserialize(d)?.unwrap_or_default())
}

/// Non-negative whole number from `30`, `30.0` or `"30"`; anything else → None.
pub fn opt_u32_lenient<'de, D: Deserializer<'de>>(d: D) -> Result<Option<u32>, D::Error> {
    let v = Option::<serde_json::Value>::deserialize(d)?;
    let f = match v {
        Some(serde_json::Value::Number(n)) => n.as_f64(),
        Some(serde_json::Value::String(s)) => s.trim().parse::<f64>().ok(),
        _ => None,
    };
    Ok(
        f.filter(|x| x.is_finite() && *x >= 0.0 && *x <= u32::MAX as f64)
            .map(|x| x as u32),
    )
}

pub fn opt_f64_lenient<'de, D: Deserializer<'de>>(d: D) -> Result<Option<f64>, D::Error> {
    let v = Option::<serde_json::Value>::deserialize(d)?;
    Ok(match v {
        Some(serde_json::Value::Number(n)) => n.as_f64(),
        Some(serde_json::Value::String(s)) => s.trim().parse::<f64>().ok(),
        _ => None,
    }
    .filter(|x| x.is_finite()))
}

/// Tags: `null` → empty; so is the empty string some lists send (`"tags": ""`, e.g.
/// Application Insights components); non-string values are kept as their JSON text.
pub fn tags<'de, D: Deserializer<'de>>(
    d: D,
) -> Result<std::collections::BTreeMap<String, String>, D::Error> {
    let v = serde_json::Value::deserialize(d)?;
    let serde_json::Value::Object(map) = v else {
        return Ok(Default::default());
    };
    Ok(map
        .into_iter()
        .filter_map(|(k, v)| match v {
            serde_json::Value::String(s) => Some((k, s)),
            serde_json::Value::Null => None,
            other => Some((k, other.to_string())),
        })
        .collect())
}

/// ARM sometimes returns ids without the leading slash; the inventory always has one.
pub fn arm_id(id: &str) -> String {
    let t = id.trim();
    if t.starts_with('/') || t.is_empty() {
        t.to_string()
    } else {
        format!("/{t}")
    }
}

/// A reference to another resource (`{"id": "..."}`); an unreadable id is empty.
#[derive(Debug, Default, Deserialize)]
pub struct IdRef {
    #[serde(default, deserialize_with = "string_or_empty")]
    pub id: String,
}

/// The ARM resource envelope every list item shares: id, name, location, tags, and the type's
/// own `properties` (None when ARM sends none).
#[derive(Debug, Deserialize)]
pub struct Envelope<P> {
    #[serde(default, deserialize_with = "string_or_empty")]
    pub id: String,
    #[serde(default, deserialize_with = "string_or_empty")]
    pub name: String,
    #[serde(default, deserialize_with = "string_or_empty")]
    pub location: String,
    #[serde(default, deserialize_with = "tags")]
    pub tags: std::collections::BTreeMap<String, String>,
    /// `kind` (App Service `app` / `functionapp,linux`, ...); None when absent or empty.
    #[serde(default, deserialize_with = "opt_nonempty")]
    pub kind: Option<String>,
    #[serde(default = "no_properties")]
    pub properties: Option<P>,
}

fn no_properties<P>() -> Option<P> {
    None
}

/// Items without `properties` cannot be judged: each is recorded as an item error (which makes
/// its list partial, so checks answer not assessed) instead of becoming a default that may pass.
pub fn require_properties<P>(
    items: Vec<Envelope<P>>,
    operation: &str,
    errors: &mut Vec<crate::inventory::ReadError>,
) -> Vec<Envelope<P>> {
    items
        .into_iter()
        .filter(|item| {
            if item.properties.is_some() {
                return true;
            }
            errors.push(crate::inventory::ReadError {
                scope: if item.id.is_empty() {
                    format!("(an item without id named {:?})", item.name)
                } else {
                    arm_id(&item.id)
                },
                operation: operation.to_string(),
                status: Some(200),
                code: Some("MalformedPayload".into()),
                message: "the item has no readable `properties`; it cannot be judged".into(),
            });
            false
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde::Deserialize;

    #[derive(Deserialize)]
    struct T {
        #[serde(default, deserialize_with = "bool_lenient")]
        b: bool,
        #[serde(default, deserialize_with = "opt_nonempty")]
        w: Option<String>,
        #[serde(default, deserialize_with = "opt_u32_lenient")]
        n: Option<u32>,
    }

    #[test]
    fn accepts_arm_quirks() {
        let t: T = serde_json::from_str(r#"{"b":"True","w":"","n":30.0}"#).unwrap();
        assert!(t.b);
        assert_eq!(t.w, None);
        assert_eq!(t.n, Some(30));
        let t: T = serde_json::from_str(r#"{"b":null,"w":"-","n":-1}"#).unwrap();
        assert!(!t.b);
        assert_eq!(t.w, None);
        assert_eq!(t.n, None);
    }

    #[test]
    fn ids_get_a_leading_slash() {
        assert_eq!(arm_id("subscriptions/x"), "/subscriptions/x");
        assert_eq!(arm_id("/subscriptions/x"), "/subscriptions/x");
    }
}
