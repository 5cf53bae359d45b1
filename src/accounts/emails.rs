//! The emails the accounts feature sends.

use crate::jobs::outbox::Email;

use super::User;

/// Sent once an account is registered.
pub fn welcome(user: &User, app_url: &str) -> Email {
    Email {
        recipient: user.email.clone(),
        subject: "欢迎加入 lifemarket / Welcome to lifemarket".into(),
        body_text: format!(
            "{name}，您好！\n\n您的 lifemarket 账户已创建。\nYour lifemarket account is ready: {app_url}\n\n\
             如果这不是您本人的操作，请忽略此邮件。\nIf you did not sign up, ignore this email.\n",
            name = user.display_name,
        ),
    }
}
