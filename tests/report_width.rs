//! The HTML report as people see it, in headless Chromium: on a phone (at a 390 px viewport the
//! page is no wider than 390 px: wide tables scroll inside their own box, names and operations
//! wrap; the report is loaded into a 390 px iframe, since Chromium's own window has a larger
//! minimum width, and the frame's document width is read back from the DOM), and printed (the
//! page count the README states is the one Chromium prints).
//!
//! Chromium comes from Debian (`apt-get install chromium`); `.ci/run` installs it and sets
//! LOGPOSTURE_REQUIRE_CHROMIUM=1, so in CI a missing browser fails instead of skipping.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use logposture::app::Assessment;
use logposture::cli::EvalArgs;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

const VIEWPORT: u32 = 390;

fn chromium() -> Option<&'static str> {
    ["chromium", "chromium-browser", "google-chrome"]
        .into_iter()
        .find(|b| {
            Command::new(b)
                .arg("--version")
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .status()
                .is_ok_and(|s| s.success())
        })
}

fn escape_attr(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('"', "&quot;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

/// The width of `html` laid out in a `VIEWPORT`-wide frame, and the elements past its edge
/// that do not sit inside a scrolling box (for the failure message).
/// Runs `browser` headless with `args` on `page`, standard output to `stdout`, within 120 s.
fn headless(browser: &str, profile: &std::path::Path, args: &[String], stdout: std::fs::File) {
    let mut child = Command::new(browser)
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
        ])
        .arg(format!("--user-data-dir={}", profile.display()))
        .args(args)
        // To a file: a DOM is larger than a pipe's buffer, and nothing reads a pipe while
        // waiting.
        .stdout(stdout)
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let start = Instant::now();
    while child.try_wait().unwrap().is_none() {
        if start.elapsed() > Duration::from_secs(120) {
            let _ = child.kill();
            panic!("{browser} did not finish within 120 s");
        }
        std::thread::sleep(Duration::from_millis(100));
    }
}

/// The demo report as `scan --demo` writes it: with its bundled history's trend.
fn demo_html() -> String {
    let a = Assessment::load(&EvalArgs::builtin()).unwrap();
    let mut r = a.assess(
        &logposture::demo::snapshot(),
        time::macros::date!(2026 - 11 - 02),
    );
    logposture::history::demo::remember(None, &mut r).unwrap();
    logposture::render::Templates::load(None)
        .unwrap()
        .html(&r)
        .unwrap()
}

/// The browser, or None (the test skips) unless CI requires it.
fn browser_or_skip() -> Option<&'static str> {
    let b = chromium();
    if b.is_none() {
        assert!(
            std::env::var_os("LOGPOSTURE_REQUIRE_CHROMIUM").is_none(),
            "LOGPOSTURE_REQUIRE_CHROMIUM is set but no chromium is installed"
        );
        eprintln!("skipped: no chromium on PATH (apt-get install chromium)");
    }
    b
}

fn page_width(browser: &str, html: &str) -> (u32, String) {
    let dir = tempfile::tempdir().unwrap();
    let probe = format!(
        r#"<!DOCTYPE html><html><body style="margin:0">
<iframe id="f" style="border:0;width:{VIEWPORT}px;height:900px" onload="probe()" srcdoc="{}"></iframe>
<script>
function probe() {{
  var d = document.getElementById('f').contentDocument;
  var over = [];
  d.querySelectorAll('body *').forEach(function (e) {{
    var r = e.getBoundingClientRect();
    if (r.right <= {VIEWPORT} || e.closest('.scroll')) return;
    var deeper = Array.prototype.some.call(e.children, function (c) {{
      return c.getBoundingClientRect().right > {VIEWPORT};
    }});
    if (!deeper) over.push(e.tagName + '.' + e.className + ' ' + (e.textContent || '').slice(0, 80));
  }});
  document.body.setAttribute('data-width', String(d.documentElement.scrollWidth));
  document.body.setAttribute('data-over', over.slice(0, 8).join(' | '));
}}
</script></body></html>"#,
        escape_attr(html)
    );
    let page = dir.path().join("probe.html");
    std::fs::write(&page, probe).unwrap();
    headless(
        browser,
        &dir.path().join("profile"),
        &[
            "--virtual-time-budget=10000".into(),
            "--dump-dom".into(),
            format!("file://{}", page.display()),
        ],
        std::fs::File::create(dir.path().join("dom.html")).unwrap(),
    );
    let dom = std::fs::read_to_string(dir.path().join("dom.html")).unwrap();
    let attr = |name: &str| -> String {
        let key = format!("{name}=\"");
        let start = dom
            .find(&key)
            .unwrap_or_else(|| panic!("{browser} did not run the probe: no {name} in the DOM"))
            + key.len();
        dom[start..]
            .split('"')
            .next()
            .unwrap_or_default()
            .to_string()
    };
    (attr("data-width").parse().unwrap(), attr("data-over"))
}

#[test]
fn the_demo_report_fits_a_390_px_phone() {
    let Some(browser) = browser_or_skip() else {
        return;
    };
    let (width, over) = page_width(browser, &demo_html());
    assert!(
        width <= VIEWPORT,
        "the report is {width} px wide at a {VIEWPORT} px viewport; past the edge: {over}"
    );
}

/// "prints on **N A4 pages**" in the README.
fn readme_pages() -> usize {
    let readme =
        std::fs::read_to_string(std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("README.md"))
            .unwrap();
    let (_, rest) = readme
        .split_once("prints on **")
        .expect("the README states the printed page count");
    rest.split_whitespace().next().unwrap().parse().unwrap()
}

#[test]
fn the_demo_prints_on_the_pages_the_readme_states() {
    let Some(browser) = browser_or_skip() else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let html = dir.path().join("report.html");
    std::fs::write(&html, demo_html()).unwrap();
    let pdf = dir.path().join("report.pdf");
    headless(
        browser,
        &dir.path().join("profile"),
        &[
            "--no-pdf-header-footer".into(),
            format!("--print-to-pdf={}", pdf.display()),
            format!("file://{}", html.display()),
        ],
        std::fs::File::create(dir.path().join("out.txt")).unwrap(),
    );
    let bytes = std::fs::read(&pdf).unwrap();
    // Page objects: `/Type /Page` (not `/Pages`, the tree's root).
    let text = String::from_utf8_lossy(&bytes);
    let pages = text
        .match_indices("/Type")
        .filter(|(i, _)| {
            let rest = text[i + 5..].trim_start();
            rest.starts_with("/Page") && !rest.starts_with("/Pages")
        })
        .count();
    assert_eq!(
        pages,
        readme_pages(),
        "the demo prints on {pages} A4 pages: update README.md"
    );
}
