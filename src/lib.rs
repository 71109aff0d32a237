//! logposture: is the estate collecting the logs an incident or an audit will need, keeping them
//! long enough, and what would closing each gap cost?
//!
//! The data flows through one module per stage:
//! [`collect`] (Azure → [`inventory`] snapshot) → [`evaluate`] (baseline in `checks/` → findings)
//! → [`estimate`] (volume and cost of each gap) → [`render`] (HTML, Markdown, JSON, SARIF, JUnit).

pub mod app;
pub mod attribute;
pub mod cli;
pub mod collect;
pub mod demo;
pub mod estimate;
pub mod evaluate;
pub mod inventory;
pub mod merge;
pub mod model;
pub mod render;

pub mod support;
