//! What an upload is for and what it may be attached to, and the signed URLs that serve it:
//! pure, no database.

use chrono::{DateTime, Utc};
use hmac::{Hmac, Mac};
use sha2::Sha256;
use uuid::Uuid;

use crate::config::Limit;

/// Uploads one account may send per hour: each is stored (up to `UPLOAD_MAX_BYTES`) for a day
/// even if never attached, so one account must not fill the store.
pub const UPLOAD_LIMIT: Limit = Limit {
    max: 100,
    window: std::time::Duration::from_secs(3600),
};

crate::lifecycle::named_enum! {
    /// What an upload is for, chosen when it is sent (`?purpose=`).
    pub enum Purpose {
        /// A merchant's business licence, food permit or other application document.
        LicenceDocument = "licence_document",
        /// A photo of a contactless drop or a pickup (an order's handoff proof).
        HandoffPhoto = "handoff_photo",
        /// A photo in a review.
        ReviewPhoto = "review_photo",
        /// Evidence for an after-sales request.
        AfterSalesEvidence = "after_sales_evidence",
        /// A photo in a message between the parties of a booking or an order.
        MessagePhoto = "message_photo",
    }
}

crate::lifecycle::named_enum! {
    /// The kinds of record an upload can be attached to.
    pub enum SubjectKind {
        Merchant = "merchant",
        Order = "order",
        Review = "review",
        AfterSalesRequest = "after_sales_request",
        Message = "message",
    }
}

impl Purpose {
    /// The kind of record an upload of this purpose is attached to.
    pub fn subject_kind(self) -> SubjectKind {
        match self {
            Purpose::LicenceDocument => SubjectKind::Merchant,
            Purpose::HandoffPhoto => SubjectKind::Order,
            Purpose::ReviewPhoto => SubjectKind::Review,
            Purpose::AfterSalesEvidence => SubjectKind::AfterSalesRequest,
            Purpose::MessagePhoto => SubjectKind::Message,
        }
    }

    /// Whether the file is the person's own data, erased with their account. Licence documents
    /// and handoff photos are the records of a merchant and of an order, kept with them.
    pub fn is_personal(self) -> bool {
        !matches!(self, Purpose::LicenceDocument | Purpose::HandoffPhoto)
    }
}

/// The record an upload is attached to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Subject {
    pub kind: SubjectKind,
    pub id: Uuid,
}

/// Why a signed URL is refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UrlError {
    Expired,
    BadSignature,
}

fn mac(secret: &[u8], id: Uuid, expires: i64) -> Hmac<Sha256> {
    // HMAC takes a key of any length.
    let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(secret).unwrap_or_else(|_| unreachable!());
    mac.update(format!("upload:{id}:{expires}").as_bytes());
    mac
}

/// The signature of the URL serving `id` until `expires` (Unix seconds), base64url.
pub fn sign(secret: &[u8], id: Uuid, expires: i64) -> String {
    use base64::Engine;
    base64::engine::general_purpose::URL_SAFE_NO_PAD
        .encode(mac(secret, id, expires).finalize().into_bytes())
}

/// Checks a signed URL's signature (in constant time), then its expiry.
pub fn verify(
    secret: &[u8],
    id: Uuid,
    expires: i64,
    signature: &str,
    now: DateTime<Utc>,
) -> Result<(), UrlError> {
    use base64::Engine;
    let given = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(signature)
        .map_err(|_| UrlError::BadSignature)?;
    mac(secret, id, expires)
        .verify_slice(&given)
        .map_err(|_| UrlError::BadSignature)?;
    if now.timestamp() >= expires {
        return Err(UrlError::Expired);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    const SECRET: &[u8] = b"test secret";

    #[test]
    fn a_signed_url_verifies_until_it_expires() {
        let id = Uuid::now_v7();
        let now = Utc::now();
        let expires = now.timestamp() + 300;
        let sig = sign(SECRET, id, expires);
        assert_eq!(verify(SECRET, id, expires, &sig, now), Ok(()));
        let later = now + chrono::Duration::seconds(301);
        assert_eq!(
            verify(SECRET, id, expires, &sig, later),
            Err(UrlError::Expired)
        );
    }

    #[test]
    fn a_changed_id_expiry_secret_or_signature_is_refused() {
        let (id, now) = (Uuid::now_v7(), Utc::now());
        let expires = now.timestamp() + 300;
        let sig = sign(SECRET, id, expires);
        let bad = Err(UrlError::BadSignature);
        assert_eq!(verify(SECRET, Uuid::now_v7(), expires, &sig, now), bad);
        assert_eq!(verify(SECRET, id, expires + 3600, &sig, now), bad);
        assert_eq!(verify(b"other secret", id, expires, &sig, now), bad);
        assert_eq!(verify(SECRET, id, expires, "not base64!", now), bad);
        let mut flipped = sig.into_bytes();
        flipped[0] = if flipped[0] == b'A' { b'B' } else { b'A' };
        assert_eq!(
            verify(
                SECRET,
                id,
                expires,
                &String::from_utf8(flipped).unwrap(),
                now
            ),
            bad
        );
    }

    #[test]
    fn review_photos_are_personal_and_handoff_photos_are_the_orders() {
        assert!(Purpose::ReviewPhoto.is_personal() && !Purpose::HandoffPhoto.is_personal());
    }
}
