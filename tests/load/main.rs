//! The load test (see README): `cargo run --release -p e2e-tests --bin load -- [--participants N]
//! [--staff N] [--seconds N]`; defaults 200 participants, 20 staff, 60 s. Exits 1 unless every
//! request succeeded and every event's emails were sent exactly once.

use std::time::Duration;

use e2e_tests::load::{run, LoadOptions};

fn arg(args: &[String], name: &str, default: usize) -> Result<usize, String> {
    match args.iter().position(|a| a == name) {
        None => Ok(default),
        Some(i) => args
            .get(i + 1)
            .and_then(|v| v.parse().ok())
            .ok_or_else(|| format!("{name} needs a number")),
    }
}

fn main() -> Result<(), String> {
    let args: Vec<String> = std::env::args().collect();
    let opts = LoadOptions {
        participants: arg(&args, "--participants", 200)?,
        staff: arg(&args, "--staff", 20)?,
        duration: Duration::from_secs(arg(&args, "--seconds", 60)? as u64),
    };
    // Every participant opens a session from the same address: lift the per-client limit
    // (before any thread starts), unless the caller chose one.
    if std::env::var_os("PORTAL_SESSIONS_PER_CLIENT").is_none() {
        std::env::set_var("PORTAL_SESSIONS_PER_CLIENT", (opts.participants * 2).to_string());
    }
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|e| e.to_string())?;
    println!(
        "load: {} participants, {} staff, {} s on local-server",
        opts.participants,
        opts.staff,
        opts.duration.as_secs()
    );
    let report = rt.block_on(run(&opts));
    report.print();
    if report.ok() {
        Ok(())
    } else {
        Err("load test failed".into())
    }
}
