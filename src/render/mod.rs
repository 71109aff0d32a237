//! Stage 5, render: the same [`Results`] as HTML, Markdown (handlebars templates in
//! `report-templates/`), JSON, SARIF and JUnit. File names are fixed by the contract.

pub mod junit;
pub mod sarif;
pub mod view;

use crate::results::Results;
use anyhow::Context as _;
use handlebars::Handlebars;
use std::path::{Path, PathBuf};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Format {
    Html,
    Markdown,
    Json,
    Sarif,
    Junit,
}

impl Format {
    pub fn file_name(self) -> &'static str {
        match self {
            Format::Html => "report.html",
            Format::Markdown => "report.md",
            Format::Json => "results.json",
            Format::Sarif => "results.sarif",
            Format::Junit => "junit.xml",
        }
    }

    /// `html,md,json` → formats; unknown names are an error naming them.
    pub fn parse_list(s: &str) -> Result<Vec<Format>, String> {
        let mut out = Vec::new();
        for part in s.split(',').map(str::trim).filter(|p| !p.is_empty()) {
            let f = match part.to_ascii_lowercase().as_str() {
                "html" => Format::Html,
                "md" | "markdown" => Format::Markdown,
                "json" => Format::Json,
                "sarif" => Format::Sarif,
                "junit" | "xml" => Format::Junit,
                other => {
                    return Err(format!(
                        "unknown format {other:?}: use html, md, json, sarif, junit"
                    ))
                }
            };
            if !out.contains(&f) {
                out.push(f);
            }
        }
        if out.is_empty() {
            return Err("--format lists no format".into());
        }
        Ok(out)
    }
}

pub const HTML_TEMPLATE: &str = include_str!("../../report-templates/report.html.hbs");
pub const MD_TEMPLATE: &str = include_str!("../../report-templates/report.md.hbs");

/// GitHub rejects comments over 65,536 characters; keep a margin for the job summary header.
pub const MARKDOWN_LIMIT: usize = 60_000;

/// Templates: built in, or the user's copies from `--templates DIR` (missing files fall back).
pub struct Templates {
    html: Handlebars<'static>,
    md: Handlebars<'static>,
}

fn helpers(hb: &mut Handlebars<'static>) {
    hb.set_strict_mode(false);
    hb.register_helper("eq", Box::new(eq_helper));
    hb.register_helper("len", Box::new(len_helper));
}

handlebars::handlebars_helper!(len_helper: |v: Json| match v {
    serde_json::Value::Array(a) => a.len(),
    serde_json::Value::Object(o) => o.len(),
    serde_json::Value::String(s) => s.chars().count(),
    _ => 0,
});

handlebars::handlebars_helper!(eq_helper: |a: Json, b: Json| a == b);

/// Markdown escaping: nothing from Azure may open HTML, a link or break a table cell.
pub fn md_escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '&' => out.push_str("&amp;"),
            '|' => out.push_str("\\|"),
            '`' => out.push_str("\\`"),
            '[' => out.push_str("\\["),
            ']' => out.push_str("\\]"),
            '*' => out.push_str("\\*"),
            '_' => out.push_str("\\_"),
            '\n' | '\r' => out.push(' '),
            c => out.push(c),
        }
    }
    out
}

impl Templates {
    pub fn load(dir: Option<&Path>) -> anyhow::Result<Self> {
        let read = |name: &str, builtin: &'static str| -> anyhow::Result<String> {
            match dir {
                Some(d) if d.join(name).exists() => {
                    let p = d.join(name);
                    std::fs::read_to_string(&p)
                        .with_context(|| format!("cannot read template {}", p.display()))
                }
                _ => Ok(builtin.to_string()),
            }
        };
        let mut html = Handlebars::new();
        helpers(&mut html);
        html.register_template_string("report", read("report.html.hbs", HTML_TEMPLATE)?)
            .map_err(|e| anyhow::anyhow!("template report.html.hbs: {e}"))?;
        let mut md = Handlebars::new();
        helpers(&mut md);
        md.register_escape_fn(md_escape);
        md.register_template_string("report", read("report.md.hbs", MD_TEMPLATE)?)
            .map_err(|e| anyhow::anyhow!("template report.md.hbs: {e}"))?;
        Ok(Self { html, md })
    }

    pub fn html(&self, results: &Results) -> anyhow::Result<String> {
        let v = view::build(results, usize::MAX);
        self.html
            .render("report", &v)
            .map_err(|e| anyhow::anyhow!("rendering report.html: {e}"))
    }

    /// Markdown under GitHub's comment limit: if too long, list fewer findings and say so.
    pub fn markdown(&self, results: &Results) -> anyhow::Result<String> {
        let mut limit = usize::MAX;
        loop {
            let v = view::build(results, limit);
            let text = self
                .md
                .render("report", &v)
                .map_err(|e| anyhow::anyhow!("rendering report.md: {e}"))?;
            if text.len() <= MARKDOWN_LIMIT || limit == 0 {
                return Ok(text);
            }
            let shown = v.findings_shown;
            limit = if limit == usize::MAX {
                shown.saturating_mul(3) / 4
            } else {
                limit.saturating_mul(3) / 4
            };
        }
    }
}

pub fn json(results: &Results) -> anyhow::Result<String> {
    Ok(serde_json::to_string_pretty(results)? + "\n")
}

/// Write every requested format into `dir`; returns the paths written.
pub fn write_all(
    results: &Results,
    formats: &[Format],
    dir: &Path,
    templates: &Templates,
) -> anyhow::Result<Vec<PathBuf>> {
    std::fs::create_dir_all(dir)
        .with_context(|| format!("cannot create output directory {}", dir.display()))?;
    let mut written = Vec::new();
    for f in formats {
        let text = match f {
            Format::Html => templates.html(results)?,
            Format::Markdown => templates.markdown(results)?,
            Format::Json => json(results)?,
            Format::Sarif => sarif::render(results)?,
            Format::Junit => junit::render(results),
        };
        let path = dir.join(f.file_name());
        std::fs::write(&path, text).with_context(|| format!("cannot write {}", path.display()))?;
        written.push(path);
    }
    Ok(written)
}
