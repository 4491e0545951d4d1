//! `local-server`: run everything on one machine; `local-server token …` mints staff tokens;
//! `local-server openapi` prints the API's OpenAPI document (what `openapi.json` holds).

use std::net::SocketAddr;
use std::path::PathBuf;

use clap::{Parser, Subcommand};
use local_server::{Claims, LocalAuth, Options};

#[derive(Parser)]
#[command(about = "The process portal on one machine: every API, embedded store, emails as .eml files")]
struct Cli {
    #[command(subcommand)]
    command: Option<Command>,
    /// Address to listen on.
    #[arg(long, default_value = "127.0.0.1:3000")]
    addr: SocketAddr,
    /// Folder for the database, the outbox and the token secret (survives restarts).
    #[arg(long, default_value = "./.local-data", global = true)]
    data_dir: PathBuf,
    /// What links in emails point at (default: http://ADDR).
    #[arg(long)]
    base_url: Option<String>,
}

#[derive(Subcommand)]
enum Command {
    /// Prints a bearer token that a local server on the same data folder accepts.
    Token {
        #[arg(long)]
        tenant: String,
        /// admin, staff or customer; repeat or comma-separate for several.
        #[arg(long, value_delimiter = ',', required = true)]
        role: Vec<String>,
        #[arg(long)]
        sub: String,
        #[arg(long)]
        email: Option<String>,
        #[arg(long)]
        name: Option<String>,
        #[arg(long)]
        locale: Option<String>,
    },
    /// Prints the OpenAPI 3.1 document of the API (`... openapi > openapi.json` updates the
    /// committed copy).
    Openapi,
}

#[tokio::main]
async fn main() -> Result<(), String> {
    let cli = Cli::parse();
    if let Some(Command::Openapi) = cli.command {
        print!("{}", web::openapi::document_json());
        return Ok(());
    }
    if let Some(Command::Token {
        tenant,
        role,
        sub,
        email,
        name,
        locale,
    }) = cli.command
    {
        if !web::auth::valid_tenant(&tenant) {
            return Err("--tenant: letters, digits, - and _ only".into());
        }
        const ROLES: [&str; 3] = ["admin", "staff", "customer"];
        if let Some(bad) = role.iter().find(|r| !ROLES.contains(&r.as_str())) {
            return Err(format!("--role {bad}: not a role; the roles are {}", ROLES.join(", ")));
        }
        if let Some(l) = locale.as_deref().filter(|l| domain::i18n::Lang::parse(l).is_none()) {
            return Err(format!("--locale {l}: not a language of the portal (de, en, fr, it)"));
        }
        if !cli.data_dir.join("jwt-secret").exists() {
            eprintln!(
                "note: {} held no server key yet; one was made now. The token works with a local-server \
                 started on this data folder (--data-dir {}).",
                cli.data_dir.display(),
                cli.data_dir.display()
            );
        }
        let auth = LocalAuth::load(&cli.data_dir).map_err(|e| e.to_string())?;
        let mut claims = Claims::new(&tenant, &sub, role);
        claims.email = email;
        claims.name = name;
        claims.locale = locale;
        println!("{}", auth.mint(&claims).map_err(|e| e.to_string())?);
        return Ok(());
    }
    {
        use tracing_subscriber::layer::SubscriberExt;
        use tracing_subscriber::util::SubscriberInitExt;
        tracing_subscriber::registry()
            .with(tracing_subscriber::fmt::layer())
            .with(app::config::log_filter())
            .init();
    }
    let running = local_server::start(Options {
        addr: cli.addr,
        data_dir: cli.data_dir.clone(),
        base_url: cli.base_url,
    })
    .await?;
    println!(
        "local-server listening on http://{} (data: {}, links: {})",
        running.addr,
        cli.data_dir.display(),
        running.base_url
    );
    tokio::signal::ctrl_c().await.map_err(|e| e.to_string())?;
    running.stop();
    Ok(())
}
