//! Merchants' balance, statements (JSON and CSV) and payout account; operators' commission
//! rates, payout holds, payouts and reconciliations.

use actix_web::{http::StatusCode, web, HttpResponse};
use chrono::{DateTime, NaiveDate, Utc};
use diesel::PgConnection;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

use crate::audit::{self, ActorRole, Entry};
use crate::auth::Identity;
use crate::db;
use crate::error::{AppError, AppResult, FieldError, Problem};
use crate::fields::{Fields, Text};
use crate::http::pagination::{self, Page, TimeCursor};
use crate::http::{Json, Query};
use crate::ledger::{self, rates, MerchantAccount};
use crate::merchants::{self, MemberRole};
use crate::pay::Method;
use crate::state::AppState;

use super::models::{self, Difference, Hold, Payout, PayoutAccount, Reconciliation, Statement};

/// Managers and owners read the money; operators read every merchant's.
fn may_read(conn: &mut PgConnection, id: Identity, merchant_id: Uuid) -> AppResult<()> {
    if id.require_operator().is_ok() {
        return merchants::find(conn, merchant_id)
            .map(drop)
            .map_err(|_| AppError::NotFound);
    }
    merchants::access::require(conn, merchant_id, id.user_id, MemberRole::Manager).map(drop)
}

#[derive(Debug, Serialize, ToSchema)]
pub struct HoldResponse {
    pub reason: String,
    pub held_by: Uuid,
    pub held_at: DateTime<Utc>,
}

impl From<Hold> for HoldResponse {
    fn from(h: Hold) -> Self {
        Self {
            reason: h.reason,
            held_by: h.held_by,
            held_at: h.held_at,
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct PayoutAccountResponse {
    pub method: Method,
    /// The account, masked but for its last four characters.
    pub account: String,
    pub holder_name: String,
    pub updated_at: DateTime<Utc>,
}

impl From<PayoutAccount> for PayoutAccountResponse {
    fn from(a: PayoutAccount) -> Self {
        let n = a.account.chars().count();
        let masked: String = a
            .account
            .chars()
            .enumerate()
            .map(|(i, c)| if i + 4 < n { '*' } else { c })
            .collect();
        Self {
            method: Method::parse(&a.method).unwrap_or(Method::Alipay),
            account: masked,
            holder_name: a.holder_name,
            updated_at: a.updated_at,
        }
    }
}

/// What the platform owes the merchant now.
#[derive(Debug, Serialize, ToSchema)]
pub struct BalanceResponse {
    pub merchant_id: Uuid,
    /// Owed to the merchant: earned and not paid out yet.
    pub payable_cents: i64,
    /// Owed by the merchant: refunds of money already paid out, netted from the next payouts.
    pub receivable_cents: i64,
    /// Paid out and not yet confirmed by the provider.
    pub in_transit_cents: i64,
    pub hold: Option<HoldResponse>,
    pub payout_account: Option<PayoutAccountResponse>,
}

/// The merchant's balance, payout hold and payout account (managers, owners, operators).
#[utoipa::path(get, path = "/api/v1/merchants/{id}/balance", tag = "settlement", operation_id = "get_balance", security(("bearer" = [])),
    params(("id" = Uuid, Path)), responses((status = 200, body = BalanceResponse), (status = 403, body = Problem), (status = 404, body = Problem)))]
pub async fn balance(
    id: Identity,
    state: web::Data<AppState>,
    path: web::Path<Uuid>,
) -> AppResult<web::Json<BalanceResponse>> {
    let merchant_id = path.into_inner();
    let response = db::run(&state.pool, move |conn| {
        may_read(conn, id, merchant_id)?;
        Ok(BalanceResponse {
            merchant_id,
            payable_cents: ledger::balance(conn, merchant_id, MerchantAccount::Payable)?,
            receivable_cents: ledger::balance(conn, merchant_id, MerchantAccount::Receivable)?,
            in_transit_cents: models::in_transit(conn, merchant_id)?,
            hold: models::hold_of(conn, merchant_id)?.map(Into::into),
            payout_account: models::payout_account(conn, merchant_id)?.map(Into::into),
        })
    })
    .await?;
    Ok(web::Json(response))
}

#[derive(Debug, Serialize, ToSchema)]
pub struct PayoutResponse {
    pub id: Uuid,
    pub merchant_id: Uuid,
    pub statement_id: Uuid,
    pub method: Method,
    pub out_biz_no: String,
    pub amount_cents: i64,
    /// `requested`, `succeeded` or `failed` (the amount went back to the payable).
    pub status: String,
    pub transfer_id: Option<String>,
    pub failure: Option<String>,
    pub created_at: DateTime<Utc>,
    pub ended_at: Option<DateTime<Utc>>,
}

impl From<Payout> for PayoutResponse {
    fn from(p: Payout) -> Self {
        Self {
            id: p.id,
            merchant_id: p.merchant_id,
            statement_id: p.statement_id,
            method: Method::parse(&p.method).unwrap_or(Method::Alipay),
            out_biz_no: p.out_biz_no,
            amount_cents: p.amount_cents,
            status: p.status,
            transfer_id: p.transfer_id,
            failure: p.failure,
            created_at: p.created_at,
            ended_at: p.ended_at,
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct StatementLineResponse {
    /// `order` or `booking`.
    pub subject_kind: String,
    pub subject_id: Uuid,
    /// Released to the merchant when it finished (what was paid, less refunds before then).
    pub gross_cents: i64,
    /// The platform's commission, less what refunds gave back.
    pub commission_cents: i64,
    /// Refunds after it finished, charged to the merchant.
    pub refunds_cents: i64,
    /// `gross - commission - refunds`.
    pub net_cents: i64,
}

/// One merchant's day (Asia/Shanghai).
#[derive(Debug, Serialize, ToSchema)]
pub struct StatementResponse {
    pub id: Uuid,
    pub merchant_id: Uuid,
    pub day: NaiveDate,
    pub gross_cents: i64,
    pub commission_cents: i64,
    pub refunds_cents: i64,
    pub net_cents: i64,
    /// What the merchant was owed when the statement was made.
    pub payable_cents: i64,
    /// Paid out with this statement: the payable at the cut-off.
    pub payout_cents: i64,
    /// Why nothing was paid out: `held`, `no payout account`, `nothing to pay`.
    pub not_paid_reason: Option<String>,
    pub payout: Option<PayoutResponse>,
    /// In the statement's own page only.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub lines: Option<Vec<StatementLineResponse>>,
    pub created_at: DateTime<Utc>,
}

fn statement_response(
    conn: &mut PgConnection,
    s: Statement,
    with_lines: bool,
) -> AppResult<StatementResponse> {
    let lines = if with_lines {
        Some(
            models::lines_of(conn, s.id)?
                .into_iter()
                .map(|l| StatementLineResponse {
                    subject_kind: l.subject_kind,
                    subject_id: l.subject_id,
                    gross_cents: l.gross_cents,
                    commission_cents: l.commission_cents,
                    refunds_cents: l.refunds_cents,
                    net_cents: l.net_cents,
                })
                .collect(),
        )
    } else {
        None
    };
    Ok(StatementResponse {
        payout: models::payout_of_statement(conn, s.id)?.map(Into::into),
        id: s.id,
        merchant_id: s.merchant_id,
        day: s.day,
        gross_cents: s.gross_cents,
        commission_cents: s.commission_cents,
        refunds_cents: s.refunds_cents,
        net_cents: s.net_cents,
        payable_cents: s.payable_cents,
        payout_cents: s.payout_cents,
        not_paid_reason: s.not_paid_reason,
        lines,
        created_at: s.created_at,
    })
}

/// The merchant's statements, newest day first (managers, owners, operators).
#[utoipa::path(get, path = "/api/v1/merchants/{id}/statements", tag = "settlement", operation_id = "list_statements", security(("bearer" = [])),
    params(("id" = Uuid, Path), pagination::PageParams),
    responses((status = 200, body = Page<StatementResponse>), (status = 403, body = Problem), (status = 404, body = Problem), (status = 422, body = Problem)))]
pub async fn list_statements(
    id: Identity,
    state: web::Data<AppState>,
    path: web::Path<Uuid>,
    q: Query<pagination::PageParams>,
) -> AppResult<web::Json<Page<StatementResponse>>> {
    let merchant_id = path.into_inner();
    let limit = q.limit()?;
    let before: Option<NaiveDate> = q.cursor()?;
    let page = db::run(&state.pool, move |conn| {
        may_read(conn, id, merchant_id)?;
        let rows = models::statements_of(conn, merchant_id, before, limit + 1)?;
        Page::from_rows(rows, limit, |s| s.day).try_map_all(|rows| {
            rows.into_iter()
                .map(|s| statement_response(conn, s, false))
                .collect()
        })
    })
    .await?;
    Ok(web::Json(page))
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct StatementQuery {
    /// `json` (the default) or `csv` (a download, one row per line, amounts in fen).
    pub format: Option<String>,
}

/// One statement with its lines, as JSON or as a CSV download (managers, owners, operators).
#[utoipa::path(get, path = "/api/v1/merchants/{id}/statements/{day}", tag = "settlement", operation_id = "get_statement", security(("bearer" = [])),
    params(("id" = Uuid, Path), ("day" = NaiveDate, Path, description = "YYYY-MM-DD, Asia/Shanghai"), StatementQuery),
    responses((status = 200, content((StatementResponse = "application/json"), (String = "text/csv"))),
        (status = 403, body = Problem), (status = 404, body = Problem), (status = 422, body = Problem)))]
pub async fn get_statement(
    id: Identity,
    state: web::Data<AppState>,
    path: web::Path<(Uuid, String)>,
    q: Query<StatementQuery>,
) -> AppResult<HttpResponse> {
    let (merchant_id, day) = path.into_inner();
    let day = NaiveDate::parse_from_str(&day, "%Y-%m-%d")
        .map_err(|_| AppError::from(FieldError::new("day", "must be a date, YYYY-MM-DD")))?;
    let csv = match q.format.as_deref() {
        None | Some("json") => false,
        Some("csv") => true,
        Some(_) => {
            return Err(AppError::from(FieldError::new(
                "format",
                "must be json or csv",
            )))
        }
    };
    let statement = db::run(&state.pool, move |conn| {
        may_read(conn, id, merchant_id)?;
        let s = models::statement_of(conn, merchant_id, day)?.ok_or(AppError::NotFound)?;
        statement_response(conn, s, true)
    })
    .await?;
    if !csv {
        return Ok(HttpResponse::Ok().json(statement));
    }
    Ok(HttpResponse::Ok()
        .content_type("text/csv; charset=utf-8")
        .insert_header((
            "Content-Disposition",
            format!("attachment; filename=\"statement-{day}.csv\""),
        ))
        .body(statement_csv(&statement)))
}

/// The statement as CSV: a BOM (so spreadsheet programs read UTF-8), a header, one row per
/// line, a total row.
pub fn statement_csv(s: &StatementResponse) -> String {
    let mut out = String::from(
        "\u{feff}day,subject_kind,subject_id,gross_cents,commission_cents,refunds_cents,net_cents\n",
    );
    for l in s.lines.iter().flatten() {
        out.push_str(&format!(
            "{},{},{},{},{},{},{}\n",
            s.day,
            l.subject_kind,
            l.subject_id,
            l.gross_cents,
            l.commission_cents,
            l.refunds_cents,
            l.net_cents
        ));
    }
    out.push_str(&format!(
        "{},total,,{},{},{},{}\n",
        s.day, s.gross_cents, s.commission_cents, s.refunds_cents, s.net_cents
    ));
    out
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PayoutAccountRequest {
    pub method: Method,
    /// Alipay: the logon id (an email or an 11-digit mobile number); WeChat: the openid.
    #[schema(min_length = 3, max_length = 100)]
    pub account: String,
    /// The account holder's legal name, which the provider checks.
    #[schema(schema_with = Text::<2, 100>::schema)]
    pub holder_name: String,
}

fn check_account(method: Method, account: &str) -> Result<String, FieldError> {
    let account = account.trim();
    let ok = match method {
        Method::Alipay => {
            let phone = account.len() == 11
                && account.starts_with('1')
                && account.bytes().all(|b| b.is_ascii_digit());
            let email = account.len() <= 100
                && account.split_once('@').is_some_and(|(user, host)| {
                    !user.is_empty() && host.contains('.') && !host.contains('@')
                });
            phone || email
        }
        Method::Wechat => {
            (10..=64).contains(&account.len())
                && account
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
        }
    };
    if ok {
        Ok(account.to_owned())
    } else {
        Err(FieldError::new(
            "account",
            match method {
                Method::Alipay => "must be an email address or an 11-digit mobile number",
                Method::Wechat => "must be an openid: 10 to 64 of A-Z a-z 0-9 _ -",
            },
        ))
    }
}

/// Sets where the merchant's payouts go (owner only; in the audit log).
#[utoipa::path(put, path = "/api/v1/merchants/{id}/payout-account", tag = "settlement", operation_id = "put_payout_account", security(("bearer" = [])),
    params(("id" = Uuid, Path)), request_body = PayoutAccountRequest,
    responses((status = 200, body = PayoutAccountResponse), (status = 403, body = Problem), (status = 404, body = Problem), (status = 422, body = Problem)))]
pub async fn put_payout_account(
    id: Identity,
    state: web::Data<AppState>,
    path: web::Path<Uuid>,
    body: Json<PayoutAccountRequest>,
) -> AppResult<web::Json<PayoutAccountResponse>> {
    let merchant_id = path.into_inner();
    let req = body.into_inner();
    let mut f = Fields::default();
    let account = f.check(check_account(req.method, &req.account));
    let holder = f.check(crate::fields::text("holder_name", &req.holder_name, 2, 100));
    if !state.pay.enabled(req.method) {
        f.check::<()>(Err(FieldError::new(
            "method",
            "this provider is not enabled here",
        )));
    }
    f.finish()?;
    let saved = db::tx(&state.pool, move |conn| {
        merchants::access::require(conn, merchant_id, id.user_id, MemberRole::Owner)?;
        let before = models::payout_account(conn, merchant_id)?;
        let account = PayoutAccount {
            merchant_id,
            method: req.method.as_str().to_owned(),
            account: account.unwrap_or_default(),
            holder_name: holder.unwrap_or_default(),
            updated_by: id.user_id,
            updated_at: Utc::now(),
        };
        models::put_payout_account(conn, &account)?;
        let shown = |a: &PayoutAccount| serde_json::json!(PayoutAccountResponse::from(a.clone()));
        audit::record(
            conn,
            Entry {
                actor_id: Some(id.user_id),
                actor_role: ActorRole::Member,
                action: "merchant.payout_account",
                subject_type: "merchant",
                subject_id: merchant_id,
                before: before.as_ref().map(shown),
                after: Some(shown(&account)),
                reason: None,
            },
        )?;
        Ok(account)
    })
    .await?;
    Ok(web::Json(saved.into()))
}

#[derive(Debug, Serialize, ToSchema)]
pub struct RateResponse {
    pub category: String,
    /// Basis points: 800 is 8 %.
    pub rate_bp: i32,
    pub updated_by: Option<Uuid>,
    pub updated_at: DateTime<Utc>,
}

impl From<rates::Rate> for RateResponse {
    fn from(r: rates::Rate) -> Self {
        Self {
            category: r.category,
            rate_bp: r.rate_bp,
            updated_by: r.updated_by,
            updated_at: r.updated_at,
        }
    }
}

/// The commission rate of each category (operators).
#[utoipa::path(get, path = "/api/v1/admin/commission-rates", tag = "settlement", operation_id = "list_commission_rates", security(("bearer" = [])),
    responses((status = 200, body = Vec<RateResponse>), (status = 403, body = Problem)))]
pub async fn list_rates(
    id: Identity,
    state: web::Data<AppState>,
) -> AppResult<web::Json<Vec<RateResponse>>> {
    id.require_operator()?;
    let all = db::run(&state.pool, move |conn| Ok(rates::all(conn)?)).await?;
    Ok(web::Json(all.into_iter().map(Into::into).collect()))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RateRequest {
    #[schema(minimum = 0, maximum = 5000)]
    pub rate_bp: i32,
    #[schema(schema_with = Text::<2, 500>::schema)]
    pub reason: String,
}

/// Sets a category's commission rate (operators; in the audit log). It applies to what
/// finishes from now on.
#[utoipa::path(put, path = "/api/v1/admin/commission-rates/{category}", tag = "settlement", operation_id = "put_commission_rate", security(("bearer" = [])),
    params(("category" = String, Path)), request_body = RateRequest,
    responses((status = 200, body = RateResponse), (status = 403, body = Problem), (status = 404, body = Problem), (status = 422, body = Problem)))]
pub async fn put_rate(
    id: Identity,
    state: web::Data<AppState>,
    path: web::Path<String>,
    body: Json<RateRequest>,
) -> AppResult<web::Json<RateResponse>> {
    id.require_operator()?;
    let category = path.into_inner();
    let req = body.into_inner();
    let mut f = Fields::default();
    if !(0..=rates::MAX_BP).contains(&req.rate_bp) {
        f.check::<()>(Err(FieldError::new(
            "rate_bp",
            format!("must be 0 to {}", rates::MAX_BP),
        )));
    }
    let reason = f.check(crate::fields::text("reason", &req.reason, 2, 500));
    f.finish()?;
    let reason = reason.unwrap_or_default();
    let saved = db::tx(&state.pool, move |conn| {
        let before = rates::find_for_update(conn, &category)?.ok_or(AppError::NotFound)?;
        let saved = rates::set(conn, &category, req.rate_bp, id.user_id)?;
        audit::record(
            conn,
            Entry {
                actor_id: Some(id.user_id),
                actor_role: ActorRole::Operator,
                action: "commission.set",
                subject_type: "category",
                subject_id: Uuid::nil(),
                before: Some(serde_json::json!({"category": category, "rate_bp": before.rate_bp})),
                after: Some(serde_json::json!({"category": category, "rate_bp": saved.rate_bp})),
                reason: Some(&reason),
            },
        )?;
        Ok(saved)
    })
    .await?;
    Ok(web::Json(saved.into()))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ReasonRequest {
    #[schema(schema_with = Text::<2, 500>::schema)]
    pub reason: String,
}

fn reason_of(req: ReasonRequest) -> AppResult<String> {
    let mut f = Fields::default();
    let reason = f.check(crate::fields::text("reason", &req.reason, 2, 500));
    f.finish()?;
    Ok(reason.unwrap_or_default())
}

/// Holds the merchant's payouts: statements are still made, nothing is paid out until the hold
/// is released (operators; in the audit log). Holding a held merchant answers the hold.
#[utoipa::path(post, path = "/api/v1/admin/merchants/{id}/payout-hold", tag = "settlement", operation_id = "hold_payouts", security(("bearer" = [])),
    params(("id" = Uuid, Path)), request_body = ReasonRequest,
    responses((status = 201, body = HoldResponse), (status = 200, body = HoldResponse, description = "already held"),
        (status = 403, body = Problem), (status = 404, body = Problem), (status = 422, body = Problem)))]
pub async fn hold(
    id: Identity,
    state: web::Data<AppState>,
    path: web::Path<Uuid>,
    body: Json<ReasonRequest>,
) -> AppResult<(web::Json<HoldResponse>, StatusCode)> {
    id.require_operator()?;
    let merchant_id = path.into_inner();
    let reason = reason_of(body.into_inner())?;
    let (held, created) = db::tx(&state.pool, move |conn| {
        merchants::find(conn, merchant_id).map_err(|_| AppError::NotFound)?;
        let h = Hold {
            merchant_id,
            reason: reason.clone(),
            held_by: id.user_id,
            held_at: Utc::now(),
        };
        if !models::hold(conn, &h)? {
            let existing = models::hold_of(conn, merchant_id)?.ok_or(AppError::NotFound)?;
            return Ok((existing, false));
        }
        audit::record(
            conn,
            Entry {
                actor_id: Some(id.user_id),
                actor_role: ActorRole::Operator,
                action: "merchant.hold_payouts",
                subject_type: "merchant",
                subject_id: merchant_id,
                before: Some(serde_json::json!({"payouts_held": false})),
                after: Some(serde_json::json!({"payouts_held": true})),
                reason: Some(&reason),
            },
        )?;
        Ok((h, true))
    })
    .await?;
    let status = if created {
        StatusCode::CREATED
    } else {
        StatusCode::OK
    };
    Ok((web::Json(held.into()), status))
}

/// Releases the hold on the merchant's payouts: the next settlement pays what is owed
/// (operators; in the audit log). 404 when they are not held.
#[utoipa::path(post, path = "/api/v1/admin/merchants/{id}/payout-hold/release", tag = "settlement", operation_id = "release_payouts", security(("bearer" = [])),
    params(("id" = Uuid, Path)), request_body = ReasonRequest,
    responses((status = 204), (status = 403, body = Problem), (status = 404, body = Problem), (status = 422, body = Problem)))]
pub async fn release(
    id: Identity,
    state: web::Data<AppState>,
    path: web::Path<Uuid>,
    body: Json<ReasonRequest>,
) -> AppResult<HttpResponse> {
    id.require_operator()?;
    let merchant_id = path.into_inner();
    let reason = reason_of(body.into_inner())?;
    db::tx(&state.pool, move |conn| {
        let released = models::unhold(conn, merchant_id)?.ok_or(AppError::NotFound)?;
        audit::record(
            conn,
            Entry {
                actor_id: Some(id.user_id),
                actor_role: ActorRole::Operator,
                action: "merchant.release_payouts",
                subject_type: "merchant",
                subject_id: merchant_id,
                before: Some(serde_json::json!({"payouts_held": true, "reason": released.reason})),
                after: Some(serde_json::json!({"payouts_held": false})),
                reason: Some(&reason),
            },
        )?;
        Ok(())
    })
    .await?;
    Ok(HttpResponse::NoContent().finish())
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct PayoutsQuery {
    /// `requested`, `succeeded` or `failed`.
    pub status: Option<String>,
    pub merchant_id: Option<Uuid>,
    pub limit: Option<i64>,
    pub cursor: Option<String>,
}

/// Payouts, newest first (operators).
#[utoipa::path(get, path = "/api/v1/admin/payouts", tag = "settlement", operation_id = "list_payouts", security(("bearer" = [])),
    params(PayoutsQuery),
    responses((status = 200, body = Page<PayoutResponse>), (status = 403, body = Problem), (status = 422, body = Problem)))]
pub async fn list_payouts(
    id: Identity,
    state: web::Data<AppState>,
    q: Query<PayoutsQuery>,
) -> AppResult<web::Json<Page<PayoutResponse>>> {
    id.require_operator()?;
    let q = q.into_inner();
    if q.status
        .as_deref()
        .is_some_and(|s| !["requested", "succeeded", "failed"].contains(&s))
    {
        return Err(AppError::from(FieldError::new(
            "status",
            "must be requested, succeeded or failed",
        )));
    }
    let (limit, after) = pagination::parse::<TimeCursor>(q.limit, q.cursor)?;
    let page = db::run(&state.pool, move |conn| {
        let rows = models::payouts(conn, q.status.as_deref(), q.merchant_id, after, limit + 1)?;
        Ok(Page::from_rows(rows, limit, |p| (p.created_at, p.id)).map(Into::into))
    })
    .await?;
    Ok(web::Json(page))
}

#[derive(Debug, Serialize, ToSchema)]
pub struct DifferenceResponse {
    /// `missing_in_bill`, `missing_in_ledger` or `amount_differs`.
    pub kind: String,
    /// `payment` or `refund`.
    pub line_kind: String,
    /// The provider's transaction id (payments) or refund id (refunds).
    pub reference: String,
    pub out_trade_no: Option<String>,
    pub bill_cents: Option<i64>,
    pub ledger_cents: Option<i64>,
}

impl From<Difference> for DifferenceResponse {
    fn from(d: Difference) -> Self {
        Self {
            kind: d.kind,
            line_kind: d.line_kind,
            reference: d.reference,
            out_trade_no: d.out_trade_no,
            bill_cents: d.bill_cents,
            ledger_cents: d.ledger_cents,
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ReconciliationResponse {
    pub id: Uuid,
    pub method: Method,
    pub day: NaiveDate,
    pub bill_lines: i32,
    pub ledger_lines: i32,
    pub matched: i32,
    pub difference_count: usize,
    /// In the reconciliation's own page only.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub differences: Option<Vec<DifferenceResponse>>,
    pub created_at: DateTime<Utc>,
}

fn reconciliation_response(
    conn: &mut PgConnection,
    r: Reconciliation,
    with_differences: bool,
) -> AppResult<ReconciliationResponse> {
    let differences = models::differences_of(conn, r.id)?;
    Ok(ReconciliationResponse {
        id: r.id,
        method: Method::parse(&r.method).unwrap_or(Method::Alipay),
        day: r.day,
        bill_lines: r.bill_lines,
        ledger_lines: r.ledger_lines,
        matched: r.matched,
        difference_count: differences.len(),
        differences: with_differences.then(|| differences.into_iter().map(Into::into).collect()),
        created_at: r.created_at,
    })
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct ReconciliationsQuery {
    /// YYYY-MM-DD (Asia/Shanghai).
    pub day: Option<NaiveDate>,
    pub method: Option<Method>,
    pub limit: Option<i64>,
    pub cursor: Option<String>,
}

/// The reconciliations of the providers' trade bills, newest first (operators).
#[utoipa::path(get, path = "/api/v1/admin/reconciliations", tag = "settlement", operation_id = "list_reconciliations", security(("bearer" = [])),
    params(ReconciliationsQuery),
    responses((status = 200, body = Page<ReconciliationResponse>), (status = 403, body = Problem), (status = 422, body = Problem)))]
pub async fn list_reconciliations(
    id: Identity,
    state: web::Data<AppState>,
    q: Query<ReconciliationsQuery>,
) -> AppResult<web::Json<Page<ReconciliationResponse>>> {
    id.require_operator()?;
    let q = q.into_inner();
    let (limit, after) = pagination::parse::<TimeCursor>(q.limit, q.cursor)?;
    let page = db::run(&state.pool, move |conn| {
        let method = q.method.map(|m| m.as_str());
        let rows = models::reconciliations(conn, q.day, method, after, limit + 1)?;
        Page::from_rows(rows, limit, |r| (r.created_at, r.id)).try_map_all(|rows| {
            rows.into_iter()
                .map(|r| reconciliation_response(conn, r, false))
                .collect()
        })
    })
    .await?;
    Ok(web::Json(page))
}

/// One reconciliation with what it found (operators).
#[utoipa::path(get, path = "/api/v1/admin/reconciliations/{id}", tag = "settlement", operation_id = "get_reconciliation", security(("bearer" = [])),
    params(("id" = Uuid, Path)),
    responses((status = 200, body = ReconciliationResponse), (status = 403, body = Problem), (status = 404, body = Problem)))]
pub async fn get_reconciliation(
    id: Identity,
    state: web::Data<AppState>,
    path: web::Path<Uuid>,
) -> AppResult<web::Json<ReconciliationResponse>> {
    id.require_operator()?;
    let rid = path.into_inner();
    let response = db::run(&state.pool, move |conn| {
        let r = models::reconciliation(conn, rid)?.ok_or(AppError::NotFound)?;
        reconciliation_response(conn, r, true)
    })
    .await?;
    Ok(web::Json(response))
}
