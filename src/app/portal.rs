//! The merchant portal (`/portal/`): the merchants the signed-in member belongs to, and for each
//! the day's board of orders and bookings, which reloads itself (htmx) whenever the merchant's
//! event stream says something changed; accept, reject and move orders on (with the handoff
//! proof at delivery), confirm, decline and move bookings on; the workers and their weekly
//! schedules; the reviews with the merchant's replies. A member of another merchant gets 404,
//! as from the API, whose handlers every page calls.

use actix_web::{web, HttpRequest, HttpResponse};
use askama::Template;
use chrono::{Duration, Utc};
use serde_json::json;
use uuid::Uuid;

use crate::error::AppError;
use crate::http::{Endpoint, Json, Query};
use crate::state::AppState;
use crate::{booking, merchants, orders, reviews};

use super::site::{checked_form, ok, see_other, Form, Layout, PageResult, PageUser};

/// Mounts the portal's pages.
pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(Endpoint::new("/portal/").get(index))
        .service(Endpoint::new("/portal/{mid}/").get(board_page))
        .service(Endpoint::new("/portal/{mid}/board").get(board_fragment))
        .service(Endpoint::new("/portal/{mid}/events").get(events))
        .service(Endpoint::new("/portal/{mid}/orders/{oid}/{action}").post(order_action))
        .service(Endpoint::new("/portal/{mid}/bookings/{bid}/{action}").post(booking_action))
        .service(Endpoint::new("/portal/{mid}/reviews").get(reviews_page))
        .service(Endpoint::new("/portal/{mid}/reviews/{rid}/reply").post(reply))
        .service(Endpoint::new("/portal/{mid}/workers").get(workers_page));
}

/// A merchant the member belongs to.
pub struct Membership {
    pub id: Uuid,
    pub name: String,
    pub status: String,
}

#[derive(Template)]
#[template(path = "portal/index.html")]
struct IndexPage {
    l: Layout,
    merchants: Vec<Membership>,
}

async fn index(user: PageUser, state: web::Data<AppState>) -> PageResult {
    let list = merchants::routes::my_merchants(user.identity(), state)
        .await?
        .into_inner();
    let merchants = list
        .into_iter()
        .map(|m| Membership {
            id: m.id,
            name: m.display_name,
            status: m
                .application
                .map(|a| a.status.as_str().to_owned())
                .unwrap_or_default(),
        })
        .collect();
    ok(IndexPage {
        l: Layout::for_user("商家工作台", &user),
        merchants,
    }
    .render())
}

/// An action button of a board card.
pub struct Action {
    pub path: String,
    pub label: &'static str,
    /// Asks for a reason (reject, decline).
    pub reason: bool,
    /// Asks for the handoff proof (deliver).
    pub proof: bool,
}

/// One card on the board.
pub struct Card {
    pub id: Uuid,
    pub title: String,
    pub status: String,
    pub status_zh: &'static str,
    pub lines: Vec<String>,
    pub actions: Vec<Action>,
}

fn status_zh(status: &str) -> &'static str {
    match status {
        "placed" => "待接单",
        "accepted" => "已接单",
        "ready" => "待取餐",
        "picked_up" => "配送中",
        "delivered" => "已送达",
        "completed" => "已完成",
        "rejected" => "已拒单",
        "cancelled" => "已取消",
        "failed" => "配送失败",
        "pending_confirmation" => "待确认",
        "confirmed" => "已确认",
        "in_service" => "服务中",
        "declined" => "已拒绝",
        "expired" => "已过期",
        "no_show" => "未到场",
        _ => "其他",
    }
}

fn action(mid: Uuid, what: &str, id: Uuid, act: &str, label: &'static str) -> Action {
    Action {
        path: format!("/portal/{mid}/{what}/{id}/{act}"),
        label,
        reason: matches!(act, "reject" | "decline"),
        proof: act == "deliver",
    }
}

fn yuan(cents: i64) -> String {
    format!("¥{}.{:02}", cents / 100, cents % 100)
}

fn order_card(mid: Uuid, o: orders::OrderResponse) -> Card {
    let status = o.status.as_str().to_owned();
    let acts: &[(&str, &'static str)] = match status.as_str() {
        "placed" => &[("accept", "接单"), ("reject", "拒单")],
        "accepted" => &[("ready", "备餐完成")],
        "ready" => &[("pick-up", "已取餐")],
        "picked_up" => &[("deliver", "确认送达")],
        _ => &[],
    };
    let mut lines = vec![
        format!("合计 {}", yuan(o.amounts.total_cents)),
        format!(
            "{} · {}",
            o.destination.recipient_name, o.destination.address_text
        ),
        format!("下单 {}", o.created_at.format("%H:%M UTC")),
    ];
    if let Some(note) = &o.note {
        lines.push(format!("备注：{note}"));
    }
    Card {
        id: o.id,
        title: format!("订单 {}", &o.id.simple().to_string()[..8]),
        status_zh: status_zh(&status),
        actions: acts
            .iter()
            .map(|(a, label)| action(mid, "orders", o.id, a, label))
            .collect(),
        status,
        lines,
    }
}

fn booking_card(mid: Uuid, b: booking::BookingResponse) -> Card {
    let status = b.status.as_str().to_owned();
    let acts: &[(&str, &'static str)] = match status.as_str() {
        "pending_confirmation" => &[("confirm", "确认预约"), ("decline", "拒绝")],
        "confirmed" => &[("check-in", "开始服务")],
        "in_service" => &[("complete", "服务完成")],
        _ => &[],
    };
    let mut lines = vec![
        format!(
            "{} – {} UTC",
            b.starts_at.format("%m-%d %H:%M"),
            b.ends_at.format("%H:%M")
        ),
        format!("{} · {}", b.service_name, yuan(b.price_cents)),
    ];
    if let Some(worker) = &b.worker_name {
        lines.push(format!("服务人员：{worker}"));
    }
    Card {
        id: b.id,
        title: format!("预约 {}", &b.id.simple().to_string()[..8]),
        status_zh: status_zh(&status),
        actions: acts
            .iter()
            .map(|(a, label)| action(mid, "bookings", b.id, a, label))
            .collect(),
        status,
        lines,
    }
}

#[derive(Template)]
#[template(path = "portal/board.html")]
struct BoardFragment {
    csrf: String,
    orders: Vec<Card>,
    bookings: Vec<Card>,
    at: String,
}

/// Today's board: orders of the last day and those still open, and today's bookings.
async fn board(
    user: &PageUser,
    state: web::Data<AppState>,
    mid: Uuid,
) -> Result<BoardFragment, AppError> {
    let id = user.identity();
    let recent = orders::routes::merchant_orders(
        id,
        state.clone(),
        web::Path::from(mid),
        Query(Form::body(json!({"limit": 100})).map_err(page_to_app)?),
    )
    .await?
    .into_inner();
    let since = Utc::now() - Duration::hours(24);
    let orders = recent
        .items
        .into_iter()
        .filter(|o| o.created_at > since || !o.status.has_ended())
        .map(|o| order_card(mid, o))
        .collect();
    let today = Utc::now()
        .with_timezone(&chrono_tz::Asia::Shanghai)
        .date_naive();
    let bookings = booking::routes::merchant_bookings(
        id,
        state,
        web::Path::from(mid),
        Query(Form::body(json!({"limit": 100, "date": today})).map_err(page_to_app)?),
    )
    .await?
    .into_inner()
    .items
    .into_iter()
    .map(|b| booking_card(mid, b))
    .collect();
    Ok(BoardFragment {
        csrf: user.session.csrf.clone(),
        orders,
        bookings,
        at: Utc::now().format("%H:%M:%S UTC").to_string(),
    })
}

fn page_to_app(e: super::site::PageError) -> AppError {
    match e {
        super::site::PageError::App(e) => e,
        super::site::PageError::SignIn { .. } => AppError::internal("unexpected sign-in redirect"),
    }
}

#[derive(Template)]
#[template(path = "portal/board_page.html")]
struct BoardPage {
    l: Layout,
    mid: Uuid,
    board: BoardFragment,
}

async fn board_page(
    user: PageUser,
    state: web::Data<AppState>,
    path: web::Path<Uuid>,
) -> PageResult {
    let mid = path.into_inner();
    let board = board(&user, state, mid).await?;
    ok(BoardPage {
        l: Layout::for_user("今日看板", &user),
        mid,
        board,
    }
    .render())
}

async fn board_fragment(
    user: PageUser,
    state: web::Data<AppState>,
    path: web::Path<Uuid>,
) -> PageResult {
    let fragment = board(&user, state, path.into_inner()).await?;
    ok(fragment.render())
}

/// The merchant's event stream for the board, through the cookie session.
async fn events(
    user: PageUser,
    state: web::Data<AppState>,
    path: web::Path<Uuid>,
    req: HttpRequest,
) -> Result<HttpResponse, AppError> {
    super::streams::merchant_stream(state, user.session.user_id, path.into_inner(), &req).await
}

async fn order_action(
    user: PageUser,
    state: web::Data<AppState>,
    req: HttpRequest,
    path: web::Path<(Uuid, Uuid, String)>,
    body: web::Bytes,
) -> PageResult {
    let form = checked_form(&req, &user, &body)?;
    let (mid, oid, act) = path.into_inner();
    let proof = form.get("method").map(|method| {
        json!({
            "method": method,
            "drop_point": form.get("drop_point").unwrap_or_default(),
            "pin": form.get("pin"),
        })
    });
    let request: orders::actions::OrderActionRequest =
        Form::body(json!({ "reason": form.get("reason"), "proof": proof }))?;
    let (id, order) = (user.identity(), web::Path::from(oid));
    let body = Json::new(request);
    use orders::actions as a;
    match act.as_str() {
        "accept" => a::accept(id, state, order, body).await?,
        "reject" => a::reject(id, state, order, body).await?,
        "ready" => a::ready(id, state, order, body).await?,
        "pick-up" => a::pick_up(id, state, order, body).await?,
        "deliver" => a::deliver(id, state, order, body).await?,
        _ => return Err(AppError::NotFound.into()),
    };
    see_other(&format!("/portal/{mid}/"))
}

async fn booking_action(
    user: PageUser,
    state: web::Data<AppState>,
    req: HttpRequest,
    path: web::Path<(Uuid, Uuid, String)>,
    body: web::Bytes,
) -> PageResult {
    let form = checked_form(&req, &user, &body)?;
    let (mid, bid, act) = path.into_inner();
    let request: booking::actions::ActionRequest =
        Form::body(json!({ "reason": form.get("reason") }))?;
    let (id, subject) = (user.identity(), web::Path::from(bid));
    let body = Json::new(request);
    use booking::actions as a;
    match act.as_str() {
        "confirm" => a::confirm(id, state, subject, body).await?,
        "decline" => a::decline(id, state, subject, body).await?,
        "check-in" => a::check_in(id, state, subject, body).await?,
        "complete" => a::complete(id, state, subject, body).await?,
        _ => return Err(AppError::NotFound.into()),
    };
    see_other(&format!("/portal/{mid}/"))
}

/// A review as the portal shows it.
pub struct Review {
    pub id: Uuid,
    pub rating: i16,
    pub author: String,
    pub body: String,
    pub reply: Option<String>,
    pub at: String,
}

#[derive(Template)]
#[template(path = "portal/reviews.html")]
struct ReviewsPage {
    l: Layout,
    mid: Uuid,
    reviews: Vec<Review>,
}

/// The merchant's reviews with its replies (members only, like every portal page).
async fn reviews_page(
    user: PageUser,
    state: web::Data<AppState>,
    path: web::Path<Uuid>,
) -> PageResult {
    let mid = path.into_inner();
    require_member(&state, &user, mid).await?;
    let page = reviews::list::list_reviews(
        crate::http::reads::Reads::on_primary(state.clone()),
        web::Path::from(mid),
        Query(Form::body(json!({"limit": 50}))?),
    )
    .await?
    .into_inner();
    let reviews = page
        .items
        .into_iter()
        .map(|r| Review {
            id: r.id,
            rating: r.rating,
            author: r.author_name,
            body: r.body,
            reply: r.reply.map(|x| x.body),
            at: r.created_at.format("%Y-%m-%d").to_string(),
        })
        .collect();
    ok(ReviewsPage {
        l: Layout::for_user("评价与回复", &user),
        mid,
        reviews,
    }
    .render())
}

async fn require_member(state: &AppState, user: &PageUser, mid: Uuid) -> Result<(), AppError> {
    let uid = user.session.user_id;
    crate::db::run(&state.pool, move |conn| {
        merchants::access::role_of(conn, mid, uid)?
            .map(drop)
            .ok_or(AppError::NotFound)
    })
    .await
}

async fn reply(
    user: PageUser,
    state: web::Data<AppState>,
    req: HttpRequest,
    path: web::Path<(Uuid, Uuid)>,
    body: web::Bytes,
) -> PageResult {
    let form = checked_form(&req, &user, &body)?;
    let (mid, rid) = path.into_inner();
    let request: reviews::feedback::ReplyRequest =
        Form::body(json!({ "body": form.get("body").unwrap_or_default() }))?;
    reviews::feedback::reply(
        user.identity(),
        state,
        web::Path::from(rid),
        Json::new(request),
    )
    .await?;
    see_other(&format!("/portal/{mid}/reviews"))
}

/// A worker with their weekly hours.
pub struct Worker {
    pub name: String,
    pub active: bool,
    pub week: Vec<String>,
}

#[derive(Template)]
#[template(path = "portal/workers.html")]
struct WorkersPage {
    l: Layout,
    workers: Vec<Worker>,
}

/// The weekly hours of a schedule as lines (`周一 09:00-18:00`).
fn week_lines(weekly: &merchants::fields::OpeningHours) -> Vec<String> {
    const ZH: [&str; 7] = ["周一", "周二", "周三", "周四", "周五", "周六", "周日"];
    merchants::fields::WEEKDAYS
        .iter()
        .zip(ZH)
        .map(|(key, zh)| {
            let spans = weekly
                .0
                .get(*key)
                .map(|spans| {
                    spans
                        .iter()
                        .map(|[from, to]| format!("{from}-{to}"))
                        .collect::<Vec<_>>()
                        .join("，")
                })
                .filter(|s| !s.is_empty())
                .unwrap_or_else(|| "休息".to_owned());
            format!("{zh} {spans}")
        })
        .collect()
}

async fn workers_page(
    user: PageUser,
    state: web::Data<AppState>,
    path: web::Path<Uuid>,
) -> PageResult {
    let mid = path.into_inner();
    let id = user.identity();
    let list = merchants::team::list_workers(id, state.clone(), web::Path::from(mid))
        .await?
        .into_inner();
    let mut workers = Vec::new();
    for w in list {
        let schedule =
            booking::schedule::get_schedule(id, state.clone(), web::Path::from((mid, w.id)))
                .await?
                .into_inner();
        workers.push(Worker {
            name: w.name,
            active: w.active,
            week: week_lines(&schedule.weekly),
        });
    }
    ok(WorkersPage {
        l: Layout::for_user("服务人员与排班", &user),
        workers,
    }
    .render())
}
