//! The one ARM client every collector uses.
//!
//! Requests go through an `azure_core` pipeline whose transport is [`ArmTransport`]: it paces
//! reads per subscription (a local model of ARM's token bucket, corrected by the
//! `x-ms-ratelimit-remaining-*-reads` header), bounds requests in flight, retries 429/5xx and
//! network errors (honouring `Retry-After`, capped, with jitter) and times out slow responses.
//! The generated Monitor client gets the same transport, so its calls are paced and counted too.
//! Failed reads come back as [`ReadError`] values for the snapshot; nothing here aborts a scan.

use super::guard::{self, GuardedCredential, Secrets};
use crate::inventory::ReadError;
use async_trait::async_trait;
use azure_core_legacy::auth::TokenCredential;
use azure_core_legacy::headers::{HeaderName, AUTHORIZATION};
use azure_core_legacy::{
    ClientOptions, Context, HttpClient, Method, Pipeline, Policy, PolicyResult, Request,
    RetryOptions, TransportOptions, Url,
};
use serde::de::DeserializeOwned;
use serde::Deserialize;
use std::collections::{HashMap, HashSet, VecDeque};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::sync::Semaphore;
use tokio::time::Instant;

/// Tuning of the transport. Defaults follow ARM's published read limits.
#[derive(Debug, Clone)]
pub struct TransportSettings {
    /// Requests in flight across the scan at most: a safety net for sockets and memory when
    /// `adaptive`, the binding limit otherwise (`--concurrency`).
    pub concurrency: usize,
    /// Each subscription (and the tenant) keeps about refill × latency reads in flight
    /// (Little's law), learnt as the scan runs; see `Pacer::in_flight_cap`.
    pub adaptive: bool,
    pub request_timeout: Duration,
    /// Retries of 5xx, 408 and network errors.
    pub max_retries: u32,
    /// Retries of 429: more, because each one waits as long as ARM asks and the read must not be lost.
    pub max_throttle_retries: u32,
    /// Longest `Retry-After` honoured; longer values are capped to this.
    pub max_retry_after: Duration,
    /// First backoff for 5xx/network errors; doubles per attempt.
    pub backoff_base: Duration,
    pub backoff_cap: Duration,
    /// Local model of ARM's read bucket per subscription (and per tenant).
    pub bucket_size: f64,
    pub refill_per_second: f64,
    /// Pace reads per subscription (off only for the benchmark's naive client).
    pub pace: bool,
    /// Longest a read may spend waiting on 429s in all; a `Retry-After` beyond what is left
    /// gives the read up (not assessed) instead of holding the scan.
    pub throttle_budget: Duration,
    /// End of the whole scan (`--max-duration`): after it no request starts, waits are cut
    /// short, and what is unread is not assessed.
    pub deadline: Option<Instant>,
    /// Largest response body accepted; a larger one is a failed read, not an allocation.
    pub max_body_bytes: usize,
    /// CAs trusted besides the built-in roots (`--ca-cert`); verification is never off.
    pub extra_roots: Vec<reqwest::Certificate>,
}

impl Default for TransportSettings {
    fn default() -> Self {
        Self {
            concurrency: 512,
            adaptive: true,
            request_timeout: Duration::from_secs(60),
            max_retries: 4,
            max_throttle_retries: 12,
            max_retry_after: Duration::from_secs(120),
            backoff_base: Duration::from_millis(500),
            backoff_cap: Duration::from_secs(30),
            bucket_size: 250.0,
            refill_per_second: 25.0,
            pace: true,
            throttle_budget: Duration::from_secs(300),
            deadline: None,
            max_body_bytes: 256 << 20,
            extra_roots: Vec::new(),
        }
    }
}

/// Counters shared by every request of a scan.
#[derive(Debug, Default)]
pub struct TransportStats {
    pub requests: AtomicU64,
    pub retries: AtomicU64,
    pub throttled: AtomicU64,
    pub paced_waits: AtomicU64,
}

#[derive(Debug)]
struct Bucket {
    /// Local estimate of the tokens ARM has for us, after the requests already in flight.
    tokens: f64,
    last_refill: Instant,
    blocked_until: Option<Instant>,
    in_flight: u32,
    /// Refill per second: the configured value until learnt from ARM's headers.
    refill: f64,
    /// Largest remaining count seen + 1: the bucket size ARM grants this principal.
    capacity: f64,
    /// (arrival, remaining) of recent responses while the bucket was below full.
    samples: VecDeque<(Instant, f64)>,
    /// Smoothed seconds from sending a request to its answer.
    latency: f64,
    /// Highest refill the estimate may take: the configured (documented) rate, lowered to just
    /// under the estimate in force at each 429 and recovering slowly from there.
    ceiling: f64,
    /// When `ceiling` was last lowered or recovered.
    ceiling_at: Instant,
    /// Send time of the request whose remaining count the estimate last took.
    last_count_sent: Option<Instant>,
    /// Reads sent on this bucket (retries included), for the ETA.
    sent: u64,
}

/// In flight per subscription at least, and what a fresh bucket's tokens may add: a burst may
/// spend the initial tokens as fast as ARM answers.
const MIN_IN_FLIGHT: f64 = 8.0;
const BURST_IN_FLIGHT: f64 = 64.0;
/// Latency assumed until one is measured (ARM lists take 100-500 ms).
const INITIAL_LATENCY: f64 = 0.2;

/// Per-subscription pacing: spend tokens locally and wait for refill before ARM has to say 429.
///
/// ARM's `x-ms-ratelimit-remaining-*-reads` is the truth after each response; between responses
/// the local model refills at a rate learnt from how that header moves. So a scan runs at ARM's
/// refill rate once the initial bucket is spent, instead of bouncing off 429s (each one costs a
/// whole `Retry-After` second).
#[derive(Debug)]
struct Pacer {
    size: f64,
    refill: f64,
    adaptive: bool,
    buckets: Mutex<HashMap<String, Bucket>>,
}

impl Bucket {
    /// Reads this bucket keeps in flight: Little's law (rate × latency) with 50 % headroom, at
    /// least `MIN_IN_FLIGHT`, more while unspent tokens allow a burst.
    fn in_flight_cap(&self) -> u32 {
        let steady = (self.refill * self.latency * 1.5).ceil() + 4.0;
        let burst = self.tokens.min(BURST_IN_FLIGHT);
        steady.max(burst).clamp(MIN_IN_FLIGHT, 4096.0) as u32
    }
}

/// How much history the refill estimate looks at.
const REFILL_WINDOW: Duration = Duration::from_millis(1500);

impl Pacer {
    fn new(size: f64, refill: f64, adaptive: bool) -> Self {
        Self {
            size: size.max(1.0),
            refill: refill.max(0.001),
            adaptive,
            buckets: Mutex::new(HashMap::new()),
        }
    }

    /// A request on `key` took `took` from send to answer.
    fn observe_latency(&self, key: &str, took: Duration) {
        if let Some(b) = self.lock().get_mut(key) {
            b.latency = 0.8 * b.latency + 0.2 * took.as_secs_f64().min(30.0);
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<String, Bucket>> {
        match self.buckets.lock() {
            Ok(g) => g,
            Err(p) => p.into_inner(),
        }
    }

    /// How long to wait before a read on `key` may go; zero when it may go now (token taken).
    fn try_take(&self, key: &str) -> Duration {
        let now = Instant::now();
        let mut buckets = self.lock();
        let b = buckets.entry(key.to_string()).or_insert(Bucket {
            tokens: self.size,
            last_refill: now,
            blocked_until: None,
            in_flight: 0,
            refill: self.refill,
            capacity: self.size,
            samples: VecDeque::new(),
            latency: INITIAL_LATENCY,
            ceiling: self.refill,
            ceiling_at: now,
            last_count_sent: None,
            sent: 0,
        });
        if let Some(until) = b.blocked_until {
            if until > now {
                return until - now;
            }
            b.blocked_until = None;
        }
        let elapsed = now.saturating_duration_since(b.last_refill).as_secs_f64();
        b.tokens = (b.tokens + elapsed * b.refill).min(b.capacity);
        b.last_refill = now;
        if self.adaptive && b.in_flight >= b.in_flight_cap() {
            // Enough in flight to keep this subscription at its rate: wait for an answer.
            return Duration::from_secs_f64((b.latency / 8.0).clamp(0.002, 0.05));
        }
        if b.tokens >= 1.0 {
            b.tokens -= 1.0;
            b.in_flight += 1;
            b.sent += 1;
            Duration::ZERO
        } else {
            Duration::from_secs_f64(((1.0 - b.tokens) / b.refill).max(0.001))
        }
    }

    /// A paced request ended without a remaining count to learn from (429, network error, timeout).
    fn finished(&self, key: &str) {
        if let Some(b) = self.lock().get_mut(key) {
            b.in_flight = b.in_flight.saturating_sub(1);
        }
    }

    /// A response arrived with ARM's remaining count: correct the model and learn the refill.
    fn observe_remaining(&self, key: &str, remaining: f64, sent: Instant) {
        let now = Instant::now();
        let mut buckets = self.lock();
        let Some(b) = buckets.get_mut(key) else {
            return;
        };
        b.in_flight = b.in_flight.saturating_sub(1);
        if remaining + 1.0 > b.capacity {
            b.capacity = remaining + 1.0;
        }
        // Requests still in flight were counted locally but not yet by ARM. Answers arrive out
        // of the order ARM counted them: a request sent before the one whose count we last took
        // carries an older, higher count, which may only lower the estimate (refill raises it).
        let told = (remaining - f64::from(b.in_flight)).min(b.capacity);
        let elapsed = now.saturating_duration_since(b.last_refill).as_secs_f64();
        let local = (b.tokens + elapsed * b.refill).min(b.capacity);
        b.tokens = if b.last_count_sent.is_some_and(|last| sent < last) {
            told.min(local)
        } else {
            b.last_count_sent = Some(sent);
            told
        };
        b.last_refill = now;
        if remaining + 1.0 >= b.capacity {
            b.samples.clear(); // a full bucket says nothing about the refill rate
            return;
        }
        b.samples.push_back((now, remaining));
        while b.samples.len() > 2
            && b.samples
                .front()
                .is_some_and(|(t, _)| now.saturating_duration_since(*t) > REFILL_WINDOW)
        {
            b.samples.pop_front();
        }
        if let (Some(&(t0, r0)), Some(&(t1, r1))) = (b.samples.front(), b.samples.back()) {
            let dt = t1.saturating_duration_since(t0).as_secs_f64();
            if dt >= 0.3 {
                // Each response after the first spent one token; the rest of the change is refill.
                let spent = (b.samples.len() - 1) as f64;
                let rate = (r1 - r0 + spent) / dt;
                if rate.is_finite() && rate > 0.0 {
                    // The ceiling creeps back to the configured rate (1 % a second), so one
                    // 429 from a busy provider does not slow the subscription for good.
                    let since = now.saturating_duration_since(b.ceiling_at).as_secs_f64();
                    b.ceiling = (b.ceiling * (1.0 + 0.01 * since)).min(self.refill);
                    b.ceiling_at = now;
                    // Learnt refill stays under the ceiling: ARM documents its rate (25/s), and a
                    // noisy estimate above the true one ends in a 429 and a lost Retry-After.
                    b.refill = (0.7 * b.refill + 0.3 * rate).clamp(0.5, b.ceiling.max(0.5));
                }
            }
        }
    }

    /// How long the reads still expected need at the throttle floor: per bucket, what the
    /// tokens left do not cover at the learnt refill rate, plus one answer; the slowest bucket.
    fn floor_eta(&self, expected: &HashMap<String, u64>) -> Option<Duration> {
        let buckets = self.lock();
        expected
            .iter()
            .map(|(key, &want)| {
                let (sent, tokens, refill, latency) = buckets
                    .get(key)
                    .map(|b| (b.sent, b.tokens, b.refill, b.latency))
                    .unwrap_or((0, self.size, self.refill, INITIAL_LATENCY));
                let left = want.saturating_sub(sent) as f64;
                if left == 0.0 {
                    return 0.0;
                }
                (left - tokens.max(0.0)).max(0.0) / refill.max(0.001) + latency
            })
            .fold(None, |m: Option<f64>, t| Some(m.map_or(t, |m| m.max(t))))
            .map(|t| Duration::from_secs_f64(t.min(86_400.0)))
    }

    fn throttled(&self, key: &str, wait: Duration) {
        let now = Instant::now();
        let mut buckets = self.lock();
        if let Some(b) = buckets.get_mut(key) {
            b.tokens = 0.0;
            // The other reads in flight when ARM ran dry answer 429 too: one event, one
            // correction.
            if b.blocked_until.is_some_and(|u| u > now) {
                return;
            }
            // We sent faster than ARM refills: the rate in force was too high, and the estimate
            // may not climb back above just under it.
            b.ceiling = (b.refill * 0.97).max(0.5);
            b.ceiling_at = now;
            b.refill = (b.refill * 0.9).max(0.5);
            b.last_refill = now + wait;
            b.blocked_until = Some(now + wait);
        }
    }
}

/// The bucket a request draws from: its subscription, else the tenant.
pub fn bucket_key(path: &str) -> String {
    let mut parts = path.split('/').filter(|p| !p.is_empty());
    while let Some(p) = parts.next() {
        if p.eq_ignore_ascii_case("subscriptions") {
            if let Some(id) = parts.next() {
                return id.to_ascii_lowercase();
            }
        }
    }
    "tenant".to_string()
}

/// The HTTP client: azure_core 0.20's own reqwest client keeps no idle connection
/// (`pool_max_idle_per_host(0)`), so every read would pay a TCP and TLS handshake. This one
/// keeps connections for reuse and speaks HTTP/2 where ARM offers it (ALPN). Stale pooled
/// connections are bounded by the idle timeout; a read that still hits one is retried as a
/// network error. TLS verification stays on.
fn pooled_http_client(extra_roots: &[reqwest::Certificate]) -> Arc<dyn HttpClient> {
    let mut builder = reqwest::Client::builder()
        .pool_idle_timeout(Duration::from_secs(50))
        .connect_timeout(Duration::from_secs(20));
    for root in extra_roots {
        builder = builder.add_root_certificate(root.clone());
    }
    match builder.build() {
        Ok(c) => Arc::new(c),
        Err(_) => azure_core_legacy::new_http_client(),
    }
}

/// The pipeline's last policy: pacing, concurrency, retries, timeout, then the HTTP client.
#[derive(Debug)]
pub struct ArmTransport {
    http: Arc<dyn HttpClient>,
    settings: TransportSettings,
    /// Where requests may go (ARM and Log Analytics): the bearer token goes with every one.
    allowed_origins: Vec<url::Origin>,
    pacer: Pacer,
    /// Reads each subscription is expected to need, as the collector learns it (for the ETA).
    expected: Mutex<HashMap<String, u64>>,
    in_flight: Semaphore,
    pub stats: TransportStats,
}

impl ArmTransport {
    pub fn new(settings: TransportSettings, allowed: &[&Url]) -> Self {
        Self {
            http: pooled_http_client(&settings.extra_roots),
            allowed_origins: allowed.iter().map(|u| u.origin()).collect(),
            expected: Mutex::new(HashMap::new()),
            pacer: Pacer::new(
                settings.bucket_size,
                settings.refill_per_second,
                settings.adaptive,
            ),
            in_flight: Semaphore::new(settings.concurrency.max(1)),
            settings,
            stats: TransportStats::default(),
        }
    }

    fn backoff(&self, attempt: u32) -> Duration {
        let exp = self
            .settings
            .backoff_base
            .saturating_mul(1u32 << attempt.min(16));
        let capped = exp.min(self.settings.backoff_cap);
        // Full jitter on the upper half, so parallel retries do not arrive together.
        let half = capped / 2;
        half + half.mul_f64(fastrand::f64())
    }
}

const RETRY_AFTER: HeaderName = HeaderName::from_static("retry-after");
const RETRY_AFTER_MS: HeaderName = HeaderName::from_static("x-ms-retry-after-ms");
const REMAINING_SUB_READS: HeaderName =
    HeaderName::from_static("x-ms-ratelimit-remaining-subscription-reads");
const REMAINING_TENANT_READS: HeaderName =
    HeaderName::from_static("x-ms-ratelimit-remaining-tenant-reads");

/// ARM's remaining read count for this principal (subscription or tenant bucket).
fn remaining_reads(headers: &azure_core_legacy::headers::Headers) -> Option<f64> {
    headers
        .get_optional_str(&REMAINING_SUB_READS)
        .or_else(|| headers.get_optional_str(&REMAINING_TENANT_READS))
        .and_then(|v| v.trim().parse::<f64>().ok())
}

/// `Retry-After` in seconds (or an HTTP date), or `x-ms-retry-after-ms`.
fn retry_after(headers: &azure_core_legacy::headers::Headers) -> Option<Duration> {
    if let Some(ms) = headers
        .get_optional_str(&RETRY_AFTER_MS)
        .and_then(|v| v.trim().parse::<u64>().ok())
    {
        return Some(Duration::from_millis(ms));
    }
    let v = headers.get_optional_str(&RETRY_AFTER)?.trim();
    if let Ok(secs) = v.parse::<f64>() {
        if secs.is_finite() && secs >= 0.0 {
            return Some(Duration::from_secs_f64(secs));
        }
    }
    let when =
        time::OffsetDateTime::parse(v, &time::format_description::well_known::Rfc2822).ok()?;
    let delta = when - time::OffsetDateTime::now_utc();
    Some(Duration::from_secs_f64(delta.as_seconds_f64().max(0.0)))
}

/// Collapse `//` in the path: the generated clients join `{endpoint}/{path}` and the endpoint
/// already ends in `/`.
fn normalise_path(url: &mut Url) {
    let path = url.path();
    if path.contains("//") {
        let mut cleaned = String::with_capacity(path.len());
        let mut prev_slash = false;
        for c in path.chars() {
            if c == '/' && prev_slash {
                continue;
            }
            prev_slash = c == '/';
            cleaned.push(c);
        }
        url.set_path(&cleaned);
    }
}

fn is_retryable_status(status: u16) -> bool {
    matches!(status, 408 | 500 | 502 | 503 | 504)
}

/// Why a request was not sent or not finished: an error the read records (never retried).
fn transport_error(
    status: Option<azure_core_legacy::StatusCode>,
    code: &str,
    message: String,
) -> azure_core_legacy::Error {
    match status {
        Some(s) => azure_core_legacy::Error::message(
            azure_core_legacy::error::ErrorKind::HttpResponse {
                status: s,
                error_code: Some(code.to_string()),
            },
            message,
        ),
        None => azure_core_legacy::Error::message(
            azure_core_legacy::error::ErrorKind::Other,
            format!("{code}: {message}"),
        ),
    }
}

impl ArmTransport {
    /// Time left before the scan's deadline (None: no deadline).
    fn left(&self) -> Option<Duration> {
        self.settings
            .deadline
            .map(|d| d.saturating_duration_since(Instant::now()))
    }

    fn past_deadline(&self) -> bool {
        self.left().is_some_and(|l| l.is_zero())
    }

    /// Sleep, but never past the scan's deadline.
    async fn sleep(&self, wait: Duration) {
        let wait = self.left().map_or(wait, |l| wait.min(l));
        tokio::time::sleep(wait).await;
    }

    /// One attempt: headers and the whole body within the request timeout (and the scan's
    /// deadline), the body buffered so that no later reader can stall on it.
    async fn attempt(
        &self,
        request: &Request,
    ) -> Option<azure_core_legacy::Result<azure_core_legacy::Response>> {
        let limit = self.left().map_or(self.settings.request_timeout, |l| {
            l.min(self.settings.request_timeout)
        });
        let max = self.settings.max_body_bytes;
        tokio::time::timeout(limit, async {
            let response = self.http.execute_request(request).await?;
            let (status, headers, mut body) = response.deconstruct();
            let mut buf = Vec::new();
            while let Some(chunk) = futures::StreamExt::next(&mut body).await {
                let chunk = chunk?;
                if buf.len() + chunk.len() > max {
                    return Err(transport_error(
                        None,
                        "ResponseTooLarge",
                        format!("the response body is larger than {} MiB", max >> 20),
                    ));
                }
                buf.extend_from_slice(&chunk);
            }
            Ok(azure_core_legacy::Response::new(
                status,
                headers,
                Box::pin(azure_core_legacy::BytesStream::new(buf)),
            ))
        })
        .await
        .ok()
    }
}

#[async_trait]
impl Policy for ArmTransport {
    async fn send(
        &self,
        _ctx: &Context,
        request: &mut Request,
        _next: &[Arc<dyn Policy>],
    ) -> PolicyResult {
        normalise_path(request.url_mut());
        // The last line of defence: whatever built this URL, the token only goes to ARM.
        if !self.allowed_origins.contains(&request.url().origin()) {
            return Err(transport_error(
                None,
                "ForeignHost",
                format!(
                    "refused to send a request to {}: not the ARM or Log Analytics endpoint",
                    request.url().origin().ascii_serialization()
                ),
            ));
        }
        let key = bucket_key(request.url().path());
        let paced = self.settings.pace
            && (request.url().path().starts_with("/subscriptions")
                || request.url().path().starts_with("/providers"));
        let mut attempt: u32 = 0;
        let mut throttle_attempt: u32 = 0;
        let mut throttle_waited = Duration::ZERO;
        loop {
            if self.past_deadline() {
                return Err(transport_error(
                    None,
                    "ScanDeadline",
                    "the scan reached --max-duration before this read".into(),
                ));
            }
            if paced {
                loop {
                    let wait = self.pacer.try_take(&key);
                    if wait.is_zero() {
                        break;
                    }
                    if self.past_deadline() {
                        return Err(transport_error(
                            None,
                            "ScanDeadline",
                            "the scan reached --max-duration before this read".into(),
                        ));
                    }
                    self.stats.paced_waits.fetch_add(1, Ordering::Relaxed);
                    self.sleep(wait).await;
                }
            }
            let permit = self.in_flight.acquire().await;
            self.stats.requests.fetch_add(1, Ordering::Relaxed);
            let sent = Instant::now();
            let outcome = self.attempt(request).await;
            drop(permit);
            if paced {
                self.pacer.observe_latency(&key, sent.elapsed());
            }
            if paced {
                // Settle the token exactly once per attempt: ARM's count when a non-429 answer
                // carries it, otherwise just the end of the request.
                let remaining = match &outcome {
                    Some(Ok(r)) if r.status() as u16 != 429 => remaining_reads(r.headers()),
                    _ => None,
                };
                match remaining {
                    Some(r) => self.pacer.observe_remaining(&key, r, sent),
                    None => self.pacer.finished(&key),
                }
            }
            match outcome {
                Some(Ok(response)) => {
                    let status = response.status() as u16;
                    let headers = response.headers();
                    if status == 429 {
                        self.stats.throttled.fetch_add(1, Ordering::Relaxed);
                        let asked = retry_after(headers);
                        let wait = asked.unwrap_or_else(|| self.backoff(throttle_attempt + 1));
                        let budget_left = self
                            .settings
                            .throttle_budget
                            .saturating_sub(throttle_waited);
                        let give_up = if throttle_attempt >= self.settings.max_throttle_retries {
                            Some(format!("still throttled after {throttle_attempt} retries"))
                        } else if wait > self.settings.max_retry_after || wait > budget_left {
                            Some(format!(
                                "ARM asked to wait {}s, more than this read's throttle budget allows ({}s left of {}s)",
                                wait.as_secs(),
                                budget_left.min(self.settings.max_retry_after).as_secs(),
                                self.settings.throttle_budget.as_secs()
                            ))
                        } else if self.left().is_some_and(|l| l < wait) {
                            Some(
                                "the scan reaches --max-duration before ARM allows another read"
                                    .into(),
                            )
                        } else {
                            None
                        };
                        if let Some(why) = give_up {
                            // The bucket is not blocked for the wait ARM named: other reads
                            // try once and give up the same way, instead of all waiting.
                            return Err(transport_error(
                                Some(azure_core_legacy::StatusCode::TooManyRequests),
                                "TooManyRequests",
                                format!("throttled: {why}; not assessed"),
                            ));
                        }
                        throttle_attempt += 1;
                        self.stats.retries.fetch_add(1, Ordering::Relaxed);
                        // A little jitter so many waiting reads do not land in the same instant.
                        let wait = wait + Duration::from_millis(fastrand::u64(0..50));
                        throttle_waited += wait;
                        if paced {
                            self.pacer.throttled(&key, wait);
                        }
                        self.sleep(wait).await;
                        continue;
                    }
                    if is_retryable_status(status) && attempt < self.settings.max_retries {
                        attempt += 1;
                        self.stats.retries.fetch_add(1, Ordering::Relaxed);
                        let wait = retry_after(headers).unwrap_or_else(|| self.backoff(attempt));
                        self.sleep(wait.min(self.settings.max_retry_after)).await;
                        continue;
                    }
                    return Ok(response);
                }
                Some(Err(error)) => {
                    // An untrusted certificate will not become trusted by asking again.
                    if attempt < self.settings.max_retries
                        && matches!(error.kind(), azure_core_legacy::error::ErrorKind::Io)
                        && !is_certificate_error(&error)
                    {
                        attempt += 1;
                        self.stats.retries.fetch_add(1, Ordering::Relaxed);
                        self.sleep(self.backoff(attempt)).await;
                        continue;
                    }
                    return Err(error);
                }
                // A server that holds a response past the timeout is not retried: waiting
                // again would multiply the hang, and the read is recorded as not assessed.
                None => {
                    return Err(azure_core_legacy::Error::message(
                        azure_core_legacy::error::ErrorKind::Io,
                        format!(
                            "no complete response within {}s (--request-timeout)",
                            self.settings.request_timeout.as_secs()
                        ),
                    ));
                }
            }
        }
    }
}

/// Whether a transport error is a failed TLS certificate verification (anywhere in its chain).
fn is_certificate_error(error: &azure_core_legacy::Error) -> bool {
    let mut e: Option<&(dyn std::error::Error + 'static)> = Some(error);
    while let Some(x) = e {
        if x.to_string().to_ascii_lowercase().contains("certificate") {
            return true;
        }
        e = x.source();
    }
    false
}

/// Endpoints and token audiences of one Azure cloud.
#[derive(Debug, Clone)]
pub struct CloudEndpoints {
    pub name: String,
    pub arm: Url,
    /// Token scope for ARM, e.g. `https://management.azure.com/.default`.
    pub arm_scope: String,
    pub logs: Url,
    pub logs_scope: String,
    pub authority_host: String,
}

impl CloudEndpoints {
    pub fn for_cloud(name: &str) -> Option<Self> {
        let (arm, logs, authority) = match name {
            "public" | "AzureCloud" => (
                "https://management.azure.com",
                "https://api.loganalytics.io",
                "https://login.microsoftonline.com",
            ),
            "china" | "AzureChinaCloud" => (
                "https://management.chinacloudapi.cn",
                "https://api.loganalytics.azure.cn",
                "https://login.chinacloudapi.cn",
            ),
            "usgov" | "AzureUSGovernment" => (
                "https://management.usgovcloudapi.net",
                "https://api.loganalytics.us",
                "https://login.microsoftonline.us",
            ),
            _ => return None,
        };
        Some(Self {
            name: name.to_string(),
            arm: Url::parse(arm).ok()?,
            arm_scope: format!("{arm}/.default"),
            logs: Url::parse(logs).ok()?,
            logs_scope: format!("{logs}/.default"),
            authority_host: authority.to_string(),
        })
    }
}

/// One ARM list page. `nextLink` may be null, absent or empty; `value` must be an array: a
/// 200 without one (`{}`, `{"value": null}`, an error envelope) is a failed read, never an
/// empty list, or findings would vanish with the data.
#[derive(Debug, Deserialize)]
struct Page {
    #[serde(default)]
    value: Option<serde_json::Value>,
    #[serde(default, rename = "nextLink")]
    next_link: Option<serde_json::Value>,
    #[serde(default)]
    error: Option<serde_json::Value>,
}

impl Page {
    fn into_items(
        self,
        scope: &str,
        operation: &str,
    ) -> Result<(Vec<serde_json::Value>, Option<String>), ReadError> {
        if let Some(err) = self.error.filter(|e| !e.is_null()) {
            let code = err
                .get("code")
                .and_then(|c| c.as_str())
                .unwrap_or("ErrorInBody");
            let message = err
                .get("message")
                .and_then(|m| m.as_str())
                .unwrap_or("no message");
            return Err(ReadError {
                scope: scope.to_string(),
                operation: operation.to_string(),
                status: Some(200),
                code: Some(code.to_string()),
                message: format!("ARM answered 200 with an error: {}", truncate(message, 400)),
            });
        }
        let items = match self.value {
            Some(serde_json::Value::Array(items)) => items,
            other => {
                let what = match other {
                    None => "no `value`",
                    Some(serde_json::Value::Null) => "`value: null`",
                    Some(_) => "a `value` that is not a list",
                };
                return Err(ReadError {
                    scope: scope.to_string(),
                    operation: operation.to_string(),
                    status: Some(200),
                    code: Some("MalformedPayload".into()),
                    message: format!("the list answer has {what}; the list is unknown, not empty"),
                });
            }
        };
        let next = match self.next_link {
            None | Some(serde_json::Value::Null) => None,
            Some(serde_json::Value::String(s)) if s.trim().is_empty() => None,
            Some(serde_json::Value::String(s)) => Some(s.trim().to_string()),
            Some(_) => {
                return Err(paging_error(scope, operation, "nextLink is not a string"));
            }
        };
        Ok((items, next))
    }
}

/// A list may not have more pages than this; an endless chain of nextLinks is cut far sooner
/// (see [`page_cap`]).
const MAX_PAGES: usize = 100_000;

/// Pages a list may take given the items it has returned so far: honest lists fill their pages,
/// so a chain of empty or near-empty pages that never ends stops here.
fn page_cap(items_seen: usize) -> usize {
    (50 + items_seen).min(MAX_PAGES)
}

pub type MonitorClient = azure_mgmt_monitor::package_2021_05_preview_diagnostics::Client;

/// The ARM (and Log Analytics query) client with its credential, shared by every collector.
#[derive(Clone)]
pub struct ArmClient {
    endpoint: Url,
    logs_endpoint: Url,
    credential: Arc<dyn TokenCredential>,
    secrets: Arc<Secrets>,
    arm_scope: String,
    logs_scope: String,
    pipeline: Pipeline,
    monitor: MonitorClient,
    transport: Arc<ArmTransport>,
    /// Who the token says is scanning, read at the credential check.
    identity: std::sync::OnceLock<crate::inventory::ScanIdentity>,
    /// Log Analytics queries in flight at most (shared by every clone).
    queries: Arc<Semaphore>,
    /// Starts of the Log Analytics queries of the last [`QUERY_WINDOW`] (shared by every clone).
    query_starts: Arc<tokio::sync::Mutex<VecDeque<Instant>>>,
}

/// Queries the Log Analytics query API runs at once per user (its documented limit is 5).
pub const QUERY_CONCURRENCY: usize = 5;
/// Queries that may start in any [`QUERY_WINDOW`]: the API's documented rate per user is 200
/// requests per 30 seconds (a burst below it is fine, as the API allows).
pub const QUERY_RATE: usize = 200;
pub const QUERY_WINDOW: Duration = Duration::from_secs(30);

impl ArmClient {
    pub fn new(
        credential: Arc<dyn TokenCredential>,
        cloud: &CloudEndpoints,
        settings: TransportSettings,
    ) -> azure_core_legacy::Result<Self> {
        let secrets = Arc::new(Secrets::from_env());
        let credential: Arc<dyn TokenCredential> = Arc::new(GuardedCredential::new(
            credential,
            settings.request_timeout,
            secrets.clone(),
        ));
        let transport = Arc::new(ArmTransport::new(settings, &[&cloud.arm, &cloud.logs]));
        let as_policy: Arc<dyn Policy> = transport.clone();
        let options = ClientOptions::new(TransportOptions::new_custom_policy(as_policy.clone()))
            .retry(RetryOptions::none());
        let pipeline = Pipeline::new(
            Some(env!("CARGO_PKG_NAME")),
            Some(env!("CARGO_PKG_VERSION")),
            options,
            Vec::new(),
            Vec::new(),
        );
        let monitor = MonitorClient::builder(credential.clone())
            .endpoint(cloud.arm.clone())
            .scopes(&[cloud.arm_scope.as_str()])
            .transport(TransportOptions::new_custom_policy(as_policy))
            .retry(RetryOptions::none())
            .build()?;
        Ok(Self {
            endpoint: cloud.arm.clone(),
            logs_endpoint: cloud.logs.clone(),
            credential,
            secrets,
            arm_scope: cloud.arm_scope.clone(),
            logs_scope: cloud.logs_scope.clone(),
            pipeline,
            monitor,
            transport,
            identity: std::sync::OnceLock::new(),
            queries: Arc::new(Semaphore::new(QUERY_CONCURRENCY)),
            query_starts: Arc::new(tokio::sync::Mutex::new(VecDeque::new())),
        })
    }

    pub fn monitor(&self) -> &MonitorClient {
        &self.monitor
    }

    pub fn stats(&self) -> &TransportStats {
        &self.transport.stats
    }

    /// The collector's estimate of the reads a subscription needs in all (replaces the last).
    pub fn expect_reads(&self, subscription_id: &str, reads: u64) {
        let mut e = match self.transport.expected.lock() {
            Ok(g) => g,
            Err(p) => p.into_inner(),
        };
        e.insert(subscription_id.to_ascii_lowercase(), reads);
    }

    /// Time left at the throttle floor for the reads expected so far; None before any estimate.
    pub fn floor_eta(&self) -> Option<Duration> {
        let e = match self.transport.expected.lock() {
            Ok(g) => g.clone(),
            Err(p) => p.into_inner().clone(),
        };
        if e.is_empty() {
            return None;
        }
        self.transport.pacer.floor_eta(&e)
    }

    /// The tokens and secrets of this run, for redacting what is recorded.
    pub fn secrets(&self) -> &Secrets {
        &self.secrets
    }

    /// Asks the credential for an ARM token: the first thing a scan does, so that a login
    /// problem stops it with exit code 2 instead of failing every read.
    pub async fn check_credential(&self) -> azure_core_legacy::Result<()> {
        let token = self
            .credential
            .get_token(&[self.arm_scope.as_str()])
            .await?;
        if let Some(id) = super::identity::from_token(token.token.secret()) {
            let _ = self.identity.set(id);
        }
        Ok(())
    }

    /// The scanning identity from the token's claims, when the token was a readable JWT.
    pub fn identity(&self) -> Option<crate::inventory::ScanIdentity> {
        self.identity.get().cloned()
    }

    /// `{endpoint}{path}?api-version=...` with extra query pairs. `path` often comes from ARM
    /// data (ids), so it must be an ARM path and the URL must stay on the ARM origin: the
    /// bearer token goes with it.
    pub fn url(
        &self,
        path: &str,
        api_version: &str,
        query: &[(&str, &str)],
    ) -> Result<Url, String> {
        guard::check_arm_path(path)?;
        let mut url = self.endpoint.clone();
        let base = self.endpoint.path().trim_end_matches('/');
        url.set_path(&format!("{base}{path}"));
        url.set_query(None);
        url.set_fragment(None);
        if url.origin() != self.endpoint.origin() {
            return Err(format!("{path:?} leaves the ARM endpoint"));
        }
        {
            let mut q = url.query_pairs_mut();
            q.append_pair("api-version", api_version);
            for (k, v) in query {
                q.append_pair(k, v);
            }
        }
        Ok(url)
    }

    async fn send_raw(
        &self,
        mut request: Request,
        scope: &str,
    ) -> azure_core_legacy::Result<bytes::Bytes> {
        let token = self.credential.get_token(&[scope]).await?;
        request.insert_header(AUTHORIZATION, format!("Bearer {}", token.token.secret()));
        let response = self.pipeline.send(&Context::new(), &mut request).await?;
        response.into_body().collect().await
    }

    /// GET one ARM document.
    pub async fn get_json<T: DeserializeOwned>(
        &self,
        scope: &str,
        operation: &str,
        path: &str,
        api_version: &str,
        query: &[(&str, &str)],
    ) -> Result<T, ReadError> {
        let url = self
            .url(path, api_version, query)
            .map_err(|e| bad_url(scope, operation, e))?;
        let body = self
            .send_raw(Request::new(url, Method::Get), &self.arm_scope)
            .await
            .map_err(|e| read_error(scope, operation, &e))?;
        parse_body(scope, operation, &body)
    }

    /// GET a list, following `nextLink` to the end. Items that do not parse as `T` are
    /// recorded in `item_errors` and skipped; the rest are kept.
    pub async fn list<T: DeserializeOwned>(
        &self,
        scope: &str,
        operation: &str,
        path: &str,
        api_version: &str,
        query: &[(&str, &str)],
        item_errors: &mut Vec<ReadError>,
    ) -> Result<Vec<T>, ReadError> {
        let values = self
            .list_values(scope, operation, path, api_version, query)
            .await?;
        let mut out = Vec::with_capacity(values.len());
        for v in values {
            let item_id = v.get("id").and_then(|i| i.as_str()).map(str::to_string);
            match serde_json::from_value::<T>(v) {
                Ok(t) => out.push(t),
                Err(e) => item_errors.push(ReadError {
                    scope: item_id.unwrap_or_else(|| scope.to_string()),
                    operation: operation.to_string(),
                    status: Some(200),
                    code: Some("MalformedPayload".into()),
                    message: format!("item does not match the expected shape: {e}"),
                }),
            }
        }
        Ok(out)
    }

    /// A subscription-level list (`/subscriptions/{id}/{suffix}`); failures are scoped to the
    /// subscription, as the report groups them.
    pub async fn list_in_subscription<T: DeserializeOwned>(
        &self,
        subscription_id: &str,
        suffix: &str,
        operation: &str,
        api_version: &str,
        item_errors: &mut Vec<ReadError>,
    ) -> Result<Vec<T>, ReadError> {
        let scope = format!("/subscriptions/{subscription_id}");
        let path = format!("{scope}/{suffix}");
        self.list(&scope, operation, &path, api_version, &[], item_errors)
            .await
    }

    /// The raw items of every page of a list.
    pub async fn list_values(
        &self,
        scope: &str,
        operation: &str,
        path: &str,
        api_version: &str,
        query: &[(&str, &str)],
    ) -> Result<Vec<serde_json::Value>, ReadError> {
        let mut url = self
            .url(path, api_version, query)
            .map_err(|e| bad_url(scope, operation, e))?;
        let mut items = Vec::new();
        let mut seen_links = HashSet::new();
        let mut pages = 0;
        loop {
            pages += 1;
            let body = self
                .send_raw(Request::new(url.clone(), Method::Get), &self.arm_scope)
                .await
                .map_err(|e| read_error(scope, operation, &e))?;
            let page: Page = parse_body(scope, operation, &body)?;
            let (page_items, next) = page.into_items(scope, operation)?;
            items.extend(page_items);
            let Some(next) = next else {
                return Ok(items);
            };
            if pages >= page_cap(items.len()) {
                return Err(paging_error(
                    scope,
                    operation,
                    &format!(
                        "ARM kept sending nextLinks: {pages} pages for {} items",
                        items.len()
                    ),
                ));
            }
            if !seen_links.insert(next.clone()) {
                return Err(paging_error(
                    scope,
                    operation,
                    "ARM returned the same nextLink twice",
                ));
            }
            url = self
                .checked_next_link(&next)
                .map_err(|m| paging_error(scope, operation, &m))?;
        }
    }

    /// Only follow a nextLink to the endpoint we were given: the bearer token goes with it.
    fn checked_next_link(&self, next: &str) -> Result<Url, String> {
        let url = Url::parse(next)
            .map_err(|_| format!("nextLink is not a URL: {}", truncate(next, 120)))?;
        if url.origin() != self.endpoint.origin() {
            return Err(format!(
                "nextLink points to {} instead of the ARM endpoint {}; not followed",
                url.origin().ascii_serialization(),
                self.endpoint.origin().ascii_serialization()
            ));
        }
        Ok(url)
    }

    /// POST a KQL query to the Log Analytics query API of one workspace, over 30 days.
    pub async fn query_workspace(
        &self,
        scope: &str,
        customer_id: &str,
        kql: &str,
    ) -> Result<LogsQueryResult, ReadError> {
        self.query_workspace_window(scope, customer_id, kql, "P30D")
            .await
    }

    /// POST a KQL query over `timespan` (ISO 8601). At most [`QUERY_CONCURRENCY`] queries run
    /// at once (the API's concurrent-query limit per user); pacing, retries and throttling are
    /// the transport's, as for ARM.
    pub async fn query_workspace_window(
        &self,
        scope: &str,
        customer_id: &str,
        kql: &str,
        timespan: &str,
    ) -> Result<LogsQueryResult, ReadError> {
        let _slot = self.queries.acquire().await;
        {
            let mut starts = self.query_starts.lock().await;
            let now = Instant::now();
            while starts
                .front()
                .is_some_and(|t| now.duration_since(*t) >= QUERY_WINDOW)
            {
                starts.pop_front();
            }
            if starts.len() >= QUERY_RATE {
                if let Some(oldest) = starts.pop_front() {
                    tokio::time::sleep_until(oldest + QUERY_WINDOW).await;
                }
            }
            starts.push_back(Instant::now());
        }
        let operation = "logAnalytics.query";
        guard::check_segment(customer_id).map_err(|m| bad_url(scope, operation, m))?;
        let mut url = self.logs_endpoint.clone();
        let base = self.logs_endpoint.path().trim_end_matches('/');
        url.set_path(&format!("{base}/v1/workspaces/{customer_id}/query"));
        if url.origin() != self.logs_endpoint.origin() {
            return Err(bad_url(
                scope,
                operation,
                format!("{customer_id:?} leaves the Log Analytics endpoint"),
            ));
        }
        let mut request = Request::new(url, Method::Post);
        request.insert_header(azure_core_legacy::headers::CONTENT_TYPE, "application/json");
        let body = serde_json::json!({ "query": kql, "timespan": timespan });
        request.set_body(serde_json::to_vec(&body).unwrap_or_default());
        let bytes = self
            .send_raw(request, &self.logs_scope)
            .await
            .map_err(|e| read_error(scope, operation, &e))?;
        parse_body(scope, operation, &bytes)
    }
}

/// The Log Analytics query API's answer: tables of columns and rows.
#[derive(Debug, Deserialize)]
pub struct LogsQueryResult {
    #[serde(default)]
    pub tables: Vec<LogsTable>,
}

#[derive(Debug, Deserialize)]
pub struct LogsTable {
    #[serde(default)]
    pub columns: Vec<LogsColumn>,
    #[serde(default)]
    pub rows: Vec<Vec<serde_json::Value>>,
}

#[derive(Debug, Deserialize)]
pub struct LogsColumn {
    pub name: String,
}

fn truncate(s: &str, max: usize) -> String {
    if s.chars().count() <= max {
        s.to_string()
    } else {
        format!("{}…", s.chars().take(max).collect::<String>())
    }
}

/// A single-page list answer (the Monitor client's lists): the same `value` rule as paged
/// lists, then the generated model.
pub fn parse_list_body<T: DeserializeOwned>(
    scope: &str,
    operation: &str,
    body: &[u8],
) -> Result<T, ReadError> {
    let page: Page = parse_body(scope, operation, body)?;
    page.into_items(scope, operation)?;
    parse_body(scope, operation, body)
}

pub fn parse_body<T: DeserializeOwned>(
    scope: &str,
    operation: &str,
    body: &[u8],
) -> Result<T, ReadError> {
    serde_json::from_slice(body).map_err(|e| ReadError {
        scope: scope.to_string(),
        operation: operation.to_string(),
        status: Some(200),
        code: Some("MalformedPayload".into()),
        message: format!("response is not the expected JSON: {e}"),
    })
}

/// A request that was never sent because its URL, built from ARM data, was not safe.
pub fn bad_url(scope: &str, operation: &str, why: impl std::fmt::Display) -> ReadError {
    ReadError {
        scope: scope.to_string(),
        operation: operation.to_string(),
        status: None,
        code: Some("InvalidRequestUrl".into()),
        message: format!("request not sent: {why}"),
    }
}

fn paging_error(scope: &str, operation: &str, message: &str) -> ReadError {
    ReadError {
        scope: scope.to_string(),
        operation: operation.to_string(),
        status: Some(200),
        code: Some("InvalidNextLink".into()),
        message: message.to_string(),
    }
}

/// Turn an `azure_core` error into a snapshot error entry: status, ARM code, message.
pub fn read_error(scope: &str, operation: &str, e: &azure_core_legacy::Error) -> ReadError {
    use azure_core_legacy::error::ErrorKind;
    if let Some(http) = e.as_http_error() {
        let status = http.status() as u16;
        return ReadError {
            scope: scope.to_string(),
            operation: operation.to_string(),
            status: Some(status),
            code: http.error_code().map(str::to_string),
            message: http
                .error_message()
                .map(|m| truncate(m, 500))
                .unwrap_or_else(|| format!("HTTP {status}")),
        };
    }
    let (status, code) = match e.kind() {
        ErrorKind::HttpResponse { status, error_code } => {
            (Some(*status as u16), error_code.clone())
        }
        ErrorKind::DataConversion => (Some(200), Some("MalformedPayload".to_string())),
        ErrorKind::Io => (None, Some("NetworkError".to_string())),
        ErrorKind::Credential => (None, Some("CredentialError".to_string())),
        _ => (None, None),
    };
    let code = if is_certificate_error(e) {
        Some("CertificateNotTrusted".to_string())
    } else {
        code
    };
    ReadError {
        scope: scope.to_string(),
        operation: operation.to_string(),
        status,
        code,
        message: truncate(&error_chain(e), 500),
    }
}

/// An error with its causes (`failed to execute request: ... : invalid peer certificate:
/// UnknownIssuer`): the top line alone often hides why.
fn error_chain(e: &(dyn std::error::Error + 'static)) -> String {
    let mut out = e.to_string();
    let mut cause = e.source();
    while let Some(c) = cause {
        let text = c.to_string();
        if !out.contains(&text) {
            out.push_str(": ");
            out.push_str(&text);
        }
        cause = c.source();
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bucket_key_is_the_subscription() {
        assert_eq!(bucket_key("/subscriptions/ABC/resourceGroups/x"), "abc");
        assert_eq!(
            bucket_key("/providers/microsoft.aadiam/diagnosticSettings"),
            "tenant"
        );
        assert_eq!(bucket_key("/subscriptions"), "tenant");
    }

    #[test]
    fn double_slashes_are_collapsed() {
        let mut u = Url::parse("http://h//subscriptions//x/providers?api-version=1").unwrap();
        normalise_path(&mut u);
        assert_eq!(
            u.as_str(),
            "http://h/subscriptions/x/providers?api-version=1"
        );
    }

    #[tokio::test(start_paused = true)]
    async fn pacer_spends_the_bucket_then_waits_for_refill() {
        let p = Pacer::new(2.0, 1.0, false);
        assert!(p.try_take("s").is_zero());
        assert!(p.try_take("s").is_zero());
        let wait = p.try_take("s");
        assert!(
            wait > Duration::from_millis(900) && wait <= Duration::from_secs(1),
            "{wait:?}"
        );
        p.observe_remaining("s", 0.0, Instant::now());
        assert!(!p.try_take("s").is_zero());
    }

    #[tokio::test(start_paused = true)]
    async fn eta_is_the_slowest_subscription_at_its_refill() {
        let p = Pacer::new(10.0, 25.0, false);
        for _ in 0..10 {
            assert!(p.try_take("a").is_zero());
        }
        let mut expected = HashMap::new();
        // a: 760 more reads, no tokens left: 30.4 s at 25/s; b: 100 reads, 10 tokens: 3.6 s.
        expected.insert("a".to_string(), 770);
        expected.insert("b".to_string(), 100);
        let eta = p.floor_eta(&expected).unwrap().as_secs_f64();
        assert!((30.4..31.0).contains(&eta), "{eta}");
        expected.insert("a".to_string(), 10);
        let eta = p.floor_eta(&expected).unwrap().as_secs_f64();
        assert!((3.6..4.0).contains(&eta), "{eta}");
    }

    #[tokio::test(start_paused = true)]
    async fn an_older_answer_never_raises_the_count() {
        // Three reads out; the newest answers first with ARM's bucket empty, then the oldest
        // arrives carrying the count from before: it must not refill the estimate.
        let p = Pacer::new(3.0, 1.0, false);
        let first = Instant::now();
        assert!(p.try_take("s").is_zero());
        tokio::time::advance(Duration::from_millis(10)).await;
        assert!(p.try_take("s").is_zero());
        tokio::time::advance(Duration::from_millis(10)).await;
        let last = Instant::now();
        assert!(p.try_take("s").is_zero());
        p.observe_remaining("s", 0.0, last);
        p.observe_remaining("s", 2.0, first);
        assert!(!p.try_take("s").is_zero(), "the stale count of 2 was taken");
    }

    #[tokio::test(start_paused = true)]
    async fn in_flight_per_subscription_follows_rate_times_latency() {
        // 25 reads/s at 2 s per answer needs 50 in flight to keep the rate: 25 × 2 × 1.5 + 4.
        let p = Pacer::new(0.0, 25.0, true);
        p.try_take("s");
        for _ in 0..40 {
            p.observe_latency("s", Duration::from_secs(2));
        }
        let cap = p.lock().get("s").map(Bucket::in_flight_cap).unwrap();
        assert!((75..=80).contains(&cap), "{cap}");
        // Fast answers: the floor keeps a few in flight.
        let q = Pacer::new(0.0, 25.0, true);
        q.try_take("s");
        for _ in 0..40 {
            q.observe_latency("s", Duration::from_millis(10));
        }
        assert_eq!(q.lock().get("s").map(Bucket::in_flight_cap), Some(8));
    }
}
