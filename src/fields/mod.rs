//! The field types several features parse at the edge, in one place: bounded free text
//! (`Text<MIN, MAX>`), coordinates, email addresses, mobile numbers, and the masking of other
//! people's phones, names and addresses, and how an amount in fen reads (`yuan`). Kernel: pure, it knows no feature.

mod mask;
mod money;
mod person;
mod text;

pub use mask::{mask_address, mask_name, mask_phone};
pub use money::yuan;
pub use person::{Email, Fields, Phone, PHONE_PATTERN};
pub use text::{coordinates, text, Text};
