//! Rounding for figures shown and stored: `+ 0.0` turns -0.0 into 0.0.

/// Rounded to cents; never -0.0 (an empty f64 sum is -0.0, which JSON would show).
pub fn round2(x: f64) -> f64 {
    (x * 100.0).round() / 100.0 + 0.0
}

pub fn round3(x: f64) -> f64 {
    (x * 1000.0).round() / 1000.0 + 0.0
}
