//! Payouts through WeChat Pay API v3, 商家转账到零钱 (ordinary merchants): `POST
//! /v3/transfer/batches` with one detail, and the detail's query by our numbers. The batch and
//! its detail are both numbered with our `out_biz_no` (WeChat wants `[0-9A-Za-z]` only).
//!
//! `user_name` is never sent: WeChat wants it encrypted with its public key (RSAES-OAEP), and
//! `ring` has no RSA encryption at all. WeChat requires it from 2000 yuan up, so `transfer`
//! refuses such amounts (`Failed`, nothing sent); see `docs/payments.md#payouts`.

use chrono::Utc;
use serde::{Deserialize, Serialize};

use super::{err, parse_time, Wechat};
use crate::pay::{ProviderError, Transfer, TransferState};

/// The batch request body.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct TransferBatchRequest {
    pub appid: String,
    pub out_batch_no: String,
    pub batch_name: String,
    pub batch_remark: String,
    pub total_amount: i64,
    pub total_num: i64,
    pub transfer_detail_list: Vec<TransferDetailInput>,
}

/// One detail (one payee) of a batch.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct TransferDetailInput {
    pub out_detail_no: String,
    pub transfer_amount: i64,
    pub transfer_remark: String,
    pub openid: String,
    /// Encrypted with WeChat Pay's public key (RSAES-OAEP); never sent by this client.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user_name: Option<String>,
}

/// The batch request's answer.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct TransferBatchAnswer {
    pub out_batch_no: String,
    pub batch_id: String,
    pub create_time: String,
    /// `ACCEPTED`, `PROCESSING`, `FINISHED` or `CLOSED`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub batch_status: Option<String>,
}

/// A transfer detail as its query answers it.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct TransferDetail {
    pub mchid: String,
    pub out_batch_no: String,
    pub batch_id: String,
    pub appid: String,
    pub out_detail_no: String,
    pub detail_id: String,
    /// `INIT`, `WAIT_PAY`, `PROCESSING`, `SUCCESS` or `FAIL`.
    pub detail_status: String,
    pub transfer_amount: i64,
    pub transfer_remark: String,
    /// Set when `FAIL`: `ACCOUNT_NOT_EXIST`, `NAME_NOT_CORRECT`, `OPENID_INVALID`, ...
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fail_reason: Option<String>,
    pub openid: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user_name: Option<String>,
    pub initiate_time: String,
    pub update_time: String,
}

/// From this amount up WeChat requires the payee's `user_name` (2000 yuan).
pub const USER_NAME_REQUIRED_FEN: i64 = 200_000;
/// `batch_name`, `batch_remark` and `transfer_remark` hold at most 32 characters.
pub const REMARK_CHARS: usize = 32;

/// Error codes of a 400/403 answer that do not settle the outcome: `INVALID_REQUEST` (the
/// number was used before with other parameters, and the earlier batch may have paid) and
/// `ALREADY_EXISTS`.
const UNSETTLED: [&str; 2] = ["INVALID_REQUEST", "ALREADY_EXISTS"];

/// Whether an error answer refuses the payout itself (no batch was made): 400/403 such as
/// `PARAM_ERROR`, `NOT_ENOUGH` (balance), `NO_AUTH`, but none of those in `UNSETTLED`.
pub fn is_refusal(status: u16, code: &str) -> bool {
    matches!(status, 400 | 403) && !UNSETTLED.contains(&code)
}

fn remark(text: &str) -> String {
    text.chars().take(REMARK_CHARS).collect()
}

/// The batch of one detail that pays `t` (batch and detail numbered `out_biz_no`).
pub fn batch_request(appid: &str, t: &Transfer) -> TransferBatchRequest {
    TransferBatchRequest {
        appid: appid.to_owned(),
        out_batch_no: t.out_biz_no.clone(),
        batch_name: remark(&t.title),
        batch_remark: remark(&t.title),
        total_amount: t.amount_fen,
        total_num: 1,
        transfer_detail_list: vec![TransferDetailInput {
            out_detail_no: t.out_biz_no.clone(),
            transfer_amount: t.amount_fen,
            transfer_remark: remark(&t.title),
            openid: t.payee_account.clone(),
            user_name: None,
        }],
    }
}

/// The detail query's URL (path and query) for our number.
pub fn detail_url(out_biz_no: &str) -> String {
    format!("/v3/transfer/batches/out-batch-no/{out_biz_no}/details/out-detail-no/{out_biz_no}")
}

impl TransferDetail {
    /// `SUCCESS` at `update_time`, `FAIL` with its `fail_reason`, the waiting states as
    /// `Processing`; `None` for a status not in WeChat's list.
    pub fn state(&self) -> Option<TransferState> {
        let transfer_id = self.batch_id.clone();
        Some(match self.detail_status.as_str() {
            "SUCCESS" => TransferState::Succeeded {
                transfer_id,
                at: parse_time(&self.update_time).unwrap_or_else(Utc::now),
            },
            "INIT" | "WAIT_PAY" | "PROCESSING" => TransferState::Processing { transfer_id },
            "FAIL" => TransferState::Failed {
                reason: self.fail_reason.clone().unwrap_or_else(|| "FAIL".into()),
            },
            _ => return None,
        })
    }
}

impl Wechat {
    pub async fn transfer(&self, t: &Transfer) -> Result<TransferState, ProviderError> {
        if t.amount_fen >= USER_NAME_REQUIRED_FEN {
            return Ok(TransferState::Failed {
                reason: "WeChat requires the payee's user_name (RSA-OAEP encrypted) from 2000 \
                         yuan up, which this client cannot encrypt; nothing was sent"
                    .into(),
            });
        }
        let request = batch_request(&self.config.appid, t);
        let body = serde_json::to_string(&request).map_err(|e| err(e.to_string()))?;
        let (status, answer) = self
            .call(reqwest::Method::POST, "/v3/transfer/batches", Some(body))
            .await?;
        match status {
            200 => {
                let batch: TransferBatchAnswer = Self::json(&answer)?;
                Ok(TransferState::Processing {
                    transfer_id: batch.batch_id,
                })
            }
            _ => {
                let failure = Self::fail(status, &answer);
                let code = serde_json::from_slice::<super::ErrorBody>(&answer)
                    .map(|e| e.code)
                    .unwrap_or_default();
                if is_refusal(status, &code) {
                    Ok(TransferState::Failed {
                        reason: failure.reason,
                    })
                } else {
                    Err(failure)
                }
            }
        }
    }

    pub async fn query_transfer(&self, out_biz_no: &str) -> Result<TransferState, ProviderError> {
        let (status, body) = self
            .call(reqwest::Method::GET, &detail_url(out_biz_no), None)
            .await?;
        match status {
            200 => {}
            // Unknown (the batch never arrived, or its detail is not made yet): not `Failed`.
            404 => {
                return Err(err(format!(
                    "no transfer detail {out_biz_no} ({}); send it again with the same out_biz_no",
                    Self::fail(status, &body).reason
                )))
            }
            _ => return Err(Self::fail(status, &body)),
        }
        let detail: TransferDetail = Self::json(&body)?;
        detail
            .state()
            .ok_or_else(|| err(format!("unknown detail_status {}", detail.detail_status)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn transfer(amount_fen: i64) -> Transfer {
        Transfer {
            out_biz_no: "PO20261203000001".into(),
            amount_fen,
            payee_account: "oUpF8uMuAJO_M2pxb1Q9zNjWeS6o".into(),
            payee_name: "张三".into(),
            title: "lifemarket 结算 2026-12-03 and a long tail past 32".into(),
        }
    }

    #[test]
    fn a_transfer_is_one_batch_of_one_detail_numbered_out_biz_no() {
        let body = serde_json::to_value(batch_request("wxapp", &transfer(8888))).unwrap();
        let remark = "lifemarket 结算 2026-12-03 and a l";
        assert_eq!(remark.chars().count(), 32);
        assert_eq!(
            body,
            serde_json::json!({"appid": "wxapp", "out_batch_no": "PO20261203000001",
                "batch_name": remark, "batch_remark": remark, "total_amount": 8888, "total_num": 1,
                "transfer_detail_list": [{"out_detail_no": "PO20261203000001",
                    "transfer_amount": 8888, "transfer_remark": remark,
                    "openid": "oUpF8uMuAJO_M2pxb1Q9zNjWeS6o"}]})
        );
        assert_eq!(
            detail_url("PO1"),
            "/v3/transfer/batches/out-batch-no/PO1/details/out-detail-no/PO1"
        );
    }

    #[test]
    fn refusals_are_the_settled_400s_and_403s() {
        assert!(is_refusal(400, "PARAM_ERROR"));
        assert!(is_refusal(403, "NOT_ENOUGH"));
        assert!(!is_refusal(400, "INVALID_REQUEST"));
        assert!(!is_refusal(429, "FREQUENCY_LIMITED"));
        assert!(!is_refusal(500, "SYSTEM_ERROR"));
    }

    #[test]
    fn detail_statuses_map_to_states() {
        let detail: TransferDetail = serde_json::from_value(serde_json::json!({
            "mchid": "1900000109", "out_batch_no": "PO1", "batch_id": "1030000071100999991182020050700019480001",
            "appid": "wxapp", "out_detail_no": "PO1", "detail_id": "1040000071100999991182020050700019500100",
            "detail_status": "SUCCESS", "transfer_amount": 200000, "transfer_remark": "r",
            "openid": "o", "initiate_time": "2026-12-03T10:00:00+08:00",
            "update_time": "2026-12-03T10:00:05+08:00"}))
        .unwrap();
        assert_eq!(
            detail.state(),
            Some(TransferState::Succeeded {
                transfer_id: detail.batch_id.clone(),
                at: parse_time("2026-12-03T10:00:05+08:00").unwrap()
            })
        );
        let mut waiting = detail.clone();
        waiting.detail_status = "WAIT_PAY".into();
        assert!(matches!(
            waiting.state(),
            Some(TransferState::Processing { .. })
        ));
        let mut failed = detail.clone();
        failed.detail_status = "FAIL".into();
        failed.fail_reason = Some("ACCOUNT_NOT_EXIST".into());
        assert_eq!(
            failed.state(),
            Some(TransferState::Failed {
                reason: "ACCOUNT_NOT_EXIST".into()
            })
        );
        failed.detail_status = "SOMETHING".into();
        assert_eq!(failed.state(), None);
    }
}
