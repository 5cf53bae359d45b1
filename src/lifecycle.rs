//! What the booking and order lifecycles (and every other status or kind stored as text) share:
//! `named_enum!`, which makes a closed set of snake_case names one Rust enum that serde, the
//! OpenAPI document and diesel all read and write (an unknown value in a row is an error, never a
//! silent default), and the two refusals every lifecycle answers with.

use crate::error::AppError;

/// A closed set of names: `as_str`, `parse`, `ALL`, `Display`, serde in snake_case, a utoipa
/// schema and diesel's `Text` in both directions.
///
/// ```ignore
/// crate::lifecycle::named_enum! {
///     /// Where an order stands.
///     pub enum OrderStatus { Placed = "placed", Accepted = "accepted" }
/// }
/// ```
///
/// The names must be the snake_case of the variants (serde derives its names that way, and the
/// unit test `names_match_serde` of each user holds the two together through `check_names`).
macro_rules! named_enum {
    (
        $(#[$meta:meta])*
        pub enum $name:ident { $( $(#[$vmeta:meta])* $variant:ident = $text:literal ),* $(,)? }
    ) => {
        $(#[$meta])*
        #[derive(
            Debug, Clone, Copy, PartialEq, Eq, Hash,
            serde::Serialize, serde::Deserialize, utoipa::ToSchema,
            diesel::AsExpression, diesel::FromSqlRow,
        )]
        #[serde(rename_all = "snake_case")]
        #[diesel(sql_type = diesel::sql_types::Text)]
        pub enum $name { $( $(#[$vmeta])* $variant ),* }

        impl $name {
            pub const ALL: &'static [$name] = &[$($name::$variant),*];

            pub fn as_str(self) -> &'static str {
                match self { $($name::$variant => $text),* }
            }

            pub fn parse(value: &str) -> Option<Self> {
                Self::ALL.iter().copied().find(|x| x.as_str() == value)
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl $crate::lifecycle::Named for $name {
            fn name(self) -> &'static str {
                self.as_str()
            }
        }

        impl diesel::serialize::ToSql<diesel::sql_types::Text, diesel::pg::Pg> for $name {
            fn to_sql<'b>(
                &'b self,
                out: &mut diesel::serialize::Output<'b, '_, diesel::pg::Pg>,
            ) -> diesel::serialize::Result {
                <str as diesel::serialize::ToSql<diesel::sql_types::Text, diesel::pg::Pg>>::to_sql(
                    self.as_str(),
                    out,
                )
            }
        }

        impl diesel::deserialize::FromSql<diesel::sql_types::Text, diesel::pg::Pg> for $name {
            fn from_sql(value: diesel::pg::PgValue<'_>) -> diesel::deserialize::Result<Self> {
                let text = std::str::from_utf8(value.as_bytes())?;
                Self::parse(text).ok_or_else(|| {
                    format!(concat!("unknown ", stringify!($name), " {:?}"), text).into()
                })
            }
        }
    };
}

pub(crate) use named_enum;

/// The `POST /{things}/{id}/{action}` handlers of a lifecycle, one per action, each documented
/// in the OpenAPI document with the same responses: `run(identity, state, id, action, body)`
/// does the work. The names in the handlers (`Identity`, `web`, `AppState`, `Uuid`, `Json`,
/// `AppResult`, `Problem`) are the caller's imports.
///
/// ```ignore
/// crate::lifecycle::action_routes! {
///     tag = "booking", request = ActionRequest, response = BookingResponse, run = act,
///     conflicts = "invalid_transition, slot_taken";
///     /// The merchant confirms a pending booking.
///     confirm = BookingAction::Confirm, "/api/v1/bookings/{id}/confirm";
/// }
/// ```
macro_rules! action_routes {
    (
        tag = $tag:literal, request = $req:ident, response = $resp:ident, run = $run:ident,
        conflicts = $conflicts:literal, invalid = $invalid:literal;
        $($routes:tt)*
    ) => {
        $crate::lifecycle::action_routes! {
            @ $tag, $req, $resp, $run, $conflicts,
            (status = 422, body = Problem, description = $invalid);
            $($routes)*
        }
    };
    (
        tag = $tag:literal, request = $req:ident, response = $resp:ident, run = $run:ident,
        conflicts = $conflicts:literal;
        $($routes:tt)*
    ) => {
        $crate::lifecycle::action_routes! {
            @ $tag, $req, $resp, $run, $conflicts, (status = 422, body = Problem);
            $($routes)*
        }
    };
    (
        @ $tag:literal, $req:ident, $resp:ident, $run:ident, $conflicts:literal, $unprocessable:tt;
        $( $(#[$doc:meta])* $name:ident = $action:expr, $path:literal; )*
    ) => {
        $(
            $(#[$doc])*
            #[utoipa::path(post, path = $path, tag = $tag, security(("bearer" = [])),
                operation_id = $crate::lifecycle::action_operation_id($path),
                params(("id" = Uuid, Path)), request_body = $req,
                responses((status = 200, body = $resp), (status = 403, body = Problem),
                    (status = 404, body = Problem),
                    (status = 409, body = Problem, description = $conflicts),
                    $unprocessable))]
            pub async fn $name(
                id: Identity,
                state: web::Data<AppState>,
                path: web::Path<Uuid>,
                body: Json<$req>,
            ) -> AppResult<web::Json<$resp>> {
                $run(id, state, path.into_inner(), $action, body.into_inner()).await
            }
        )*
    };
}

pub(crate) use action_routes;

/// The operation id of an action route in the OpenAPI document: the action (the last path
/// segment) and the singular of the collection, so that the same action of a booking and of an
/// order get distinct names in generated clients: `/api/v1/orders/{id}/pick-up` is
/// `pick_up_order`, `/api/v1/bookings/{id}/cancel` is `cancel_booking`,
/// `/api/v1/after-sales/{id}/accept-offer` is `accept_offer_after_sale`.
pub fn action_operation_id(path: &str) -> String {
    let collection = path
        .trim_start_matches("/api/v1/")
        .split('/')
        .next()
        .unwrap_or_default();
    let action = path.rsplit('/').next().unwrap_or_default();
    let thing = collection.strip_suffix('s').unwrap_or(collection);
    format!("{action}_{thing}").replace('-', "_")
}

/// What a purchase (an order, a booking) tells the features above it that follow up on it
/// (after-sales requests): whose it is, when it completed and what was paid and refunded.
#[derive(Debug, Clone, Copy)]
pub struct Purchase {
    pub consumer_id: uuid::Uuid,
    pub merchant_id: uuid::Uuid,
    /// When it completed; `None` while it has not.
    pub completed_at: Option<chrono::DateTime<chrono::Utc>>,
    pub paid_cents: i64,
    /// What its owner has refunded of it so far.
    pub refunded_cents: i64,
}

/// What there is to pay for an order or a prepaid booking, as the payments above them see it.
#[derive(Debug, Clone)]
pub struct Payable {
    pub consumer_id: uuid::Uuid,
    pub merchant_id: uuid::Uuid,
    pub amount_cents: i64,
    /// What the payment sheet says (the merchant's name and the short id).
    pub description: String,
    /// Whether it still waits for its payment (not paid, closed, cancelled or refused yet).
    pub awaiting: bool,
    /// When it was made: its time to pay counts from then.
    pub created_at: chrono::DateTime<chrono::Utc>,
    /// The payment must come before this at the latest (a booking's start).
    pub latest: Option<chrono::DateTime<chrono::Utc>>,
}

/// A value of a `named_enum!`.
pub trait Named: Copy {
    fn name(self) -> &'static str;
}

/// 403: this actor may never take this action on a `thing` ("booking", "order").
pub fn forbidden(action: impl Named, thing: &str) -> AppError {
    AppError::may_not(action.name(), thing)
}

/// 409 `invalid_transition`: not from the state it is in.
pub fn invalid_transition(from: impl Named, action: impl Named, thing: &str) -> AppError {
    AppError::cannot(from.name(), action.name(), thing)
}

/// The first of the caller's roles that `may` take the action, or 403.
pub fn actor_for<R: Copy, A: Named>(
    roles: &[R],
    action: A,
    thing: &str,
    may: impl Fn(A, R) -> bool,
) -> Result<R, AppError> {
    roles
        .iter()
        .copied()
        .find(|r| may(action, *r))
        .ok_or_else(|| forbidden(action, thing))
}

/// For the unit tests of each `named_enum!`: every name is what serde writes.
#[cfg(test)]
pub fn check_names<T: Named + serde::Serialize>(all: &[T]) {
    for v in all {
        assert_eq!(
            serde_json::to_value(v).unwrap(),
            serde_json::Value::String(v.name().into())
        );
    }
}

#[cfg(test)]
mod tests {
    crate::lifecycle::named_enum! {
        /// A test set.
        pub enum Colour { DeepRed = "deep_red", Blue = "blue" }
    }

    #[test]
    fn action_operation_ids_name_the_action_and_the_thing() {
        use super::action_operation_id as id;
        assert_eq!(id("/api/v1/bookings/{id}/cancel"), "cancel_booking");
        assert_eq!(
            id("/api/v1/after-sales/{id}/accept-offer"),
            "accept_offer_after_sale"
        );
        assert_eq!(id("/api/v1/orders/{id}/cancel"), "cancel_order");
        assert_eq!(id("/api/v1/orders/{id}/pick-up"), "pick_up_order");
        assert_eq!(id("/api/v1/orders/{id}/return"), "return_order");
        assert_eq!(id("/api/v1/bookings/{id}/no-show"), "no_show_booking");
    }

    #[test]
    fn names_match_serde_and_parse_round_trips() {
        super::check_names(Colour::ALL);
        assert_eq!(Colour::parse("deep_red"), Some(Colour::DeepRed));
        assert_eq!(Colour::parse("DeepRed"), None);
        assert_eq!(Colour::Blue.to_string(), "blue");
    }
}
