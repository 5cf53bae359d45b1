//! Log setup: `tracing` to stdout, JSON in production, filtered by `RUST_LOG`.
//! Nothing logs request bodies, tokens, passwords, emails or phone numbers.

use tracing_subscriber::fmt::format::FmtSpan;
use tracing_subscriber::{fmt, EnvFilter};

/// Installs the global subscriber writing to stdout (once; later calls are ignored).
pub fn init(json: bool) {
    init_with_writer(json, std::io::stdout);
}

/// Installs the global subscriber writing to `writer` (tests capture the log this way).
pub fn init_with_writer<W>(json: bool, writer: W)
where
    W: for<'a> tracing_subscriber::fmt::MakeWriter<'a> + Send + Sync + 'static,
{
    let filter = EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| EnvFilter::new("info,actix_server=warn,r2d2=warn"));
    // Request spans (tracing-actix-web) are logged when they close, with status and latency.
    let builder = fmt()
        .with_writer(writer)
        .with_env_filter(filter)
        .with_target(false)
        .with_span_events(FmtSpan::CLOSE);
    let _ = if json {
        builder.json().try_init()
    } else {
        builder.try_init()
    };
}

/// Installs the process-wide recorder on first use and returns its handle; shared by every app
/// (and every test) in the process.
pub fn metrics_handle() -> metrics_exporter_prometheus::PrometheusHandle {
    static HANDLE: std::sync::OnceLock<metrics_exporter_prometheus::PrometheusHandle> =
        std::sync::OnceLock::new();
    HANDLE
        .get_or_init(|| {
            let recorder = metrics_exporter_prometheus::PrometheusBuilder::new().build_recorder();
            let handle = recorder.handle();
            // Fails only if another recorder is installed, and then that one records.
            let _ = metrics::set_global_recorder(recorder);
            handle
        })
        .clone()
}
