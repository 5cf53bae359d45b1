//! Who may read the uploads attached to each kind of record: each feature's check, registered
//! with `uploads::Access` (which knows none of the features).

use crate::uploads::{Access, SubjectKind};
use crate::{aftersales, merchants, messages, orders, reviews};

/// The read checks of this build.
pub fn access() -> Access {
    Access::default()
        .register(SubjectKind::Merchant, merchants::may_see_documents)
        .register(SubjectKind::Order, orders::may_see_photos)
        .register(SubjectKind::Review, reviews::may_see_photos)
        .register(SubjectKind::AfterSalesRequest, aftersales::may_see_evidence)
        .register(SubjectKind::Message, messages::may_see_photo)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_kind_of_subject_has_a_read_check() {
        let access = access();
        for kind in SubjectKind::ALL {
            assert!(access.covers(*kind), "{kind}");
        }
    }
}
