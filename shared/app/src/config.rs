//! Configuration every function reads from its environment (see README, "Configuration").

use domain::i18n::Lang;

#[derive(Debug, Clone)]
pub struct Config {
    /// `TABLE_NAME`: the single DynamoDB table.
    pub table_name: String,
    /// `EVENTS_QUEUE_URL`: where the relay sends events (relay only).
    pub events_queue_url: Option<String>,
    /// The webhooks' own queue (event-relay sends every event there too; webhook-sender
    /// consumes it). None: the host delivers webhooks on its own event path (local-server).
    pub webhooks_queue_url: Option<String>,
    /// `EMAIL_FROM`: the SES-verified sender address.
    pub email_from: String,
    /// `PORTAL_BASE_URL`: what portal links in emails start with.
    pub portal_base_url: String,
    /// `APP_BASE_URL`: the back-office app; staff emails link to `{APP_BASE_URL}/runs/{id}`.
    pub app_base_url: String,
    /// `CUSTOMER_APP_URL`: the end users' (home) app; order emails link to
    /// `{CUSTOMER_APP_URL}/orders/{id}`. Defaults to `PORTAL_BASE_URL`.
    pub customer_app_url: String,
    /// Staff links name the tenant (`{APP_BASE_URL}/{tenant}/runs/{id}`): local-server's own
    /// read-only run pages need it; the back-office app knows its tenant from the login.
    pub staff_links_name_tenant: bool,
    /// `DEFAULT_LOCALE`: the tenants' default language until tenants set their own (de).
    pub default_locale: Lang,
    /// How many portal sessions a minute one access link and one client address may open.
    pub session_limits: SessionLimits,
    /// `DOCUMENTS_BUCKET`: the S3 bucket of documents (API functions; local-server keeps
    /// files in its data folder).
    pub documents_bucket: Option<String>,
    /// What "now" is (the system clock; local-server and tests can move it forward).
    pub clock: crate::clock::Clock,
    /// Webhook subscriptions made here may reach loopback and private addresses over http:
    /// local-server only (a development tool), never from the environment.
    pub webhooks_allow_private: bool,
}

/// Portal session creation per minute: `PORTAL_SESSIONS_PER_LINK` (default 10: a link is
/// opened a few times, more is someone trying) and `PORTAL_SESSIONS_PER_CLIENT` (default 30:
/// guessing links stays slow; raise it where many participants share one address).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SessionLimits {
    pub per_link: u64,
    pub per_client: u64,
}

impl SessionLimits {
    pub fn from_env() -> Self {
        let read = |name: &str, default: u64| {
            std::env::var(name)
                .ok()
                .and_then(|v| v.trim().parse().ok())
                .filter(|n| *n > 0)
                .unwrap_or(default)
        };
        SessionLimits {
            per_link: read("PORTAL_SESSIONS_PER_LINK", 10),
            per_client: read("PORTAL_SESSIONS_PER_CLIENT", 30),
        }
    }
}

impl Config {
    /// Reads the environment; missing required variables are named in the error.
    pub fn from_env() -> Result<Self, String> {
        let var = |name: &str| std::env::var(name).ok().filter(|v| !v.trim().is_empty());
        let required = |name: &str| var(name).ok_or_else(|| format!("environment variable {name} is required"));
        let portal_base_url = required("PORTAL_BASE_URL")?.trim_end_matches('/').to_string();
        Ok(Config {
            table_name: required("TABLE_NAME")?,
            events_queue_url: var("EVENTS_QUEUE_URL"),
            webhooks_queue_url: var("WEBHOOKS_QUEUE_URL"),
            email_from: required("EMAIL_FROM")?,
            app_base_url: var("APP_BASE_URL")
                .map(|u| u.trim_end_matches('/').to_string())
                .unwrap_or_else(|| portal_base_url.clone()),
            customer_app_url: var("CUSTOMER_APP_URL")
                .map(|u| u.trim_end_matches('/').to_string())
                .unwrap_or_else(|| portal_base_url.clone()),
            portal_base_url,
            staff_links_name_tenant: false,
            default_locale: var("DEFAULT_LOCALE")
                .and_then(|l| Lang::parse(&l))
                .unwrap_or(Lang::FALLBACK),
            session_limits: SessionLimits::from_env(),
            documents_bucket: var("DOCUMENTS_BUCKET"),
            clock: crate::clock::Clock::default(),
            webhooks_allow_private: false,
        })
    }

    /// A configuration for a server whose links point at `base_url`.
    pub fn local(base_url: &str) -> Self {
        let base = base_url.trim_end_matches('/').to_string();
        Config {
            table_name: "local".into(),
            events_queue_url: None,
            webhooks_queue_url: None,
            email_from: "portal@localhost.localdomain".into(),
            app_base_url: format!("{base}/local/staff"),
            customer_app_url: format!("{base}/v1/app"),
            portal_base_url: base,
            staff_links_name_tenant: true,
            default_locale: Lang::FALLBACK,
            session_limits: SessionLimits::from_env(),
            documents_bucket: None,
            clock: crate::clock::Clock::default(),
            webhooks_allow_private: true,
        }
    }

    pub fn portal_access_link(&self, token: &str) -> String {
        format!("{}/portal/access/{token}", self.portal_base_url)
    }

    pub fn partner_invitation_link(&self, token: &str) -> String {
        format!("{}/partners/invitations/{token}", self.portal_base_url)
    }

    pub fn customer_order_link(&self, order_id: &str) -> String {
        format!("{}/orders/{order_id}", self.customer_app_url)
    }

    pub fn staff_run_link(&self, tenant: &str, run_id: &str) -> String {
        self.staff_link(tenant, &format!("runs/{run_id}"))
    }

    pub fn staff_webhook_link(&self, tenant: &str, subscription_id: &str) -> String {
        self.staff_link(tenant, &format!("webhooks/{subscription_id}"))
    }

    pub fn staff_trigger_link(&self, tenant: &str, trigger_id: &str) -> String {
        self.staff_link(tenant, &format!("triggers/{trigger_id}"))
    }

    /// A page of the back office (`runs/{id}`), under the tenant when links name it.
    fn staff_link(&self, tenant: &str, path: &str) -> String {
        if self.staff_links_name_tenant {
            format!("{}/{tenant}/{path}", self.app_base_url)
        } else {
            format!("{}/{path}", self.app_base_url)
        }
    }
}

/// The log filter from `RUST_LOG` (`info`, `warn,app=debug`: a default level and per-crate
/// levels), `info` when it is unset or does not parse.
pub fn log_filter() -> tracing_subscriber::filter::Targets {
    std::env::var("RUST_LOG")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or_else(|| tracing_subscriber::filter::Targets::new().with_default(tracing::Level::INFO))
}
