//! Import benchmark: preview and save of a 10,000-line CSV (target under 1 s).
//!
//! `cargo bench -p placeforte-desk --bench import` prints the median of 15 runs of each step.
#![allow(clippy::unwrap_used)]

use std::time::{Duration, Instant};

use chrono::NaiveDate;
use placeforte_desk::import::preview;
use placeforte_desk::{CacheFile, CacheKey};

const LINES: usize = 10_000;
const RUNS: usize = 15;

/// A synthetic list in the French Excel form (`;`, quoted cells with accents, both date forms).
fn synthetic_csv() -> Vec<u8> {
    let given = [
        "Éloïse",
        "Jean-François",
        "Zoé",
        "Noah",
        "Léa",
        "Maëlle",
        "Thomas",
        "Chloé",
    ];
    let family = [
        "Côté",
        "D'Amours",
        "Tremblay",
        "Gagnon",
        "Bouchard",
        "Lévesque",
    ];
    let mut text =
        String::from("Prénom;Nom;Date de naissance;Départ prévu;Groupe;Besoins particuliers\r\n");
    for i in 0..LINES {
        let birth = if i % 2 == 0 {
            format!("2022-{:02}-{:02}", i % 12 + 1, i % 28 + 1)
        } else {
            format!("{:02}/{:02}/2023", i % 28 + 1, i % 12 + 1)
        };
        text.push_str(&format!(
            "\"{}\";\"{}\";{birth};;Groupe {};{}\r\n",
            given[i % given.len()],
            family[i % family.len()],
            i % 9,
            if i % 17 == 0 { "1,5" } else { "" }
        ));
    }
    text.into_bytes()
}

fn median(mut samples: Vec<Duration>) -> Duration {
    samples.sort();
    samples[samples.len() / 2]
}

#[tokio::main(flavor = "current_thread")]
async fn main() {
    let bytes = synthetic_csv();
    let today = NaiveDate::from_ymd_opt(2026, 6, 1).unwrap();
    let mut previews = Vec::new();
    let mut saves = Vec::new();
    let dir = tempfile::tempdir().unwrap();
    let cache = CacheFile::new(dir.path().join("cache.sqlite"))
        .open(&CacheKey::generate().unwrap())
        .await
        .unwrap();
    for _ in 0..RUNS {
        let start = Instant::now();
        let result = preview(&bytes, today).unwrap();
        previews.push(start.elapsed());
        assert_eq!(result.children.len(), LINES);
        let accepted = result.accept().unwrap();
        let start = Instant::now();
        cache.replace_enrolled_children(&accepted).await.unwrap();
        saves.push(start.elapsed());
    }
    let (p, s) = (median(previews), median(saves));
    println!(
        "import of {LINES} lines ({} KiB), median of {RUNS} runs:",
        bytes.len() / 1024
    );
    println!(
        "  preview (decode, parse, check): {:.1} ms",
        p.as_secs_f64() * 1e3
    );
    println!(
        "  save into the SQLCipher cache:  {:.1} ms",
        s.as_secs_f64() * 1e3
    );
    println!(
        "  total:                          {:.1} ms (target < 1000 ms)",
        (p + s).as_secs_f64() * 1e3
    );
}
