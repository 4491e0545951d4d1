//! The `local-server` binary as a developer runs it: `token` prints a token the server on the
//! same data folder accepts, and the server answers with it.

use std::process::{Command, Stdio};
use std::time::Duration;

fn data_dir() -> std::path::PathBuf {
    std::env::temp_dir().join(format!(
        "portal-cli-{}-{}",
        std::process::id(),
        chrono::Utc::now().timestamp_nanos_opt().unwrap_or_default()
    ))
}

#[tokio::test]
async fn token_command_and_server() {
    let dir = data_dir();
    let bin = env!("CARGO_BIN_EXE_local-server");
    let out = Command::new(bin)
        .args([
            "token",
            "--data-dir",
            dir.to_str().unwrap(),
            "--tenant",
            "acme",
            "--role",
            "admin",
            "--sub",
            "alice",
            "--locale",
            "fr",
        ])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("held no server key yet"),
        "a fresh data folder is pointed out"
    );
    let token = String::from_utf8(out.stdout).unwrap().trim().to_string();
    let claims = local_server::LocalAuth::load(&dir)
        .unwrap()
        .verify(&token)
        .expect("a valid local token");
    assert_eq!(
        (claims.tenant_id.as_str(), claims.sub.as_str(), claims.roles.as_slice()),
        ("acme", "alice", &["admin".to_string()][..])
    );
    let bad = Command::new(bin)
        .args([
            "token",
            "--data-dir",
            dir.to_str().unwrap(),
            "--tenant",
            "a#b",
            "--role",
            "admin",
            "--sub",
            "x",
        ])
        .output()
        .unwrap();
    assert!(!bad.status.success());
    let token_with = |role: &str, locale: &str| {
        let dir = dir.to_str().unwrap().to_string();
        let args = [
            "token",
            "--data-dir",
            &dir,
            "--tenant",
            "acme",
            "--role",
            role,
            "--sub",
            "x",
            "--locale",
            locale,
        ];
        Command::new(bin).args(args).output().unwrap()
    };
    let unknown_role = token_with("superuser", "de");
    assert!(!unknown_role.status.success());
    assert!(String::from_utf8_lossy(&unknown_role.stderr).contains("the roles are admin, staff, customer"));
    assert!(
        !token_with("staff", "xx").status.success(),
        "an unknown language is refused"
    );
    let again = token_with("staff", "de");
    assert!(again.status.success() && !String::from_utf8_lossy(&again.stderr).contains("no server key"));

    // The server on the same folder accepts the token.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let mut server = Command::new(bin)
        .args([
            "--addr",
            &format!("127.0.0.1:{port}"),
            "--data-dir",
            dir.to_str().unwrap(),
        ])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let client = reqwest::Client::new();
    let mut status = 0;
    for _ in 0..100 {
        if let Ok(r) = client
            .get(format!("http://127.0.0.1:{port}/v1/journeys"))
            .bearer_auth(&token)
            .send()
            .await
        {
            status = r.status().as_u16();
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let _ = server.kill();
    let _ = server.wait();
    // Only the owner can read the data folder: the token secret mints admin tokens.
    let mode = |p: &std::path::Path| {
        use std::os::unix::fs::PermissionsExt;
        std::fs::metadata(p).unwrap().permissions().mode() & 0o777
    };
    let modes = (
        mode(&dir),
        mode(&dir.join("jwt-secret")),
        mode(&dir.join("portal.sqlite3")),
        mode(&dir.join("outbox")),
    );
    let _ = std::fs::remove_dir_all(&dir);
    assert_eq!(status, 200);
    assert_eq!(modes, (0o700, 0o600, 0o600, 0o700));
}
