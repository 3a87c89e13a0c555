//! What must hold for any bytes received as a JSON body: each wire type either refuses them or
//! reads a value that writes back to JSON reading as the same value. Shared, through `#[path]`,
//! by the fuzz target (`fuzz/fuzz_targets/wire_json.rs`) and the regression test replaying the
//! committed corpus (`tests/fuzz_regressions.rs`).

use placeforte_protocol::device::{DeviceCertificate, EnrolRequest};
use placeforte_protocol::referrals::{DeclareVacancy, RecordOutcome, ReferralPage};
use serde::de::DeserializeOwned;
use serde::Serialize;

fn round_trip<T: DeserializeOwned + Serialize + PartialEq + std::fmt::Debug>(data: &[u8]) {
    if let Ok(value) = serde_json::from_slice::<T>(data) {
        let written = serde_json::to_vec(&value).expect("a read value writes");
        let again: T = serde_json::from_slice(&written).expect("a written value reads");
        assert_eq!(again, value);
    }
}

/// Reads `data` as each body the desktop and the service exchange.
pub(crate) fn check_wire(data: &[u8]) {
    round_trip::<ReferralPage>(data);
    round_trip::<DeclareVacancy>(data);
    round_trip::<RecordOutcome>(data);
    round_trip::<EnrolRequest>(data);
    round_trip::<DeviceCertificate>(data);
}
