//! Log setup: `tracing` to stdout, JSON in production, filtered by `RUST_LOG`.
//! Nothing logs request bodies, tokens, passwords, emails or phone numbers.

use tracing_subscriber::{fmt, EnvFilter};

/// Installs the global subscriber (once; later calls are ignored).
pub fn init(json: bool) {
    let filter = EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| EnvFilter::new("info,actix_server=warn,r2d2=warn"));
    let builder = fmt().with_env_filter(filter).with_target(false);
    let _ = if json {
        builder.json().try_init()
    } else {
        builder.try_init()
    };
}
