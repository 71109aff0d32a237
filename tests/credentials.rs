//! Every credential kind logposture offers, through the real binary: each fetches its token
//! from a loopback stand-in (the https login authority, App Service's managed-identity
//! endpoint, Azure DevOps' OIDC endpoint, a fake `az`) and the scan reads ARM with it.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use base64::Engine as _;
use std::path::Path;
use support::tenant::{self, S1};
use support::{ArmEmulator, TOKEN};

const CLIENT_ID: &str = "00000000-0000-4000-8000-0000000000c1";

/// Runs `collect` on S1 with only `env` (plus PATH and HOME) and `extra` arguments; returns
/// stderr after checking a snapshot was written and every ARM read carried the token.
async fn collect_with(
    emu: &ArmEmulator,
    dir: &Path,
    env: &[(&str, String)],
    extra: &[&str],
) -> String {
    let snap = dir.join("snapshot.json");
    let _ = std::fs::remove_file(&snap);
    let path = match env.iter().find(|(k, _)| *k == "PATH") {
        Some((_, p)) => p.clone(),
        None => std::env::var("PATH").unwrap_or_default(),
    };
    let output = tokio::process::Command::new(env!("CARGO_BIN_EXE_logposture"))
        .args(["collect", "--quiet", "--no-usage", "--subscription", S1])
        .arg("--snapshot-out")
        .arg(&snap)
        .args(["--arm-endpoint", &emu.url(), "--logs-endpoint", &emu.url()])
        .args(extra)
        .env_clear()
        .env("PATH", path)
        .env("HOME", dir)
        .env("AZURE_AUTHORITY_HOST", emu.login_url())
        .env("LOGPOSTURE_CA_CERT", &emu.ca().pem)
        .envs(env.iter().filter(|(k, _)| *k != "PATH").cloned())
        .output()
        .await
        .unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr).into_owned();
    assert!(snap.exists(), "no snapshot: {stderr}");
    let reads = emu.requests();
    assert!(
        !reads.is_empty() && reads.iter().all(|r| r.authorized),
        "{stderr}"
    );
    stderr
}

async fn tenant_emulator() -> ArmEmulator {
    let emu = ArmEmulator::start().await;
    tenant::serve(&emu);
    emu
}

fn service_principal() -> Vec<(&'static str, String)> {
    vec![
        ("AZURE_TENANT_ID", support::TENANT.to_string()),
        ("AZURE_CLIENT_ID", CLIENT_ID.to_string()),
    ]
}

#[tokio::test(flavor = "multi_thread")]
async fn client_secret_from_the_environment() {
    let emu = tenant_emulator().await;
    let dir = tempfile::tempdir().unwrap();
    let mut env = service_principal();
    env.push(("AZURE_CLIENT_SECRET", support::CLIENT_SECRET.to_string()));
    collect_with(&emu, dir.path(), &env, &["--auth", "secret"]).await;
    let bodies = emu.token_bodies();
    assert!(bodies
        .iter()
        .all(|b| b.contains("grant_type=client_credentials")
            && b.contains("client_secret=")
            && b.contains("scope=https%3A%2F%2Fmanagement.azure.com%2F.default")));
}

#[tokio::test(flavor = "multi_thread")]
async fn a_certificate_in_a_pem_file_signs_a_client_assertion() {
    let emu = tenant_emulator().await;
    let dir = tempfile::tempdir().unwrap();
    // A self-signed certificate and its key in one PEM file, as `az ad sp create-for-rbac
    // --create-cert` writes it.
    // RSA (the SDK signs RS256); ring cannot generate RSA keys, so a fixed test key is used:
    // tests/fixtures/test-rsa-key.pem, made for this test only and trusted by nothing.
    let key = rcgen::KeyPair::from_pem(include_str!("fixtures/test-rsa-key.pem")).unwrap();
    let cert = rcgen::CertificateParams::new(vec!["logposture-test".to_string()])
        .unwrap()
        .self_signed(&key)
        .unwrap();
    let pem = dir.path().join("sp.pem");
    std::fs::write(&pem, format!("{}{}", cert.pem(), key.serialize_pem())).unwrap();
    let mut env = service_principal();
    env.push((
        "AZURE_CLIENT_CERTIFICATE_PATH",
        pem.to_str().unwrap().to_string(),
    ));
    collect_with(&emu, dir.path(), &env, &[]).await;
    let body = emu.token_bodies().pop().expect("a token request");
    assert!(body.contains("client_assertion_type=urn%3Aietf%3Aparams%3Aoauth%3Aclient-assertion-type%3Ajwt-bearer"), "{body}");
    let assertion = body
        .split('&')
        .find_map(|p| p.strip_prefix("client_assertion="))
        .expect("client_assertion");
    let header = assertion.split('.').next().unwrap();
    let header = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(header.trim_end_matches("%3D").trim_end_matches('='))
        .unwrap();
    let header: serde_json::Value = serde_json::from_slice(&header).unwrap();
    assert_eq!(header["alg"], "RS256");
    assert!(
        header["x5t"].is_string(),
        "the certificate's thumbprint: {header}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn workload_identity_from_a_token_file_when_pinned() {
    let emu = tenant_emulator().await;
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("federated-token");
    std::fs::write(&file, "eyJhbGciOiJSUzI1NiJ9.github-oidc.sig").unwrap();
    let mut env = service_principal();
    env.push((
        "AZURE_FEDERATED_TOKEN_FILE",
        file.to_str().unwrap().to_string(),
    ));
    // A secret in the environment too: --auth picks the workload identity anyway.
    env.push(("AZURE_CLIENT_SECRET", "unused".to_string()));
    collect_with(&emu, dir.path(), &env, &["--auth", "workload"]).await;
    let body = emu.token_bodies().pop().unwrap();
    assert!(
        body.contains("client_assertion=eyJhbGciOiJSUzI1NiJ9.github-oidc.sig"),
        "{body}"
    );
    assert!(!body.contains("client_secret"));
}

#[tokio::test(flavor = "multi_thread")]
async fn azure_pipelines_service_connection_through_the_oidc_endpoint() {
    let emu = tenant_emulator().await;
    let dir = tempfile::tempdir().unwrap();
    let env = vec![
        ("AZURESUBSCRIPTION_TENANT_ID", support::TENANT.to_string()),
        ("AZURESUBSCRIPTION_CLIENT_ID", CLIENT_ID.to_string()),
        (
            "AZURESUBSCRIPTION_SERVICE_CONNECTION_ID",
            "5f2c1b9e-0000-4000-8000-00000000sc01".to_string(),
        ),
        ("SYSTEM_ACCESSTOKEN", "job-access-token".to_string()),
        ("SYSTEM_OIDCREQUESTURI", format!("{}/oidc/token", emu.url())),
    ];
    collect_with(&emu, dir.path(), &env, &[]).await;
    let oidc = emu.stand_ins();
    let (path, query, auth) = oidc.first().expect("the OIDC endpoint was asked");
    assert_eq!(path, "/oidc/token");
    assert!(
        query.contains("serviceConnectionId=5f2c1b9e-0000-4000-8000-00000000sc01"),
        "{query}"
    );
    assert!(query.contains("api-version="), "{query}");
    assert_eq!(auth, "Bearer job-access-token");
    let body = emu.token_bodies().pop().unwrap();
    assert!(
        body.contains("client_assertion=pipelines-oidc-assertion"),
        "{body}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn managed_identity_through_the_identity_endpoint() {
    let emu = tenant_emulator().await;
    let dir = tempfile::tempdir().unwrap();
    let env = vec![
        ("IDENTITY_ENDPOINT", format!("{}/msi/token", emu.url())),
        ("IDENTITY_HEADER", "msi-header-secret".to_string()),
    ];
    collect_with(&emu, dir.path(), &env, &["--auth", "managed"]).await;
    let (path, query, secret) = emu.stand_ins().first().cloned().expect("asked");
    assert_eq!(path, "/msi/token");
    assert!(query.contains("resource=https"), "{query}");
    assert_eq!(secret, "msi-header-secret");
    assert_eq!(
        emu.tokens_issued(),
        0,
        "no Entra token request for a managed identity"
    );
}

/// A fake `az` that answers `az account get-access-token` with TOKEN and records its arguments.
fn fake_az(dir: &Path) -> String {
    let bin = dir.join("bin");
    std::fs::create_dir_all(&bin).unwrap();
    let az = bin.join("az");
    std::fs::write(
        &az,
        format!(
            "#!/bin/sh\necho \"$@\" >> \"{}\"\nprintf '{{\"accessToken\":\"%s\",\"expires_on\":%s,\"tokenType\":\"Bearer\"}}' '{TOKEN}' \"$(( $(date +%s) + 3600 ))\"\n",
            dir.join("az-args").display()
        ),
    )
    .unwrap();
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&az, std::fs::Permissions::from_mode(0o755)).unwrap();
    }
    format!("{}:/usr/bin:/bin", bin.display())
}

#[tokio::test(flavor = "multi_thread")]
async fn the_azure_cli_login_when_pinned_and_after_the_managed_identity_probe() {
    let emu = tenant_emulator().await;
    let dir = tempfile::tempdir().unwrap();
    let path = fake_az(dir.path());
    collect_with(
        &emu,
        dir.path(),
        &[("PATH", path.clone())],
        &["--auth", "cli"],
    )
    .await;
    let args = std::fs::read_to_string(dir.path().join("az-args")).unwrap();
    assert!(args.contains("account get-access-token"), "{args}");
    assert!(
        args.contains("https://management.azure.com/.default"),
        "{args}"
    );
    assert_eq!(emu.tokens_issued(), 0);

    // Nothing in the environment: the managed identity does not answer here, the CLI does.
    let _ = std::fs::remove_file(dir.path().join("az-args"));
    collect_with(&emu, dir.path(), &[("PATH", path)], &[]).await;
    assert!(
        dir.path().join("az-args").exists(),
        "the CLI gave the token"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_pinned_kind_without_its_settings_is_exit_2_naming_them() {
    let emu = tenant_emulator().await;
    let output = tokio::process::Command::new(env!("CARGO_BIN_EXE_logposture"))
        .args([
            "collect",
            "--snapshot-out",
            "/tmp/never.json",
            "--auth",
            "pipelines",
        ])
        .args(["--arm-endpoint", &emu.url()])
        .env_clear()
        .env("PATH", "/usr/bin:/bin")
        .output()
        .await
        .unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("SYSTEM_OIDCREQUESTURI"), "{stderr}");
    assert!(emu.requests().is_empty());
}
