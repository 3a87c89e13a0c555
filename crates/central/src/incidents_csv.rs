//! The register as CSV, the copy the Commission d'accès à l'information may ask for (A-2.1,
//! s. 63.11). RFC 4180 through the `csv` crate: every field quoted, so commas, quotes and line
//! breaks in the free text survive a spreadsheet or a parser. Headers are French (the
//! Commission's language) with the paragraph of s. 7 of, r. 3.1 each column answers.

use crate::incidents::Incident;

/// The header row, in column order.
pub const HEADERS: [&str; 20] = [
    "Numéro",
    "Inscrit le",
    "Inscrit par",
    "Mis à jour le",
    "Renseignements décrits (1°)",
    "Renseignements visés ou raison de ne pas les décrire (1°)",
    "Circonstances (2°)",
    "Date ou période de l'incident (3°)",
    "Date approximative (3°)",
    "Date ou période de prise de connaissance (4°)",
    "Nombre de personnes concernées (5°)",
    "Nombre approximatif (5°)",
    "Éléments de l'évaluation du risque (6°)",
    "Risque de préjudice sérieux (6°)",
    "Avis à la Commission (7°)",
    "Avis aux personnes concernées (7°)",
    "Avis publics et motif (7°)",
    "Mesures prises (8°)",
    "Alerte d'origine",
    "Avis à transmettre",
];

/// A CSV export failed (writing to memory only fails on a bug, but it is not `unwrap`ped).
#[derive(Debug, thiserror::Error)]
#[error("cannot write the register as CSV: {0}")]
pub struct CsvError(#[from] csv::Error);

/// The register as CSV text (UTF-8, CRLF line ends as RFC 4180 says).
pub fn register_csv(register: &[Incident]) -> Result<String, CsvError> {
    let mut writer = csv::WriterBuilder::new()
        .quote_style(csv::QuoteStyle::Always)
        .terminator(csv::Terminator::CRLF)
        .from_writer(Vec::new());
    writer.write_record(HEADERS)?;
    for incident in register {
        writer.write_record(row(incident))?;
    }
    let bytes = writer
        .into_inner()
        .map_err(|e| CsvError(csv::Error::from(e.into_error())))?;
    String::from_utf8(bytes).map_err(|e| CsvError(csv::Error::from(std::io::Error::other(e))))
}

/// One incident's fields, in [`HEADERS`] order.
pub fn row(incident: &Incident) -> [String; 20] {
    let d = &incident.details;
    let yes_no = |b: bool| if b { "oui" } else { "non" }.to_owned();
    let day = |d: Option<chrono::NaiveDate>| d.map(|d| d.to_string()).unwrap_or_default();
    [
        incident.id.to_string(),
        incident.recorded_at.clone(),
        incident.recorded_by.clone(),
        incident.updated_at.clone(),
        yes_no(d.information_described),
        d.information.clone(),
        d.circumstances.clone(),
        d.occurred.to_string(),
        yes_no(d.occurred_approximate),
        d.aware.to_string(),
        d.persons_concerned.to_string(),
        yes_no(d.persons_approximate),
        d.risk_assessment.clone(),
        yes_no(d.serious_risk),
        day(d.commission_notified_on),
        day(d.persons_notified_on),
        d.public_notice_reason.clone().unwrap_or_default(),
        d.measures.clone(),
        incident.alert_id.map(|a| a.to_string()).unwrap_or_default(),
        yes_no(d.notices_due()),
    ]
}
