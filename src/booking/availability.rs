//! Loading what the slot computation needs (schedules, existing bookings, settings) and the
//! public slot listing, `GET /services/{id}/slots`.

use std::collections::{BTreeMap, HashMap};

use actix_web::web;
use chrono::{DateTime, Duration, Utc};
use chrono_tz::Tz;
use diesel::PgConnection;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

use crate::auth::Identity;
use crate::catalog::rules::Fulfilment;
use crate::catalog::{self, Service};
use crate::db;
use crate::error::{AppError, AppResult, Problem};
use crate::http::Query;
use crate::merchants::fields::OpeningHours;
use crate::merchants::{self, Merchant};
use crate::state::AppState;

use super::models::{self, Settings};
use super::rules;
use super::slots::{
    self, Availability, Exception, SeatSlot, Span, Visit, VisitSlot, Window, WorkerTime,
};

/// A bookable service with its merchant and the merchant's rules.
pub struct Bookable {
    pub service: Service,
    pub fulfilment: Fulfilment,
    pub merchant: Merchant,
    pub settings: Settings,
    pub tz: Tz,
}

impl Bookable {
    /// Loads a service consumers can book now: active, of an approved merchant, visited or
    /// reserved.
    pub fn load(conn: &mut PgConnection, service_id: Uuid) -> AppResult<Self> {
        let bookable = Self::load_any(conn, service_id)?;
        if !bookable.service.active || bookable.merchant.status != "approved" {
            return Err(AppError::NotFound);
        }
        Ok(bookable)
    }

    /// Loads the service of an existing booking, whatever its state now.
    pub fn load_any(conn: &mut PgConnection, service_id: Uuid) -> AppResult<Self> {
        let service = catalog::find(conn, service_id)?;
        let merchant = merchants::find(conn, service.merchant_id)?;
        let fulfilment = service.fulfilment;
        if !fulfilment.is_booked() {
            return Err(AppError::invalid("service_id", "is ordered, not booked"));
        }
        let settings = models::settings(conn, merchant.id)?;
        let tz = merchant.tz();
        Ok(Self {
            service,
            fulfilment,
            merchant,
            settings,
            tz,
        })
    }

    pub fn duration(&self) -> Duration {
        Duration::minutes(i64::from(self.service.duration_minutes.unwrap_or(60)))
    }

    /// The visit shape: the service's duration, the larger of the service's and the merchant's
    /// buffer, and the merchant's slot step.
    pub fn visit(&self) -> Visit {
        Visit {
            duration: self.duration(),
            buffer: Duration::minutes(i64::from(
                self.service
                    .buffer_minutes
                    .max(self.settings.buffer_minutes),
            )),
            step: Duration::minutes(i64::from(self.settings.slot_step_minutes)),
        }
    }

    /// `[from, to)` limited by the merchant's notice and horizon.
    pub fn window(&self, from: DateTime<Utc>, to: DateTime<Utc>, now: DateTime<Utc>) -> Window {
        Window {
            from,
            to,
            earliest: rules::earliest_start(
                now,
                self.settings.min_notice_minutes,
                self.settings.auto_accept,
            ),
            latest: now + Duration::days(i64::from(self.settings.horizon_days)),
        }
    }

    /// Free visit slots in the window for the given workers (`skip`: a booking being moved).
    pub fn visit_slots(
        &self,
        conn: &mut PgConnection,
        workers: &[Uuid],
        window: &Window,
        skip: Option<Uuid>,
    ) -> AppResult<Vec<VisitSlot>> {
        let visit = self.visit();
        let times = worker_times(
            conn,
            workers,
            window.from - Duration::days(1),
            window.to + Duration::days(1),
            skip,
        )?;
        Ok(slots::visit_slots(self.tz, window, &visit, &times))
    }

    /// Free seatings in the window.
    pub fn seat_slots(&self, conn: &mut PgConnection, window: &Window) -> AppResult<Vec<SeatSlot>> {
        let hours: OpeningHours =
            serde_json::from_value(self.merchant.opening_hours.clone()).unwrap_or_default();
        let taken: BTreeMap<_, _> =
            models::seats_taken(conn, self.service.id, window.from, window.to)?
                .into_iter()
                .collect();
        let capacity = self.service.capacity.unwrap_or(1);
        Ok(slots::seat_slots(
            self.tz,
            window,
            &hours,
            self.duration(),
            capacity,
            &taken,
        ))
    }
}

/// The availability and busy time of workers around `[from, to)`.
pub fn worker_times(
    conn: &mut PgConnection,
    workers: &[Uuid],
    from: DateTime<Utc>,
    to: DateTime<Utc>,
    skip: Option<Uuid>,
) -> AppResult<Vec<WorkerTime>> {
    let mut exceptions: HashMap<Uuid, Vec<Exception>> = HashMap::new();
    for row in models::exceptions(conn, workers, Some(from.date_naive() - Duration::days(1)))? {
        let minutes = match (row.start_minute, row.end_minute) {
            (Some(a), Some(b)) => {
                Some((u32::try_from(a).unwrap_or(0), u32::try_from(b).unwrap_or(0)))
            }
            _ => None,
        };
        exceptions
            .entry(row.worker_id)
            .or_default()
            .push(Exception {
                date: row.on_date,
                off: row.kind == "off",
                minutes,
            });
    }
    let mut busy: HashMap<Uuid, Vec<Span>> = HashMap::new();
    for (worker, span) in models::busy(conn, workers, from, to, skip)? {
        busy.entry(worker).or_default().push(span);
    }
    let mut weekly: HashMap<Uuid, serde_json::Value> =
        models::weekly_of(conn, workers)?.into_iter().collect();
    Ok(workers
        .iter()
        .map(|id| WorkerTime {
            id: *id,
            availability: Availability {
                weekly: weekly
                    .remove(id)
                    .and_then(|w| serde_json::from_value(w).ok())
                    .unwrap_or_default(),
                exceptions: exceptions.remove(id).unwrap_or_default(),
            },
            busy: busy.remove(id).unwrap_or_default(),
        })
        .collect())
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct SlotQuery {
    /// Start of the range (RFC 3339); default now.
    pub from: Option<DateTime<Utc>>,
    /// End of the range (RFC 3339); default 7 days after `from`; at most 31 days after it.
    pub to: Option<DateTime<Utc>>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct SlotWorker {
    pub id: Uuid,
    /// The worker's name, for the merchant's own members only: the public list names no one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
}

/// A bookable start time.
#[derive(Debug, Serialize, ToSchema)]
pub struct SlotResponse {
    pub start: DateTime<Utc>,
    pub end: DateTime<Utc>,
    /// Home visits: the workers free for it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub workers: Option<Vec<SlotWorker>>,
    /// In-store reservations: the seats still free.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub seats_left: Option<i32>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct SlotsResponse {
    pub service_id: Uuid,
    /// The merchant's time zone, in which its schedules are kept.
    pub time_zone: String,
    pub slots: Vec<SlotResponse>,
}

/// Bookable start times of a service, computed in the merchant's time zone.
#[utoipa::path(get, path = "/api/v1/services/{id}/slots", tag = "booking",
    params(("id" = Uuid, Path), SlotQuery),
    security((), ("bearer" = [])),
    responses((status = 200, body = SlotsResponse), (status = 404, body = Problem), (status = 422, body = Problem)))]
pub async fn list_slots(
    id: Option<Identity>,
    state: web::Data<AppState>,
    path: web::Path<Uuid>,
    query: Query<SlotQuery>,
) -> AppResult<web::Json<SlotsResponse>> {
    let service_id = path.into_inner();
    let now = Utc::now();
    let from = query.from.unwrap_or(now);
    let to = query.to.unwrap_or(from + Duration::days(7));
    if to <= from {
        return Err(AppError::invalid("to", "must be after from"));
    }
    if to - from > Duration::days(31) {
        return Err(AppError::invalid("to", "at most 31 days after from"));
    }
    let response = db::run(&state.pool, move |conn| {
        let bookable = Bookable::load(conn, service_id)?;
        let member = match id {
            Some(id) => {
                merchants::access::role_of(conn, bookable.merchant.id, id.user_id)?.is_some()
            }
            None => false,
        };
        let window = bookable.window(from, to, now);
        let slots = match bookable.fulfilment {
            Fulfilment::InStore => bookable
                .seat_slots(conn, &window)?
                .into_iter()
                .map(|s| SlotResponse {
                    start: s.start,
                    end: s.end,
                    workers: None,
                    seats_left: Some(s.seats_left),
                })
                .collect(),
            _ => {
                let workers = merchants::qualified_workers(
                    conn,
                    bookable.merchant.id,
                    &bookable.service.category,
                )?;
                let names: HashMap<Uuid, String> = workers.iter().cloned().collect();
                let ids: Vec<Uuid> = workers.iter().map(|w| w.0).collect();
                bookable
                    .visit_slots(conn, &ids, &window, None)?
                    .into_iter()
                    .map(|s| SlotResponse {
                        start: s.start,
                        end: s.end,
                        workers: Some(
                            s.workers
                                .iter()
                                .map(|id| SlotWorker {
                                    id: *id,
                                    name: names.get(id).cloned().filter(|_| member),
                                })
                                .collect(),
                        ),
                        seats_left: None,
                    })
                    .collect()
            }
        };
        Ok(SlotsResponse {
            service_id,
            time_zone: bookable.tz.name().to_owned(),
            slots,
        })
    })
    .await?;
    Ok(web::Json(response))
}
