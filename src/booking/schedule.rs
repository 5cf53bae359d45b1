//! Worker schedules and the merchant's booking settings.

use actix_web::web;
use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

use crate::auth::Identity;
use crate::db;
use crate::error::{AppError, AppResult, FieldError, Problem};
use crate::fields::Fields;
use crate::http::Json;
use crate::merchants::fields::{minutes_of, OpeningHours};
use crate::merchants::{self, access, MemberRole};
use crate::state::AppState;

use super::models::{self, ExceptionRow, Settings};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ExceptionKind {
    /// Not working (the whole day without `start`/`end`).
    Off,
    /// Working outside the weekly hours.
    Extra,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ScheduleException {
    /// A day in the merchant's time zone.
    pub date: NaiveDate,
    pub kind: ExceptionKind,
    #[schema(example = "12:00")]
    pub start: Option<String>,
    #[schema(example = "14:00")]
    pub end: Option<String>,
}

/// A worker's weekly hours (local time) and exceptions.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Schedule {
    pub weekly: OpeningHours,
    #[serde(default)]
    pub exceptions: Vec<ScheduleException>,
}

fn parse_exceptions(
    worker_id: Uuid,
    list: &[ScheduleException],
) -> Result<Vec<ExceptionRow>, Vec<FieldError>> {
    let mut f = Fields::default();
    let mut rows = Vec::new();
    if list.len() > 366 {
        f.check::<()>(Err(FieldError::new("exceptions", "at most 366 exceptions")));
    }
    for (i, ex) in list.iter().enumerate() {
        let at = |m: &str| Err::<(), _>(FieldError::new(format!("exceptions[{i}]"), m));
        let minutes = match (&ex.start, &ex.end) {
            (None, None) => None,
            (Some(a), Some(b)) => match (minutes_of(a), minutes_of(b)) {
                (Some(a), Some(b)) if a < b => Some((a, b)),
                _ => {
                    f.check(at("start and end must be HH:MM with start before end"));
                    continue;
                }
            },
            _ => {
                f.check(at("give both start and end, or neither"));
                continue;
            }
        };
        if ex.kind == ExceptionKind::Extra && minutes.is_none() {
            f.check(at("extra hours need start and end"));
            continue;
        }
        let minute = |m: u32| i32::try_from(m).unwrap_or(0);
        rows.push(ExceptionRow {
            id: Uuid::now_v7(),
            worker_id,
            on_date: ex.date,
            kind: if ex.kind == ExceptionKind::Off {
                "off"
            } else {
                "extra"
            }
            .to_owned(),
            start_minute: minutes.map(|m| minute(m.0)),
            end_minute: minutes.map(|m| minute(m.1)),
        });
    }
    f.finish().map(|()| rows)
}

fn load_schedule(conn: &mut diesel::PgConnection, worker_id: Uuid) -> AppResult<Schedule> {
    let weekly = serde_json::from_value(models::weekly(conn, worker_id)?).unwrap_or_default();
    let hhmm = |m: i32| format!("{:02}:{:02}", m / 60, m % 60);
    let exceptions = models::exceptions(conn, &[worker_id], None)?
        .into_iter()
        .map(|r| ScheduleException {
            date: r.on_date,
            kind: if r.kind == "off" {
                ExceptionKind::Off
            } else {
                ExceptionKind::Extra
            },
            start: r.start_minute.map(hhmm),
            end: r.end_minute.map(hhmm),
        })
        .collect();
    Ok(Schedule { weekly, exceptions })
}

/// A worker's schedule (any member).
#[utoipa::path(get, path = "/api/v1/merchants/{id}/workers/{worker_id}/schedule", tag = "booking",
    security(("bearer" = [])), params(("id" = Uuid, Path), ("worker_id" = Uuid, Path)),
    responses((status = 200, body = Schedule), (status = 404, body = Problem)))]
pub async fn get_schedule(
    id: Identity,
    state: web::Data<AppState>,
    path: web::Path<(Uuid, Uuid)>,
) -> AppResult<web::Json<Schedule>> {
    let (merchant_id, worker_id) = path.into_inner();
    let schedule = db::run(&state.pool, move |conn| {
        access::require(conn, merchant_id, id.user_id, MemberRole::Staff)?;
        merchants::find_worker(conn, merchant_id, worker_id)?;
        load_schedule(conn, worker_id)
    })
    .await?;
    Ok(web::Json(schedule))
}

/// Replaces a worker's weekly hours and exceptions (owner or manager). Existing bookings stay.
#[utoipa::path(put, path = "/api/v1/merchants/{id}/workers/{worker_id}/schedule", tag = "booking",
    security(("bearer" = [])), params(("id" = Uuid, Path), ("worker_id" = Uuid, Path)), request_body = Schedule,
    responses((status = 200, body = Schedule), (status = 403, body = Problem), (status = 404, body = Problem),
        (status = 422, body = Problem)))]
pub async fn put_schedule(
    id: Identity,
    state: web::Data<AppState>,
    path: web::Path<(Uuid, Uuid)>,
    body: Json<Schedule>,
) -> AppResult<web::Json<Schedule>> {
    let (merchant_id, worker_id) = path.into_inner();
    let Schedule { weekly, exceptions } = body.into_inner();
    let weekly = OpeningHours::parse("weekly", weekly)?;
    let rows = parse_exceptions(worker_id, &exceptions)?;
    let schedule = db::tx(&state.pool, move |conn| {
        access::require(conn, merchant_id, id.user_id, MemberRole::Manager)?;
        merchants::find_worker(conn, merchant_id, worker_id)?;
        let weekly = serde_json::to_value(&weekly).map_err(AppError::internal)?;
        models::replace_schedule(conn, worker_id, &weekly, &rows)?;
        load_schedule(conn, worker_id)
    })
    .await?;
    Ok(web::Json(schedule))
}

/// A merchant's booking rules.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct BookingSettings {
    /// Confirm bookings at once instead of waiting for the merchant.
    pub auto_accept: bool,
    /// Minutes between booking and start, at least (0..=10080).
    #[schema(minimum = 0, maximum = 10080)]
    pub min_notice_minutes: i32,
    /// How far ahead consumers may book, in days (1..=180).
    #[schema(minimum = 1, maximum = 180)]
    pub horizon_days: i32,
    /// Minutes a worker is kept free after each visit (0..=240), besides the service's own.
    #[schema(minimum = 0, maximum = 240)]
    pub buffer_minutes: i32,
    /// Minutes between offered start times (5..=240).
    #[schema(minimum = 5, maximum = 240)]
    pub slot_step_minutes: i32,
    /// A consumer cancels for free until this many hours before the start (0..=168).
    #[schema(minimum = 0, maximum = 168)]
    pub free_cancel_hours: i32,
    /// Later, this share of the price is the fee (0..=100).
    #[schema(minimum = 0, maximum = 100)]
    pub late_cancel_fee_percent: i32,
    /// How many times a booking may be rescheduled (0..=10).
    #[schema(minimum = 0, maximum = 10)]
    pub reschedule_limit: i32,
    /// Consumers pay when they book (through WeChat Pay or Alipay); an unpaid booking is
    /// cancelled when its time to pay is over. Off unless set.
    #[serde(default)]
    pub prepaid: bool,
}

impl From<Settings> for BookingSettings {
    fn from(s: Settings) -> Self {
        Self {
            auto_accept: s.auto_accept,
            min_notice_minutes: s.min_notice_minutes,
            horizon_days: s.horizon_days,
            buffer_minutes: s.buffer_minutes,
            slot_step_minutes: s.slot_step_minutes,
            free_cancel_hours: s.free_cancel_hours,
            late_cancel_fee_percent: s.late_cancel_fee_percent,
            reschedule_limit: s.reschedule_limit,
            prepaid: s.prepaid,
        }
    }
}

impl BookingSettings {
    fn parse(self, merchant_id: Uuid) -> Result<Settings, Vec<FieldError>> {
        let mut f = Fields::default();
        let mut range = |field: &str, value: i32, lo: i32, hi: i32| {
            if !(lo..=hi).contains(&value) {
                f.check::<()>(Err(FieldError::new(field, format!("must be {lo} to {hi}"))));
            }
        };
        range("min_notice_minutes", self.min_notice_minutes, 0, 10_080);
        range("horizon_days", self.horizon_days, 1, 180);
        range("buffer_minutes", self.buffer_minutes, 0, 240);
        range("slot_step_minutes", self.slot_step_minutes, 5, 240);
        range("free_cancel_hours", self.free_cancel_hours, 0, 168);
        range(
            "late_cancel_fee_percent",
            self.late_cancel_fee_percent,
            0,
            100,
        );
        range("reschedule_limit", self.reschedule_limit, 0, 10);
        f.finish()?;
        Ok(Settings {
            merchant_id,
            auto_accept: self.auto_accept,
            min_notice_minutes: self.min_notice_minutes,
            horizon_days: self.horizon_days,
            buffer_minutes: self.buffer_minutes,
            slot_step_minutes: self.slot_step_minutes,
            free_cancel_hours: self.free_cancel_hours,
            late_cancel_fee_percent: self.late_cancel_fee_percent,
            reschedule_limit: self.reschedule_limit,
            prepaid: self.prepaid,
        })
    }
}

/// The merchant's booking settings (any member).
#[utoipa::path(get, path = "/api/v1/merchants/{id}/booking-settings", tag = "booking", operation_id = "get_booking_settings", security(("bearer" = [])),
    params(("id" = Uuid, Path)),
    responses((status = 200, body = BookingSettings), (status = 404, body = Problem)))]
pub async fn get_settings(
    id: Identity,
    state: web::Data<AppState>,
    path: web::Path<Uuid>,
) -> AppResult<web::Json<BookingSettings>> {
    let settings =
        merchants::settings::read(&state.pool, id, path.into_inner(), models::settings).await?;
    Ok(web::Json(settings.into()))
}

/// Replaces the merchant's booking settings (owner or manager).
#[utoipa::path(put, path = "/api/v1/merchants/{id}/booking-settings", tag = "booking", operation_id = "put_booking_settings", security(("bearer" = [])),
    params(("id" = Uuid, Path)), request_body = BookingSettings,
    responses((status = 200, body = BookingSettings), (status = 403, body = Problem), (status = 404, body = Problem),
        (status = 422, body = Problem)))]
pub async fn put_settings(
    id: Identity,
    state: web::Data<AppState>,
    path: web::Path<Uuid>,
    body: Json<BookingSettings>,
) -> AppResult<web::Json<BookingSettings>> {
    let merchant_id = path.into_inner();
    let settings = body.into_inner().parse(merchant_id)?;
    let saved = merchants::settings::replace(
        &state.pool,
        id,
        merchant_id,
        settings,
        models::save_settings,
    )
    .await?;
    Ok(web::Json(saved.into()))
}
