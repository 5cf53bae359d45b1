//! A merchant application as the API receives it, and its parsing into the stored fields. The
//! same parser serves the first application and every later edit (the edit is applied to the
//! current application first), so both follow exactly the same rules.

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::models::Category;
use crate::error::FieldError;
use crate::fields::Fields;

use super::fields::{self, CreditCode, DocumentRef, OpeningHours};
use super::models::{Merchant, MerchantFields};

/// Everything an application holds.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ApplyRequest {
    #[schema(example = "重庆洁家家政服务有限公司")]
    pub legal_name: String,
    #[schema(example = "洁家家政")]
    pub display_name: String,
    #[serde(default)]
    pub description: String,
    /// Category codes, e.g. `["housekeeping"]`.
    pub categories: Vec<String>,
    /// Unified social credit code, 18 characters.
    #[schema(example = "91350100M000100Y43")]
    pub credit_code: String,
    pub licence_expires_on: NaiveDate,
    /// Required for catering.
    pub food_permit_no: Option<String>,
    #[schema(example = "023-63123456")]
    pub contact_phone: String,
    #[schema(example = "重庆市渝中区解放碑步行街88号")]
    pub address: String,
    #[schema(example = "渝中区")]
    pub district: Option<String>,
    #[schema(example = 29.5582)]
    pub lat: f64,
    #[schema(example = 106.5772)]
    pub lng: f64,
    /// 100 to 30000 metres.
    #[schema(example = 5000)]
    pub service_radius_m: i32,
    pub opening_hours: OpeningHours,
    /// IANA time zone; default `Asia/Shanghai`.
    pub time_zone: Option<String>,
    #[serde(default)]
    pub documents: Vec<DocumentRef>,
}

/// An application turned into stored fields plus its categories and its documents (the
/// uploads to attach to the merchant).
#[derive(Debug)]
pub struct Application {
    pub fields: MerchantFields,
    pub categories: Vec<String>,
    pub documents: Vec<DocumentRef>,
}

impl ApplyRequest {
    /// The current application of `merchant` (to apply an edit onto).
    pub fn from_merchant(m: &Merchant, categories: Vec<String>) -> Self {
        Self {
            legal_name: m.legal_name.clone(),
            display_name: m.display_name.clone(),
            description: m.description.clone(),
            categories,
            credit_code: m.credit_code.clone(),
            licence_expires_on: m.licence_expires_on,
            food_permit_no: m.food_permit_no.clone(),
            contact_phone: m.contact_phone.clone(),
            address: m.address.clone(),
            district: m.district.clone(),
            lat: m.lat,
            lng: m.lng,
            service_radius_m: m.service_radius_m,
            opening_hours: serde_json::from_value(m.opening_hours.clone()).unwrap_or_default(),
            time_zone: Some(m.time_zone.clone()),
            documents: serde_json::from_value(m.documents.clone()).unwrap_or_default(),
        }
    }

    /// Checks every field against the rules and the known categories, reporting all errors.
    pub fn parse(
        self,
        known: &[Category],
        today: NaiveDate,
    ) -> Result<Application, Vec<FieldError>> {
        let mut f = Fields::default();
        let legal_name = f.check(crate::fields::text("legal_name", &self.legal_name, 2, 100));
        let display_name = f.check(crate::fields::text(
            "display_name",
            &self.display_name,
            1,
            50,
        ));
        let description = f.check(crate::fields::text(
            "description",
            &self.description,
            0,
            2000,
        ));
        let credit_code = f.check(CreditCode::parse("credit_code", &self.credit_code));
        let contact_phone = f.check(fields::contact_phone("contact_phone", &self.contact_phone));
        let address = f.check(crate::fields::text("address", &self.address, 2, 200));
        let district = self
            .district
            .as_deref()
            .and_then(|d| f.check(crate::fields::text("district", d, 1, 30)));
        f.check(crate::fields::coordinates(self.lat, self.lng));
        let time_zone = f.check(fields::time_zone(
            "time_zone",
            self.time_zone.as_deref().unwrap_or("Asia/Shanghai"),
        ));
        let hours = f.check(OpeningHours::parse("opening_hours", self.opening_hours));
        let documents = f.check(fields::documents("documents", self.documents));
        if !(100..=30_000).contains(&self.service_radius_m) {
            f.check::<()>(Err(FieldError::new(
                "service_radius_m",
                "must be 100 to 30000 metres",
            )));
        }
        if self.licence_expires_on < today {
            f.check::<()>(Err(FieldError::new(
                "licence_expires_on",
                "the licence has already expired",
            )));
        }
        let mut categories = self.categories.clone();
        categories.sort();
        categories.dedup();
        if categories.is_empty() {
            f.check::<()>(Err(FieldError::new(
                "categories",
                "choose at least one category",
            )));
        }
        if let Some(unknown) = categories
            .iter()
            .find(|c| !known.iter().any(|k| &k.code == *c))
        {
            f.check::<()>(Err(FieldError::new(
                "categories",
                format!("`{unknown}` is not a category"),
            )));
        }
        let permit = self
            .food_permit_no
            .as_deref()
            .map(str::trim)
            .filter(|p| !p.is_empty());
        let needs_permit = known
            .iter()
            .any(|k| k.requires_food_permit && categories.contains(&k.code));
        let permit = match permit {
            None if needs_permit => {
                f.check::<()>(Err(FieldError::new(
                    "food_permit_no",
                    "is required for catering",
                )));
                None
            }
            None => None,
            Some(p) => f.check(crate::fields::text("food_permit_no", p, 6, 40)),
        };
        f.finish()?;
        let json = |v| serde_json::to_value(v).unwrap_or_default();
        Ok(Application {
            fields: MerchantFields {
                legal_name,
                display_name,
                description,
                credit_code: credit_code.map(CreditCode::into_inner),
                licence_expires_on: Some(self.licence_expires_on),
                food_permit_no: Some(permit),
                contact_phone,
                address,
                district: Some(district),
                lat: Some(self.lat),
                lng: Some(self.lng),
                service_radius_m: Some(self.service_radius_m),
                opening_hours: hours.map(json),
                time_zone: time_zone.map(|tz| tz.name().to_owned()),
                documents: documents
                    .as_ref()
                    .map(|d| serde_json::to_value(d).unwrap_or_default()),
            },
            categories,
            documents: documents.unwrap_or_default(),
        })
    }
}

/// An edit: any subset of the application's fields; `null` clears the optional ones.
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateMerchantRequest {
    pub legal_name: Option<String>,
    pub display_name: Option<String>,
    pub description: Option<String>,
    pub categories: Option<Vec<String>>,
    pub credit_code: Option<String>,
    pub licence_expires_on: Option<NaiveDate>,
    #[serde(default, deserialize_with = "crate::http::nullable")]
    #[schema(value_type = Option<String>)]
    pub food_permit_no: Option<Option<String>>,
    pub contact_phone: Option<String>,
    pub address: Option<String>,
    #[serde(default, deserialize_with = "crate::http::nullable")]
    #[schema(value_type = Option<String>)]
    pub district: Option<Option<String>>,
    pub lat: Option<f64>,
    pub lng: Option<f64>,
    pub service_radius_m: Option<i32>,
    pub opening_hours: Option<OpeningHours>,
    pub time_zone: Option<String>,
    pub documents: Option<Vec<DocumentRef>>,
}

impl UpdateMerchantRequest {
    /// The fields that only change through a new review by an operator.
    pub fn touches_verified_fields(&self) -> bool {
        self.legal_name.is_some()
            || self.categories.is_some()
            || self.credit_code.is_some()
            || self.food_permit_no.is_some()
    }

    /// The current application with this edit applied.
    pub fn apply_to(self, mut a: ApplyRequest) -> ApplyRequest {
        macro_rules! set {
            ($($f:ident),*) => { $(if let Some(v) = self.$f { a.$f = v; })* };
        }
        set!(
            legal_name,
            display_name,
            description,
            categories,
            credit_code,
            licence_expires_on,
            food_permit_no
        );
        set!(
            contact_phone,
            address,
            district,
            lat,
            lng,
            service_radius_m,
            opening_hours,
            documents
        );
        if let Some(tz) = self.time_zone {
            a.time_zone = Some(tz);
        }
        a
    }
}
