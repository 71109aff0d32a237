//! Small helpers every stage may use; they import nothing else of the crate.

pub mod atomic;
pub mod ids;
pub mod numbers;
pub mod text;
pub mod timestamp;
pub mod toml_diag;
