//! The merchant lifecycle: states, actions and who may take them. Pure; no database, no HTTP.
//!
//! `draft -> submitted -> approved | rejected`; `rejected -> submitted` (resubmission);
//! `approved -> suspended -> approved`. Members submit; operators decide; the system suspends a
//! merchant whose licence has expired.

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// Where a merchant is in its lifecycle. Only `approved` merchants are visible to consumers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum MerchantStatus {
    Draft,
    Submitted,
    Approved,
    Rejected,
    Suspended,
}

impl MerchantStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            MerchantStatus::Draft => "draft",
            MerchantStatus::Submitted => "submitted",
            MerchantStatus::Approved => "approved",
            MerchantStatus::Rejected => "rejected",
            MerchantStatus::Suspended => "suspended",
        }
    }

    pub fn parse(value: &str) -> Option<Self> {
        [
            Self::Draft,
            Self::Submitted,
            Self::Approved,
            Self::Rejected,
            Self::Suspended,
        ]
        .into_iter()
        .find(|s| s.as_str() == value)
    }

    /// Whether the application fields (legal name, credit code, categories...) may change.
    pub fn application_editable(self) -> bool {
        matches!(self, MerchantStatus::Draft | MerchantStatus::Rejected)
    }
}

/// Something that moves a merchant between states.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum MerchantAction {
    Submit,
    Approve,
    Reject,
    Suspend,
    Reinstate,
    /// The licence-expiry job.
    ExpireLicence,
}

impl MerchantAction {
    pub fn as_str(self) -> &'static str {
        match self {
            MerchantAction::Submit => "submit",
            MerchantAction::Approve => "approve",
            MerchantAction::Reject => "reject",
            MerchantAction::Suspend => "suspend",
            MerchantAction::Reinstate => "reinstate",
            MerchantAction::ExpireLicence => "expire_licence",
        }
    }

    pub fn parse(value: &str) -> Option<Self> {
        [
            Self::Submit,
            Self::Approve,
            Self::Reject,
            Self::Suspend,
            Self::Reinstate,
        ]
        .into_iter()
        .find(|a| a.as_str() == value)
    }

    /// Whether the action must carry a reason (shown to the merchant).
    pub fn needs_reason(self) -> bool {
        matches!(self, MerchantAction::Reject | MerchantAction::Suspend)
    }
}

/// Who is acting.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Actor {
    Member,
    Operator,
    System,
}

/// Why a transition is refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RuleError {
    /// This actor may never take this action (403).
    NotAllowed,
    /// Not from the current state (409 `invalid_transition`).
    InvalidTransition,
}

/// The state `action` by `actor` leads to from `from`.
pub fn transition(
    from: MerchantStatus,
    action: MerchantAction,
    actor: Actor,
) -> Result<MerchantStatus, RuleError> {
    use MerchantAction as A;
    use MerchantStatus as S;
    let allowed = match action {
        A::Submit => actor == Actor::Member,
        A::Approve | A::Reject | A::Suspend | A::Reinstate => actor == Actor::Operator,
        A::ExpireLicence => actor == Actor::System,
    };
    if !allowed {
        return Err(RuleError::NotAllowed);
    }
    match (from, action) {
        (S::Draft | S::Rejected, A::Submit) => Ok(S::Submitted),
        (S::Submitted, A::Approve) => Ok(S::Approved),
        (S::Submitted, A::Reject) => Ok(S::Rejected),
        (S::Approved, A::Suspend | A::ExpireLicence) => Ok(S::Suspended),
        (S::Suspended, A::Reinstate) => Ok(S::Approved),
        _ => Err(RuleError::InvalidTransition),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use MerchantAction as A;
    use MerchantStatus as S;

    #[test]
    fn the_happy_path_and_resubmission() {
        assert_eq!(
            transition(S::Draft, A::Submit, Actor::Member),
            Ok(S::Submitted)
        );
        assert_eq!(
            transition(S::Submitted, A::Reject, Actor::Operator),
            Ok(S::Rejected)
        );
        assert_eq!(
            transition(S::Rejected, A::Submit, Actor::Member),
            Ok(S::Submitted)
        );
        assert_eq!(
            transition(S::Submitted, A::Approve, Actor::Operator),
            Ok(S::Approved)
        );
        assert_eq!(
            transition(S::Approved, A::Suspend, Actor::Operator),
            Ok(S::Suspended)
        );
        assert_eq!(
            transition(S::Suspended, A::Reinstate, Actor::Operator),
            Ok(S::Approved)
        );
        assert_eq!(
            transition(S::Approved, A::ExpireLicence, Actor::System),
            Ok(S::Suspended)
        );
    }

    #[test]
    fn refused_transitions() {
        assert_eq!(
            transition(S::Draft, A::Approve, Actor::Operator),
            Err(RuleError::InvalidTransition)
        );
        assert_eq!(
            transition(S::Approved, A::Submit, Actor::Member),
            Err(RuleError::InvalidTransition)
        );
        assert_eq!(
            transition(S::Submitted, A::Submit, Actor::Member),
            Err(RuleError::InvalidTransition)
        );
        assert_eq!(
            transition(S::Approved, A::Reinstate, Actor::Operator),
            Err(RuleError::InvalidTransition)
        );
        assert_eq!(
            transition(S::Suspended, A::ExpireLicence, Actor::System),
            Err(RuleError::InvalidTransition)
        );
    }

    #[test]
    fn roles_that_may_never_act() {
        assert_eq!(
            transition(S::Submitted, A::Approve, Actor::Member),
            Err(RuleError::NotAllowed)
        );
        assert_eq!(
            transition(S::Draft, A::Submit, Actor::Operator),
            Err(RuleError::NotAllowed)
        );
        assert_eq!(
            transition(S::Approved, A::ExpireLicence, Actor::Operator),
            Err(RuleError::NotAllowed)
        );
    }
}
