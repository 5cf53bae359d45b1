//! Who may read an upload. Uploads sit below the features whose records they are attached to,
//! so each of those features offers a check for its kind of record and the assembly registers
//! it here (`app::uploads`), as it registers job kinds: the owner and operators may always read,
//! anyone else as the record's check says.

use std::collections::HashMap;

use diesel::PgConnection;
use uuid::Uuid;

use crate::auth::{Identity, PlatformRole};
use crate::error::AppResult;

use super::models::Upload;
use super::rules::SubjectKind;

/// Whether the caller (`None` when anonymous) may see the files of one record of a kind.
pub type Check = fn(&mut PgConnection, Option<&Identity>, Uuid) -> AppResult<bool>;

/// The checks of each kind of record an upload can be attached to.
#[derive(Default)]
pub struct Access {
    checks: HashMap<SubjectKind, Check>,
}

impl Access {
    /// Files attached to a record of `kind` are readable when `check` says so.
    pub fn register(mut self, kind: SubjectKind, check: Check) -> Self {
        self.checks.insert(kind, check);
        self
    }

    /// Whether a kind has its check (the assembly's test asks).
    pub fn covers(&self, kind: SubjectKind) -> bool {
        self.checks.contains_key(&kind)
    }

    /// The owner and operators always; others only when the upload is attached and the check
    /// of its record allows it.
    pub fn may_read(
        &self,
        conn: &mut PgConnection,
        viewer: Option<&Identity>,
        upload: &Upload,
    ) -> AppResult<bool> {
        if let Some(me) = viewer {
            if me.user_id == upload.owner_id || me.role == PlatformRole::Operator {
                return Ok(true);
            }
        }
        match upload
            .subject()
            .and_then(|s| Some((self.checks.get(&s.kind)?, s.id)))
        {
            Some((check, id)) => check(conn, viewer, id),
            None => Ok(false),
        }
    }
}
