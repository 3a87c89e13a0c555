//! The access report as a document a family can be handed: who consulted its file, when and
//! why, in French or English, each line with the proof the witnessed log gives it. Built from
//! the verified [`AccessReport`] (crates/central/src/audit/access_report.rs checks every proof
//! before this runs) and written as PDF by [`crate::pdf_text`].
//!
//! The document names no child and no parent: the family knows whose file its public number
//! is, and a report sent by mail or e-mail that is lost discloses no one.

use chrono::{DateTime, Utc};
use chrono_tz::America::Toronto as QUEBEC;
use placeforte_translog::leaf::AuditLeaf;
use placeforte_translog::report::AccessReport;

use crate::pdf_text::{self, Block};

/// The language of the document.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Language {
    /// Français (Canada): the default.
    French,
    /// English (Canada).
    English,
}

impl std::str::FromStr for Language {
    type Err = PublicNumberError;

    fn from_str(text: &str) -> Result<Language, PublicNumberError> {
        match text {
            "fr" | "fr-CA" => Ok(Language::French),
            "en" | "en-CA" => Ok(Language::English),
            other => Err(PublicNumberError::Language(other.to_owned())),
        }
    }
}

/// A registration's public number, as families see it: `PF-00000042`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PublicNumber(pub i64);

impl std::fmt::Display for PublicNumber {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "PF-{:08}", self.0)
    }
}

/// A public number or a language that cannot be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PublicNumberError {
    /// Not `PF-` and digits (or digits alone).
    #[error("{0:?} is not a registration's public number (PF-00000042)")]
    Malformed(String),
    /// Not a language the document is written in.
    #[error("{0:?} is not a language of the report (fr or en)")]
    Language(String),
}

impl std::str::FromStr for PublicNumber {
    type Err = PublicNumberError;

    /// `PF-00000042`, `pf-42` or `42`.
    fn from_str(text: &str) -> Result<PublicNumber, PublicNumberError> {
        let trimmed = text.trim();
        let digits = trimmed
            .get(..3)
            .filter(|prefix| prefix.eq_ignore_ascii_case("PF-"))
            .map_or(trimmed, |_| &trimmed[3..]);
        match digits.parse::<i64>() {
            Ok(n) if n > 0 && digits.bytes().all(|b| b.is_ascii_digit()) => Ok(PublicNumber(n)),
            _ => Err(PublicNumberError::Malformed(text.to_owned())),
        }
    }
}

/// The document as PDF bytes.
pub fn access_report_pdf(
    report: &AccessReport,
    number: PublicNumber,
    language: Language,
    now: DateTime<Utc>,
) -> Vec<u8> {
    let t = Texts::of(language);
    pdf_text::render(
        &format!("{} {number}", t.title),
        t.lang,
        &blocks(report, number, language, now),
    )
}

/// The document's blocks (tested directly; [`access_report_pdf`] lays them out).
pub fn blocks(
    report: &AccessReport,
    number: PublicNumber,
    language: Language,
    now: DateTime<Utc>,
) -> Vec<Block> {
    let t = Texts::of(language);
    let mut out = vec![
        Block::Title(t.title.to_owned()),
        Block::Paragraph(format!("{} {number}", t.file)),
        Block::Paragraph(format!("{} {}", t.generated, local_time(now, language))),
        Block::Gap,
        Block::Paragraph(t.intro.to_owned()),
        Block::Gap,
    ];
    let head_size = checkpoint_size(&report.checkpoint);
    let lines = report
        .entries
        .iter()
        .map(|e| (&e.leaf, e.daycare_name.as_str(), Some(e.proof.len())))
        .chain(
            report
                .pending
                .iter()
                .map(|e| (&e.leaf, e.daycare_name.as_str(), None)),
        );
    let mut count = 0;
    for (leaf, daycare, proof) in lines {
        count += 1;
        out.push(Block::Heading(format!(
            "{count}. {}",
            local_time_text(&leaf.occurred_at, language)
        )));
        out.push(Block::Paragraph(format!(
            "{} {}",
            t.who,
            organisation(leaf, daycare, language)
        )));
        out.push(Block::Paragraph(format!(
            "{} {}",
            t.why,
            purpose(leaf, language)
        )));
        out.push(Block::Paragraph(match (proof, head_size) {
            (Some(hashes), Some(size)) => t.proven(leaf.seq, size, hashes),
            _ => t.pending(leaf.seq),
        }));
        out.push(Block::Gap);
    }
    if count == 0 {
        out.push(Block::Paragraph(t.none.to_owned()));
        out.push(Block::Gap);
    }
    out.push(Block::Heading(t.proof_heading.to_owned()));
    out.push(Block::Paragraph(t.proof_text.to_owned()));
    if report.checkpoint.is_empty() {
        out.push(Block::Paragraph(t.no_checkpoint.to_owned()));
    } else {
        out.push(Block::Fixed(report.checkpoint.trim_end().to_owned()));
    }
    out
}

/// Who acted: the daycare for a workstation, else the operator or the service itself.
fn organisation(leaf: &AuditLeaf, daycare: &str, language: Language) -> String {
    let french = language == Language::French;
    if leaf.actor.starts_with("device:") {
        if french {
            format!("{daycare} (garderie, depuis son poste inscrit)")
        } else {
            format!("{daycare} (daycare, from its enrolled workstation)")
        }
    } else if leaf.actor.starts_with("operator:") {
        if french {
            "l'opérateur du guichet unique (personnel autorisé)".to_owned()
        } else {
            "the single window's operator (authorized staff)".to_owned()
        }
    } else if french {
        "le service central lui-même (traitement automatique)".to_owned()
    } else {
        "the central service itself (automatic processing)".to_owned()
    }
}

/// Why, in words: the action and its reason code.
fn purpose(leaf: &AuditLeaf, language: Language) -> String {
    let french = language == Language::French;
    let reason = reason_words(&leaf.reason, language);
    let (fr, en): (String, String) = match leaf.action.as_str() {
        "referrals.synced" => (
            "synchronisation : le dossier (prénom et initiale, dates, catégorie) a été copié dans la liste chiffrée des candidats orientés vers la garderie.".into(),
            "sync: the file (given name and initial, dates, category) was copied into the daycare's encrypted list of referred candidates.".into(),
        ),
        "contact.revealed" => (
            format!("consultation de vos coordonnées, motif déclaré : {reason}."),
            format!("your contact details were viewed, stated reason: {reason}."),
        ),
        action if action.starts_with("contact.refused") => (
            format!("demande de vos coordonnées refusée par le service (limite atteinte), motif déclaré : {reason}. Rien n'a été montré."),
            format!("a request for your contact details was refused by the service (limit reached), stated reason: {reason}. Nothing was shown."),
        ),
        "vacancy.declared" => (
            "le dossier a été orienté vers une place que la garderie a déclarée libre.".into(),
            "the file was referred to a place the daycare declared vacant.".into(),
        ),
        "referral.outcome" => (
            format!("la garderie a enregistré une réponse à son offre ({reason})."),
            format!("the daycare recorded an answer to its offer ({reason})."),
        ),
        "referral.outcome_reported" => (
            "la réponse de la garderie attend la confirmation de l'opérateur.".into(),
            "the daycare's answer awaits the operator's confirmation.".into(),
        ),
        "outcome_report.confirmed" => (
            "l'opérateur a confirmé l'effet de la réponse sur la demande.".into(),
            "the operator confirmed the answer's effect on the request.".into(),
        ),
        "referral.outcome_reverted" => (
            "l'opérateur a annulé une réponse de la garderie.".into(),
            "the operator reversed an answer of the daycare.".into(),
        ),
        "referral.offer_expired" | "referral.no_answer_after_expiry" => (
            "le délai de réponse à l'offre est expiré.".into(),
            "the time to answer the offer ran out.".into(),
        ),
        "referral.not_found" => (
            "demande d'un dossier qui n'était pas orienté vers cette garderie, refusée.".into(),
            "a request for a file not referred to this daycare, refused.".into(),
        ),
        other => (format!("action « {other} »."), format!("action \"{other}\".")),
    };
    if french {
        fr
    } else {
        en
    }
}

fn reason_words(code: &str, language: Language) -> String {
    let french = language == Language::French;
    let (fr, en) = match code {
        "offer_call" => ("appel pour offrir une place", "call to offer a place"),
        "follow_up" => ("suivi d'une offre", "follow-up on an offer"),
        "admission_paperwork" => ("formalités d'admission", "admission paperwork"),
        "other" => ("autre", "other"),
        "accepted" => ("place acceptée", "place accepted"),
        "no_answer_by_deadline" => ("pas de réponse dans le délai", "no answer by the deadline"),
        "" => ("aucun", "none"),
        other => return other.to_owned(),
    };
    if french { fr } else { en }.to_owned()
}

fn local_time(at: DateTime<Utc>, language: Language) -> String {
    let local = at.with_timezone(&QUEBEC).format("%Y-%m-%d %H:%M");
    match language {
        Language::French => format!("{local} (heure du Québec)"),
        Language::English => format!("{local} (Québec time)"),
    }
}

fn local_time_text(rfc3339: &str, language: Language) -> String {
    match DateTime::parse_from_rfc3339(rfc3339) {
        Ok(at) => local_time(at.with_timezone(&Utc), language),
        Err(_) => rfc3339.to_owned(),
    }
}

/// The tree size a C2SP checkpoint note states (its second line).
fn checkpoint_size(note: &str) -> Option<u64> {
    note.lines()
        .nth(1)
        .and_then(|line| line.trim().parse().ok())
}

struct Texts {
    lang: &'static str,
    title: &'static str,
    file: &'static str,
    generated: &'static str,
    intro: &'static str,
    who: &'static str,
    why: &'static str,
    none: &'static str,
    proof_heading: &'static str,
    proof_text: &'static str,
    no_checkpoint: &'static str,
    language: Language,
}

impl Texts {
    fn of(language: Language) -> Texts {
        match language {
            Language::French => Texts {
                lang: "fr-CA",
                title: "Rapport d'accès à votre dossier",
                file: "Dossier d'inscription n°",
                generated: "Produit le",
                intro: "Ce rapport liste chaque fois qu'une organisation a consulté ou modifié votre dossier au guichet unique d'accès aux services de garde : qui, quand et pourquoi. Il est tiré du journal d'audit du service, que des témoins indépendants cosignent : une ligne ne peut pas en être retirée ou changée sans que la vérification l'indique.",
                who: "Qui :",
                why: "Pourquoi :",
                none: "Aucune organisation n'a consulté votre dossier.",
                proof_heading: "Preuves",
                proof_text: "Chaque ligne prouvée est incluse dans l'arbre du journal au point de contrôle ci-dessous, signé par le service et cosigné par un témoin. Sur demande, l'opérateur vous remet le même rapport en JSON, que toute personne peut vérifier hors ligne (placeforte-central audit verify-report) avec les clés publiques du journal et du témoin.",
                no_checkpoint: "Aucun point de contrôle n'est encore cosigné : les lignes ci-dessus seront prouvées au prochain.",
                language,
            },
            Language::English => Texts {
                lang: "en-CA",
                title: "Access report for your file",
                file: "Registration file no.",
                generated: "Produced on",
                intro: "This report lists every time an organisation consulted or changed your file at the single window for childcare services: who, when and why. It comes from the service's audit log, which independent witnesses cosign: no line can be removed or changed without the verification showing it.",
                who: "Who:",
                why: "Why:",
                none: "No organisation consulted your file.",
                proof_heading: "Proofs",
                proof_text: "Each proven line is included in the log's tree at the checkpoint below, signed by the service and cosigned by a witness. On request, the operator gives you the same report as JSON, which anyone can check offline (placeforte-central audit verify-report) with the public keys of the log and the witness.",
                no_checkpoint: "No checkpoint is cosigned yet: the lines above will be proven at the next one.",
                language,
            },
        }
    }

    fn proven(&self, seq: i64, size: u64, hashes: usize) -> String {
        match self.language {
            Language::French => format!("Preuve : entrée n° {seq} du journal, incluse dans l'arbre cosigné de {size} entrées (chemin de {hashes} empreintes, vérifié)."),
            Language::English => format!("Proof: log entry no. {seq}, included in the cosigned tree of {size} entries (path of {hashes} hashes, checked)."),
        }
    }

    fn pending(&self, seq: i64) -> String {
        match self.language {
            Language::French => format!("Entrée n° {seq} du journal : plus récente que le dernier point de contrôle cosigné; sa preuve viendra avec le prochain."),
            Language::English => format!("Log entry no. {seq}: newer than the last cosigned checkpoint; its proof comes with the next one."),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn public_numbers_read_with_or_without_their_prefix() {
        assert_eq!("PF-00000042".parse(), Ok(PublicNumber(42)));
        assert_eq!("pf-42".parse(), Ok(PublicNumber(42)));
        assert_eq!(" 42 ".parse(), Ok(PublicNumber(42)));
        assert_eq!(PublicNumber(42).to_string(), "PF-00000042");
        for bad in ["", "PF-", "PF-0", "-3", "PF-+4", "4a", "PX-42"] {
            assert!(bad.parse::<PublicNumber>().is_err(), "{bad:?}");
        }
    }

    #[test]
    fn languages_are_fr_or_en() {
        assert_eq!("fr".parse(), Ok(Language::French));
        assert_eq!("en-CA".parse(), Ok(Language::English));
        assert!("de".parse::<Language>().is_err());
    }
}
