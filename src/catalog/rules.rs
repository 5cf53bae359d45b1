//! What makes a service valid. Pure; no database, no HTTP.

use crate::error::FieldError;
use crate::fields::text;
use crate::fields::Fields;

use super::models::ServiceFields;

crate::lifecycle::named_enum! {
    /// How a service reaches the consumer.
    pub enum Fulfilment {
        /// A worker visits the consumer's address (housekeeping, repair, a chef at home).
        HomeVisit = "home_visit",
        /// A reservation at the merchant (a table), limited by capacity.
        InStore = "in_store",
        /// Delivered to the consumer (catering takeout).
        Delivery = "delivery",
        /// Picked up and brought back (laundry, repair).
        PickupReturn = "pickup_return",
    }
}

impl Fulfilment {
    /// Booked into a time slot (and so needs a duration).
    pub fn is_booked(self) -> bool {
        matches!(self, Fulfilment::HomeVisit | Fulfilment::InStore)
    }
}

crate::lifecycle::named_enum! {
    /// What the price is for.
    pub enum PriceUnit {
        PerVisit = "per_visit",
        PerHour = "per_hour",
        PerItem = "per_item",
        PerKg = "per_kg",
    }
}

/// A complete service as submitted (a new one, or an existing one with an edit applied).
#[derive(Debug, Clone)]
pub struct ServiceInput {
    pub category: String,
    pub fulfilment: Fulfilment,
    pub name: String,
    pub description: String,
    pub price_cents: i64,
    pub price_unit: PriceUnit,
    pub duration_minutes: Option<i32>,
    pub buffer_minutes: i32,
    pub capacity: Option<i32>,
    pub elderly_friendly: bool,
    pub active: bool,
}

impl ServiceInput {
    /// Checks the service against the rules and the merchant's categories.
    pub fn parse(self, merchant_categories: &[String]) -> Result<ServiceFields, Vec<FieldError>> {
        let mut f = Fields::default();
        let bad = |f: &mut Fields, field: &str, message: &str| {
            f.check::<()>(Err(FieldError::new(field, message)));
        };
        if !merchant_categories.contains(&self.category) {
            bad(
                &mut f,
                "category",
                "must be one of the merchant's categories",
            );
        }
        let name = f.check(text("name", &self.name, 1, 80));
        let description = f.check(text("description", &self.description, 0, 2000));
        if !(0..=100_000_000).contains(&self.price_cents) {
            bad(
                &mut f,
                "price_cents",
                "must be 0 to 100000000 (minor units)",
            );
        }
        match self.duration_minutes {
            None if self.fulfilment.is_booked() => bad(
                &mut f,
                "duration_minutes",
                "is required for visits and reservations",
            ),
            Some(d) if !(5..=1440).contains(&d) => {
                bad(&mut f, "duration_minutes", "must be 5 to 1440")
            }
            _ => {}
        }
        if !(0..=240).contains(&self.buffer_minutes) {
            bad(&mut f, "buffer_minutes", "must be 0 to 240");
        }
        match (self.fulfilment, self.capacity) {
            (Fulfilment::InStore, None) => {
                bad(&mut f, "capacity", "is required for in-store reservations")
            }
            (Fulfilment::InStore, Some(c)) if !(1..=500).contains(&c) => {
                bad(&mut f, "capacity", "must be 1 to 500")
            }
            (Fulfilment::InStore, Some(_)) | (_, None) => {}
            (_, Some(_)) => bad(&mut f, "capacity", "applies to in-store reservations only"),
        }
        f.finish()?;
        Ok(ServiceFields {
            category: Some(self.category),
            fulfilment: Some(self.fulfilment.as_str().to_owned()),
            name,
            description,
            price_cents: Some(self.price_cents),
            price_unit: Some(self.price_unit.as_str().to_owned()),
            duration_minutes: Some(self.duration_minutes),
            buffer_minutes: Some(self.buffer_minutes),
            capacity: Some(self.capacity),
            elderly_friendly: Some(self.elderly_friendly),
            active: Some(self.active),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn visit() -> ServiceInput {
        ServiceInput {
            category: "housekeeping".into(),
            fulfilment: Fulfilment::HomeVisit,
            name: "日常保洁 3 小时".into(),
            description: String::new(),
            price_cents: 15_000,
            price_unit: PriceUnit::PerVisit,
            duration_minutes: Some(180),
            buffer_minutes: 30,
            capacity: None,
            elderly_friendly: true,
            active: true,
        }
    }

    fn fields_of(input: ServiceInput) -> Vec<String> {
        input
            .parse(&["housekeeping".into()])
            .unwrap_err()
            .into_iter()
            .map(|e| e.field)
            .collect()
    }

    #[test]
    fn a_complete_visit_is_valid() {
        assert!(visit().parse(&["housekeeping".into()]).is_ok());
    }

    #[test]
    fn visits_need_a_duration_and_reservations_a_capacity() {
        assert_eq!(
            fields_of(ServiceInput {
                duration_minutes: None,
                ..visit()
            }),
            ["duration_minutes"]
        );
        let table = ServiceInput {
            fulfilment: Fulfilment::InStore,
            ..visit()
        };
        assert_eq!(fields_of(table), ["capacity"]);
        let takeout = ServiceInput {
            fulfilment: Fulfilment::Delivery,
            duration_minutes: None,
            capacity: Some(4),
            ..visit()
        };
        assert_eq!(fields_of(takeout), ["capacity"]);
    }

    #[test]
    fn the_category_must_be_the_merchants_and_the_price_sane() {
        let input = ServiceInput {
            category: "repair".into(),
            price_cents: -1,
            ..visit()
        };
        assert_eq!(fields_of(input), ["category", "price_cents"]);
    }
}
