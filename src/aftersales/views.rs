//! An after-sales request as its parties see it (the consumer, the merchant's members and
//! operators see the same fields).

use chrono::{DateTime, Utc};
use serde::Serialize;
use utoipa::ToSchema;
use uuid::Uuid;

use crate::history;

use super::models::Request;
use super::rules::{Decision, RequestKind, RequestStatus, SubjectKind};

#[derive(Debug, Serialize, ToSchema)]
pub struct AfterSalesResponse {
    pub id: Uuid,
    pub subject_kind: SubjectKind,
    pub subject_id: Uuid,
    pub merchant_id: Uuid,
    pub consumer_id: Uuid,
    pub kind: RequestKind,
    pub status: RequestStatus,
    /// What was paid for the subject (an order's total, a booking's price), in fen.
    pub paid_cents: i64,
    /// What the consumer asked for (refund requests).
    pub requested_cents: Option<i64>,
    /// The merchant's partial offer.
    pub offered_cents: Option<i64>,
    /// The refund agreed or decided. For an order it is one of the order's refunds; for a
    /// booking it is recorded here only (no money path yet).
    pub refund_cents: Option<i64>,
    pub currency: &'static str,
    pub reason: String,
    /// Ids of the evidence uploads (`GET /uploads/{id}`).
    pub photo_refs: Vec<String>,
    /// The merchant's words with its answer.
    pub answer: Option<String>,
    pub decision: Option<Decision>,
    pub decision_reason: Option<String>,
    /// When the merchant must have answered.
    pub respond_by: DateTime<Utc>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl From<Request> for AfterSalesResponse {
    fn from(r: Request) -> Self {
        Self {
            id: r.id,
            subject_kind: r.subject_kind,
            subject_id: r.subject_id,
            merchant_id: r.merchant_id,
            consumer_id: r.consumer_id,
            kind: r.kind,
            status: r.status,
            paid_cents: r.paid_cents,
            requested_cents: r.requested_cents,
            offered_cents: r.offered_cents,
            refund_cents: r.refund_cents,
            currency: "CNY",
            reason: r.reason,
            photo_refs: serde_json::from_value(r.photo_refs).unwrap_or_default(),
            answer: r.answer,
            decision: r.decision,
            decision_reason: r.decision_reason,
            respond_by: r.respond_by,
            created_at: r.created_at,
            updated_at: r.updated_at,
        }
    }
}

/// A request with its history.
#[derive(Debug, Serialize, ToSchema)]
pub struct AfterSalesDetail {
    #[serde(flatten)]
    pub request: AfterSalesResponse,
    pub events: Vec<history::Entry>,
}
