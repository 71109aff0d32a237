//! Cases of the log-storage checks (checks/log-storage.toml).

use super::*;

pub fn cases() -> Vec<Case> {
    vec![
        case!("LP-STOR-001", "public access disabled", st_id, Pass, |s| {
            log_storage(s, storage(Some(false), false, None))
        }),
        case!("LP-STOR-001", "public access not set", st_id, Fail, |s| {
            log_storage(s, storage(None, false, None))
        }),
        case!(
            "LP-STOR-001",
            "storage list unreadable",
            st_id,
            NotAssessed,
            |s| {
                log_storage(s, storage(None, false, None));
                sub(s).storage_accounts = Read::failed(forbidden());
            }
        ),
        case!("LP-STOR-002", "customer-managed key", st_id, Pass, |s| {
            log_storage(s, storage(Some(false), true, None))
        }),
        case!("LP-STOR-002", "Microsoft-managed key", st_id, Fail, |s| {
            log_storage(s, storage(Some(false), false, None))
        }),
        case!(
            "LP-STOR-002",
            "storage list unreadable",
            st_id,
            NotAssessed,
            |s| {
                log_storage(s, storage(None, false, None));
                sub(s).storage_accounts = Read::failed(forbidden());
            }
        ),
        case!("LP-STOR-003", "immutable", st_id, Pass, |s| log_storage(
            s,
            storage(Some(false), true, Some(true))
        )),
        case!("LP-STOR-003", "mutable", st_id, Fail, |s| log_storage(
            s,
            storage(Some(false), true, None)
        )),
        case!(
            "LP-STOR-003",
            "storage list unreadable",
            st_id,
            NotAssessed,
            |s| {
                log_storage(s, storage(None, false, None));
                sub(s).storage_accounts = Read::failed(forbidden());
            }
        ),
    ]
}
