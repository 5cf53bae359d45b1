//! Runtime configuration: one struct, read from the environment once in `main` and shared
//! through `web::Data`. Development defaults let `scripts/dev.sh` run with no setup; production
//! mode refuses those defaults.

use std::fmt;
use std::net::IpAddr;
use std::time::Duration;

/// A secret value whose `Debug` never prints it.
#[derive(Clone)]
pub struct Secret(String);

impl Secret {
    /// Wraps a secret string.
    pub fn new(value: impl Into<String>) -> Self {
        Self(value.into())
    }
    /// The secret itself; call only where it is used.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("***")
    }
}

/// Which environment the process runs in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AppEnv {
    Development,
    Test,
    Production,
}

/// Argon2id cost parameters.
#[derive(Debug, Clone, Copy)]
pub struct PasswordCost {
    /// Memory in KiB.
    pub m_cost: u32,
    pub t_cost: u32,
    pub p_cost: u32,
}

impl PasswordCost {
    /// OWASP's recommendation for argon2id: 19 MiB, 2 iterations, 1 lane.
    pub const OWASP: Self = Self {
        m_cost: 19 * 1024,
        t_cost: 2,
        p_cost: 1,
    };
    /// The cheapest parameters argon2 accepts; for tests only.
    pub const CHEAP: Self = Self {
        m_cost: 8,
        t_cost: 1,
        p_cost: 1,
    };
}

/// Where outgoing email goes.
#[derive(Debug, Clone)]
pub enum MailConfig {
    /// A real SMTP relay (production).
    Smtp { url: Secret },
    /// `.eml` files written to a directory (development).
    Files { dir: String },
    /// Kept in memory for assertions (tests).
    Memory,
}

/// Where uploaded files are stored (`UPLOAD_STORE`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StoreConfig {
    /// A directory on this machine (development, tests; a volume shared by every process).
    Directory(std::path::PathBuf),
    /// An S3-compatible bucket, `s3://bucket[/prefix]` (or an `https://` endpoint URL), with
    /// credentials, region and endpoint from the usual `AWS_*` variables.
    S3 { url: String },
}

impl StoreConfig {
    /// `s3://...`, `s3a://...` and `https://...` name a bucket; `file://dir` or a plain path a
    /// directory.
    pub fn parse(raw: &str) -> Self {
        let raw = raw.trim();
        if ["s3://", "s3a://", "https://"]
            .iter()
            .any(|p| raw.starts_with(p))
        {
            StoreConfig::S3 {
                url: raw.to_owned(),
            }
        } else {
            StoreConfig::Directory(raw.strip_prefix("file://").unwrap_or(raw).into())
        }
    }
}

/// A fixed-window limit: at most `max` hits per `window`.
#[derive(Debug, Clone, Copy)]
pub struct Limit {
    pub max: i32,
    pub window: Duration,
}

/// WeChat Pay API v3 in public-key mode (`WECHAT_*`); enabled when its variables are set.
#[derive(Debug, Clone)]
pub struct WechatPayConfig {
    /// `WECHAT_API_BASE`, default `https://api.mch.weixin.qq.com` (the sandbox's URL in tests).
    pub api_base: String,
    pub mchid: String,
    pub appid: String,
    /// The merchant API private key, PKCS#8 PEM (`apiclient_key.pem`).
    pub merchant_key_file: String,
    /// The serial number of the merchant API certificate, sent as `serial_no`.
    pub merchant_serial: String,
    /// WeChat Pay's public key, SPKI PEM (`wxp_pub.pem`).
    pub platform_key_file: String,
    /// Its id, `PUB_KEY_ID_...`, which answers and notifications name in `Wechatpay-Serial`.
    pub platform_key_id: String,
    /// The APIv3 key (32 bytes) that decrypts notifications.
    pub apiv3_key: Secret,
}

/// Alipay's open-platform gateway, RSA2 public-key mode (`ALIPAY_*`); enabled when set.
#[derive(Debug, Clone)]
pub struct AlipayConfig {
    /// `ALIPAY_GATEWAY`, default `https://openapi.alipay.com/gateway.do`.
    pub gateway: String,
    pub app_id: String,
    /// The merchant's Alipay account (`2088...`), which notifications carry as `seller_id`.
    pub seller_id: String,
    /// The app's private key, PKCS#8 PEM.
    pub app_key_file: String,
    /// Alipay's public key, SPKI PEM.
    pub public_key_file: String,
}

/// Reads a provider's variables: all set enables it, none leaves it off, some is an error
/// naming the first missing one.
fn provider_vars<const N: usize>(
    provider: &str,
    names: [&'static str; N],
) -> Result<Option<[String; N]>, ConfigError> {
    let values = names.map(var);
    if values.iter().all(Option::is_none) {
        return Ok(None);
    }
    if let Some(i) = values.iter().position(Option::is_none) {
        return Err(ConfigError::Invalid {
            name: names[i],
            reason: format!("must be set too: the other {provider} variables are"),
        });
    }
    Ok(Some(values.map(Option::unwrap_or_default)))
}

/// The variables that enable WeChat Pay (besides the optional `WECHAT_API_BASE`).
const WECHAT_VARS: [&str; 7] = [
    "WECHAT_MCHID",
    "WECHAT_APPID",
    "WECHAT_MERCHANT_KEY_FILE",
    "WECHAT_MERCHANT_SERIAL",
    "WECHAT_PLATFORM_KEY_FILE",
    "WECHAT_PLATFORM_KEY_ID",
    "WECHAT_APIV3_KEY",
];
/// The variables that enable Alipay (besides the optional `ALIPAY_GATEWAY`).
const ALIPAY_VARS: [&str; 4] = [
    "ALIPAY_APP_ID",
    "ALIPAY_SELLER_ID",
    "ALIPAY_APP_KEY_FILE",
    "ALIPAY_PUBLIC_KEY_FILE",
];

fn wechat_pay_from_env() -> Result<Option<WechatPayConfig>, ConfigError> {
    let Some([mchid, appid, key, serial, platform, platform_id, apiv3]) =
        provider_vars("WeChat Pay", WECHAT_VARS)?
    else {
        return Ok(None);
    };
    if apiv3.len() != 32 {
        return Err(ConfigError::Invalid {
            name: "WECHAT_APIV3_KEY",
            reason: format!("must be 32 bytes, not {}", apiv3.len()),
        });
    }
    Ok(Some(WechatPayConfig {
        api_base: var("WECHAT_API_BASE")
            .unwrap_or_else(|| "https://api.mch.weixin.qq.com".into())
            .trim_end_matches('/')
            .to_owned(),
        mchid,
        appid,
        merchant_key_file: key,
        merchant_serial: serial,
        platform_key_file: platform,
        platform_key_id: platform_id,
        apiv3_key: Secret::new(apiv3),
    }))
}

fn alipay_from_env() -> Result<Option<AlipayConfig>, ConfigError> {
    let Some([app_id, seller_id, app_key_file, public_key_file]) =
        provider_vars("Alipay", ALIPAY_VARS)?
    else {
        return Ok(None);
    };
    Ok(Some(AlipayConfig {
        gateway: var("ALIPAY_GATEWAY")
            .unwrap_or_else(|| "https://openapi.alipay.com/gateway.do".into()),
        app_id,
        seller_id,
        app_key_file,
        public_key_file,
    }))
}

/// Everything the process needs to know about its environment.
#[derive(Debug, Clone)]
pub struct Config {
    pub env: AppEnv,
    pub database_url: Secret,
    pub db_pool_size: u32,
    /// How long a request waits for a pooled connection before answering 503.
    pub db_acquire_timeout: Duration,
    pub db_statement_timeout: Duration,
    /// Streaming replicas for the reads that tolerate a little lag (`DATABASE_REPLICA_URLS`,
    /// comma-separated; none by default).
    pub database_replica_urls: Vec<Secret>,
    /// A replica further behind than this is skipped (`DB_REPLICA_MAX_LAG_MS`, default 5000).
    pub db_replica_max_lag: Duration,
    /// After a caller's write, its reads go to the primary this long (`DB_READ_YOUR_WRITES_MS`,
    /// default 5000).
    pub db_read_your_writes: Duration,
    pub bind_addr: String,
    pub jwt_secret: Secret,
    pub jwt_issuer: String,
    pub jwt_audience: String,
    pub access_token_ttl: Duration,
    pub refresh_token_ttl: Duration,
    pub password_cost: PasswordCost,
    pub mail: MailConfig,
    pub mail_from: String,
    /// Public base URL, used in links inside emails.
    pub public_url: String,
    pub login_limit_per_account: Limit,
    pub login_limit_per_address: Limit,
    /// Peers whose `X-Forwarded-For` is trusted (the load balancer).
    pub trusted_proxies: Vec<IpAddr>,
    /// Origins (`https://app.example.cn`) whose browser apps may call the API; none when empty.
    pub cors_allowed_origins: Vec<String>,
    /// Whether `serve` also runs the job worker loop.
    pub run_worker_in_server: bool,
    pub worker_concurrency: usize,
    pub json_body_limit: usize,
    pub shutdown_timeout: Duration,
    /// On SIGTERM, keep serving this long with `/readyz` answering 503, so a load balancer stops
    /// sending and requests already on their way are answered, before the graceful stop.
    pub shutdown_drain: Duration,
    /// Where uploaded files are stored (`UPLOAD_STORE`, default the directory `var/uploads`).
    pub upload_store: StoreConfig,
    /// Signs the short-lived URLs that serve uploads (`UPLOAD_URL_SECRET`).
    pub upload_url_secret: Secret,
    /// The largest upload accepted, in bytes (`UPLOAD_MAX_BYTES`, default 10 MiB).
    pub upload_max_bytes: usize,
    /// How long a signed upload URL works (`UPLOAD_URL_TTL_SECS`, default 300).
    pub upload_url_ttl: Duration,
    /// How long an order or a prepaid booking waits for its payment before it is closed
    /// (`PAYMENT_TIMEOUT_MINUTES`, default 15).
    pub payment_timeout: chrono::Duration,
    /// WeChat Pay, when its `WECHAT_*` variables are set (`Config::for_tests`: off).
    pub wechat_pay: Option<WechatPayConfig>,
    /// Alipay, when its `ALIPAY_*` variables are set (`Config::for_tests`: off).
    pub alipay: Option<AlipayConfig>,
    /// The live event streams.
    pub events: EventsConfig,
}

/// The live event streams (`/api/v1/me/events`, `/api/v1/merchants/{id}/events`).
#[derive(Debug, Clone)]
pub struct EventsConfig {
    /// Streams one account may hold open in one process (`EVENT_STREAMS_PER_USER`, default 5);
    /// one more is 429.
    pub per_user: usize,
    /// How often an idle stream sends a comment line (`EVENT_HEARTBEAT_SECS`, default 15).
    pub heartbeat: Duration,
    /// How often the process reads new events (`EVENT_POLL_MS`, default 200).
    pub poll: Duration,
}

const DEV_JWT_SECRET: &str = "dev-only-insecure-jwt-secret-change-me-0123456789";
const DEV_UPLOAD_URL_SECRET: &str = "dev-only-insecure-upload-url-secret-0123456789";
const DEV_DATABASE_URL: &str = "postgres://lifemarket:lifemarket@127.0.0.1:5432/lifemarket";

/// Why the environment could not be turned into a `Config`.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("{name} is invalid: {reason}")]
    Invalid { name: &'static str, reason: String },
    #[error("refusing to start in production: {0}")]
    UnsafeProduction(&'static str),
}

/// The URL this server answers on when `PUBLIC_URL` is not set: `BIND_ADDR`'s port, with a
/// wildcard host (`0.0.0.0`, `[::]`) read as this machine.
fn public_url_for(bind_addr: &str) -> String {
    let (host, port) = bind_addr.rsplit_once(':').unwrap_or((bind_addr, "80"));
    let host = match host {
        "" | "0.0.0.0" | "[::]" | "::" => "127.0.0.1",
        host => host,
    };
    match port {
        "80" => format!("http://{host}"),
        port => format!("http://{host}:{port}"),
    }
}

fn var(name: &str) -> Option<String> {
    std::env::var(name).ok().filter(|v| !v.trim().is_empty())
}

fn parse_var<T: std::str::FromStr>(name: &'static str, default: T) -> Result<T, ConfigError>
where
    T::Err: fmt::Display,
{
    match var(name) {
        None => Ok(default),
        Some(raw) => raw.parse().map_err(|e: T::Err| ConfigError::Invalid {
            name,
            reason: e.to_string(),
        }),
    }
}

/// `CORS_ALLOWED_ORIGINS`: comma-separated origins, each `http(s)://host[:port]` exactly as a
/// browser sends it in `Origin` (no path, no trailing slash, no wildcard).
fn cors_origins(raw: &str) -> Result<Vec<String>, ConfigError> {
    raw.split(',')
        .map(str::trim)
        .filter(|o| !o.is_empty())
        .map(|origin| {
            let host = origin
                .strip_prefix("https://")
                .or_else(|| origin.strip_prefix("http://"));
            let valid = host.is_some_and(|h| {
                !h.is_empty()
                    && h.chars()
                        .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | ':' | '[' | ']'))
            });
            if valid {
                Ok(origin.to_ascii_lowercase())
            } else {
                Err(ConfigError::Invalid {
                    name: "CORS_ALLOWED_ORIGINS",
                    reason: format!(
                        "`{origin}` is not an origin such as https://app.example.cn (scheme, host, optional port)"
                    ),
                })
            }
        })
        .collect()
}

impl Config {
    /// Reads the configuration from the environment (`APP_ENV`, `DATABASE_URL`, ...).
    pub fn from_env() -> Result<Self, ConfigError> {
        let env = match var("APP_ENV").as_deref() {
            None | Some("development") => AppEnv::Development,
            Some("production") => AppEnv::Production,
            Some("test") => AppEnv::Test,
            Some(other) => {
                return Err(ConfigError::Invalid {
                    name: "APP_ENV",
                    reason: format!("`{other}` is not development, test or production"),
                })
            }
        };
        let jwt_secret = var("JWT_SECRET").unwrap_or_else(|| DEV_JWT_SECRET.to_owned());
        let mail = match (var("SMTP_URL"), var("MAIL_DIR")) {
            (Some(url), _) => MailConfig::Smtp {
                url: Secret::new(url),
            },
            (None, Some(dir)) => MailConfig::Files { dir },
            (None, None) => MailConfig::Files {
                dir: "var/mail".to_owned(),
            },
        };
        let trusted_proxies = var("TRUSTED_PROXIES")
            .map(|raw| {
                raw.split(',')
                    .map(|p| {
                        p.trim().parse().map_err(|_| ConfigError::Invalid {
                            name: "TRUSTED_PROXIES",
                            reason: format!("`{p}` is not an IP address"),
                        })
                    })
                    .collect::<Result<Vec<IpAddr>, _>>()
            })
            .transpose()?
            .unwrap_or_default();
        let bind_addr = var("BIND_ADDR").unwrap_or_else(|| "127.0.0.1:8080".into());
        let cors_allowed_origins = var("CORS_ALLOWED_ORIGINS")
            .map(|raw| cors_origins(&raw))
            .transpose()?
            .unwrap_or_default();
        let config = Config {
            env,
            database_url: Secret::new(
                var("DATABASE_URL").unwrap_or_else(|| DEV_DATABASE_URL.into()),
            ),
            db_pool_size: parse_var("DB_POOL_SIZE", 10)?,
            db_acquire_timeout: Duration::from_millis(parse_var("DB_ACQUIRE_TIMEOUT_MS", 2000)?),
            db_statement_timeout: Duration::from_millis(parse_var(
                "DB_STATEMENT_TIMEOUT_MS",
                5000,
            )?),
            database_replica_urls: var("DATABASE_REPLICA_URLS")
                .map(|raw| {
                    raw.split(',')
                        .map(str::trim)
                        .filter(|u| !u.is_empty())
                        .map(Secret::new)
                        .collect()
                })
                .unwrap_or_default(),
            db_replica_max_lag: Duration::from_millis(parse_var("DB_REPLICA_MAX_LAG_MS", 5000)?),
            db_read_your_writes: Duration::from_millis(parse_var("DB_READ_YOUR_WRITES_MS", 5000)?),
            bind_addr: bind_addr.clone(),
            jwt_secret: Secret::new(jwt_secret),
            jwt_issuer: var("JWT_ISSUER").unwrap_or_else(|| "lifemarket".into()),
            jwt_audience: var("JWT_AUDIENCE").unwrap_or_else(|| "lifemarket-api".into()),
            access_token_ttl: Duration::from_secs(15 * 60),
            refresh_token_ttl: Duration::from_secs(
                parse_var("REFRESH_TOKEN_TTL_DAYS", 30u64)? * 86_400,
            ),
            password_cost: PasswordCost::OWASP,
            mail,
            mail_from: var("MAIL_FROM")
                .unwrap_or_else(|| "lifemarket <no-reply@lifemarket.local>".into()),
            public_url: var("PUBLIC_URL")
                .map(|url| url.trim_end_matches('/').to_owned())
                .unwrap_or_else(|| public_url_for(&bind_addr)),
            login_limit_per_account: Limit {
                max: parse_var("LOGIN_LIMIT_PER_ACCOUNT", 10)?,
                window: Duration::from_secs(15 * 60),
            },
            login_limit_per_address: Limit {
                max: parse_var("LOGIN_LIMIT_PER_ADDRESS", 100)?,
                window: Duration::from_secs(15 * 60),
            },
            trusted_proxies,
            cors_allowed_origins,
            run_worker_in_server: parse_var("RUN_WORKER_IN_SERVER", true)?,
            worker_concurrency: parse_var("WORKER_CONCURRENCY", 2)?,
            json_body_limit: parse_var("JSON_BODY_LIMIT", 64 * 1024)?,
            shutdown_timeout: Duration::from_secs(parse_var("SHUTDOWN_TIMEOUT_SECS", 30)?),
            shutdown_drain: Duration::from_millis(parse_var("SHUTDOWN_DRAIN_MS", 2000)?),
            upload_store: StoreConfig::parse(
                &var("UPLOAD_STORE").unwrap_or_else(|| "var/uploads".into()),
            ),
            upload_url_secret: Secret::new(
                var("UPLOAD_URL_SECRET").unwrap_or_else(|| DEV_UPLOAD_URL_SECRET.into()),
            ),
            upload_max_bytes: parse_var("UPLOAD_MAX_BYTES", 10 * 1024 * 1024)?,
            upload_url_ttl: Duration::from_secs(parse_var("UPLOAD_URL_TTL_SECS", 300)?),
            payment_timeout: match parse_var("PAYMENT_TIMEOUT_MINUTES", 15i64)? {
                minutes @ 1..=1440 => chrono::Duration::minutes(minutes),
                _ => {
                    return Err(ConfigError::Invalid {
                        name: "PAYMENT_TIMEOUT_MINUTES",
                        reason: "must be 1 to 1440".into(),
                    })
                }
            },
            wechat_pay: wechat_pay_from_env()?,
            alipay: alipay_from_env()?,
            events: EventsConfig {
                per_user: parse_var("EVENT_STREAMS_PER_USER", 5)?,
                heartbeat: Duration::from_secs(parse_var("EVENT_HEARTBEAT_SECS", 15)?),
                poll: Duration::from_millis(parse_var("EVENT_POLL_MS", 200)?),
            },
        };
        config.check_production()?;
        Ok(config)
    }

    /// Configuration for the test suite: a given database, cheap password hashing, mail kept in
    /// memory, no in-process worker (tests run jobs explicitly).
    pub fn for_tests(database_url: &str) -> Self {
        Config {
            env: AppEnv::Test,
            database_url: Secret::new(database_url),
            db_pool_size: 4,
            db_acquire_timeout: Duration::from_secs(2),
            db_statement_timeout: Duration::from_secs(5),
            database_replica_urls: Vec::new(),
            db_replica_max_lag: Duration::from_secs(5),
            db_read_your_writes: Duration::from_secs(5),
            bind_addr: "127.0.0.1:0".into(),
            jwt_secret: Secret::new("test-secret-0123456789-0123456789-0123456789"),
            jwt_issuer: "lifemarket".into(),
            jwt_audience: "lifemarket-api".into(),
            access_token_ttl: Duration::from_secs(15 * 60),
            refresh_token_ttl: Duration::from_secs(30 * 86_400),
            password_cost: PasswordCost::CHEAP,
            mail: MailConfig::Memory,
            mail_from: "lifemarket <no-reply@lifemarket.local>".into(),
            public_url: "http://127.0.0.1:8080".into(),
            login_limit_per_account: Limit {
                max: 5,
                window: Duration::from_secs(900),
            },
            login_limit_per_address: Limit {
                max: 20,
                window: Duration::from_secs(900),
            },
            trusted_proxies: Vec::new(),
            cors_allowed_origins: Vec::new(),
            run_worker_in_server: false,
            worker_concurrency: 1,
            json_body_limit: 64 * 1024,
            shutdown_timeout: Duration::from_secs(5),
            shutdown_drain: Duration::ZERO,
            upload_store: StoreConfig::Directory(
                std::env::temp_dir().join(format!("lifemarket-uploads-{}", uuid::Uuid::new_v4())),
            ),
            upload_url_secret: Secret::new("test-upload-secret-0123456789-0123456789"),
            upload_max_bytes: 256 * 1024,
            upload_url_ttl: Duration::from_secs(300),
            payment_timeout: chrono::Duration::minutes(15),
            wechat_pay: None,
            alipay: None,
            events: EventsConfig {
                per_user: 3,
                heartbeat: Duration::from_secs(15),
                poll: Duration::from_millis(50),
            },
        }
    }

    /// Production must not run with development secrets or without a real mail relay.
    fn check_production(&self) -> Result<(), ConfigError> {
        if self.env != AppEnv::Production {
            return Ok(());
        }
        if self.jwt_secret.expose() == DEV_JWT_SECRET || self.jwt_secret.expose().len() < 32 {
            return Err(ConfigError::UnsafeProduction(
                "JWT_SECRET must be set to 32+ random characters",
            ));
        }
        if !matches!(self.mail, MailConfig::Smtp { .. }) {
            return Err(ConfigError::UnsafeProduction("SMTP_URL must be set"));
        }
        let upload_secret = self.upload_url_secret.expose();
        if upload_secret == DEV_UPLOAD_URL_SECRET || upload_secret.len() < 32 {
            return Err(ConfigError::UnsafeProduction(
                "UPLOAD_URL_SECRET must be set to 32+ random characters",
            ));
        }
        if self.database_url.expose() == DEV_DATABASE_URL {
            return Err(ConfigError::UnsafeProduction("DATABASE_URL must be set"));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    /// Every variable the configuration reads is in `.env.example` and README's table.
    #[test]
    fn every_variable_is_documented() {
        let source = include_str!("config.rs");
        let example = include_str!("../.env.example");
        let readme = include_str!("../README.md");
        let mut read = 0;
        let pay = super::WECHAT_VARS
            .iter()
            .chain(&super::ALIPAY_VARS)
            .copied();
        let named = source
            .split("var(\"")
            .skip(1)
            .filter_map(|piece| piece.split('"').next());
        for name in named.chain(pay) {
            if name.is_empty() || !name.chars().all(|c| c.is_ascii_uppercase() || c == '_') {
                continue;
            }
            read += 1;
            assert!(example.contains(name), "{name} is not in .env.example");
            assert!(
                readme.contains(&format!("| `{name}` |")),
                "{name} is not in README's configuration table"
            );
        }
        assert!(
            read > 20,
            "only {read} variables found: has the reading changed?"
        );
    }

    #[test]
    fn the_public_url_follows_the_bind_address() {
        use super::public_url_for;
        assert_eq!(public_url_for("127.0.0.1:8080"), "http://127.0.0.1:8080");
        assert_eq!(public_url_for("0.0.0.0:9000"), "http://127.0.0.1:9000");
        assert_eq!(public_url_for("[::]:8081"), "http://127.0.0.1:8081");
        assert_eq!(public_url_for("localhost:80"), "http://localhost");
    }

    use super::*;

    #[test]
    fn cors_origins_are_a_comma_separated_list_of_origins() {
        assert_eq!(
            cors_origins(" https://app.example.cn, http://localhost:5173 ,").unwrap(),
            vec!["https://app.example.cn", "http://localhost:5173"]
        );
        assert!(cors_origins("").unwrap().is_empty());
        for bad in ["*", "app.example.cn", "https://app.example.cn/", "https://"] {
            assert!(cors_origins(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn a_provider_is_on_with_all_its_variables_off_with_none_and_an_error_with_some() {
        // Names of this test only, so no other test reads them.
        const NAMES: [&str; 2] = ["LIFEMARKET_TEST_PAY_ONE", "LIFEMARKET_TEST_PAY_TWO"];
        std::env::remove_var(NAMES[0]);
        std::env::remove_var(NAMES[1]);
        assert!(provider_vars("Test", NAMES).unwrap().is_none());
        std::env::set_var(NAMES[0], "1");
        let err = provider_vars("Test", NAMES).unwrap_err().to_string();
        assert!(err.contains("LIFEMARKET_TEST_PAY_TWO"), "{err}");
        std::env::set_var(NAMES[1], "2");
        assert_eq!(
            provider_vars("Test", NAMES).unwrap(),
            Some(["1".to_owned(), "2".to_owned()])
        );
    }

    #[test]
    fn secrets_do_not_print() {
        assert_eq!(format!("{:?}", Secret::new("hunter2")), "***");
    }

    #[test]
    fn production_refuses_the_default_secret_and_missing_smtp() {
        let mut config = Config::for_tests("postgres://x@y/z");
        config.env = AppEnv::Production;
        config.jwt_secret = Secret::new(DEV_JWT_SECRET);
        assert!(config.check_production().is_err());
        config.jwt_secret = Secret::new("a-long-enough-random-production-secret-123");
        assert!(
            matches!(config.check_production(), Err(ConfigError::UnsafeProduction(m)) if m.contains("SMTP"))
        );
        config.mail = MailConfig::Smtp {
            url: Secret::new("smtps://u:p@mail.example.com"),
        };
        config.upload_url_secret = Secret::new(DEV_UPLOAD_URL_SECRET);
        assert!(
            matches!(config.check_production(), Err(ConfigError::UnsafeProduction(m)) if m.contains("UPLOAD"))
        );
        config.upload_url_secret = Secret::new("another-long-random-production-secret-456");
        assert!(config.check_production().is_ok());
    }

    #[test]
    fn the_upload_store_is_a_bucket_or_a_directory() {
        assert_eq!(
            StoreConfig::parse("s3://lifemarket-uploads/prod"),
            StoreConfig::S3 {
                url: "s3://lifemarket-uploads/prod".into()
            }
        );
        assert_eq!(
            StoreConfig::parse("file:///srv/uploads"),
            StoreConfig::Directory("/srv/uploads".into())
        );
        assert_eq!(
            StoreConfig::parse("var/uploads"),
            StoreConfig::Directory("var/uploads".into())
        );
    }
}
