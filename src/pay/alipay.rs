//! Alipay's open-platform gateway (v1, RSA2, public-key mode): yuan amounts, the signed
//! parameter string, the signed `<method>_response` text, notifications, and the client.
//! The sandbox (`crate::sandbox`) uses the same helpers from the other side.

use std::collections::BTreeMap;

use chrono::{DateTime, NaiveDate, Utc};
use serde_json::{json, Value};

use super::keys::{Signer, Verifier};
use super::{
    format_shanghai, http_client, shanghai_time, BillLine, Charge, Method, Notice, Paid,
    ProviderError, RefundCall, RefundState, Refusal, Sheet, TradeState, Verified,
};
use crate::config::AlipayConfig;

pub mod transfer;

/// Integer fen as Alipay's yuan string with two decimals (8888 → `88.88`, 5 → `0.05`).
pub fn yuan(fen: i64) -> String {
    let sign = if fen < 0 { "-" } else { "" };
    let abs = fen.unsigned_abs();
    format!("{sign}{}.{:02}", abs / 100, abs % 100)
}

/// A yuan string as integer fen, exactly: `88.88`, `88.8`, `88` and `-1.00`; `None` for more
/// than two decimals or anything that is not a plain decimal number. No floats.
pub fn fen(text: &str) -> Option<i64> {
    let text = text.trim();
    let (negative, digits) = match text.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, text),
    };
    let (whole, frac) = digits.split_once('.').unwrap_or((digits, ""));
    let all_digits = |s: &str| s.bytes().all(|b| b.is_ascii_digit());
    if whole.is_empty()
        || whole.len() > 15
        || frac.len() > 2
        || !all_digits(whole)
        || !all_digits(frac)
    {
        return None;
    }
    if digits.contains('.') && frac.is_empty() {
        return None;
    }
    let cents = format!("{frac:0<2}").parse::<i64>().ok()?;
    let value = whole.parse::<i64>().ok()? * 100 + cents;
    Some(if negative { -value } else { value })
}

/// The string signed: every parameter but those in `exclude`, empty values dropped, sorted by
/// key, `k=v` joined with `&`, values as they are (not URL-encoded).
pub fn sign_content(params: &BTreeMap<String, String>, exclude: &[&str]) -> String {
    params
        .iter()
        .filter(|(k, v)| !v.is_empty() && !exclude.contains(&k.as_str()))
        .map(|(k, v)| format!("{k}={v}"))
        .collect::<Vec<_>>()
        .join("&")
}

/// The key of a method's answer: `alipay.trade.query` → `alipay_trade_query_response`.
pub fn response_key(method: &str) -> String {
    format!("{}_response", method.replace('.', "_"))
}

/// The text of the JSON object under `"key":` in `body`, exactly as written (its `{` to the
/// matching `}`), which is what Alipay signs.
pub fn response_content<'a>(body: &'a str, key: &str) -> Option<&'a str> {
    let quoted = format!("\"{key}\"");
    let after = body.find(&quoted)? + quoted.len();
    let rest = body[after..].trim_start().strip_prefix(':')?.trim_start();
    let start = body.len() - rest.len();
    if !rest.starts_with('{') {
        return None;
    }
    let (mut depth, mut in_string, mut escaped) = (0usize, false, false);
    for (i, c) in rest.char_indices() {
        match c {
            _ if escaped => escaped = false,
            '\\' if in_string => escaped = true,
            '"' => in_string = !in_string,
            '{' if !in_string => depth += 1,
            '}' if !in_string => {
                depth -= 1;
                if depth == 0 {
                    return Some(&body[start..start + i + 1]);
                }
            }
            _ => {}
        }
    }
    None
}

/// `yyyy-MM-dd HH:mm:ss` in Asia/Shanghai, as the gateway's `timestamp` and Alipay's times.
pub fn timestamp(at: DateTime<Utc>) -> String {
    format_shanghai(at)
}

/// The Alipay client.
pub struct Alipay {
    pub(super) config: AlipayConfig,
    signer: Signer,
    alipay_key: Verifier,
    http: reqwest::Client,
}

fn err(reason: impl Into<String>) -> ProviderError {
    ProviderError {
        method: Method::Alipay,
        reason: reason.into(),
    }
}

impl Alipay {
    pub fn new(config: AlipayConfig, signer: Signer, alipay_key: Verifier) -> Result<Self, String> {
        Ok(Self {
            config,
            signer,
            alipay_key,
            http: http_client()?,
        })
    }

    /// The common parameters with `biz_content`, signed (`sign` added).
    fn signed_params(
        &self,
        method: &str,
        biz: &Value,
        notify_url: Option<&str>,
    ) -> Result<BTreeMap<String, String>, ProviderError> {
        let mut params: BTreeMap<String, String> = [
            ("app_id", self.config.app_id.as_str()),
            ("method", method),
            ("format", "JSON"),
            ("charset", "utf-8"),
            ("sign_type", "RSA2"),
            ("version", "1.0"),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_owned(), v.to_owned()))
        .collect();
        params.insert("timestamp".into(), timestamp(Utc::now()));
        params.insert("biz_content".into(), biz.to_string());
        if let Some(url) = notify_url {
            params.insert("notify_url".into(), url.to_owned());
        }
        let sign = self
            .signer
            .sign(sign_content(&params, &["sign"]).as_bytes())
            .map_err(|e| err(e.to_string()))?;
        params.insert("sign".into(), sign);
        Ok(params)
    }

    /// Calls the gateway and returns the verified `<method>_response` object.
    async fn call(&self, method: &str, biz: Value) -> Result<Value, ProviderError> {
        let params = self.signed_params(method, &biz, None)?;
        let form = serde_urlencoded::to_string(&params).map_err(|e| err(e.to_string()))?;
        let answer = self
            .http
            .post(&self.config.gateway)
            .header(
                "Content-Type",
                "application/x-www-form-urlencoded;charset=utf-8",
            )
            .body(form)
            .send()
            .await
            .map_err(|e| err(format!("{method}: {e}")))?;
        let text = answer
            .text()
            .await
            .map_err(|e| err(format!("{method}: {e}")))?;
        let Some(content) = response_content(&text, &response_key(method)) else {
            // `error_response` (a bad signature, a missing parameter) may carry no `sign`.
            let detail = response_content(&text, "error_response").unwrap_or(&text);
            return Err(err(format!("{method}: {detail}")));
        };
        let whole: Value =
            serde_json::from_str(&text).map_err(|e| err(format!("{method}: {e}")))?;
        let sign = whole
            .get("sign")
            .and_then(Value::as_str)
            .ok_or_else(|| err(format!("{method}: unsigned answer")))?;
        if !self.alipay_key.verify(content.as_bytes(), sign) {
            return Err(err(format!(
                "{method}: the answer's signature does not verify"
            )));
        }
        serde_json::from_str(content).map_err(|e| err(format!("{method}: {e}")))
    }

    fn code(answer: &Value) -> (&str, &str) {
        let field = |k: &str| answer.get(k).and_then(Value::as_str).unwrap_or("");
        (field("code"), field("sub_code"))
    }

    fn fail(method: &str, answer: &Value) -> ProviderError {
        err(format!("{method}: {answer}"))
    }

    /// `alipay.trade.app.pay` signed into the `order_string` the APP SDK takes; no call.
    pub fn create(&self, charge: &Charge) -> Result<Sheet, ProviderError> {
        let biz = json!({
            "out_trade_no": charge.out_trade_no,
            "total_amount": yuan(charge.amount_fen),
            "subject": charge.description,
            "product_code": "QUICK_MSECURITY_PAY",
            "time_expire": timestamp(charge.expires_at),
        });
        let params = self.signed_params("alipay.trade.app.pay", &biz, Some(&charge.notify_url))?;
        let order_string = serde_urlencoded::to_string(&params).map_err(|e| err(e.to_string()))?;
        Ok(Sheet {
            method: Method::Alipay,
            prepay_id: charge.out_trade_no.clone(),
            params: json!({ "order_string": order_string }),
        })
    }

    pub async fn query(&self, out_trade_no: &str) -> Result<TradeState, ProviderError> {
        const M: &str = "alipay.trade.query";
        let answer = self
            .call(M, json!({ "out_trade_no": out_trade_no }))
            .await?;
        match Self::code(&answer) {
            ("10000", _) => {}
            (_, "ACQ.TRADE_NOT_EXIST") => return Ok(TradeState::Unknown),
            _ => return Err(Self::fail(M, &answer)),
        }
        let field = |k: &str| answer.get(k).and_then(Value::as_str).unwrap_or("");
        Ok(match field("trade_status") {
            "WAIT_BUYER_PAY" => TradeState::Pending,
            "TRADE_CLOSED" => TradeState::Closed,
            "TRADE_SUCCESS" | "TRADE_FINISHED" => TradeState::Paid(Paid {
                out_trade_no: field("out_trade_no").to_owned(),
                transaction_id: field("trade_no").to_owned(),
                amount_fen: fen(field("total_amount")).ok_or_else(|| Self::fail(M, &answer))?,
                currency: "CNY".into(),
                app_id: self.config.app_id.clone(),
                merchant_id: self.config.seller_id.clone(),
                paid_at: shanghai_time(field("send_pay_date"))
                    .ok_or_else(|| Self::fail(M, &answer))?,
            }),
            _ => return Err(Self::fail(M, &answer)),
        })
    }

    pub async fn close(&self, out_trade_no: &str) -> Result<(), ProviderError> {
        const M: &str = "alipay.trade.close";
        let answer = self
            .call(M, json!({ "out_trade_no": out_trade_no }))
            .await?;
        match Self::code(&answer) {
            ("10000", _) | (_, "ACQ.TRADE_NOT_EXIST") => Ok(()),
            _ => Err(Self::fail(M, &answer)),
        }
    }

    pub async fn refund(&self, call: &RefundCall) -> Result<RefundState, ProviderError> {
        const M: &str = "alipay.trade.refund";
        let biz = json!({
            "out_trade_no": call.out_trade_no,
            "refund_amount": yuan(call.amount_fen),
            "out_request_no": call.out_refund_no,
            "refund_reason": call.reason,
        });
        let answer = self.call(M, biz).await?;
        let field = |k: &str| answer.get(k).and_then(Value::as_str).unwrap_or("");
        Ok(match Self::code(&answer) {
            ("10000", _) if field("fund_change") == "Y" => RefundState::Succeeded {
                refund_id: refund_id(field("trade_no"), &call.out_refund_no),
                at: shanghai_time(field("gmt_refund_pay")).unwrap_or_else(Utc::now),
            },
            // `fund_change: N`: no money moved this time (a repeated request): ask where it stands.
            ("10000", _) => {
                return self
                    .query_refund(&call.out_trade_no, &call.out_refund_no)
                    .await
            }
            ("40004", sub) => RefundState::Failed {
                reason: format!("{sub}: {}", field("sub_msg")),
            },
            _ => return Err(Self::fail(M, &answer)),
        })
    }

    pub async fn query_refund(
        &self,
        out_trade_no: &str,
        out_refund_no: &str,
    ) -> Result<RefundState, ProviderError> {
        const M: &str = "alipay.trade.fastpay.refund.query";
        let biz = json!({
            "out_trade_no": out_trade_no,
            "out_request_no": out_refund_no,
            "query_options": ["gmt_refund_pay"],
        });
        let answer = self.call(M, biz).await?;
        let field = |k: &str| answer.get(k).and_then(Value::as_str).unwrap_or("");
        Ok(match Self::code(&answer) {
            ("10000", _) if field("refund_status") == "REFUND_SUCCESS" => RefundState::Succeeded {
                refund_id: refund_id(field("trade_no"), out_refund_no),
                at: shanghai_time(field("gmt_refund_pay")).unwrap_or_else(Utc::now),
            },
            // An empty success answer: Alipay has no such refund (or it did not succeed).
            ("10000", _) => RefundState::Failed {
                reason: "no such refund".into(),
            },
            ("40004", sub) => RefundState::Failed {
                reason: format!("{sub}: {}", field("sub_msg")),
            },
            _ => return Err(Self::fail(M, &answer)),
        })
    }

    pub async fn trade_bill(&self, day: NaiveDate) -> Result<Vec<BillLine>, ProviderError> {
        const M: &str = "alipay.data.dataservice.bill.downloadurl.query";
        let answer = self
            .call(
                M,
                json!({ "bill_type": "trade", "bill_date": day.format("%Y-%m-%d").to_string() }),
            )
            .await?;
        if Self::code(&answer).0 != "10000" {
            return Err(Self::fail(M, &answer));
        }
        let url = answer
            .get("bill_download_url")
            .and_then(Value::as_str)
            .ok_or_else(|| Self::fail(M, &answer))?;
        let file = self
            .http
            .get(url)
            .send()
            .await
            .map_err(|e| err(format!("bill download: {e}")))?;
        let bytes = file
            .bytes()
            .await
            .map_err(|e| err(format!("bill download: {e}")))?;
        if bytes.starts_with(b"PK") {
            return Err(err(
                "the bill is a zip archive, which this client does not unpack yet",
            ));
        }
        let text = String::from_utf8(bytes.to_vec()).map_err(|_| err("the bill is not UTF-8"))?;
        parse_bill(&text).map_err(err)
    }

    /// Checks a notification: a form whose `sign` verifies over the other fields (without
    /// `sign` and `sign_type`), from our app, for our seller.
    pub fn verify(&self, body: &[u8], _now: DateTime<Utc>) -> Result<Verified, Refusal> {
        let mut form = BTreeMap::new();
        for (k, v) in form_urlencoded::parse(body) {
            if form.insert(k.into_owned(), v.into_owned()).is_some() {
                return Err(Refusal::Malformed);
            }
        }
        let get = |k: &str| form.get(k).map(String::as_str).filter(|v| !v.is_empty());
        let (sign, notify_id) = (
            get("sign").ok_or(Refusal::Malformed)?,
            get("notify_id").ok_or(Refusal::Malformed)?,
        );
        if !self
            .alipay_key
            .verify(sign_content(&form, &["sign", "sign_type"]).as_bytes(), sign)
        {
            return Err(Refusal::BadSignature);
        }
        if get("app_id") != Some(self.config.app_id.as_str()) {
            return Err(Refusal::WrongApp);
        }
        if get("seller_id") != Some(self.config.seller_id.as_str()) {
            return Err(Refusal::WrongMerchant);
        }
        let out_trade_no = get("out_trade_no").ok_or(Refusal::Malformed)?.to_owned();
        let trade_no = get("trade_no").ok_or(Refusal::Malformed)?;
        let amount = |k: &str| get(k).and_then(fen).ok_or(Refusal::Malformed);
        let notice = if let (Some(out_biz_no), Some(_)) = (get("out_biz_no"), get("refund_fee")) {
            Notice::Refund {
                out_trade_no,
                out_refund_no: out_biz_no.to_owned(),
                refund_id: refund_id(trade_no, out_biz_no),
                amount_fen: amount("refund_fee")?,
                succeeded: true,
            }
        } else {
            match get("trade_status") {
                Some("TRADE_SUCCESS" | "TRADE_FINISHED") => Notice::Payment(Paid {
                    out_trade_no,
                    transaction_id: trade_no.to_owned(),
                    amount_fen: amount("total_amount")?,
                    currency: "CNY".into(),
                    app_id: self.config.app_id.clone(),
                    merchant_id: self.config.seller_id.clone(),
                    paid_at: get("gmt_payment")
                        .and_then(shanghai_time)
                        .ok_or(Refusal::Malformed)?,
                }),
                Some("TRADE_CLOSED") => Notice::PaymentClosed { out_trade_no },
                _ => return Err(Refusal::Malformed),
            }
        };
        Ok(Verified {
            event_key: notify_id.to_owned(),
            notice,
        })
    }
}

/// Alipay has no refund id of its own: ours is the trade number and our request number.
pub fn refund_id(trade_no: &str, out_request_no: &str) -> String {
    format!("{trade_no}/{out_request_no}")
}

/// The columns of the trade bill that `parse_bill` reads.
pub const BILL_COLUMNS: [&str; 6] = [
    "支付宝交易号",
    "商户订单号",
    "业务类型",
    "完成时间",
    "订单金额（元）",
    "退款批次号/请求号",
];

/// The detail CSV of a trade bill: `#` lines are comments, columns found by header name,
/// values trimmed of the padding Alipay adds, refunds (`退款`) as their own lines with the
/// refunded amount (negative in the file, positive here).
pub fn parse_bill(text: &str) -> Result<Vec<BillLine>, String> {
    let mut lines = text
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#'));
    let header: Vec<&str> = lines
        .next()
        .ok_or("empty bill")?
        .trim_start_matches('\u{feff}')
        .split(',')
        .map(str::trim)
        .collect();
    let idx: Vec<usize> = BILL_COLUMNS
        .iter()
        .map(|c| {
            header
                .iter()
                .position(|h| h == c)
                .ok_or_else(|| format!("bill has no column {c}"))
        })
        .collect::<Result<_, _>>()?;
    let mut out = Vec::new();
    for line in lines {
        let fields: Vec<&str> = line.split(',').map(str::trim).collect();
        let field = |i: usize| fields.get(idx[i]).copied().unwrap_or("");
        let refund = match field(2) {
            "交易" => false,
            "退款" => true,
            _ => continue,
        };
        let amount_fen = fen(field(4))
            .ok_or_else(|| format!("bad amount in {line}"))?
            .abs();
        let at = shanghai_time(field(3)).ok_or_else(|| format!("bad time in {line}"))?;
        let out_refund_no = refund.then(|| field(5).to_owned());
        out.push(BillLine {
            transaction_id: field(0).to_owned(),
            out_trade_no: field(1).to_owned(),
            refund_id: out_refund_no.as_deref().map(|no| refund_id(field(0), no)),
            out_refund_no,
            amount_fen,
            at,
        });
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fen_and_yuan_convert_exactly() {
        for (f, y) in [
            (8888, "88.88"),
            (5, "0.05"),
            (100, "1.00"),
            (0, "0.00"),
            (10_000_000_000, "100000000.00"),
            (-150, "-1.50"),
        ] {
            assert_eq!(yuan(f), y);
            assert_eq!(fen(y), Some(f));
        }
        assert_eq!(fen("88.8"), Some(8880));
        assert_eq!(fen("88"), Some(8800));
        assert_eq!(fen(" 0.01 "), Some(1));
        for bad in [
            "88.888",
            "88.",
            ".5",
            "",
            "-",
            "1e3",
            "8,8",
            "+1.00",
            "0.0.1",
            "１.00",
            "99999999999999999",
        ] {
            assert_eq!(fen(bad), None, "{bad}");
        }
    }

    #[test]
    fn the_signed_string_is_sorted_without_sign_and_empty_values() {
        let params: BTreeMap<String, String> = [
            ("method", "alipay.trade.query"),
            ("app_id", "2021"),
            ("sign", "x"),
            ("sign_type", "RSA2"),
            ("notify_url", ""),
            ("biz_content", "{\"a\":\"b c\"}"),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_owned(), v.to_owned()))
        .collect();
        assert_eq!(
            sign_content(&params, &["sign"]),
            "app_id=2021&biz_content={\"a\":\"b c\"}&method=alipay.trade.query&sign_type=RSA2"
        );
        assert_eq!(
            sign_content(&params, &["sign", "sign_type"]),
            "app_id=2021&biz_content={\"a\":\"b c\"}&method=alipay.trade.query"
        );
    }

    #[test]
    fn the_response_content_is_the_exact_text_under_the_method_key() {
        let body = r#"{"alipay_trade_query_response" : {"code":"10000","msg":"a}\"{b","x":{"y":1}},"sign":"S"}"#;
        assert_eq!(
            response_key("alipay.trade.query"),
            "alipay_trade_query_response"
        );
        assert_eq!(
            response_content(body, "alipay_trade_query_response"),
            Some(r#"{"code":"10000","msg":"a}\"{b","x":{"y":1}}"#)
        );
        assert_eq!(response_content(body, "error_response"), None);
        assert_eq!(response_content(r#"{"k":{"a":1"#, "k"), None);
        assert_eq!(response_content(r#"{"k":"v"}"#, "k"), None);
    }

    #[test]
    fn a_trade_bill_parses_comments_payments_and_refunds() {
        let bill = "#支付宝业务明细查询\n#账号：[2088]\n支付宝交易号,商户订单号,业务类型,商品名称,创建时间,完成时间,订单金额（元）,退款批次号/请求号\n\
2026120322001 ,LM1\t,交易,洗衣,2026-12-03 10:00:00,2026-12-03 10:00:00,88.88,\n\
2026120322001,LM1,退款,洗衣,2026-12-03 11:00:00,2026-12-03 11:00:00,-10.00,R1\n#交易合计：1笔\n";
        let lines = parse_bill(bill).unwrap();
        assert_eq!(lines.len(), 2);
        assert_eq!(
            (
                lines[0].transaction_id.as_str(),
                lines[0].out_trade_no.as_str(),
                lines[0].amount_fen
            ),
            ("2026120322001", "LM1", 8888)
        );
        assert_eq!(
            (
                lines[1].amount_fen,
                lines[1].out_refund_no.as_deref(),
                lines[1].refund_id.as_deref()
            ),
            (1000, Some("R1"), Some("2026120322001/R1"))
        );
    }
}
