//! The enrolment invitation: everything a workstation needs to enrol, in one string the
//! operator gives the director (printed by `placeforte-central enrolment-code issue`, pasted
//! into the app's first screen).
//!
//! ```text
//! placeforte:enrol?v=1&daycare=<uuid>&code=<one-time code>&enrol=<host:port>&api=<host:port>&ca=<sha-256 hex>
//! ```
//!
//! `ca` is the SHA-256 fingerprint of the service's CA certificate (DER): the app trusts the
//! server only if the chain it presents ends in that certificate, so a look-alike server
//! cannot take the code. Every field is a restricted set of characters, so no escaping is
//! needed and anything else is refused.

use std::fmt;
use std::str::FromStr;

use crate::DaycareId;

/// Prefix of every invitation.
pub const INVITE_PREFIX: &str = "placeforte:enrol?";
/// The invitation format this build writes and reads.
pub const INVITE_VERSION: &str = "1";

/// A parsed enrolment invitation.
#[derive(Clone, PartialEq, Eq)]
pub struct EnrolmentInvite {
    /// The daycare the code was issued for.
    pub daycare_id: DaycareId,
    /// The one-time code (a bearer secret until used: hidden from `Debug`).
    pub code: String,
    /// `host:port` of the enrolment listener.
    pub enrolment_address: String,
    /// `host:port` of the API listener.
    pub api_address: String,
    /// SHA-256 of the service CA certificate (DER).
    pub ca_sha256: [u8; 32],
}

impl fmt::Debug for EnrolmentInvite {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("EnrolmentInvite")
            .field("daycare_id", &self.daycare_id)
            .field("code", &"<redacted>")
            .field("enrolment_address", &self.enrolment_address)
            .field("api_address", &self.api_address)
            .finish_non_exhaustive()
    }
}

/// Why a pasted string is not a usable invitation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum InviteError {
    /// It does not start with `placeforte:enrol?`.
    NotAnInvite,
    /// It was written by a newer version of the service.
    UnsupportedVersion(String),
    /// A field is missing.
    MissingField(&'static str),
    /// A field is unknown or given twice.
    UnexpectedField(String),
    /// A field's value is malformed.
    BadField(&'static str),
}

impl InviteError {
    /// Stable machine code, the i18n key of the message shown to the director.
    pub fn code(&self) -> &'static str {
        match self {
            InviteError::NotAnInvite => "invite_not_an_invite",
            InviteError::UnsupportedVersion(_) => "invite_unsupported_version",
            InviteError::MissingField(_) => "invite_missing_field",
            InviteError::UnexpectedField(_) => "invite_unexpected_field",
            InviteError::BadField(_) => "invite_bad_field",
        }
    }
}

impl fmt::Display for InviteError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            InviteError::NotAnInvite => {
                f.write_str("this is not a PlaceForte enrolment invitation")
            }
            InviteError::UnsupportedVersion(v) => {
                write!(
                    f,
                    "invitation version {v:?} is not supported by this version of the app"
                )
            }
            InviteError::MissingField(name) => write!(f, "the invitation has no {name:?} field"),
            InviteError::UnexpectedField(name) => {
                write!(
                    f,
                    "the invitation has an unexpected or repeated field {name:?}"
                )
            }
            InviteError::BadField(name) => {
                write!(f, "the invitation's {name:?} field is malformed")
            }
        }
    }
}

impl std::error::Error for InviteError {}

impl fmt::Display for EnrolmentInvite {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{INVITE_PREFIX}v={INVITE_VERSION}&daycare={}&code={}&enrol={}&api={}&ca={}",
            self.daycare_id,
            self.code,
            self.enrolment_address,
            self.api_address,
            hex::encode(self.ca_sha256)
        )
    }
}

impl FromStr for EnrolmentInvite {
    type Err = InviteError;

    fn from_str(pasted: &str) -> Result<Self, Self::Err> {
        let query = pasted
            .trim()
            .strip_prefix(INVITE_PREFIX)
            .ok_or(InviteError::NotAnInvite)?;
        let mut fields: [(&'static str, Option<&str>); 6] = [
            ("v", None),
            ("daycare", None),
            ("code", None),
            ("enrol", None),
            ("api", None),
            ("ca", None),
        ];
        for pair in query.split('&') {
            let (name, value) = pair.split_once('=').unwrap_or((pair, ""));
            let slot = fields
                .iter_mut()
                .find(|(known, seen)| *known == name && seen.is_none())
                .ok_or_else(|| InviteError::UnexpectedField(truncate(name)))?;
            slot.1 = Some(value);
        }
        let [v, daycare, code, enrol, api, ca] = fields.map(|(name, value)| value.ok_or(name));
        let v = v.map_err(InviteError::MissingField)?;
        if v != INVITE_VERSION {
            return Err(InviteError::UnsupportedVersion(truncate(v)));
        }
        let daycare_id = daycare
            .map_err(InviteError::MissingField)?
            .parse()
            .map_err(|_| InviteError::BadField("daycare"))?;
        let code = code.map_err(InviteError::MissingField)?;
        let code_ok = (4..=64).contains(&code.len())
            && code.chars().all(|c| c.is_ascii_alphanumeric() || c == '-');
        if !code_ok {
            return Err(InviteError::BadField("code"));
        }
        let enrolment_address = address(enrol.map_err(InviteError::MissingField)?, "enrol")?;
        let api_address = address(api.map_err(InviteError::MissingField)?, "api")?;
        let ca_sha256 = fingerprint(ca.map_err(InviteError::MissingField)?)?;
        Ok(EnrolmentInvite {
            daycare_id,
            code: code.to_owned(),
            enrolment_address,
            api_address,
            ca_sha256,
        })
    }
}

/// `host:port`, with a DNS name, an IPv4 address or a bracketed IPv6 address.
fn address(value: &str, field: &'static str) -> Result<String, InviteError> {
    let bad = || InviteError::BadField(field);
    let (host, port) = value.rsplit_once(':').ok_or_else(bad)?;
    let port: u16 = port.parse().map_err(|_| bad())?;
    let host_ok = if let Some(v6) = host.strip_prefix('[').and_then(|h| h.strip_suffix(']')) {
        v6.parse::<std::net::Ipv6Addr>().is_ok()
    } else {
        !host.is_empty()
            && host.len() <= 253
            && host
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '.' || c == '-')
    };
    if port == 0 || !host_ok {
        return Err(bad());
    }
    Ok(value.to_owned())
}

fn fingerprint(value: &str) -> Result<[u8; 32], InviteError> {
    let mut out = [0u8; 32];
    hex::decode_to_slice(value, &mut out).map_err(|_| InviteError::BadField("ca"))?;
    Ok(out)
}

/// Field names and versions echoed in errors are cut short, and anything but printable ASCII
/// (which every real field name and version is) shown as `?`: the input is untrusted, and the
/// message reaches logs, where an escaped control or unassigned character takes up to ten
/// characters (fuzzing found 32 of them making a message of hundreds).
fn truncate(text: &str) -> String {
    text.chars()
        .take(32)
        .map(|c| if c.is_ascii_graphic() { c } else { '?' })
        .collect()
}
