//! Who logposture signs in as: credentials from the supported Azure SDK line (`azure_identity`
//! and `azure_core` 1.x), chosen in a documented order or pinned with `--auth`, their token
//! requests sent through our own HTTP client (TLS verified, `--ca-cert` honoured), and handed
//! to the legacy `azure_core` 0.20 pipeline (which `azure_mgmt_monitor` needs) by a small adapter.
//!
//! Order without `--auth` (the first whose settings are present is used alone, so a broken
//! service principal is an error, never a silent fall-back to someone's `az login`):
//! 1. `secret`: `AZURE_TENANT_ID`, `AZURE_CLIENT_ID`, `AZURE_CLIENT_SECRET`;
//! 2. `certificate`: `AZURE_TENANT_ID`, `AZURE_CLIENT_ID`, `AZURE_CLIENT_CERTIFICATE_PATH`
//!    (PEM with the key, or PKCS#12 with `AZURE_CLIENT_CERTIFICATE_PASSWORD`);
//! 3. `workload`: `AZURE_TENANT_ID`, `AZURE_CLIENT_ID`, `AZURE_FEDERATED_TOKEN_FILE` (GitHub or
//!    GitLab OIDC written to a file, AKS workload identity);
//! 4. `pipelines`: Azure Pipelines with a workload-identity service connection:
//!    `AZURESUBSCRIPTION_TENANT_ID`, `AZURESUBSCRIPTION_CLIENT_ID`,
//!    `AZURESUBSCRIPTION_SERVICE_CONNECTION_ID`, `SYSTEM_ACCESSTOKEN`, `SYSTEM_OIDCREQUESTURI`;
//! 5. `managed`: a managed identity (App Service, Functions, Container Apps through
//!    `IDENTITY_ENDPOINT`; VMs and AKS nodes through IMDS), `AZURE_CLIENT_ID` naming a
//!    user-assigned one;
//! 6. `cli`: the developer tools' login (`az login`, then `azd auth login`).
//!
//! Without any of 1–4, a managed identity is tried first and the developer tools after it when
//! it does not answer within [`MANAGED_IDENTITY_PROBE`].

use azure_core::credentials::{Secret, TokenCredential, TokenRequestOptions};
use azure_core::http::{AsyncRawResponse, ClientOptions, HttpClient, Request, Transport};
use azure_identity::{
    AzurePipelinesCredential, ClientAssertionCredentialOptions, ClientSecretCredential,
    ClientSecretCredentialOptions, DeveloperToolsCredential, ManagedIdentityCredential,
    ManagedIdentityCredentialOptions, UserAssignedId, WorkloadIdentityCredential,
    WorkloadIdentityCredentialOptions,
};
use std::sync::{Arc, OnceLock};
use std::time::Duration;

/// How long a managed identity may take to answer its first token request before the chain
/// moves on to the developer tools (IMDS answers in milliseconds where it exists; elsewhere its
/// address does not answer at all).
pub const MANAGED_IDENTITY_PROBE: Duration = Duration::from_secs(3);

/// A credential kind, as `--auth` names it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum AuthMethod {
    /// Service principal with a client secret (AZURE_TENANT_ID, AZURE_CLIENT_ID, AZURE_CLIENT_SECRET).
    Secret,
    /// Service principal with a certificate (AZURE_CLIENT_CERTIFICATE_PATH, PEM or PKCS#12).
    Certificate,
    /// Workload identity federation (AZURE_FEDERATED_TOKEN_FILE: GitHub/GitLab OIDC, AKS).
    Workload,
    /// Azure Pipelines service connection with workload identity federation.
    Pipelines,
    /// Managed identity (IMDS, App Service, Functions, Container Apps).
    Managed,
    /// The Azure CLI or Azure Developer CLI login on this machine.
    Cli,
}

impl AuthMethod {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Secret => "secret",
            Self::Certificate => "certificate",
            Self::Workload => "workload",
            Self::Pipelines => "pipelines",
            Self::Managed => "managed",
            Self::Cli => "cli",
        }
    }
}

/// Where the credential looks things up: the process environment (a test passes a map).
pub trait Env {
    fn var(&self, name: &str) -> Option<String>;
}

/// The process environment; empty values count as unset.
pub struct ProcessEnv;

impl Env for ProcessEnv {
    fn var(&self, name: &str) -> Option<String> {
        std::env::var(name).ok().filter(|v| !v.is_empty())
    }
}

/// The kind the environment selects without `--auth` (None: managed identity, then the
/// developer tools).
pub fn detect(env: &dyn Env) -> Option<AuthMethod> {
    let has = |n: &str| env.var(n).is_some();
    if has("AZURE_CLIENT_SECRET") {
        Some(AuthMethod::Secret)
    } else if has("AZURE_CLIENT_CERTIFICATE_PATH") {
        Some(AuthMethod::Certificate)
    } else if has("AZURE_FEDERATED_TOKEN_FILE") {
        Some(AuthMethod::Workload)
    } else if has("AZURESUBSCRIPTION_SERVICE_CONNECTION_ID") && has("SYSTEM_OIDCREQUESTURI") {
        Some(AuthMethod::Pipelines)
    } else {
        None
    }
}

/// The token requests' HTTP client: reqwest 0.12, the one the scan uses, with the same extra
/// roots, so a TLS-inspecting proxy or Azure Stack Hub CA trusted for ARM is trusted for login.
#[derive(Debug)]
struct LoginHttp(reqwest::Client);

#[async_trait::async_trait]
impl HttpClient for LoginHttp {
    async fn execute_request(&self, request: &Request) -> azure_core::Result<AsyncRawResponse> {
        use azure_core::error::{Error, ErrorKind};
        let method = reqwest::Method::from_bytes(request.method().as_str().as_bytes())
            .map_err(|e| Error::with_error(ErrorKind::Other, e, "HTTP method"))?;
        let mut req = self.0.request(method, request.url().as_str());
        for (name, value) in request.headers().iter() {
            req = req.header(name.as_str(), value.as_str());
        }
        let body = match request.body() {
            azure_core::http::Body::Bytes(b) => b.clone(),
            #[allow(unreachable_patterns)]
            _ => {
                return Err(Error::with_message(
                    ErrorKind::Other,
                    "a token request with a streamed body",
                ))
            }
        };
        let rsp = req.body(body).send().await.map_err(|e| {
            let kind = if e.is_connect() {
                ErrorKind::Connection
            } else {
                ErrorKind::Io
            };
            Error::with_error(kind, e, "token request failed")
        })?;
        let status = rsp.status().as_u16();
        let mut headers = azure_core::http::headers::Headers::new();
        for (k, v) in rsp.headers() {
            if let Ok(v) = v.to_str() {
                headers.insert(k.as_str().to_owned(), v.to_owned());
            }
        }
        // Token answers are small; a bounded read keeps a hostile endpoint from filling memory.
        let bytes = read_bounded(rsp, 1 << 20).await?;
        Ok(AsyncRawResponse::from_bytes(status.into(), headers, bytes))
    }
}

async fn read_bounded(
    mut rsp: reqwest::Response,
    limit: usize,
) -> azure_core::Result<bytes::Bytes> {
    use azure_core::error::{Error, ErrorKind};
    let mut out = Vec::new();
    while let Some(chunk) = rsp
        .chunk()
        .await
        .map_err(|e| Error::with_error(ErrorKind::Io, e, "reading the token answer"))?
    {
        if out.len() + chunk.len() > limit {
            return Err(Error::with_message(
                ErrorKind::Io,
                "the token answer is larger than 1 MiB",
            ));
        }
        out.extend_from_slice(&chunk);
    }
    Ok(out.into())
}

/// The login HTTP client: TLS verified with the built-in roots and `extra_roots`, no redirects
/// (a token endpoint that redirects is not followed with a secret), each request bounded.
pub fn login_client(
    extra_roots: &[reqwest::Certificate],
    timeout: Duration,
) -> Result<reqwest::Client, String> {
    let mut b = reqwest::Client::builder()
        .connect_timeout(Duration::from_secs(20))
        .timeout(timeout)
        .redirect(reqwest::redirect::Policy::none());
    for r in extra_roots {
        b = b.add_root_certificate(r.clone());
    }
    b.build()
        .map_err(|e| format!("cannot build the login HTTP client: {e}"))
}

/// Client options for every credential: our transport, the authority host.
fn client_options(http: &reqwest::Client, authority_host: &str) -> ClientOptions {
    // A few retries for a 429 or 5xx from the token endpoint; a login that cannot be reached
    // is said within seconds, not after the SDK's default minute.
    let retry =
        azure_core::http::RetryOptions::exponential(azure_core::http::ExponentialRetryOptions {
            initial_delay: azure_core::time::Duration::milliseconds(500),
            max_retries: 3,
            max_total_elapsed: azure_core::time::Duration::seconds(15),
            max_delay: azure_core::time::Duration::seconds(5),
        });
    let mut o = ClientOptions {
        transport: Some(Transport::new(Arc::new(LoginHttp(http.clone())))),
        retry,
        ..Default::default()
    };
    let mut custom = azure_core::cloud::CustomConfiguration::default();
    custom.authority_host = authority_host.to_string();
    o.cloud = Some(Arc::new(custom.into()));
    o
}

/// What went wrong choosing or building a credential: names what to set.
fn missing(method: AuthMethod, names: &[&str]) -> String {
    format!(
        "--auth {} needs {} in the environment",
        method.as_str(),
        names.join(", ")
    )
}

fn need(env: &dyn Env, method: AuthMethod, names: &[&str]) -> Result<Vec<String>, String> {
    names
        .iter()
        .map(|n| env.var(n).ok_or_else(|| missing(method, names)))
        .collect()
}

/// Builds the credential of `method`.
fn build(
    method: AuthMethod,
    env: &dyn Env,
    http: &reqwest::Client,
    authority_host: &str,
) -> Result<Arc<dyn TokenCredential>, String> {
    let options = || client_options(http, authority_host);
    let e = |e: azure_core::Error| format!("{} credential: {e}", method.as_str());
    Ok(match method {
        AuthMethod::Secret => {
            let v = need(
                env,
                method,
                &["AZURE_TENANT_ID", "AZURE_CLIENT_ID", "AZURE_CLIENT_SECRET"],
            )?;
            ClientSecretCredential::new(
                &v[0],
                v[1].clone(),
                Secret::new(v[2].clone()),
                Some(ClientSecretCredentialOptions {
                    client_options: options(),
                }),
            )
            .map_err(e)?
        }
        AuthMethod::Certificate => {
            certificate(env, options()).map_err(|m| format!("certificate credential: {m}"))?
        }
        AuthMethod::Workload => {
            let v = need(
                env,
                method,
                &[
                    "AZURE_TENANT_ID",
                    "AZURE_CLIENT_ID",
                    "AZURE_FEDERATED_TOKEN_FILE",
                ],
            )?;
            WorkloadIdentityCredential::new(Some(WorkloadIdentityCredentialOptions {
                credential_options: ClientAssertionCredentialOptions {
                    client_options: options(),
                },
                tenant_id: Some(v[0].clone()),
                client_id: Some(v[1].clone()),
                token_file_path: Some(v[2].clone().into()),
            }))
            .map_err(e)?
        }
        AuthMethod::Pipelines => {
            let v = need(
                env,
                method,
                &[
                    "AZURESUBSCRIPTION_TENANT_ID",
                    "AZURESUBSCRIPTION_CLIENT_ID",
                    "AZURESUBSCRIPTION_SERVICE_CONNECTION_ID",
                    "SYSTEM_ACCESSTOKEN",
                    "SYSTEM_OIDCREQUESTURI",
                ],
            )?;
            AzurePipelinesCredential::new(
                v[0].clone(),
                v[1].clone(),
                &v[2],
                Secret::new(v[3].clone()),
                Some(azure_identity::AzurePipelinesCredentialOptions {
                    credential_options: ClientAssertionCredentialOptions {
                        client_options: options(),
                    },
                }),
            )
            .map_err(e)?
        }
        AuthMethod::Managed => {
            ManagedIdentityCredential::new(Some(ManagedIdentityCredentialOptions {
                user_assigned_id: env.var("AZURE_CLIENT_ID").map(UserAssignedId::ClientId),
                client_options: options(),
            }))
            .map_err(e)?
        }
        AuthMethod::Cli => DeveloperToolsCredential::new(None).map_err(e)?,
    })
}

#[cfg(feature = "certificate")]
fn certificate(env: &dyn Env, options: ClientOptions) -> Result<Arc<dyn TokenCredential>, String> {
    let names = [
        "AZURE_TENANT_ID",
        "AZURE_CLIENT_ID",
        "AZURE_CLIENT_CERTIFICATE_PATH",
    ];
    let v = need(env, AuthMethod::Certificate, &names)?;
    let path = &v[2];
    let bytes = std::fs::read(path).map_err(|e| format!("{path}: {e}"))?;
    let password = env.var("AZURE_CLIENT_CERTIFICATE_PASSWORD");
    let pkcs12 =
        if bytes.starts_with(b"-----BEGIN") || bytes.windows(11).any(|w| w == b"-----BEGIN ") {
            pem_to_pkcs12(&bytes).map_err(|m| format!("{path}: {m}"))?
        } else {
            bytes
        };
    azure_identity::ClientCertificateCredential::new(
        v[0].clone(),
        v[1].clone(),
        azure_core::credentials::SecretBytes::new(pkcs12),
        Some(azure_identity::ClientCertificateCredentialOptions {
            client_options: options,
            password: password.map(Secret::new),
        }),
    )
    .map(|c| c as Arc<dyn TokenCredential>)
    .map_err(|e| format!("{path}: {e}"))
}

/// A PEM file holding the certificate and its private key, as PKCS#12 (what the SDK reads).
#[cfg(feature = "certificate")]
fn pem_to_pkcs12(pem: &[u8]) -> Result<Vec<u8>, String> {
    let cert = openssl::x509::X509::from_pem(pem).map_err(|_| "no certificate in the PEM file")?;
    let key = openssl::pkey::PKey::private_key_from_pem(pem)
        .map_err(|_| "no unencrypted private key in the PEM file")?;
    openssl::pkcs12::Pkcs12::builder()
        .name("logposture")
        .pkey(&key)
        .cert(&cert)
        .build2("")
        .and_then(|p| p.to_der())
        .map_err(|e| format!("cannot convert the PEM file: {e}"))
}

#[cfg(not(feature = "certificate"))]
fn certificate(_: &dyn Env, _: ClientOptions) -> Result<Arc<dyn TokenCredential>, String> {
    Err("this build has no certificate support (cargo feature `certificate`)".into())
}

/// A managed identity, and the developer tools if it does not answer in time: what runs when
/// the environment names no service principal.
#[derive(Debug)]
struct ManagedThenTools {
    managed: Arc<dyn TokenCredential>,
    tools: Arc<dyn TokenCredential>,
    /// Which one answered first; it is used alone from then on.
    chosen: OnceLock<Arc<dyn TokenCredential>>,
}

#[async_trait::async_trait]
impl TokenCredential for ManagedThenTools {
    async fn get_token(
        &self,
        scopes: &[&str],
        options: Option<TokenRequestOptions<'_>>,
    ) -> azure_core::Result<azure_core::credentials::AccessToken> {
        if let Some(c) = self.chosen.get() {
            return c.get_token(scopes, options).await;
        }
        let managed =
            tokio::time::timeout(MANAGED_IDENTITY_PROBE, self.managed.get_token(scopes, None))
                .await;
        let managed_failed = match managed {
            Ok(Ok(token)) => {
                let _ = self.chosen.set(self.managed.clone());
                return Ok(token);
            }
            Ok(Err(e)) => format!("managed identity: {e}"),
            Err(_) => format!(
                "managed identity did not answer in {} s",
                MANAGED_IDENTITY_PROBE.as_secs()
            ),
        };
        match self.tools.get_token(scopes, options).await {
            Ok(token) => {
                let _ = self.chosen.set(self.tools.clone());
                Ok(token)
            }
            Err(tools) => Err(azure_core::Error::with_message(
                azure_core::error::ErrorKind::Credential,
                format!("no credential: {managed_failed}; developer tools: {tools}"),
            )),
        }
    }
}

/// The 1.x credential behind the 0.20 token trait the ARM pipeline and `azure_mgmt_monitor`
/// call. Tokens are cached by the credential itself.
#[derive(Debug)]
pub struct LegacyCredential {
    inner: Arc<dyn TokenCredential>,
    /// The kind in use, for the statement of assessment.
    pub method: &'static str,
}

impl LegacyCredential {
    pub fn new(inner: Arc<dyn TokenCredential>, method: &'static str) -> Self {
        Self { inner, method }
    }
}

#[async_trait::async_trait]
impl azure_core_legacy::auth::TokenCredential for LegacyCredential {
    async fn get_token(
        &self,
        scopes: &[&str],
    ) -> azure_core_legacy::Result<azure_core_legacy::auth::AccessToken> {
        let t = self.inner.get_token(scopes, None).await.map_err(|e| {
            azure_core_legacy::Error::message(
                azure_core_legacy::error::ErrorKind::Credential,
                e.to_string(),
            )
        })?;
        Ok(azure_core_legacy::auth::AccessToken::new(
            t.token.secret().to_string(),
            t.expires_on,
        ))
    }

    async fn clear_cache(&self) -> azure_core_legacy::Result<()> {
        Ok(())
    }
}

/// The credential `pinned` (`--auth`) or the first the environment offers in the documented
/// order, its token requests to `authority_host` through `http`, and the kind in use.
pub fn token_credential(
    pinned: Option<AuthMethod>,
    env: &dyn Env,
    http: &reqwest::Client,
    authority_host: &str,
) -> Result<(Arc<dyn TokenCredential>, &'static str), String> {
    Ok(match pinned.or_else(|| detect(env)) {
        Some(m) => (build(m, env, http, authority_host)?, m.as_str()),
        None => {
            let managed = build(AuthMethod::Managed, env, http, authority_host)?;
            let tools = build(AuthMethod::Cli, env, http, authority_host)?;
            let chain: Arc<dyn TokenCredential> = Arc::new(ManagedThenTools {
                managed,
                tools,
                chosen: OnceLock::new(),
            });
            (chain, "managed identity, then developer tools")
        }
    })
}

/// What every Azure caller of a run signs in with: the credential `pinned` or chosen from the
/// process environment, its token requests through `http` to `AZURE_AUTHORITY_HOST` or else
/// `cloud_authority`, and the kind in use.
pub fn login(
    pinned: Option<AuthMethod>,
    cloud_authority: &str,
    http: &reqwest::Client,
) -> Result<(Arc<dyn TokenCredential>, &'static str), String> {
    let env = ProcessEnv;
    token_credential(pinned, &env, http, &authority_host(&env, cloud_authority))
}

/// The login authority: `AZURE_AUTHORITY_HOST` when set (sovereign or private clouds, tests),
/// else the cloud's.
pub fn authority_host(env: &dyn Env, cloud_default: &str) -> String {
    env.var("AZURE_AUTHORITY_HOST")
        .unwrap_or_else(|| cloud_default.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    struct MapEnv(HashMap<&'static str, &'static str>);
    impl Env for MapEnv {
        fn var(&self, name: &str) -> Option<String> {
            self.0.get(name).map(|v| v.to_string())
        }
    }

    #[test]
    fn the_environment_selects_in_the_documented_order() {
        let env = |pairs: &[(&'static str, &'static str)]| MapEnv(pairs.iter().copied().collect());
        assert_eq!(detect(&env(&[])), None);
        let all = [
            ("AZURE_CLIENT_SECRET", "s"),
            ("AZURE_CLIENT_CERTIFICATE_PATH", "c.pem"),
            ("AZURE_FEDERATED_TOKEN_FILE", "t"),
            ("AZURESUBSCRIPTION_SERVICE_CONNECTION_ID", "sc"),
            ("SYSTEM_OIDCREQUESTURI", "https://dev.azure.com/x"),
        ];
        let order = [
            AuthMethod::Secret,
            AuthMethod::Certificate,
            AuthMethod::Workload,
            AuthMethod::Pipelines,
        ];
        for (i, m) in order.iter().enumerate() {
            assert_eq!(detect(&env(&all[i..])), Some(*m));
        }
        // A service connection id alone is not Azure Pipelines' OIDC.
        assert_eq!(
            detect(&env(&[("AZURESUBSCRIPTION_SERVICE_CONNECTION_ID", "sc")])),
            None
        );
    }

    #[test]
    fn a_pinned_kind_names_what_it_misses() {
        let env = MapEnv(HashMap::from([("AZURE_TENANT_ID", "t")]));
        let http = reqwest::Client::new();
        let e = token_credential(
            Some(AuthMethod::Secret),
            &env,
            &http,
            "https://login.example",
        )
        .map(|_| ())
        .unwrap_err();
        assert!(e.contains("AZURE_CLIENT_SECRET"), "{e}");
        let e = token_credential(
            Some(AuthMethod::Pipelines),
            &env,
            &http,
            "https://login.example",
        )
        .map(|_| ())
        .unwrap_err();
        assert!(e.contains("SYSTEM_OIDCREQUESTURI"), "{e}");
    }
}
