//! Every feature's job kinds, registered with the job mechanism (which knows none of them).

use crate::jobs::Registry;
use crate::{auth, booking, credit, http, merchants, orders};

/// The job kinds, recurring jobs and sweeps of this build.
pub fn registry() -> Registry {
    Registry::default()
        .recurring(merchants::expiry::KIND, |conn, _, _| {
            merchants::expiry::run(conn)
        })
        .register(booking::timers::EXPIRE, booking_timer)
        .register(booking::timers::AUTO_COMPLETE, booking_timer)
        .register(orders::timers::EXPIRE, order_timer)
        .register(orders::timers::AUTO_COMPLETE, order_timer)
        .register(credit::RECOMPUTE, |conn, _, job| {
            credit::run(conn, &job.payload)
        })
        .recurring(credit::SWEEP, |conn, _, _| credit::sweep(conn))
        .sweep(http::idempotency::sweep)
        .sweep(http::rate_limit::sweep)
        .sweep(auth::sweep_expired)
}

fn booking_timer(
    conn: &mut diesel::PgConnection,
    _: &crate::jobs::JobContext<'_>,
    job: &crate::jobs::Job,
) -> crate::error::AppResult<crate::jobs::Outcome> {
    booking::timers::run(conn, &job.kind, &job.payload)
}

fn order_timer(
    conn: &mut diesel::PgConnection,
    _: &crate::jobs::JobContext<'_>,
    job: &crate::jobs::Job,
) -> crate::error::AppResult<crate::jobs::Outcome> {
    orders::timers::run(conn, &job.kind, &job.payload)
}
