//! Who may act for a merchant. Membership is read from the database on every request, so a new
//! or removed member counts at once. A caller who is not a member gets 404, never a hint that the
//! merchant exists; a member whose role is too low gets 403.

use diesel::PgConnection;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

use crate::error::{codes, AppError, AppResult};

use super::models;

/// A member's role in one merchant, from least to most trusted.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum MemberRole {
    Staff,
    Manager,
    Owner,
}

impl MemberRole {
    pub fn as_str(self) -> &'static str {
        match self {
            MemberRole::Staff => "staff",
            MemberRole::Manager => "manager",
            MemberRole::Owner => "owner",
        }
    }

    pub fn parse(value: &str) -> Option<Self> {
        [Self::Staff, Self::Manager, Self::Owner]
            .into_iter()
            .find(|r| r.as_str() == value)
    }
}

/// The caller's role in the merchant, if any.
pub fn role_of(
    conn: &mut PgConnection,
    merchant_id: Uuid,
    user_id: Uuid,
) -> AppResult<Option<MemberRole>> {
    Ok(models::member_role(conn, merchant_id, user_id)?
        .as_deref()
        .and_then(MemberRole::parse))
}

/// The caller's role, which must be at least `min`: 404 for non-members, 403 below `min`.
pub fn require(
    conn: &mut PgConnection,
    merchant_id: Uuid,
    user_id: Uuid,
    min: MemberRole,
) -> AppResult<MemberRole> {
    let role = role_of(conn, merchant_id, user_id)?.ok_or(AppError::NotFound)?;
    if role < min {
        return Err(AppError::Forbidden(
            codes::FORBIDDEN,
            format!("This needs the {} role in this merchant.", min.as_str()),
        ));
    }
    Ok(role)
}

/// How a caller stands to a consumer's booking or order at a merchant, possibly assigned to one
/// of its workers. Shared by bookings and orders, which map it onto their own actors.
#[derive(Debug, Clone, Copy, Default)]
pub struct Parties {
    pub consumer: bool,
    pub member: bool,
    /// The assigned worker (or courier), signed in with their own account.
    pub worker: bool,
    pub operator: bool,
}

impl Parties {
    /// The caller's roles, in the order given (consumer, member, worker, operator), as the
    /// feature's own actors.
    pub fn roles<A: Copy>(self, consumer: A, member: A, worker: A, operator: A) -> Vec<A> {
        [
            (self.consumer, consumer),
            (self.member, member),
            (self.worker, worker),
            (self.operator, operator),
        ]
        .into_iter()
        .filter_map(|(is, actor)| is.then_some(actor))
        .collect()
    }
}

/// The caller's standing; 404 when they have none (a stranger learns nothing).
pub fn parties(
    conn: &mut PgConnection,
    id: &crate::auth::Identity,
    consumer_id: Uuid,
    merchant_id: Uuid,
    worker_id: Option<Uuid>,
) -> AppResult<Parties> {
    let parties = Parties {
        consumer: consumer_id == id.user_id,
        member: role_of(conn, merchant_id, id.user_id)?.is_some(),
        worker: match worker_id {
            Some(w) => models::worker_ids_of_user(conn, id.user_id)?.contains(&w),
            None => false,
        },
        operator: id.role == crate::auth::PlatformRole::Operator,
    };
    if !(parties.consumer || parties.member || parties.worker || parties.operator) {
        return Err(AppError::NotFound);
    }
    Ok(parties)
}

/// Who is involved in a booking or an order, and when it ended (`None` while it goes on): what
/// the messages between its parties need from booking and orders.
#[derive(Debug, Clone, Copy)]
pub struct Involved {
    pub consumer_id: Uuid,
    pub merchant_id: Uuid,
    /// The assigned worker (or courier), a record of the merchant's `workers`.
    pub worker_id: Option<Uuid>,
    pub ended_at: Option<chrono::DateTime<chrono::Utc>>,
}

/// Whether the caller may see the merchant's application documents (its members; operators
/// and the uploader are let through by `uploads` itself).
pub fn may_see_documents(
    conn: &mut PgConnection,
    viewer: Option<&crate::auth::Identity>,
    merchant_id: Uuid,
) -> AppResult<bool> {
    match viewer {
        Some(me) => Ok(role_of(conn, merchant_id, me.user_id)?.is_some()),
        None => Ok(false),
    }
}
