//! Every feature's job kinds, registered with the job mechanism (which knows none of them).

use crate::jobs::{Handler, Registry};
use crate::settlement::{payout, reconcile, run as settle};
use crate::{
    aftersales, auth, booking, credit, http, merchants, messages, orders, payments, uploads,
};

/// Both booking timers go to one handler, which reads the kind; so do both order timers.
const BOOKING_TIMER: Handler = |conn, _, job| booking::timers::run(conn, &job.kind, &job.payload);
const ORDER_TIMER: Handler = |conn, _, job| orders::timers::run(conn, &job.kind, &job.payload);

/// The job kinds, recurring jobs and sweeps of this build.
pub fn registry() -> Registry {
    Registry::default()
        .recurring(merchants::expiry::KIND, |conn, _, _| {
            merchants::expiry::run(conn)
        })
        .register(booking::timers::EXPIRE, BOOKING_TIMER)
        .register(booking::timers::AUTO_COMPLETE, BOOKING_TIMER)
        .register(orders::timers::EXPIRE, ORDER_TIMER)
        .register(orders::timers::AUTO_COMPLETE, ORDER_TIMER)
        .register(payments::REFUND, |conn, ctx, job| {
            payments::refunds::run(conn, ctx, &job.payload)
        })
        .register(payments::DUE, |conn, ctx, job| {
            payments::timers::run(conn, ctx, &job.payload)
        })
        .register(aftersales::timers::EXPIRE, |conn, _, job| {
            aftersales::timers::run(conn, &job.payload)
        })
        .register(credit::RECOMPUTE, |conn, _, job| {
            credit::run(conn, &job.payload)
        })
        .recurring(credit::SWEEP, |conn, _, _| credit::sweep(conn))
        .recurring(uploads::sweep::KIND, |conn, ctx, _| {
            uploads::sweep::run(conn, ctx)
        })
        .register(uploads::DELETE_OBJECTS, |_, ctx, job| {
            uploads::privacy_delete_objects(ctx, &job.payload)
        })
        .recurring(messages::SWEEP, |conn, _, _| messages::sweep(conn))
        .recurring(settle::DAILY, |conn, _, _| settle::daily(conn))
        .register(settle::MERCHANT, |conn, _, job| {
            settle::merchant_job(conn, &job.payload)
        })
        .register(settle::PAYOUT, |conn, ctx, job| {
            payout::run(conn, ctx, &job.payload)
        })
        .recurring(reconcile::DAILY, |conn, ctx, _| reconcile::daily(conn, ctx))
        .sweep(http::idempotency::sweep)
        .sweep(http::rate_limit::sweep)
        .sweep(auth::sweep_expired)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_kind_the_features_queue_has_a_handler() {
        let registry = registry();
        for kind in [
            crate::jobs::outbox::SEND_EMAIL,
            crate::jobs::CREDIT_RECOMPUTE,
            merchants::expiry::KIND,
            booking::timers::EXPIRE,
            booking::timers::AUTO_COMPLETE,
            orders::timers::EXPIRE,
            orders::timers::AUTO_COMPLETE,
            payments::REFUND,
            payments::DUE,
            aftersales::timers::EXPIRE,
            credit::SWEEP,
            uploads::sweep::KIND,
            uploads::DELETE_OBJECTS,
            messages::SWEEP,
            settle::DAILY,
            settle::MERCHANT,
            settle::PAYOUT,
            reconcile::DAILY,
        ] {
            assert!(registry.handler(kind).is_some(), "{kind}");
        }
        assert!(registry.handler("no.such.kind").is_none());
        assert_eq!(
            registry.recurring_kinds(),
            [
                merchants::expiry::KIND,
                credit::SWEEP,
                uploads::sweep::KIND,
                messages::SWEEP,
                settle::DAILY,
                reconcile::DAILY
            ]
        );
        assert_eq!(registry.sweeps().len(), 3);
    }
}
