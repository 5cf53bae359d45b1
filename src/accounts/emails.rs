//! The emails the accounts feature sends.

use crate::jobs::outbox::Email;

use super::User;

/// Sent once an account is registered, with the link that verifies the email address.
pub fn welcome(user: &User, app_url: &str, verify_token: &str) -> Email {
    Email {
        recipient: user.email.clone(),
        account: Some(user.id),
        subject: "欢迎加入 lifemarket / Welcome to lifemarket".into(),
        body_text: format!(
            "{name}，您好！\n\n您的 lifemarket 账户已创建，请点击链接验证邮箱：\n\
             Your lifemarket account is ready; verify your email here:\n{app_url}/verify-email?token={verify_token}\n\n\
             如果这不是您本人的操作，请忽略此邮件。\nIf you did not sign up, ignore this email.\n",
            name = user.display_name,
        ),
    }
}

/// The password-reset link (valid for an hour, once).
pub fn password_reset(user: &User, app_url: &str, token: &str) -> Email {
    Email {
        recipient: user.email.clone(),
        account: Some(user.id),
        subject: "重置密码 / Reset your password".into(),
        body_text: format!(
            "请在一小时内通过以下链接重置密码：\nReset your password within an hour:\n{app_url}/reset-password?token={token}\n\n\
             如果不是您本人申请，请忽略此邮件，密码不会改变。\nIf you did not ask, ignore this email; nothing changes.\n"
        ),
    }
}
