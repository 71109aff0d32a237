//! `logposture pricing update --region R --currency C`: reads the prices of the meters the cost
//! model names (`retail = { service, product, meter }`) from the Azure Retail Prices API
//! (public, no credential) and writes a dated pricing file that `--pricing` reads. A meter the
//! answer lacks keeps the shipped figure (converted by the other meters' ratio when the currency
//! differs) and the file and the output say so.

use crate::app::{input_err, output_err, usage_err};
use crate::cli::PricingUpdateArgs;
use crate::estimate::model::{CostModel, Figure, RetailMeter};
use serde::Deserialize;
use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::io::Write as _;
use std::time::Duration;

/// The public endpoint (Microsoft's documented address).
pub const RETAIL_PRICES_ENDPOINT: &str = "https://prices.azure.com";
/// Pages read per service at most: the filtered answers are a few pages; more is a loop.
const MAX_PAGES: usize = 50;
const MAX_TRIES: u32 = 4;

#[derive(Debug, Deserialize)]
struct Page {
    #[serde(rename = "Items", default)]
    items: Vec<serde_json::Value>,
    #[serde(rename = "NextPageLink", default)]
    next_page_link: Option<String>,
}

/// The fields of one price item logposture reads; anything unreadable drops the item.
#[derive(Debug, Clone, Deserialize)]
struct Item {
    #[serde(rename = "currencyCode")]
    currency_code: String,
    #[serde(rename = "retailPrice")]
    retail_price: f64,
    #[serde(rename = "tierMinimumUnits", default)]
    tier_minimum_units: f64,
    #[serde(rename = "meterName")]
    meter_name: String,
    #[serde(rename = "productName", default)]
    product_name: String,
    #[serde(rename = "unitOfMeasure", default)]
    unit_of_measure: String,
    #[serde(rename = "effectiveStartDate", default)]
    effective_start_date: String,
}

/// What one figure became.
#[derive(Debug, Clone, PartialEq)]
pub enum Outcome {
    /// Read from the API: the price per the figure's unit.
    Read { value: f64, detail: String },
    /// Not in the answer: why.
    Missing(String),
}

fn valid_region(r: &str) -> bool {
    !r.is_empty()
        && r.len() <= 40
        && r.bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit())
}

fn valid_currency(c: &str) -> bool {
    c.len() == 3 && c.bytes().all(|b| b.is_ascii_uppercase())
}

/// The endpoint as given: https, or http to a loopback address (tests, a local proxy).
fn endpoint(raw: &str) -> anyhow::Result<reqwest::Url> {
    let url = reqwest::Url::parse(raw)
        .map_err(|e| usage_err(format!("--endpoint {raw:?} is not a URL: {e}")))?;
    let loopback = matches!(
        url.host(),
        Some(url::Host::Ipv4(a)) if a.is_loopback()
    ) || matches!(url.host(), Some(url::Host::Ipv6(a)) if a.is_loopback())
        || url.host_str() == Some("localhost");
    match url.scheme() {
        "https" => Ok(url),
        "http" if loopback => Ok(url),
        _ => Err(usage_err(format!(
            "--endpoint {raw:?}: https only (http is accepted for a loopback address)"
        ))),
    }
}

/// GET with retries on 429 and 5xx (Retry-After honoured, at most 60 s a wait).
async fn get_page(client: &reqwest::Client, url: reqwest::Url) -> anyhow::Result<Page> {
    let mut last = String::new();
    for attempt in 0..MAX_TRIES {
        match client.get(url.clone()).send().await {
            Ok(r) if r.status().is_success() => {
                let body = r
                    .bytes()
                    .await
                    .map_err(|e| input_err(format!("{url}: reading the answer: {e}")))?;
                return serde_json::from_slice(&body).map_err(|e| {
                    input_err(format!(
                        "{url}: the answer is not a Retail Prices page: {e}"
                    ))
                });
            }
            Ok(r) if r.status().as_u16() == 429 || r.status().is_server_error() => {
                let wait = r
                    .headers()
                    .get("retry-after")
                    .and_then(|v| v.to_str().ok())
                    .and_then(|v| v.trim().parse::<u64>().ok())
                    .unwrap_or(1 << attempt)
                    .min(60);
                last = format!("HTTP {}", r.status());
                tokio::time::sleep(Duration::from_secs(wait)).await;
            }
            Ok(r) => return Err(input_err(format!("{url}: HTTP {}", r.status()))),
            Err(e) => {
                last = e.to_string();
                tokio::time::sleep(Duration::from_secs(1 << attempt)).await;
            }
        }
    }
    Err(input_err(format!(
        "{url}: no answer after {MAX_TRIES} tries ({last})"
    )))
}

/// Every Consumption item of `service` in `region`, priced in `currency`, following
/// NextPageLink only on the endpoint's own origin.
async fn items_of(
    client: &reqwest::Client,
    base: &reqwest::Url,
    service: &str,
    region: &str,
    currency: &str,
) -> anyhow::Result<Vec<Item>> {
    let mut url = base
        .join("/api/retail/prices")
        .map_err(|e| usage_err(format!("--endpoint: {e}")))?;
    url.query_pairs_mut()
        .append_pair("currencyCode", &format!("'{currency}'"))
        .append_pair(
            "$filter",
            &format!(
                "serviceName eq '{}' and armRegionName eq '{region}' and priceType eq 'Consumption'",
                service.replace('\'', "''")
            ),
        );
    let mut out = Vec::new();
    for _ in 0..MAX_PAGES {
        let page = get_page(client, url.clone()).await?;
        out.extend(
            page.items
                .into_iter()
                .filter_map(|v| serde_json::from_value::<Item>(v).ok())
                .filter(|i| i.retail_price.is_finite() && i.retail_price >= 0.0),
        );
        let Some(next) = page.next_page_link.filter(|l| !l.trim().is_empty()) else {
            return Ok(out);
        };
        let next = reqwest::Url::parse(&next)
            .map_err(|e| input_err(format!("{url}: NextPageLink {next:?} is not a URL: {e}")))?;
        // A link elsewhere is never followed: the answer does not choose where we connect.
        if next.origin() != base.origin() {
            return Err(input_err(format!(
                "{url}: NextPageLink {next} leaves {}: refused",
                base.origin().ascii_serialization()
            )));
        }
        url = next;
    }
    Err(input_err(format!(
        "{service}: more than {MAX_PAGES} pages: refused (a paging loop?)"
    )))
}

/// The figure's unit after its currency ("GB", "GB/month"), to match the meter's unit.
fn unit_tail(unit: &str) -> Option<&str> {
    unit.split_once('/').map(|(_, tail)| tail.trim())
}

/// `1 GB` → (1, "gb"); `100 GB/Month` → (100, "gb/month").
fn meter_unit(u: &str) -> Option<(f64, String)> {
    let mut parts = u.trim().splitn(2, ' ');
    let n: f64 = parts.next()?.parse().ok()?;
    let rest = parts.next()?.trim().to_ascii_lowercase();
    (n > 0.0).then_some((n, rest))
}

/// The price of `meter` per the figure's unit, from the answer's items: the first paid tier
/// (a free first tier, such as Log Analytics' first 5 GB, is the account's allowance, not the
/// rate); a meter that is free in every tier is free.
fn pick(items: &[Item], meter: &RetailMeter, figure_unit: &str, currency: &str) -> Outcome {
    let Some(want_unit) = unit_tail(figure_unit).map(str::to_ascii_lowercase) else {
        return Outcome::Missing(format!(
            "the figure's unit {figure_unit:?} names no quantity"
        ));
    };
    let mut matching: Vec<&Item> = items
        .iter()
        .filter(|i| i.meter_name.eq_ignore_ascii_case(&meter.meter))
        .filter(|i| {
            meter
                .product
                .as_deref()
                .is_none_or(|p| i.product_name.eq_ignore_ascii_case(p))
        })
        .collect();
    if matching.is_empty() {
        return Outcome::Missing(format!("meter {:?} is not in the answer", meter.meter));
    }
    if let Some(i) = matching
        .iter()
        .find(|i| !i.currency_code.eq_ignore_ascii_case(currency))
    {
        return Outcome::Missing(format!(
            "meter {:?} is priced in {}, not {currency}",
            meter.meter, i.currency_code
        ));
    }
    matching.sort_by(|a, b| a.tier_minimum_units.total_cmp(&b.tier_minimum_units));
    let chosen = matching
        .iter()
        .find(|i| i.retail_price > 0.0)
        .or(matching.first())
        .copied();
    let Some(i) = chosen else {
        return Outcome::Missing(format!("meter {:?} has no price", meter.meter));
    };
    match meter_unit(&i.unit_of_measure) {
        Some((n, unit)) if unit == want_unit => Outcome::Read {
            value: i.retail_price / n,
            detail: format!(
                "{} / {}{} ({} {} per {}{}, effective {})",
                meter.service,
                meter
                    .product
                    .as_deref()
                    .map(|p| format!("{p} / "))
                    .unwrap_or_default(),
                i.meter_name,
                i.retail_price,
                i.currency_code,
                i.unit_of_measure,
                if i.tier_minimum_units > 0.0 {
                    format!(", tier from {} units", i.tier_minimum_units)
                } else {
                    String::new()
                },
                i.effective_start_date
                    .get(..10)
                    .unwrap_or(&i.effective_start_date),
            ),
        },
        _ => Outcome::Missing(format!(
            "meter {:?} is sold per {:?}, not per {want_unit}",
            meter.meter, i.unit_of_measure
        )),
    }
}

fn toml_str(s: &str) -> String {
    // A TOML basic string: quotes, backslashes and control characters escaped.
    let mut out = String::from("\"");
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            c if c.is_control() => {
                let _ = write!(out, "\\u{:04X}", c as u32);
            }
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// The pricing file for the priced figures of `m`, given what each became.
pub fn pricing_file(
    m: &CostModel,
    outcomes: &BTreeMap<String, Outcome>,
    region: &str,
    currency: &str,
    today: &str,
    endpoint: &str,
) -> String {
    let priced: Vec<(&String, &Figure)> = m
        .figures
        .iter()
        .filter(|(_, f)| f.unit.starts_with(&format!("{}/", m.currency)))
        .collect();
    // The shipped figures of meters not in the answer, in another currency, are converted by
    // the median ratio of the meters that were read.
    let mut ratios: Vec<f64> = priced
        .iter()
        .filter_map(|(k, f)| match outcomes.get(*k) {
            Some(Outcome::Read { value, .. }) if f.value > 0.0 && *value > 0.0 => {
                Some(value / f.value)
            }
            _ => None,
        })
        .collect();
    ratios.sort_by(f64::total_cmp);
    let ratio = ratios.get(ratios.len() / 2).copied().unwrap_or(1.0);
    let same_currency = currency.eq_ignore_ascii_case(&m.currency);
    let mut s = String::new();
    let _ = writeln!(
        s,
        "# logposture pricing file: written by `logposture pricing update --region {region} --currency {currency}`\n# on {today} from the Azure Retail Prices API ({endpoint}). Read it with --pricing FILE.\n# Retail list prices: your agreement's prices may differ (override any figure below)."
    );
    let _ = writeln!(s, "\n[meta]");
    let _ = writeln!(s, "currency = {}", toml_str(currency));
    let _ = writeln!(s, "region_factor = 1.0");
    let _ = writeln!(s, "priced_region = {}", toml_str(region));
    let _ = writeln!(s, "model_date = {}", toml_str(today));
    let _ = writeln!(
        s,
        "price_source = {}",
        toml_str(&format!(
            "Azure Retail Prices API, {region}, {currency}, read {today}"
        ))
    );
    for (k, f) in priced {
        let unit = format!("{currency}/{}", unit_tail(&f.unit).unwrap_or_default());
        let (value, source, confidence) = match outcomes.get(k) {
            Some(Outcome::Read { value, detail }) => (
                *value,
                format!("Azure Retail Prices API, {region}: {detail}, read {today}"),
                "high".to_string(),
            ),
            Some(Outcome::Missing(why)) if same_currency => (
                f.value,
                format!("shipped default ({}): {why} for {region}", f.source),
                f.confidence.clone(),
            ),
            Some(Outcome::Missing(why)) => (
                f.value * ratio,
                format!(
                    "shipped default {} {} × {ratio:.4} (the median ratio of the meters read for {region} in {currency}): {why}",
                    f.value, m.currency
                ),
                "low".to_string(),
            ),
            None if same_currency => (
                f.value,
                format!("shipped default ({}): no meter named in the model", f.source),
                f.confidence.clone(),
            ),
            None => (
                f.value * ratio,
                format!(
                    "shipped default {} {} × {ratio:.4} (the median ratio of the meters read for {region} in {currency}): no meter named in the model",
                    f.value, m.currency
                ),
                "low".to_string(),
            ),
        };
        let _ = writeln!(s, "\n[figure.{k}]");
        let _ = writeln!(s, "value = {}", round6(value));
        let _ = writeln!(s, "unit = {}", toml_str(&unit));
        let _ = writeln!(s, "source = {}", toml_str(&source));
        let _ = writeln!(s, "date = {}", toml_str(today));
        let _ = writeln!(s, "confidence = {}", toml_str(&confidence));
    }
    // Sentinel's commitment tiers are daily prices: scaled as its pay-as-you-go price moved (or
    // by the median ratio when that meter was not read), so they stay in the file's currency.
    let shipped = m.value("sentinel_simplified_gb");
    let (tier_ratio, why) = match outcomes.get("sentinel_simplified_gb") {
        Some(Outcome::Read { value, .. }) if shipped > 0.0 => (
            value / shipped,
            format!("scaled as Sentinel's pay-as-you-go price read for {region} in {currency}"),
        ),
        _ if same_currency => (
            1.0,
            "as shipped: Sentinel's pay-as-you-go price was not read".to_string(),
        ),
        _ => (
            ratio,
            format!("scaled by the median ratio of the meters read for {region} in {currency}"),
        ),
    };
    for t in &m.sentinel_commitment_tiers {
        let _ = writeln!(s, "\n[[sentinel_commitment_tier]]");
        let _ = writeln!(s, "gb_per_day = {}", t.gb_per_day);
        let _ = writeln!(s, "usd_per_day = {}", round6(t.usd_per_day * tier_ratio));
        let _ = writeln!(
            s,
            "source = {}",
            toml_str(&format!(
                "{} {}/day shipped ({}), {why}",
                t.usd_per_day, m.currency, t.source
            ))
        );
        let _ = writeln!(s, "date = {}", toml_str(today));
    }
    s
}

fn round6(x: f64) -> f64 {
    (x * 1e6).round() / 1e6
}

pub async fn run(args: PricingUpdateArgs) -> anyhow::Result<i32> {
    if !valid_region(&args.region) {
        return Err(usage_err(format!(
            "--region {:?}: an Azure region name as ARM writes it (westeurope, eastus2)",
            args.region
        )));
    }
    if !valid_currency(&args.currency) {
        return Err(usage_err(format!(
            "--currency {:?}: a three-letter ISO code in capitals (USD, EUR)",
            args.currency
        )));
    }
    let base = endpoint(&args.endpoint)?;
    let m = CostModel::load(&[], &crate::app::figure_readers()).map_err(input_err)?;
    let client = reqwest::Client::builder()
        .timeout(Duration::from_secs(60))
        .build()
        .map_err(|e| usage_err(format!("HTTP client: {e}")))?;
    let meters: BTreeMap<&String, (&Figure, &RetailMeter)> = m
        .figures
        .iter()
        .filter_map(|(k, f)| f.retail.as_ref().map(|r| (k, (f, r))))
        .collect();
    let mut by_service: BTreeMap<&str, Vec<Item>> = BTreeMap::new();
    for (_, r) in meters.values() {
        if !by_service.contains_key(r.service.as_str()) {
            let items = items_of(&client, &base, &r.service, &args.region, &args.currency).await?;
            by_service.insert(r.service.as_str(), items);
        }
    }
    let mut outcomes = BTreeMap::new();
    let mut report = String::new();
    for (k, (f, r)) in &meters {
        let items = by_service
            .get(r.service.as_str())
            .map(Vec::as_slice)
            .unwrap_or(&[]);
        let o = pick(items, r, &f.unit, &args.currency);
        match &o {
            Outcome::Read { value, .. } => {
                let _ = writeln!(report, "  {k}: {value:.6} {} ({})", args.currency, r.meter);
            }
            Outcome::Missing(why) => {
                let _ = writeln!(report, "  {k}: not read ({why}): the shipped figure stays");
            }
        }
        outcomes.insert((*k).clone(), o);
    }
    if !outcomes.values().any(|o| matches!(o, Outcome::Read { .. })) {
        return Err(input_err(format!(
            "the Retail Prices API answered none of the model's meters for {} in {}:\n{report}",
            args.region, args.currency
        )));
    }
    let today = time::OffsetDateTime::now_utc().date().to_string();
    let text = pricing_file(
        &m,
        &outcomes,
        &args.region,
        &args.currency,
        &today,
        base.origin().ascii_serialization().as_str(),
    );
    crate::support::atomic::write_whole(&args.out, text.as_bytes())
        .map_err(|e| output_err(format!("cannot write {}: {e}", args.out.display())))?;
    let mut err = std::io::stderr().lock();
    let _ = write!(
        err,
        "logposture: prices for {} in {} ({} of {} meters read):\n{report}  wrote {} (use it with --pricing {})\n",
        args.region,
        args.currency,
        outcomes.values().filter(|o| matches!(o, Outcome::Read { .. })).count(),
        outcomes.len(),
        args.out.display(),
        args.out.display()
    );
    Ok(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn item(meter: &str, price: f64, tier: f64, unit: &str) -> Item {
        Item {
            currency_code: "EUR".into(),
            retail_price: price,
            tier_minimum_units: tier,
            meter_name: meter.into(),
            product_name: "Log Analytics".into(),
            unit_of_measure: unit.into(),
            effective_start_date: "2025-01-01T00:00:00Z".into(),
        }
    }

    fn meter(m: &str) -> RetailMeter {
        RetailMeter {
            service: "Log Analytics".into(),
            product: None,
            meter: m.into(),
        }
    }

    #[test]
    fn the_first_paid_tier_is_the_rate_and_units_are_divided() {
        let items = [
            item("Analytics Logs Data Ingestion", 0.0, 0.0, "1 GB"),
            item("Analytics Logs Data Ingestion", 2.59, 5.0, "1 GB"),
        ];
        let got = pick(
            &items,
            &meter("Analytics Logs Data Ingestion"),
            "USD/GB",
            "EUR",
        );
        assert!(
            matches!(got, Outcome::Read { value, .. } if (value - 2.59).abs() < 1e-9),
            "{got:?}"
        );
        let per_100 = [item("Data Archive", 2.0, 0.0, "100 GB/Month")];
        let got = pick(&per_100, &meter("Data Archive"), "USD/GB/month", "EUR");
        assert!(
            matches!(got, Outcome::Read { value, .. } if (value - 0.02).abs() < 1e-9),
            "{got:?}"
        );
        // A unit that is not the figure's is not read as if it were.
        let hourly = [item("Data Archive", 2.0, 0.0, "1 Hour")];
        assert!(matches!(
            pick(&hourly, &meter("Data Archive"), "USD/GB/month", "EUR"),
            Outcome::Missing(_)
        ));
        assert!(matches!(
            pick(&hourly, &meter("Nope"), "USD/GB", "EUR"),
            Outcome::Missing(_)
        ));
    }

    #[test]
    fn region_currency_and_endpoint_are_checked() {
        assert!(
            valid_region("westeurope") && !valid_region("west europe") && !valid_region("x'or")
        );
        assert!(valid_currency("EUR") && !valid_currency("eur") && !valid_currency("EURO"));
        assert!(endpoint("https://prices.azure.com").is_ok());
        assert!(endpoint("http://127.0.0.1:8080").is_ok());
        assert!(endpoint("http://prices.example.com").is_err());
    }
}
