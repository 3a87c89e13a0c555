//! The messages of c2sp.org/tlog-witness `add-checkpoint`.
//!
//! Request body: `old <size>\n`, up to 63 base64 consistency-proof lines, an empty line, then
//! the signed checkpoint note. A 409 Conflict answers `<size>\n` as `text/x.tlog.size`; a
//! 200 answers the cosignature lines.

use base64::prelude::*;

use crate::Hash;

/// The most proof lines a request may carry.
pub const MAX_PROOF_LINES: usize = 63;

/// The largest request body a witness reads (a checkpoint with a few signatures and a
/// 63-line proof is a few kilobytes).
pub const MAX_BODY_BYTES: usize = 64 * 1024;

/// The content type of a 409's body.
pub const SIZE_CONTENT_TYPE: &str = "text/x.tlog.size";

/// The request is malformed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ProtocolError {
    /// Not the format above.
    #[error("malformed add-checkpoint request: {0}")]
    Malformed(&'static str),
}

/// An `add-checkpoint` request.
#[derive(Debug, Clone, PartialEq)]
pub struct AddCheckpoint {
    /// The size of the last checkpoint the witness cosigned for this log, as the log believes.
    pub old_size: u64,
    /// The consistency proof from `old_size` to the checkpoint's size.
    pub proof: Vec<Hash>,
    /// The signed checkpoint note.
    pub checkpoint: String,
}

impl AddCheckpoint {
    /// The request body.
    pub fn to_body(&self) -> String {
        let mut body = format!("old {}\n", self.old_size);
        for hash in &self.proof {
            body.push_str(&BASE64_STANDARD.encode(hash.0));
            body.push('\n');
        }
        body.push('\n');
        body.push_str(&self.checkpoint);
        body
    }

    /// Parses a request body.
    pub fn parse(body: &str) -> Result<AddCheckpoint, ProtocolError> {
        if body.len() > MAX_BODY_BYTES {
            return Err(ProtocolError::Malformed("too large"));
        }
        let (old_line, mut rest) = body
            .split_once('\n')
            .ok_or(ProtocolError::Malformed("no old size line"))?;
        let old_size = parse_size(old_line.strip_prefix("old ").ok_or(
            ProtocolError::Malformed("the first line is not `old <size>`"),
        )?)?;
        let mut proof = Vec::new();
        loop {
            let (line, after) = rest.split_once('\n').ok_or(ProtocolError::Malformed(
                "no empty line before the checkpoint",
            ))?;
            rest = after;
            if line.is_empty() {
                break;
            }
            if proof.len() == MAX_PROOF_LINES {
                return Err(ProtocolError::Malformed("more than 63 proof lines"));
            }
            let bytes = BASE64_STANDARD
                .decode(line)
                .map_err(|_| ProtocolError::Malformed("a proof line is not base64"))?;
            let hash: [u8; 32] = bytes
                .try_into()
                .map_err(|_| ProtocolError::Malformed("a proof line is not a 32-byte hash"))?;
            proof.push(Hash(hash));
        }
        if rest.is_empty() {
            return Err(ProtocolError::Malformed("no checkpoint"));
        }
        Ok(AddCheckpoint {
            old_size,
            proof,
            checkpoint: rest.to_owned(),
        })
    }
}

/// A decimal size with no leading zeroes (`0` for zero), as the protocol writes sizes.
pub fn parse_size(text: &str) -> Result<u64, ProtocolError> {
    let bad = ProtocolError::Malformed("a size is not a decimal without leading zeroes");
    if text.is_empty()
        || !text.bytes().all(|b| b.is_ascii_digit())
        || (text.len() > 1 && text.starts_with('0'))
    {
        return Err(bad);
    }
    text.parse().map_err(|_| bad)
}

/// The body of a 409 Conflict: the witness's size for the log.
pub fn conflict_body(size: u64) -> String {
    format!("{size}\n")
}

/// Parses the body of a 409 Conflict.
pub fn parse_conflict_body(body: &str) -> Result<u64, ProtocolError> {
    parse_size(
        body.strip_suffix('\n')
            .ok_or(ProtocolError::Malformed("the size line has no newline"))?,
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn requests_round_trip_and_malformed_ones_are_refused() {
        let request = AddCheckpoint {
            old_size: 20_852_014,
            proof: vec![Hash([1; 32]), Hash([2; 32])],
            checkpoint: "example.com/log\n3\nAAAA\n\n— example.com/log sig\n".to_owned(),
        };
        let body = request.to_body();
        assert!(body.starts_with("old 20852014\nAQEB"));
        assert_eq!(AddCheckpoint::parse(&body), Ok(request));

        for bad in [
            "",
            "old 01\n\nx",
            "old -1\n\nx",
            "new 1\n\nx",
            "old 1\nnot base64!\n\nx",
            "old 1\nAQEB\n\nx",
            "old 1\n\n",
            "old 1\n",
        ] {
            assert!(AddCheckpoint::parse(bad).is_err(), "{bad:?}");
        }
        let long = format!(
            "old 1\n{}\nx",
            "AQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQE=\n".repeat(64)
        );
        assert!(AddCheckpoint::parse(&long).is_err());
        assert_eq!(parse_conflict_body(&conflict_body(42)), Ok(42));
        assert!(parse_conflict_body("42").is_err());
        assert_eq!(parse_size("0"), Ok(0));
    }
}
