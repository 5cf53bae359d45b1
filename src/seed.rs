//! Demo data for `lifemarket seed --demo`: one account of each role and approved merchants of
//! every category in Chongqing, with workers (and their weekly schedules) and services.
//! Idempotent: what exists is kept.

use diesel::{Connection, PgConnection};
use uuid::Uuid;

use crate::accounts::{self, NewUser};
use crate::auth::PlatformRole;
use crate::catalog::rules::{Fulfilment, PriceUnit, ServiceInput};
use crate::crypto::Passwords;
use crate::error::{AppError, AppResult};
use crate::merchants::application::ApplyRequest;
use crate::merchants::models::WorkerChanges;
use crate::merchants::rules::{Actor, MerchantAction};
use crate::storage::Store;
use crate::uploads::image::png_chunk;
use crate::{catalog, merchants, uploads};

/// The demo accounts: email, password, name, platform role.
pub const DEMO_ACCOUNTS: [(&str, &str, &str, PlatformRole); 3] = [
    (
        "consumer@demo.lifemarket.local",
        "demo-consumer-pass",
        "演示顾客",
        PlatformRole::Consumer,
    ),
    (
        "merchant@demo.lifemarket.local",
        "demo-merchant-pass",
        "演示商家",
        PlatformRole::Consumer,
    ),
    (
        "operator@demo.lifemarket.local",
        "demo-operator-pass",
        "演示运营",
        PlatformRole::Operator,
    ),
];

/// A demo service: name, fulfilment, price, unit, duration, capacity.
type DemoService = (
    &'static str,
    Fulfilment,
    i64,
    PriceUnit,
    Option<i32>,
    Option<i32>,
);

struct DemoMerchant {
    name: &'static str,
    legal_name: &'static str,
    category: &'static str,
    district: &'static str,
    address: &'static str,
    point: (f64, f64),
    credit_code: &'static str,
    workers: &'static [(&'static str, &'static [&'static str])],
    services: &'static [DemoService],
}

const MERCHANTS: [DemoMerchant; 4] = [
    DemoMerchant {
        name: "山城小面馆",
        legal_name: "重庆山城小面餐饮有限公司",
        category: "catering",
        district: "渝中区",
        address: "重庆市渝中区解放碑民族路166号",
        point: (29.5582, 106.5772),
        credit_code: "91350100M000100Y43",
        workers: &[("刘师傅", &["catering"]), ("小陈", &["courier"])],
        services: &[
            (
                "重庆小面",
                Fulfilment::Delivery,
                1200,
                PriceUnit::PerItem,
                None,
                None,
            ),
            (
                "酸辣粉",
                Fulfilment::Delivery,
                1000,
                PriceUnit::PerItem,
                None,
                None,
            ),
            (
                "四人桌预订",
                Fulfilment::InStore,
                0,
                PriceUnit::PerVisit,
                Some(90),
                Some(6),
            ),
            (
                "私厨上门",
                Fulfilment::HomeVisit,
                48800,
                PriceUnit::PerVisit,
                Some(180),
                None,
            ),
        ],
    },
    DemoMerchant {
        name: "洁家家政",
        legal_name: "重庆洁家家政服务有限公司",
        category: "housekeeping",
        district: "江北区",
        address: "重庆市江北区观音桥步行街18号",
        point: (29.5750, 106.5310),
        credit_code: "91110108551385082Q",
        workers: &[("张阿姨", &["housekeeping"]), ("王阿姨", &["housekeeping"])],
        services: &[
            (
                "日常保洁 3 小时",
                Fulfilment::HomeVisit,
                15000,
                PriceUnit::PerVisit,
                Some(180),
                None,
            ),
            (
                "深度清洁",
                Fulfilment::HomeVisit,
                39900,
                PriceUnit::PerVisit,
                Some(300),
                None,
            ),
        ],
    },
    DemoMerchant {
        name: "净衣坊洗衣",
        legal_name: "重庆净衣坊洗涤服务有限公司",
        category: "laundry",
        district: "南岸区",
        address: "重庆市南岸区南坪万达广场2栋",
        point: (29.5300, 106.5720),
        credit_code: "91440300708461136T",
        workers: &[("小李", &["laundry", "courier"])],
        services: &[
            (
                "衬衫干洗",
                Fulfilment::PickupReturn,
                1500,
                PriceUnit::PerItem,
                None,
                None,
            ),
            (
                "羽绒服清洗",
                Fulfilment::PickupReturn,
                4500,
                PriceUnit::PerItem,
                None,
                None,
            ),
        ],
    },
    DemoMerchant {
        name: "快修师傅",
        legal_name: "重庆快修家电维修有限公司",
        category: "repair",
        district: "沙坪坝区",
        address: "重庆市沙坪坝区三峡广场8号",
        point: (29.5580, 106.4560),
        credit_code: "91500103MA5U7Q8L29",
        workers: &[("赵师傅", &["repair"]), ("孙师傅", &["repair", "courier"])],
        services: &[
            (
                "空调清洗",
                Fulfilment::HomeVisit,
                12000,
                PriceUnit::PerVisit,
                Some(90),
                None,
            ),
            (
                "家电上门维修",
                Fulfilment::HomeVisit,
                8000,
                PriceUnit::PerVisit,
                Some(120),
                None,
            ),
        ],
    },
];

/// Creates whatever demo data is missing and prints the demo accounts.
pub fn demo(conn: &mut PgConnection, passwords: &Passwords, store: &Store) -> AppResult<()> {
    conn.transaction(|conn| {
        let mut ids = Vec::new();
        for (email, password, name, role) in DEMO_ACCOUNTS {
            let user = match accounts::find_by_email(conn, email)? {
                Some(user) => user,
                None => {
                    let hash = passwords.hash(password)?;
                    let user = NewUser {
                        id: Uuid::now_v7(),
                        email,
                        password_hash: &hash,
                        display_name: name,
                        phone: None,
                        platform_role: role.as_str(),
                    };
                    accounts::create(conn, &user)?
                }
            };
            ids.push(user.id);
        }
        let (owner, operator) = (ids[1], ids[2]);
        let existing: Vec<String> = merchants::models::memberships(conn, owner)?
            .into_iter()
            .map(|(m, _)| m.display_name)
            .collect();
        for demo in MERCHANTS
            .iter()
            .filter(|d| !existing.iter().any(|e| e == d.name))
        {
            seed_merchant(conn, store, owner, operator, demo)?;
        }
        Ok::<_, AppError>(())
    })?;
    println!("Demo accounts (email / password / role):");
    for (email, password, _, role) in DEMO_ACCOUNTS {
        let role = if email.starts_with("merchant") {
            "consumer, owner of 4 demo merchants"
        } else {
            role.as_str()
        };
        println!("  {email:<34} {password:<22} {role}");
    }
    Ok(())
}

/// Monday to Sunday, 09:00 to 18:00 local time.
fn working_week() -> serde_json::Value {
    let day = serde_json::json!([["09:00", "18:00"]]);
    serde_json::json!({"mon": day, "tue": day, "wed": day, "thu": day, "fri": day, "sat": day, "sun": day})
}

/// A small grey PNG (64 x 40) standing in for a scanned document: uncompressed (stored)
/// deflate, so it needs no encoder.
fn demo_png() -> Vec<u8> {
    let (width, height) = (64u32, 40u32);
    let mut raw = Vec::new();
    for y in 0..height {
        raw.push(0); // filter: none
        raw.extend((0..width).map(|x| if (x / 8 + y / 8) % 2 == 0 { 0xE0 } else { 0xB0 }));
    }
    let len = u16::try_from(raw.len()).unwrap_or(u16::MAX);
    let (mut a, mut b) = (1u32, 0u32);
    for &byte in &raw {
        a = (a + u32::from(byte)) % 65521;
        b = (b + a) % 65521;
    }
    let mut zlib = vec![0x78, 0x01, 0x01];
    zlib.extend_from_slice(&len.to_le_bytes());
    zlib.extend_from_slice(&(!len).to_le_bytes());
    zlib.extend_from_slice(&raw);
    zlib.extend_from_slice(&(b << 16 | a).to_be_bytes());
    let mut ihdr = width.to_be_bytes().to_vec();
    ihdr.extend_from_slice(&height.to_be_bytes());
    ihdr.extend_from_slice(&[8, 0, 0, 0, 0]);
    let mut png = vec![0x89, b'P', b'N', b'G', 0x0D, 0x0A, 0x1A, 0x0A];
    png.extend(png_chunk(b"IHDR", &ihdr));
    png.extend(png_chunk(b"IDAT", &zlib));
    png.extend(png_chunk(b"IEND", &[]));
    png
}

fn seed_merchant(
    conn: &mut PgConnection,
    store: &Store,
    owner: Uuid,
    operator: Uuid,
    demo: &DemoMerchant,
) -> AppResult<()> {
    let request = ApplyRequest {
        legal_name: demo.legal_name.into(),
        display_name: demo.name.into(),
        description: format!("{}的演示商家", demo.district),
        categories: vec![demo.category.into()],
        credit_code: demo.credit_code.into(),
        licence_expires_on: merchants::routes::today() + chrono::Duration::days(3 * 365),
        food_permit_no: (demo.category == "catering").then(|| "JY15001030012345".into()),
        contact_phone: "023-63123456".into(),
        address: demo.address.into(),
        district: Some(demo.district.into()),
        lat: demo.point.0,
        lng: demo.point.1,
        service_radius_m: 15_000,
        opening_hours: serde_json::from_value(serde_json::json!({
            "mon": [["09:00", "21:00"]], "tue": [["09:00", "21:00"]], "wed": [["09:00", "21:00"]],
            "thu": [["09:00", "21:00"]], "fri": [["09:00", "21:00"]], "sat": [["10:00", "20:00"]],
            "sun": [["10:00", "20:00"]]
        }))
        .map_err(AppError::internal)?,
        time_zone: Some("Asia/Shanghai".into()),
        // The licence (and for catering the food permit) an operator checks before approving.
        documents: std::iter::once("business_licence")
            .chain((demo.category == "catering").then_some("food_permit"))
            .map(|kind| {
                let purpose = uploads::Purpose::LicenceDocument;
                Ok(merchants::fields::DocumentRef {
                    kind: kind.into(),
                    reference: uploads::create_blocking(conn, store, owner, purpose, &demo_png())?,
                })
            })
            .collect::<AppResult<_>>()?,
    };
    let known = merchants::all_categories(conn)?;
    let application = request
        .parse(&known, merchants::routes::today())
        .map_err(|e| {
            AppError::internal(format!("demo merchant {} is invalid: {e:?}", demo.name))
        })?;
    let id = merchants::create(conn, owner, &application)?;
    for action in [MerchantAction::Submit, MerchantAction::Approve] {
        let current = merchants::models::find_for_update(conn, id)?;
        let (actor, actor_id) = match action {
            MerchantAction::Submit => (Actor::Member, owner),
            _ => (Actor::Operator, operator),
        };
        merchants::change_status(conn, &current, action, actor, None, Some(actor_id))?;
    }
    for (name, skills) in demo.workers {
        let worker = WorkerChanges {
            name: Some((*name).into()),
            skills: Some(skills.iter().map(|s| (*s).to_owned()).collect()),
            active: Some(true),
            ..Default::default()
        };
        let worker = merchants::models::insert_worker(conn, id, &worker)?;
        crate::booking::models::replace_schedule(conn, worker.id, &working_week(), &[])?;
    }
    for (name, fulfilment, price, unit, duration, capacity) in demo.services {
        let input = ServiceInput {
            category: demo.category.into(),
            fulfilment: *fulfilment,
            name: (*name).into(),
            description: String::new(),
            price_cents: *price,
            price_unit: *unit,
            duration_minutes: *duration,
            buffer_minutes: if *fulfilment == Fulfilment::HomeVisit {
                30
            } else {
                0
            },
            capacity: *capacity,
            elderly_friendly: *fulfilment == Fulfilment::HomeVisit,
            active: true,
        };
        let fields = input
            .parse(&application.categories)
            .map_err(|e| AppError::internal(format!("demo service {name} is invalid: {e:?}")))?;
        catalog::models::insert(conn, id, &fields)?;
    }
    Ok(())
}
