//! The payment sandbox: one HTTP server that speaks WeChat Pay API v3 (`/v3/...`) and Alipay's
//! gateway (`/gateway.do`) with real signatures, keeps trades, refunds and payouts in memory, takes
//! "the consumer paid" from a sandbox-only endpoint (`/sandbox/...`), and sends signed
//! notifications on the providers' retry schedules (compressed by `time_factor`). Assembly
//! level: `lifemarket sandbox-pay` runs it; tests start it in-process with `start`.
//! `docs/payments.md#sandbox` describes it.

mod alipay;
mod bills;
mod control;
pub mod notify;
mod state;
mod transfers;
mod wechat;

use std::path::{Path, PathBuf};
use std::sync::Arc;

use actix_web::{web, App, HttpServer};

use crate::config::{AlipayConfig, Secret, WechatPayConfig};
use crate::error::AppError;
use crate::pay::keys::{Signer, Verifier};

pub use notify::Delivery;
use state::Shared;
/// A payout the sandbox made or refused, as `Running::transfers` lists them.
pub use state::TransferRecord;
/// A sandbox trade, which `notify::wechat_transaction` and `notify::alipay_trade_fields` describe.
pub use state::{Status, Trade};

/// Who the sandbox's WeChat Pay merchant is (the values `scripts/pay-keys.sh` writes).
#[derive(Debug, Clone)]
pub struct WechatIds {
    pub mchid: String,
    pub appid: String,
    pub merchant_serial: String,
    pub platform_key_id: String,
}

impl Default for WechatIds {
    fn default() -> Self {
        Self {
            mchid: "1900000109".into(),
            appid: "wxd678efh567hg6787".into(),
            merchant_serial: "5157F09EFDC096DE15EBE81A47057A7232F1B8E1".into(),
            platform_key_id: "PUB_KEY_ID_0119000001092026120300000001".into(),
        }
    }
}

/// Who the sandbox's Alipay app and seller are.
#[derive(Debug, Clone)]
pub struct AlipayIds {
    pub app_id: String,
    pub seller_id: String,
}

impl Default for AlipayIds {
    fn default() -> Self {
        Self {
            app_id: "2021000000000001".into(),
            seller_id: "2088000000000001".into(),
        }
    }
}

/// How to run the sandbox.
#[derive(Debug, Clone)]
pub struct SandboxConfig {
    /// Where to listen (`127.0.0.1:8090`; port 0 picks one).
    pub addr: String,
    /// The key directory `scripts/pay-keys.sh` writes.
    pub keys_dir: PathBuf,
    /// The retry schedules are divided by this (60: WeChat's 15 s retry comes after 0.25 s).
    pub time_factor: f64,
    pub wechat: WechatIds,
    pub alipay: AlipayIds,
}

impl SandboxConfig {
    /// The sandbox on `addr` with the keys in `keys_dir`, for the merchant identities
    /// `scripts/pay-keys.sh` writes.
    pub fn new(addr: impl Into<String>, keys_dir: impl Into<PathBuf>, time_factor: f64) -> Self {
        Self {
            addr: addr.into(),
            keys_dir: keys_dir.into(),
            time_factor,
            wechat: WechatIds::default(),
            alipay: AlipayIds::default(),
        }
    }

    /// On 127.0.0.1:0 with the committed test keys, retries 10 000 times faster.
    pub fn for_tests() -> Self {
        Self::new(
            "127.0.0.1:0",
            Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/keys"),
            10_000.0,
        )
    }
}

/// The keys the sandbox signs, verifies and encrypts with.
#[derive(Debug, Clone)]
pub struct SandboxKeys {
    /// "WeChat Pay"'s key: signs answers and notifications.
    pub wechat_platform: Signer,
    /// The merchant's public key: checks requests.
    pub wechat_merchant: Verifier,
    /// "Alipay"'s key.
    pub alipay_platform: Signer,
    /// The app's public key.
    pub alipay_app: Verifier,
    /// The APIv3 key notifications are encrypted with.
    pub apiv3_key: Secret,
}

fn read(dir: &Path, name: &str) -> Result<String, AppError> {
    let path = dir.join(name);
    std::fs::read_to_string(&path)
        .map_err(|e| AppError::internal_in(format!("sandbox key {}", path.display()), e))
}

impl SandboxKeys {
    /// Reads the directory `scripts/pay-keys.sh DIR` writes.
    pub fn load(dir: &Path) -> Result<Self, AppError> {
        let bad =
            |name: &'static str| move |e| AppError::internal_in(format!("sandbox key {name}"), e);
        let apiv3 = read(dir, "apiv3.key")?.trim().to_owned();
        if apiv3.len() != 32 {
            return Err(AppError::internal(
                "sandbox key apiv3.key must be 32 characters",
            ));
        }
        Ok(Self {
            wechat_platform: Signer::from_pem(&read(dir, "wechat-platform.key.pem")?)
                .map_err(bad("wechat-platform.key.pem"))?,
            wechat_merchant: Verifier::from_pem(&read(dir, "wechat-merchant.pub.pem")?)
                .map_err(bad("wechat-merchant.pub.pem"))?,
            alipay_platform: Signer::from_pem(&read(dir, "alipay-platform.key.pem")?)
                .map_err(bad("alipay-platform.key.pem"))?,
            alipay_app: Verifier::from_pem(&read(dir, "alipay-app.pub.pem")?)
                .map_err(bad("alipay-app.pub.pem"))?,
            apiv3_key: Secret::new(apiv3),
        })
    }
}

/// A sandbox running in its own thread and runtime; dropping it stops it.
pub struct Running {
    /// `http://127.0.0.1:<port>`.
    pub base_url: String,
    shared: Arc<Shared>,
    system: actix_web::rt::System,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl Running {
    /// The app's WeChat Pay configuration for this sandbox.
    pub fn wechat_config(&self) -> WechatPayConfig {
        let (c, dir) = (&self.shared.config, &self.shared.config.keys_dir);
        WechatPayConfig {
            api_base: self.base_url.clone(),
            mchid: c.wechat.mchid.clone(),
            appid: c.wechat.appid.clone(),
            merchant_key_file: dir.join("wechat-merchant.key.pem").display().to_string(),
            merchant_serial: c.wechat.merchant_serial.clone(),
            platform_key_file: dir.join("wechat-platform.pub.pem").display().to_string(),
            platform_key_id: c.wechat.platform_key_id.clone(),
            apiv3_key: self.shared.keys.apiv3_key.clone(),
        }
    }

    /// The app's Alipay configuration for this sandbox.
    pub fn alipay_config(&self) -> AlipayConfig {
        let (c, dir) = (&self.shared.config, &self.shared.config.keys_dir);
        AlipayConfig {
            gateway: format!("{}/gateway.do", self.base_url),
            app_id: c.alipay.app_id.clone(),
            seller_id: c.alipay.seller_id.clone(),
            app_key_file: dir.join("alipay-app.key.pem").display().to_string(),
            public_key_file: dir.join("alipay-platform.pub.pem").display().to_string(),
        }
    }

    pub fn keys(&self) -> &SandboxKeys {
        &self.shared.keys
    }

    pub fn config(&self) -> &SandboxConfig {
        &self.shared.config
    }

    /// Every notification the sandbox has sent or is sending, oldest first.
    pub fn deliveries(&self) -> Vec<Delivery> {
        self.shared.deliveries()
    }

    /// Every payout the sandbox made or refused, oldest first (what `GET /sandbox/transfers`
    /// lists).
    pub fn transfers(&self) -> Vec<TransferRecord> {
        self.shared.transfers()
    }
}

impl Drop for Running {
    fn drop(&mut self) {
        self.system.stop();
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

fn routes(cfg: &mut web::ServiceConfig) {
    wechat::routes(cfg);
    alipay::routes(cfg);
    transfers::routes(cfg);
    control::routes(cfg);
}

/// Binds the server; the returned future serves until stopped.
fn bind(config: SandboxConfig) -> Result<(actix_web::dev::Server, Arc<Shared>), AppError> {
    let keys = SandboxKeys::load(&config.keys_dir)?;
    if config.time_factor.is_nan() || config.time_factor < 1.0 {
        return Err(AppError::internal(
            "the sandbox's time factor must be 1 or more",
        ));
    }
    let addr = config.addr.clone();
    let listener = std::net::TcpListener::bind(&addr)
        .map_err(|e| AppError::internal_in(format!("sandbox cannot listen on {addr}"), e))?;
    let local = listener.local_addr().map_err(AppError::internal)?;
    let shared = Arc::new(Shared::new(config, keys, format!("http://{local}"))?);
    let data = web::Data::from(shared.clone());
    let server = HttpServer::new(move || App::new().app_data(data.clone()).configure(routes))
        .workers(2)
        .disable_signals()
        .listen(listener)
        .map_err(AppError::internal)?
        .run();
    Ok((server, shared))
}

/// Runs the sandbox in this runtime until it is stopped (`lifemarket sandbox-pay`).
pub async fn serve(config: SandboxConfig) -> Result<(), AppError> {
    let (server, shared) = bind(config)?;
    tracing::info!(base_url = %shared.base_url, "payment sandbox serving");
    println!(
        "payment sandbox on {0}: WECHAT_API_BASE={0} ALIPAY_GATEWAY={0}/gateway.do",
        shared.base_url
    );
    server.await.map_err(AppError::internal)
}

/// Starts the sandbox in its own thread and runtime and returns once it listens.
pub fn start(config: SandboxConfig) -> Result<Running, AppError> {
    let (tx, rx) = std::sync::mpsc::channel();
    let thread = std::thread::Builder::new()
        .name("pay-sandbox".into())
        .spawn(move || {
            let system = actix_web::rt::System::new();
            let started = system.block_on(async {
                bind(config).map(|(server, shared)| {
                    actix_web::rt::spawn(server);
                    shared
                })
            });
            let ok = started.is_ok();
            let _ = tx.send(started.map(|shared| (shared, actix_web::rt::System::current())));
            if ok {
                let _ = system.run();
            }
        })
        .map_err(AppError::internal)?;
    let (shared, system) = rx
        .recv()
        .map_err(|_| AppError::internal("the sandbox thread ended before it listened"))??;
    Ok(Running {
        base_url: shared.base_url.clone(),
        shared,
        system,
        thread: Some(thread),
    })
}
