//! The daily trade bills the sandbox serves, in each provider's layout: payments dated by
//! their payment time, refunds by their refund time, days in Asia/Shanghai. A payment line
//! shows `Trade::billed_fen` (what `/sandbox/bill-amount` set, else what was paid).

use chrono::{DateTime, NaiveDate, Utc};

use super::state::{Shared, Status};
use crate::pay::alipay::yuan;
use crate::pay::{format_shanghai, Method};

fn on(day: NaiveDate, at: DateTime<Utc>) -> bool {
    at.with_timezone(&chrono_tz::Asia::Shanghai).date_naive() == day
}

/// A field without the separators the layouts use.
fn clean(text: &str) -> String {
    text.replace([',', '`', '\n', '\r'], " ")
}

const WECHAT_HEADER: &str = "交易时间,公众账号ID,商户号,特约商户号,设备号,微信订单号,商户订单号,用户标识,交易类型,交易状态,付款银行,货币种类,应结订单金额,代金券金额,微信退款单号,商户退款单号,退款金额,充值券退款金额,退款类型,退款状态,商品名称,商户数据包,手续费,费率,订单金额,申请退款金额,费率备注";

/// WeChat's trade bill: header, backtick-prefixed detail rows, summary header and row.
pub fn wechat(shared: &Shared, day: NaiveDate) -> String {
    let state = shared.state();
    let ids = &shared.config.wechat;
    let row = |fields: Vec<String>| {
        fields
            .iter()
            .map(|f| format!("`{f}"))
            .collect::<Vec<_>>()
            .join(",")
    };
    let mut rows = Vec::new();
    let (mut paid, mut refunded) = (0, 0);
    for t in state
        .trades
        .values()
        .filter(|t| t.method == Method::Wechat && t.status == Status::Paid)
    {
        let Some(at) = t.paid_at.filter(|at| on(day, *at)) else {
            continue;
        };
        // What the provider booked, which `/sandbox/bill-amount` can make differ from the trade.
        let billed = t.billed_fen();
        paid += billed;
        rows.push((
            at,
            row(vec![
                format_shanghai(at),
                ids.appid.clone(),
                ids.mchid.clone(),
                "0".into(),
                String::new(),
                t.transaction_id.clone(),
                t.out_trade_no.clone(),
                "oUpF8uMuAJO_M2pxb1Q9zNjWeS6o".into(),
                "APP".into(),
                "SUCCESS".into(),
                "OTHERS".into(),
                "CNY".into(),
                yuan(billed),
                "0.00".into(),
                "0".into(),
                "0".into(),
                "0.00".into(),
                "0.00".into(),
                String::new(),
                String::new(),
                clean(&t.description),
                String::new(),
                "0.00".into(),
                "0.60%".into(),
                yuan(billed),
                "0.00".into(),
                String::new(),
            ]),
        ));
    }
    for r in state.refunds_of(Method::Wechat) {
        let Some(t) = state.trades.get(&(Method::Wechat, r.out_trade_no.clone())) else {
            continue;
        };
        if !on(day, r.created_at) {
            continue;
        }
        refunded += r.amount_fen;
        rows.push((
            r.created_at,
            row(vec![
                format_shanghai(r.created_at),
                ids.appid.clone(),
                ids.mchid.clone(),
                "0".into(),
                String::new(),
                t.transaction_id.clone(),
                t.out_trade_no.clone(),
                "oUpF8uMuAJO_M2pxb1Q9zNjWeS6o".into(),
                "APP".into(),
                "REFUND".into(),
                "OTHERS".into(),
                "CNY".into(),
                "0.00".into(),
                "0.00".into(),
                r.refund_id.clone(),
                r.out_refund_no.clone(),
                yuan(r.amount_fen),
                "0.00".into(),
                "ORIGINAL".into(),
                r.status.into(),
                clean(&t.description),
                String::new(),
                "0.00".into(),
                "0.60%".into(),
                "0.00".into(),
                yuan(r.amount_fen),
                String::new(),
            ]),
        ));
    }
    rows.sort();
    let mut out = format!("{WECHAT_HEADER}\n");
    for (_, line) in &rows {
        out.push_str(line);
        out.push('\n');
    }
    out.push_str("总交易单数,应结订单总金额,退款总金额,充值券退款总金额,手续费总金额,订单总金额,申请退款总金额\n");
    out.push_str(&row(vec![
        rows.len().to_string(),
        yuan(paid),
        yuan(refunded),
        "0.00".into(),
        "0.00".into(),
        yuan(paid),
        yuan(refunded),
    ]));
    out.push('\n');
    out
}

const ALIPAY_HEADER: &str = "支付宝交易号,商户订单号,业务类型,商品名称,创建时间,完成时间,门店编号,门店名称,操作员,终端号,对方账户,订单金额（元）,商家实收（元）,支付宝红包（元）,集分宝（元）,支付宝优惠（元）,商家优惠（元）,券核销金额（元）,券名称,商家红包消费金额（元）,卡消费金额（元）,退款批次号/请求号,服务费（元）,分润（元）,备注";

/// Alipay's trade bill detail (the real one is a zip of this and a summary, in GBK; the sandbox
/// serves the detail CSV as UTF-8).
pub fn alipay(shared: &Shared, day: NaiveDate) -> String {
    let state = shared.state();
    let line = |tx: &str,
                no: &str,
                kind: &str,
                subject: &str,
                at: DateTime<Utc>,
                amount: i64,
                request: &str| {
        let at = format_shanghai(at);
        let amount = yuan(amount);
        format!("{tx},{no},{kind},{subject},{at},{at},,,,,159****5620,{amount},{amount},0.00,0.00,0.00,0.00,0.00,,0.00,0.00,{request},0.00,0.00,")
    };
    let mut rows = Vec::new();
    for t in state
        .trades
        .values()
        .filter(|t| t.method == Method::Alipay && t.status == Status::Paid)
    {
        let Some(at) = t.paid_at.filter(|at| on(day, *at)) else {
            continue;
        };
        rows.push((
            at,
            line(
                &t.transaction_id,
                &t.out_trade_no,
                "交易",
                &clean(&t.description),
                at,
                t.billed_fen(),
                "",
            ),
        ));
    }
    for r in state
        .refunds_of(Method::Alipay)
        .filter(|r| on(day, r.created_at))
    {
        let Some(t) = state.trades.get(&(Method::Alipay, r.out_trade_no.clone())) else {
            continue;
        };
        rows.push((
            r.created_at,
            line(
                &t.transaction_id,
                &t.out_trade_no,
                "退款",
                &clean(&t.description),
                r.created_at,
                -r.amount_fen,
                &r.out_refund_no,
            ),
        ));
    }
    rows.sort();
    let (trades, refunds) = (
        rows.iter().filter(|(_, l)| l.contains(",交易,")).count(),
        rows.iter().filter(|(_, l)| l.contains(",退款,")).count(),
    );
    let mut out = format!(
        "#支付宝业务明细查询\n#账号：[{}]\n#起始日期：[{day} 00:00:00]   终止日期：[{day} 23:59:59]\n#-----------------------------------------业务明细列表----------------------------------------\n{ALIPAY_HEADER}\n",
        shared.config.alipay.seller_id
    );
    for (_, l) in &rows {
        out.push_str(l);
        out.push('\n');
    }
    out.push_str(&format!(
        "#-----------------------------------------业务明细列表结束------------------------------------\n#交易合计：{trades}笔，退款合计：{refunds}笔\n#导出时间：[{}]\n",
        format_shanghai(Utc::now())
    ));
    out
}
