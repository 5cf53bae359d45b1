//! Command-line entry points. Each command reads the configuration once and does one thing.

use std::io::BufRead;
use std::process::ExitCode;

use clap::{Parser, Subcommand};
use uuid::Uuid;

use crate::accounts::{self, NewUser};
use crate::auth::PlatformRole;
use crate::config::{AppEnv, Config};
use crate::crypto::Passwords;
use crate::error::{AppError, AppResult, Chain};
use crate::jobs::Workers;
use crate::{db, telemetry};

#[derive(Parser)]
#[command(
    name = "lifemarket",
    version,
    about = "O2O marketplace for residential life services"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Apply pending migrations, then serve HTTP (and run jobs unless RUN_WORKER_IN_SERVER=false).
    Serve,
    /// Apply pending migrations and exit.
    Migrate,
    /// Create demo data (idempotent) and print the demo accounts; or benchmark data (`--scale`).
    Seed {
        /// Demo accounts of every role.
        #[arg(long)]
        demo: bool,
        /// N generated merchants with services, workers, consumers and history (default 10000
        /// when given without a value); refused if scale data already exists.
        #[arg(long, value_name = "N", num_args = 0..=1, default_missing_value = "10000")]
        scale: Option<i64>,
    },
    /// Run jobs and the email outbox without serving HTTP.
    Worker,
    /// Print the OpenAPI document (the one served at /api/openapi.json) and exit.
    Openapi,
    /// Run the payment sandbox: WeChat Pay v3 and Alipay with real signatures, in memory
    /// (docs/payments.md#sandbox). Needs no database.
    SandboxPay {
        /// Where to listen.
        #[arg(long, env = "SANDBOX_ADDR", default_value = "127.0.0.1:8090")]
        addr: String,
        /// The key directory `scripts/pay-keys.sh DIR` writes.
        #[arg(long, env = "SANDBOX_KEYS", default_value = "var/pay-keys")]
        keys: std::path::PathBuf,
        /// The providers' retry schedules are divided by this (60: a 15 s retry after 0.25 s).
        #[arg(long, env = "SANDBOX_TIME_FACTOR", default_value_t = 60.0)]
        time_factor: f64,
    },
    /// Benchmark data: N orders awaiting payment in the scale data, and the signed WeChat Pay
    /// notification of each, as request lines for bench/requests.lua (bench/run.sh's `notify`).
    BenchNotices {
        #[arg(long, default_value_t = 5000)]
        count: i64,
        /// The sandbox's key directory (the committed test keys by default).
        #[arg(long, default_value = "tests/keys")]
        keys: std::path::PathBuf,
        /// Where to write the request lines.
        #[arg(long)]
        out: std::path::PathBuf,
    },
    /// Settle a day (Asia/Shanghai; yesterday by default): one statement per merchant, each in
    /// its own transaction, payouts queued for the workers. Safe to rerun or to kill.
    Settle {
        #[arg(long)]
        day: Option<chrono::NaiveDate>,
    },
    /// Reconcile a provider's trade bill of a day (yesterday by default) with the ledger and
    /// record the differences (GET /api/v1/admin/reconciliations).
    Reconcile {
        #[arg(long)]
        day: Option<chrono::NaiveDate>,
        #[arg(long, value_parser = ["wechat", "alipay"])]
        method: String,
    },
    /// Create a platform operator (or promote an existing account); reads the password from stdin.
    CreateOperator {
        #[arg(long)]
        email: String,
        #[arg(long, default_value = "Operator")]
        name: String,
    },
}

/// Parses the command line and runs the command.
pub fn main() -> ExitCode {
    let cli = Cli::parse();
    if let Command::Openapi = cli.command {
        println!("{}", crate::app::openapi::document_json());
        return ExitCode::SUCCESS;
    }
    if let Command::SandboxPay {
        addr,
        keys,
        time_factor,
    } = cli.command
    {
        // The sandbox needs no application configuration (no database).
        telemetry::init(false);
        let config = crate::sandbox::SandboxConfig::new(addr, keys, time_factor);
        return match actix_web::rt::System::new().block_on(crate::sandbox::serve(config)) {
            Ok(()) => ExitCode::SUCCESS,
            Err(AppError::Internal(cause)) => {
                eprintln!("lifemarket sandbox-pay: {}", Chain(&*cause));
                ExitCode::FAILURE
            }
            Err(other) => {
                eprintln!("lifemarket sandbox-pay: {other}");
                ExitCode::FAILURE
            }
        };
    }
    let result = Config::from_env()
        .map_err(AppError::internal)
        .and_then(|config| {
            telemetry::init(config.env == AppEnv::Production);
            run(cli.command, config)
        });
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            eprintln!(
                "lifemarket: {}",
                match &err {
                    AppError::Internal(cause) => Chain(&**cause).to_string(),
                    other => other.to_string(),
                }
            );
            ExitCode::FAILURE
        }
    }
}

fn run(command: Command, config: Config) -> AppResult<()> {
    match command {
        Command::Serve => actix_web::rt::System::new().block_on(serve(config)),
        Command::Migrate => migrate(&config).map(drop),
        Command::BenchNotices { count, keys, out } => {
            let keys = crate::sandbox::SandboxKeys::load(&keys)?;
            let ids = crate::sandbox::WechatIds::default();
            let mut conn = db::connect(&config)?;
            let file = std::fs::File::create(&out).map_err(AppError::internal)?;
            let mut file = std::io::BufWriter::new(file);
            let n = crate::scale::payment_notices(&mut conn, &keys, &ids, count, &mut file)?;
            std::io::Write::flush(&mut file).map_err(AppError::internal)?;
            println!("{n} notifications written to {}", out.display());
            Ok(())
        }
        Command::Seed { demo, scale } => {
            if !demo && scale.is_none() {
                return Err(AppError::internal(
                    "say what to seed: --demo and/or --scale [N]",
                ));
            }
            let mut conn = db::connect(&config)?;
            db::migrate(&mut conn)?;
            let passwords = Passwords::new(config.password_cost)?;
            if demo {
                let store = crate::storage::Store::new(&config.upload_store)?;
                crate::seed::demo(&mut conn, &passwords, &store)?;
            }
            if let Some(n) = scale {
                let started = std::time::Instant::now();
                let report = crate::scale::seed(&mut conn, &passwords, n)?;
                println!(
                    "scale data: {report} in {:.1} s; every generated account signs in with \
                     password {} (e.g. scale-consumer-1@{})",
                    started.elapsed().as_secs_f64(),
                    crate::scale::SCALE_PASSWORD,
                    crate::scale::SCALE_DOMAIN
                );
            }
            Ok(())
        }
        Command::Worker => actix_web::rt::System::new().block_on(worker(config)),
        Command::Settle { day } => {
            let day = day.unwrap_or_else(yesterday);
            let mut conn = db::connect(&config)?;
            let started = std::time::Instant::now();
            let s = crate::settlement::settle_day(&mut conn, day)?;
            println!(
                "settled {day}: {} statements, {} payouts of {} fen in {:.2} s",
                s.statements,
                s.payouts,
                s.payout_cents,
                started.elapsed().as_secs_f64()
            );
            Ok(())
        }
        Command::Reconcile { day, method } => {
            let day = day.unwrap_or_else(yesterday);
            let method = crate::pay::Method::parse(&method)
                .ok_or_else(|| AppError::internal("method: wechat or alipay"))?;
            let pay = crate::pay::Providers::new(&config)?;
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .map_err(AppError::internal)?;
            let bill = runtime
                .block_on(pay.trade_bill(method, day))
                .map_err(AppError::internal)?;
            let mut conn = db::connect(&config)?;
            let r = crate::settlement::reconcile::record(&mut conn, method, day, &bill)?;
            println!(
                "reconciled {method} {day}: {} bill lines, {} ledger lines, {} matched; \
                 GET /api/v1/admin/reconciliations/{}",
                r.bill_lines, r.ledger_lines, r.matched, r.id
            );
            Ok(())
        }
        Command::CreateOperator { email, name } => create_operator(&config, &email, &name),
        Command::Openapi | Command::SandboxPay { .. } => Ok(()),
    }
}

/// Yesterday in Asia/Shanghai, the day settlement and reconciliation work on by default.
fn yesterday() -> chrono::NaiveDate {
    crate::settlement::run::day_of(chrono::Utc::now()) - chrono::Duration::days(1)
}

/// Applies pending migrations, waiting up to 30 s for the database to accept connections.
fn migrate(config: &Config) -> AppResult<Vec<String>> {
    let mut attempt = 0;
    let mut conn = loop {
        match db::connect(config) {
            Ok(conn) => break conn,
            Err(err) if attempt >= 30 => return Err(err),
            Err(_) => {
                attempt += 1;
                std::thread::sleep(std::time::Duration::from_secs(1));
            }
        }
    };
    let applied = db::migrate(&mut conn)?;
    for name in &applied {
        tracing::info!(migration = %name, "applied");
    }
    Ok(applied)
}

async fn serve(config: Config) -> AppResult<()> {
    migrate(&config)?;
    let state = crate::app::state(config)?;
    let workers = state
        .config
        .run_worker_in_server
        .then(|| Workers::spawn(&state.jobs, state.config.worker_concurrency));
    let addr = state.config.bind_addr.clone();
    let shutdown = state.config.shutdown_timeout.as_secs();
    let app_state = state.clone();
    tracing::info!(%addr, "serving");
    let server = actix_web::HttpServer::new(move || crate::app::app(app_state.clone()))
        .shutdown_timeout(shutdown)
        .disable_signals()
        .bind(&addr)
        .map_err(|e| AppError::internal_in(format!("cannot listen on {addr}"), e))?
        .run();
    // SIGTERM: first drain (still serving, /readyz 503), then stop gracefully. Stopping at once
    // would drop connections accepted but not yet dispatched to a worker.
    let handle = server.handle();
    let (drain, draining) = (state.config.shutdown_drain, state.draining.clone());
    actix_web::rt::spawn(async move {
        shutdown_signal().await;
        tracing::info!(
            drain_ms = drain.as_millis() as u64,
            "stopping: draining first"
        );
        draining.store(true, std::sync::atomic::Ordering::Relaxed);
        actix_web::rt::time::sleep(drain).await;
        handle.stop(true).await;
    });
    let result = server.await.map_err(AppError::internal);
    if let Some(workers) = workers {
        workers.shutdown().await;
    }
    tracing::info!("stopped");
    result
}

async fn worker(config: Config) -> AppResult<()> {
    migrate(&config)?;
    let state = crate::app::state(config)?;
    let workers = Workers::spawn(&state.jobs, state.config.worker_concurrency);
    tracing::info!("worker running; Ctrl-C or SIGTERM stops it");
    shutdown_signal().await;
    workers.shutdown().await;
    Ok(())
}

async fn shutdown_signal() {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{signal, SignalKind};
        match signal(SignalKind::terminate()) {
            Ok(mut term) => {
                tokio::select! {
                    _ = term.recv() => {}
                    _ = tokio::signal::ctrl_c() => {}
                }
            }
            Err(_) => {
                let _ = tokio::signal::ctrl_c().await;
            }
        }
    }
    #[cfg(not(unix))]
    {
        let _ = tokio::signal::ctrl_c().await;
    }
}

fn create_operator(config: &Config, email: &str, name: &str) -> AppResult<()> {
    let email = crate::fields::Email::parse("email", email)
        .map_err(|e| AppError::internal(format!("--email {}", e.message)))?;
    let name = accounts::rules::DisplayName::parse("name", name)
        .map_err(|e| AppError::internal(format!("--name {}", e.message)))?;
    let mut conn = db::connect(config)?;
    db::migrate(&mut conn)?;
    if let Some(user) = accounts::find_by_email(&mut conn, email.as_str())? {
        let changes = accounts::models::UserChanges {
            platform_role: Some(PlatformRole::Operator.as_str().to_owned()),
            ..Default::default()
        };
        accounts::models::update(&mut conn, user.id, changes)?;
        println!(
            "{} already had an account; it is now an operator (password unchanged)",
            email.as_str()
        );
        return Ok(());
    }
    eprintln!("Password for {} (one line on stdin):", email.as_str());
    let mut line = String::new();
    std::io::stdin()
        .lock()
        .read_line(&mut line)
        .map_err(AppError::internal)?;
    let password = accounts::rules::NewPassword::parse(
        "password",
        line.trim_end_matches(['\r', '\n']).to_owned(),
    )
    .map_err(|e| AppError::internal(format!("password {}", e.message)))?;
    let hash = Passwords::new(config.password_cost)?.hash(&password.expose())?;
    let user = NewUser {
        id: Uuid::now_v7(),
        email: email.as_str(),
        password_hash: &hash,
        display_name: &name.into_inner(),
        phone: None,
        platform_role: PlatformRole::Operator.as_str(),
    };
    accounts::create(&mut conn, &user)?;
    println!("operator {} created", email.as_str());
    Ok(())
}
