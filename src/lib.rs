//! logposture: is the estate collecting the logs an incident or an audit will need, keeping them
//! long enough, and what would closing each gap cost?
//!
//! The data flows through one module per stage:
//! [`collect`] (Azure → [`inventory`] snapshot) → [`evaluate`] (baseline in `checks/` → findings)
//! and [`attribute`] (who held each IP) → [`estimate`] (volume and cost of each gap) → [`render`]
//! (HTML, Markdown, JSON, SARIF, JUnit, CSV, fix plans). The stages share [`model`] and never
//! import a later stage or a sibling (`tests/architecture.rs`); [`support`] holds small helpers.
//! [`app`], [`cli`] and [`merge`] wire the commands.

pub mod app;
pub mod attribute;
pub mod checks_cmd;
pub mod cli;
pub mod collect;
pub mod compare;
pub mod demo;
pub mod estimate;
pub mod evaluate;
pub mod export_cmd;
pub mod history;
pub mod history_cmd;
pub mod inventory;
pub mod merge;
pub mod model;
pub mod pricing_cmd;
pub mod render;

pub mod support;

/// mimalloc instead of the system allocator: evaluation and rendering make millions of small
/// allocations from several threads, where glibc's per-thread arenas spent more time growing
/// their heaps (mprotect, page faults) than the work took (issue 32, profiled with perf).
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;
