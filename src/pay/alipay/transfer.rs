//! Payouts through Alipay: `alipay.fund.trans.uni.transfer` (单笔无密转账到支付宝账户,
//! `TRANS_ACCOUNT_NO_PWD` / `DIRECT_TRANSFER`) and `alipay.fund.trans.common.query`.

use chrono::Utc;
use serde_json::{json, Value};

use super::{err, yuan, Alipay};
use crate::pay::{shanghai_time, ProviderError, Transfer, TransferState};

/// The product and scene of a transfer to an Alipay account without the payer's password.
pub const PRODUCT_CODE: &str = "TRANS_ACCOUNT_NO_PWD";
pub const BIZ_SCENE: &str = "DIRECT_TRANSFER";
/// The payee is named by its logon id (an email or a phone number); `name` is then required.
pub const IDENTITY_TYPE: &str = "ALIPAY_LOGON_ID";

/// The `biz_content` of `alipay.fund.trans.uni.transfer`.
pub fn transfer_biz(t: &Transfer) -> Value {
    json!({
        "out_biz_no": t.out_biz_no,
        "trans_amount": yuan(t.amount_fen),
        "product_code": PRODUCT_CODE,
        "biz_scene": BIZ_SCENE,
        "order_title": t.title,
        "payee_info": {
            "identity": t.payee_account,
            "identity_type": IDENTITY_TYPE,
            "name": t.payee_name,
        },
    })
}

/// Sub codes of a 40004 answer that do not settle the outcome: `SYSTEM_ERROR` (Alipay says to
/// query, then send the same request again) and `PAYMENT_INFO_INCONSISTENCY` (the number was
/// used before with other parameters: the earlier transfer may well have paid).
const UNSETTLED: [&str; 2] = ["SYSTEM_ERROR", "PAYMENT_INFO_INCONSISTENCY"];

/// Whether an answer's `code`/`sub_code` is a refusal of the payout itself (no money left):
/// a 40004 business failure such as `PAYEE_NOT_EXIST`, `PAYEE_USER_INFO_ERROR` or
/// `PAYER_BALANCE_NOT_ENOUGH`, but none of those in `UNSETTLED`.
pub fn is_refusal(code: &str, sub_code: &str) -> bool {
    code == "40004" && !sub_code.is_empty() && !UNSETTLED.contains(&sub_code)
}

fn field<'a>(answer: &'a Value, key: &str) -> &'a str {
    answer.get(key).and_then(Value::as_str).unwrap_or("")
}

/// `status` of a transfer (`SUCCESS`, `DEALING`, `FAIL`, `REFUND`) as a state; `time_key` names
/// the time of success (`trans_date` in the transfer answer, `pay_date` in the query's).
pub fn transfer_state(answer: &Value, time_key: &str) -> Option<TransferState> {
    let order_id = field(answer, "order_id").to_owned();
    Some(match field(answer, "status") {
        "SUCCESS" if !order_id.is_empty() => TransferState::Succeeded {
            at: shanghai_time(field(answer, time_key)).unwrap_or_else(Utc::now),
            transfer_id: order_id,
        },
        "DEALING" if !order_id.is_empty() => TransferState::Processing {
            transfer_id: order_id,
        },
        status @ ("FAIL" | "REFUND") => TransferState::Failed {
            reason: format!(
                "{status} {}: {}",
                field(answer, "error_code"),
                field(answer, "fail_reason")
            ),
        },
        _ => return None,
    })
}

impl Alipay {
    pub async fn transfer(&self, t: &Transfer) -> Result<TransferState, ProviderError> {
        const M: &str = "alipay.fund.trans.uni.transfer";
        let answer = self.call(M, transfer_biz(t)).await?;
        match Self::code(&answer) {
            ("10000", _) => {
                transfer_state(&answer, "trans_date").ok_or_else(|| Self::fail(M, &answer))
            }
            (code, sub) if is_refusal(code, sub) => Ok(TransferState::Failed {
                reason: format!("{sub}: {}", field(&answer, "sub_msg")),
            }),
            _ => Err(Self::fail(M, &answer)),
        }
    }

    pub async fn query_transfer(&self, out_biz_no: &str) -> Result<TransferState, ProviderError> {
        const M: &str = "alipay.fund.trans.common.query";
        let biz = json!({
            "out_biz_no": out_biz_no,
            "product_code": PRODUCT_CODE,
            "biz_scene": BIZ_SCENE,
        });
        let answer = self.call(M, biz).await?;
        match Self::code(&answer) {
            ("10000", _) => transfer_state(&answer, "pay_date").ok_or_else(|| Self::fail(M, &answer)),
            // Unknown to Alipay: the transfer may never have arrived. Not `Failed`, which would
            // invite a payout under a new number while the first may still be on its way.
            (_, "ORDER_NOT_EXIST") => Err(err(format!(
                "{M}: no transfer {out_biz_no} (ORDER_NOT_EXIST); send it again with the same out_biz_no"
            ))),
            _ => Err(Self::fail(M, &answer)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn transfer() -> Transfer {
        Transfer {
            out_biz_no: "PO20261203000001".into(),
            amount_fen: 123_405,
            payee_account: "shop@example.cn".into(),
            payee_name: "张三".into(),
            title: "lifemarket 结算 2026-12-03".into(),
        }
    }

    #[test]
    fn the_transfer_biz_content_has_alipays_field_names_and_yuan() {
        let biz = transfer_biz(&transfer());
        assert_eq!(
            biz,
            json!({"out_biz_no": "PO20261203000001", "trans_amount": "1234.05",
                "product_code": "TRANS_ACCOUNT_NO_PWD", "biz_scene": "DIRECT_TRANSFER",
                "order_title": "lifemarket 结算 2026-12-03",
                "payee_info": {"identity": "shop@example.cn", "identity_type": "ALIPAY_LOGON_ID",
                    "name": "张三"}})
        );
    }

    #[test]
    fn only_settled_business_failures_are_refusals() {
        assert!(is_refusal("40004", "PAYEE_NOT_EXIST"));
        assert!(is_refusal("40004", "PAYEE_USER_INFO_ERROR"));
        assert!(is_refusal("40004", "PAYER_BALANCE_NOT_ENOUGH"));
        assert!(!is_refusal("40004", "SYSTEM_ERROR"));
        assert!(!is_refusal("40004", "PAYMENT_INFO_INCONSISTENCY"));
        assert!(!is_refusal("40004", ""));
        assert!(!is_refusal("20000", "isp.unknow-error"));
        assert!(!is_refusal("10000", ""));
    }

    #[test]
    fn transfer_statuses_map_to_states() {
        let ok = json!({"code": "10000", "order_id": "2019111511007", "status": "SUCCESS",
            "trans_date": "2026-12-03 10:00:00"});
        assert_eq!(
            transfer_state(&ok, "trans_date"),
            Some(TransferState::Succeeded {
                transfer_id: "2019111511007".into(),
                at: shanghai_time("2026-12-03 10:00:00").unwrap()
            })
        );
        let dealing = json!({"order_id": "1", "status": "DEALING"});
        assert_eq!(
            transfer_state(&dealing, "pay_date"),
            Some(TransferState::Processing {
                transfer_id: "1".into()
            })
        );
        let fail = json!({"order_id": "1", "status": "FAIL", "error_code": "PAYEE_NOT_EXIST",
            "fail_reason": "收款账号不存在"});
        assert_eq!(
            transfer_state(&fail, "pay_date"),
            Some(TransferState::Failed {
                reason: "FAIL PAYEE_NOT_EXIST: 收款账号不存在".into()
            })
        );
        assert!(matches!(
            transfer_state(&json!({"status": "REFUND"}), "pay_date"),
            Some(TransferState::Failed { .. })
        ));
        assert_eq!(
            transfer_state(&json!({"status": "SUCCESS"}), "pay_date"),
            None
        );
        assert_eq!(
            transfer_state(&json!({"order_id": "1", "status": "WAIT_PAY"}), "pay_date"),
            None
        );
    }
}
