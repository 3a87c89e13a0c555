//! PlaceForte central service (placeholder until the central-service issue lands).
#![forbid(unsafe_code)]
