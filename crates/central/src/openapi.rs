//! The API listener's OpenAPI document, derived from the handlers' `#[utoipa::path]`
//! annotations and the wire types' schemas (`placeforte-protocol`'s `openapi` feature).
//!
//! `docs/openapi.json` is this document, committed; `tests/openapi.rs` fails when the two
//! differ and when a route of [`crate::api_routes`] is missing from it.

use std::sync::LazyLock;

use axum::http::header;
use axum::response::IntoResponse;
use utoipa::openapi::schema::{ObjectBuilder, Schema, Type};
use utoipa::openapi::security::SecurityScheme;
use utoipa::openapi::RefOr;
use utoipa::{Modify, OpenApi};

use crate::routes;

/// Path of the document on the API listener.
pub const OPENAPI_PATH: &str = "/v1/openapi.json";

/// Name of the security scheme every operation requires (also spelt out in `security(...)`
/// below, which takes only a literal).
const DEVICE_CERTIFICATE: &str = "device_certificate";

#[derive(OpenApi)]
#[openapi(
    info(
        title = "PlaceForte central service: API listener",
        version = "v1",
        description = "Reached only by enrolled daycare workstations over mutual TLS. Every \
            referral id is scoped to the caller's daycare: any other id answers exactly like a \
            missing one. Enrolment (`POST /v1/enrol`) is on the separate enrolment listener and \
            not described here.",
    ),
    paths(
        routes::health,
        routes::whoami,
        routes::renew,
        routes::crl,
        routes::declare_vacancy,
        routes::sync_referrals,
        routes::demand,
        routes::record_outcome,
        routes::reveal_contact,
        crate::intake::routes::create_registration,
        crate::intake::routes::update_registration,
        crate::intake::routes::withdraw_registration,
        crate::intake::routes::pending_reports,
        crate::intake::routes::confirm_report,
        document,
    ),
    modifiers(&MutualTls),
    security(("device_certificate" = [])),
    tags(
        (name = "service", description = "Health and this document."),
        (name = "device", description = "The calling workstation's identity and certificate."),
        (name = "referrals", description = "Vacancies, referrals, outcomes and contact reveals."),
        (name = "intake", description = "The registration front end's interface: registrations in, and the family's confirmations. An intake client certificate only; refused to daycare workstations."),
    )
)]
struct ApiDoc;

/// Declares the client certificate (TLS 1.3, issued by the service's device CA) as the
/// scheme of every operation: the listener refuses a handshake without one.
struct MutualTls;

impl Modify for MutualTls {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            DEVICE_CERTIFICATE,
            SecurityScheme::MutualTls {
                description: Some(
                    "A device certificate from the service's own CA, obtained by enrolment."
                        .to_owned(),
                ),
                extensions: None,
            },
        );
    }
}

/// The CRL's body in the document: raw DER bytes, not JSON (an array of numbers is what a
/// `Vec<u8>` body would say). Uninhabited: it only names a schema.
pub(crate) enum CrlDer {}

impl utoipa::PartialSchema for CrlDer {
    fn schema() -> RefOr<Schema> {
        ObjectBuilder::new()
            .schema_type(Type::String)
            .content_media_type("application/pkix-crl")
            .description(Some("A certificate revocation list, DER (RFC 5280)."))
            .into()
    }
}

impl utoipa::ToSchema for CrlDer {}

/// The document.
pub fn document_value() -> utoipa::openapi::OpenApi {
    ApiDoc::openapi()
}

/// The document as committed: pretty-printed JSON with a final newline. Maps are ordered
/// (utoipa keeps paths, schemas and properties in sorted maps), so the text is stable.
pub fn document_text() -> String {
    static TEXT: LazyLock<String> = LazyLock::new(|| {
        let mut text = document_value()
            .to_pretty_json()
            .unwrap_or_else(|error| format!("{{\"error\":\"{error}\"}}"));
        text.push('\n');
        text
    });
    TEXT.clone()
}

/// `GET /v1/openapi.json`. Served on the mutual-TLS listener like the rest, not publicly: the
/// only clients are enrolled workstations and the people building them, and a map of the API
/// is of no use to anyone who cannot complete the handshake — except an attacker surveying it.
#[utoipa::path(get, path = OPENAPI_PATH, tag = "service",
    responses((status = 200, description = "This document.", content_type = "application/json",
        body = Object)))]
pub(crate) async fn document() -> impl IntoResponse {
    (
        [(header::CONTENT_TYPE, "application/json")],
        document_text(),
    )
}
