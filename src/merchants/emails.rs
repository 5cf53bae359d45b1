//! The emails the merchants feature sends.

use crate::accounts::User;
use crate::jobs::outbox::Email;

use super::models::Merchant;
use super::rules::MerchantStatus;

/// Tells the owner what became of their merchant.
pub fn status_changed(owner: &User, merchant: &Merchant, to: MerchantStatus) -> Email {
    let (zh, en) = match to {
        MerchantStatus::Approved => (
            "已通过审核，现已对顾客可见",
            "has been approved and is now visible to consumers",
        ),
        MerchantStatus::Rejected => (
            "未通过审核，请修改后重新提交",
            "was not approved; please correct it and resubmit",
        ),
        MerchantStatus::Suspended => (
            "已被暂停，暂时对顾客不可见",
            "has been suspended and is hidden from consumers",
        ),
        MerchantStatus::Submitted => ("已提交审核", "has been submitted for review"),
        MerchantStatus::Draft => ("为草稿状态", "is a draft"),
    };
    let reason = merchant
        .status_reason
        .as_deref()
        .map(|r| format!("\n原因 / Reason: {r}\n"))
        .unwrap_or_default();
    Email {
        recipient: owner.email.clone(),
        account: Some(owner.id),
        subject: format!("商家「{}」{zh} / Your merchant {en}", merchant.display_name),
        body_text: format!(
            "您的商家「{name}」{zh}。\nYour merchant \"{name}\" {en}.\n{reason}",
            name = merchant.display_name
        ),
    }
}
