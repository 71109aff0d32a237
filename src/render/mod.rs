//! Stage 5, render: the same [`Results`] as HTML, Markdown (handlebars templates in
//! `report-templates/`), JSON, SARIF and JUnit. File names are fixed by the contract.

pub mod attribution;
pub mod compliance;
pub mod cost_table;
pub mod csv;
pub mod fixplan;
pub mod junit;
pub mod ocsf;
pub mod sarif;
pub mod trend;
pub mod view;

use crate::model::Results;
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
    /// findings.csv: one row per finding, for spreadsheets and ticketing imports.
    Csv,
    /// remediation/: one az CLI fix plan per subscription.
    Fix,
    /// `compliance/<framework>.csv`: one row per control of each framework, for auditors' sheets.
    Compliance,
    /// findings.ocsf.json: every finding as an OCSF Compliance Finding, for SIEMs and data lakes.
    Ocsf,
    /// attribution.json and attribution.csv: IP → NIC → owner → flow log (needs the inventory,
    /// so written by scan and evaluate, not by a merge of results files).
    Attribution,
}

impl Format {
    pub fn file_name(self) -> &'static str {
        match self {
            Format::Html => "report.html",
            Format::Markdown => "report.md",
            Format::Json => "results.json",
            Format::Sarif => "results.sarif",
            Format::Junit => "junit.xml",
            Format::Csv => "findings.csv",
            Format::Fix => "remediation",
            Format::Compliance => "compliance",
            Format::Ocsf => ocsf::FILE,
            Format::Attribution => attribution::JSON_FILE,
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
                "csv" => Format::Csv,
                "fix" | "remediation" => Format::Fix,
                "compliance" => Format::Compliance,
                "ocsf" => Format::Ocsf,
                "attribution" => Format::Attribution,
                other => {
                    return Err(format!(
                        "unknown format {other:?}: use html, md, json, sarif, junit, csv, fix, compliance, ocsf, attribution"
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
    // A template that names a field the view does not have is an error, not an empty string.
    hb.set_strict_mode(true);
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

/// Longest value a human format prints; longer ones are cut with a pointer to results.json
/// (which, like SARIF and JUnit, keeps every value whole).
pub const MARKDOWN_VALUE_LIMIT: usize = 1_000;
pub const HTML_VALUE_LIMIT: usize = 10_000;

/// Characters that must never reach a person's screen raw: control characters (ESC starts
/// terminal sequences, NUL truncates), non-characters, and bidirectional overrides that make
/// a name read as something else.
fn is_unprintable(c: char) -> bool {
    crate::support::text::is_unprintable(c)
}

/// A value from Azure made fit for a human report: unprintable characters replaced, and cut
/// at `max` characters with a note saying so.
pub fn for_humans(s: &str, max: usize) -> std::borrow::Cow<'_, str> {
    let long = s.len() > max && s.chars().count() > max;
    if !long && !s.chars().any(is_unprintable) {
        return std::borrow::Cow::Borrowed(s);
    }
    let mut out: String = s
        .chars()
        .take(max)
        .map(|c| if is_unprintable(c) { '\u{FFFD}' } else { c })
        .collect();
    if long {
        let more = s.chars().count() - max;
        out.push_str(&format!(
            "… ({more} more characters; the whole value is in results.json)"
        ));
    }
    std::borrow::Cow::Owned(out)
}

/// HTML escaping after [`for_humans`].
pub fn html_escape(s: &str) -> String {
    handlebars::html_escape(&for_humans(s, HTML_VALUE_LIMIT))
}

/// Markdown escaping: nothing from Azure may open HTML, a link, break a table cell (a `\|`
/// must not turn into an escaped backslash and a bare pipe) or reach the page raw.
pub fn md_escape(s: &str) -> String {
    let s = for_humans(s, MARKDOWN_VALUE_LIMIT);
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '&' => out.push_str("&amp;"),
            '\\' => out.push_str("\\\\"),
            '|' => out.push_str("\\|"),
            '`' => out.push_str("\\`"),
            '[' => out.push_str("\\["),
            ']' => out.push_str("\\]"),
            '*' => out.push_str("\\*"),
            '_' => out.push_str("\\_"),
            '\n' | '\r' | '\t' => out.push(' '),
            c => out.push(c),
        }
    }
    out
}

impl Templates {
    pub fn load(dir: Option<&Path>) -> anyhow::Result<Self> {
        // A --templates that does not exist, or holds neither template, is a typo to report,
        // not a reason to fall back silently to the built-in look.
        if let Some(d) = dir {
            if !d.is_dir() {
                anyhow::bail!("--templates {}: no such directory", d.display());
            }
            if !d.join("report.html.hbs").exists() && !d.join("report.md.hbs").exists() {
                anyhow::bail!(
                    "--templates {}: holds neither report.html.hbs nor report.md.hbs",
                    d.display()
                );
            }
        }
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
        html.register_escape_fn(html_escape);
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
        let mut buf = Vec::new();
        self.html_to(results, &mut buf)?;
        Ok(String::from_utf8(buf)?)
    }

    pub fn html_to(&self, results: &Results, w: impl std::io::Write) -> anyhow::Result<()> {
        let v = view::build_with(results, usize::MAX, view::HTML_PER_AREA, false);
        self.html
            .render_to_write("report", &v, w)
            .map_err(|e| anyhow::anyhow!("rendering report.html: {e}"))
    }

    /// Markdown under GitHub's comment limit: failures only; if too long, list fewer (in
    /// proportion to the overshoot) and say so.
    pub fn markdown(&self, results: &Results) -> anyhow::Result<String> {
        // About 150 characters a row: start near what fits, then adjust.
        let mut limit = MARKDOWN_LIMIT / 150;
        let sorted = view::in_report_order(results, true);
        for _ in 0..12 {
            let v = view::build_sorted(results, &sorted, limit, usize::MAX, true);
            let text = self
                .md
                .render("report", &v)
                .map_err(|e| anyhow::anyhow!("rendering report.md: {e}"))?;
            if text.len() <= MARKDOWN_LIMIT || v.findings_shown == 0 {
                return Ok(text);
            }
            let ratio = MARKDOWN_LIMIT as f64 / text.len() as f64;
            limit = ((v.findings_shown as f64 * ratio * 0.9) as usize)
                .min(v.findings_shown.saturating_sub(1));
        }
        Err(anyhow::anyhow!(
            "report.md stays over {MARKDOWN_LIMIT} characters"
        ))
    }
}

pub fn json(results: &Results) -> anyhow::Result<String> {
    let mut buf = Vec::new();
    json_to(results, &mut buf)?;
    Ok(String::from_utf8(buf)?)
}

pub fn json_to(results: &Results, mut w: impl std::io::Write) -> anyhow::Result<()> {
    let mut ser = serde_json::Serializer::with_formatter(&mut w, LinesFormatter::new(2));
    serde::Serialize::serialize(results, &mut ser)?;
    w.write_all(b"\n")?;
    Ok(())
}

/// Compact JSON with a line per top-level key and per element of a top-level list: a finding
/// is one line (`grep LP-RES-001 results.json` gives whole findings, a diff shows which
/// changed), and half a million resources' results.json is a sixth smaller than indented.
pub struct LinesFormatter {
    /// Containers at this depth or above put each member on its own line.
    lines_to: usize,
    /// For each open container: whether it has a member yet.
    open: Vec<bool>,
}

impl LinesFormatter {
    pub fn new(lines_to: usize) -> Self {
        LinesFormatter {
            lines_to,
            open: Vec::new(),
        }
    }

    fn begin<W: ?Sized + std::io::Write>(&mut self, w: &mut W, c: &[u8]) -> std::io::Result<()> {
        self.open.push(false);
        w.write_all(c)
    }

    fn member<W: ?Sized + std::io::Write>(
        &mut self,
        w: &mut W,
        first: bool,
    ) -> std::io::Result<()> {
        if !first {
            w.write_all(b",")?;
        }
        if let Some(has) = self.open.last_mut() {
            *has = true;
        }
        if self.open.len() <= self.lines_to {
            w.write_all(b"\n")?;
        }
        Ok(())
    }

    fn end<W: ?Sized + std::io::Write>(&mut self, w: &mut W, c: &[u8]) -> std::io::Result<()> {
        let depth = self.open.len();
        if self.open.pop() == Some(true) && depth <= self.lines_to {
            w.write_all(b"\n")?;
        }
        w.write_all(c)
    }
}

impl serde_json::ser::Formatter for LinesFormatter {
    fn begin_array<W: ?Sized + std::io::Write>(&mut self, w: &mut W) -> std::io::Result<()> {
        self.begin(w, b"[")
    }
    fn end_array<W: ?Sized + std::io::Write>(&mut self, w: &mut W) -> std::io::Result<()> {
        self.end(w, b"]")
    }
    fn begin_array_value<W: ?Sized + std::io::Write>(
        &mut self,
        w: &mut W,
        first: bool,
    ) -> std::io::Result<()> {
        self.member(w, first)
    }
    fn begin_object<W: ?Sized + std::io::Write>(&mut self, w: &mut W) -> std::io::Result<()> {
        self.begin(w, b"{")
    }
    fn end_object<W: ?Sized + std::io::Write>(&mut self, w: &mut W) -> std::io::Result<()> {
        self.end(w, b"}")
    }
    fn begin_object_key<W: ?Sized + std::io::Write>(
        &mut self,
        w: &mut W,
        first: bool,
    ) -> std::io::Result<()> {
        self.member(w, first)
    }
}

/// The files a format writes, by name inside the output directory.
fn outputs_of(f: Format) -> &'static [&'static str] {
    match f {
        Format::Attribution => &[attribution::JSON_FILE, attribution::CSV_FILE],
        Format::Html => &["report.html"],
        Format::Markdown => &["report.md"],
        Format::Json => &["results.json"],
        Format::Sarif => &["results.sarif"],
        Format::Junit => &["junit.xml"],
        Format::Csv => &["findings.csv"],
        Format::Fix => &["remediation"],
        Format::Compliance => &["compliance"],
        Format::Ocsf => &[ocsf::FILE],
    }
}

/// A finished output not yet in place: a temporary file or directory created exclusively,
/// under an unpredictable name, in the output directory itself (so the rename is atomic and
/// nothing planted at a guessable name is followed).
enum Staged {
    File(tempfile::NamedTempFile),
    Dir(tempfile::TempDir),
}

/// Writes `write`'s bytes to a staging file for `name` in `dir`, flushed to disk.
fn stage_file(
    dir: &Path,
    name: &str,
    write: impl FnOnce(&mut dyn std::io::Write) -> anyhow::Result<()>,
) -> anyhow::Result<Staged> {
    let tmp = crate::support::atomic::staging_file(dir, name)?;
    // Streamed: a 100,000-resource estate never holds a whole report in memory.
    let mut w = std::io::BufWriter::with_capacity(1 << 20, tmp);
    write(&mut w)?;
    let tmp = w
        .into_inner()
        .map_err(|e| anyhow::anyhow!("cannot write {name}: {}", e.error()))?;
    tmp.as_file()
        .sync_all()
        .with_context(|| format!("cannot write {name}"))?;
    Ok(Staged::File(tmp))
}

fn stage(
    results: &Results,
    f: Format,
    dir: &Path,
    templates: &Templates,
    attribution: Option<&crate::model::attribution::Attribution>,
) -> anyhow::Result<Vec<(Staged, &'static str)>> {
    let name = outputs_of(f)[0];
    let one = |s: Staged| Ok(vec![(s, name)]);
    match f {
        Format::Html => one(stage_file(dir, name, |w| templates.html_to(results, w))?),
        Format::Markdown => one(stage_file(dir, name, |w| {
            Ok(w.write_all(templates.markdown(results)?.as_bytes())?)
        })?),
        Format::Json => one(stage_file(dir, name, |w| json_to(results, w))?),
        Format::Sarif => one(stage_file(dir, name, |mut w| {
            sarif::render_to(results, &mut w)
        })?),
        Format::Junit => one(stage_file(dir, name, |mut w| {
            Ok(junit::render_to(results, &mut w)?)
        })?),
        Format::Csv => one(stage_file(dir, name, |w| csv::render_to(results, w))?),
        Format::Ocsf => one(stage_file(dir, name, |w| ocsf::render_to(results, w))?),
        Format::Fix => one(write_fix_plan(results, dir)?),
        Format::Compliance => one(stage_dir(
            dir,
            "compliance",
            "Compliance files written by logposture: one CSV per framework, a row per control\n(status, the checks behind it and their counts; not-covered controls say why).\n",
            compliance::files(results),
        )?),
        Format::Attribution => {
            let Some(a) = attribution else {
                return Ok(Vec::new());
            };
            Ok(vec![
                (
                    stage_file(dir, attribution::JSON_FILE, |w| attribution::json_to(a, w))?,
                    attribution::JSON_FILE,
                ),
                (
                    stage_file(dir, attribution::CSV_FILE, |w| attribution::csv_to(a, w))?,
                    attribution::CSV_FILE,
                ),
            ])
        }
    }
}

/// Marks a `remediation/` directory as logposture's, so a later run may replace it.
const FIX_PLAN_MARKER: &str = ".written-by-logposture";

/// The fix plan into a temporary directory (renamed into place with the other reports).
fn write_fix_plan(results: &Results, dir: &Path) -> anyhow::Result<Staged> {
    let plans = fixplan::plans(results);
    let mut readme = String::from(
        "Fix plans written by logposture: one az CLI script per subscription with failing findings
(tenant.sh for tenant-level ones). logposture never runs them: review, adapt, run.
",
    );
    if let Some(tag) = &results.owner_tag {
        readme.push_str(&format!(
            "Split by the {tag} tag: <subscription>.owner-<team>.sh per team, each runnable on its own;
<subscription>.sh holds the subscription's own findings and resources without the tag.
"
        ));
    }
    if plans.is_empty() {
        readme.push_str(
            "
No failing finding: nothing to fix.
",
        );
    }
    stage_dir(dir, "remediation", &readme, plans)
}

/// A directory of `files` (name, text) with a README.txt and the marker that lets a later run
/// replace it, staged in a fresh temporary directory beside its final place.
fn stage_dir(
    dir: &Path,
    name: &str,
    readme: &str,
    files: Vec<(String, String)>,
) -> anyhow::Result<Staged> {
    let tmp = tempfile::Builder::new()
        .prefix(&format!(".{name}."))
        .suffix(".partial")
        .tempdir_in(dir)
        .with_context(|| format!("cannot write {name} in {}", dir.display()))?;
    #[cfg(unix)]
    std::fs::set_permissions(
        tmp.path(),
        std::os::unix::fs::PermissionsExt::from_mode(0o755),
    )
    .with_context(|| format!("cannot write into {}", tmp.path().display()))?;
    // Inside a fresh directory only logposture can have named: plain writes are safe here.
    let put = |name: &str, bytes: &[u8]| {
        let p = tmp.path().join(name);
        std::fs::write(&p, bytes).with_context(|| format!("cannot write {}", p.display()))
    };
    put(FIX_PLAN_MARKER, b"")?;
    put("README.txt", readme.as_bytes())?;
    for (name, text) in files {
        put(&name, text.as_bytes())?;
    }
    Ok(Staged::Dir(tmp))
}

/// Moves a finished output into place. A previous `remediation/` is replaced only if
/// logposture wrote it (checked before any read by [`check_output`], and again here).
fn put_in_place(staged: Staged, final_path: &Path) -> anyhow::Result<()> {
    match staged {
        Staged::File(f) => f
            .persist(final_path)
            .map(|_| ())
            .map_err(|e| anyhow::anyhow!("cannot write {}: {}", final_path.display(), e.error)),
        Staged::Dir(d) => {
            if final_path.symlink_metadata().is_ok() {
                refuse_foreign_dir(final_path)?;
                std::fs::remove_dir_all(final_path)
                    .with_context(|| format!("cannot replace {}", final_path.display()))?;
            }
            let tmp = d.keep();
            std::fs::rename(&tmp, final_path).map_err(|e| {
                let _ = std::fs::remove_dir_all(&tmp);
                anyhow::anyhow!("cannot write {}: {e}", final_path.display())
            })
        }
    }
}

/// `remediation/` may be replaced only when it is a directory logposture wrote.
fn refuse_foreign_dir(p: &Path) -> anyhow::Result<()> {
    let meta = p
        .symlink_metadata()
        .with_context(|| format!("cannot read {}", p.display()))?;
    if !meta.is_dir() {
        anyhow::bail!(
            "{} exists and is not a directory logposture wrote: move it away or choose another --output",
            p.display()
        );
    }
    if !p.join(FIX_PLAN_MARKER).exists() {
        anyhow::bail!(
            "{} exists and was not written by logposture: move it away or choose another --output",
            p.display()
        );
    }
    Ok(())
}

/// Checks that every requested report can be written into `dir` (created if needed): run
/// before any Azure read, so a refused `--output` costs nothing, and it changes nothing in an
/// existing folder (the write probe is an unnamed temporary file).
pub fn check_output(dir: &Path, formats: &[Format]) -> anyhow::Result<()> {
    if dir.exists() && !dir.is_dir() {
        anyhow::bail!(
            "output directory {} exists and is not a directory",
            dir.display()
        );
    }
    std::fs::create_dir_all(dir)
        .with_context(|| format!("cannot create output directory {}", dir.display()))?;
    for f in formats {
        for name in outputs_of(*f) {
            let p = dir.join(name);
            if matches!(f, Format::Fix | Format::Compliance) {
                if p.symlink_metadata().is_ok() {
                    refuse_foreign_dir(&p)?;
                }
            } else if p.is_dir() {
                anyhow::bail!(
                    "{} is a directory: move it away or choose another --output",
                    p.display()
                );
            }
        }
    }
    tempfile::tempfile_in(dir)
        .with_context(|| format!("cannot write into output directory {}", dir.display()))?;
    Ok(())
}

/// Write every requested format into `dir`; returns the paths written. Every format is
/// finished in a temporary file first and only then moved into place, results.json last, so
/// an interrupted or failed run never leaves a complete-looking report beside a truncated
/// results.json. `attribution` is the map for [`Format::Attribution`] (None: a merge of
/// results files, which has no inventory to map).
pub fn write_all(
    results: &Results,
    formats: &[Format],
    dir: &Path,
    templates: &Templates,
    attribution: Option<&crate::model::attribution::Attribution>,
) -> anyhow::Result<Vec<PathBuf>> {
    check_output(dir, formats)?;
    // Formats are independent: write them in parallel (large estates produce hundreds of MB).
    let outcomes: Vec<anyhow::Result<Vec<(Staged, &'static str)>>> = std::thread::scope(|scope| {
        let handles: Vec<_> = formats
            .iter()
            .map(|f| scope.spawn(move || stage(results, *f, dir, templates, attribution)))
            .collect();
        handles
            .into_iter()
            .map(|h| {
                h.join()
                    .unwrap_or_else(|_| Err(anyhow::anyhow!("a report writer panicked")))
            })
            .collect()
    });
    // Any failure: the staged files are removed as they drop, nothing is moved into place.
    let mut staged = Vec::new();
    for o in outcomes {
        staged.extend(o?);
    }
    // results.json last: whoever sees it can trust the other reports are complete too.
    staged.sort_by_key(|(_, name)| *name == "results.json");
    let mut written = Vec::new();
    for (s, name) in staged {
        let p = dir.join(name);
        put_in_place(s, &p)?;
        written.push(p);
    }
    Ok(written)
}
