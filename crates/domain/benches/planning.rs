//! June group formation benchmarks: the composer on 80- and 100-place installations with 2,000
//! candidates, the composer against the first-fit greedy on 1,000 generated instances, and the
//! simulator over a full year for 100 children. Prints medians and every run; see
//! `docs/benchmarks.md`. Run: `cargo bench -p placeforte-domain --bench planning`.
#![allow(clippy::unwrap_used)] // A benchmark binary: a broken instance should stop it loudly.

use std::time::{Duration, Instant};

use chrono::{Days, NaiveDate};
use placeforte_domain::{
    compose, first_fit_greedy, simulate, AgeClass, AgeClassSet, BirthDate, Capacity, Entrant,
    EntrantKind, Group, Installation, Permit, Placement, PlannedChild, QUEBEC_2025,
};

use AgeClass::{FourYears, From18MonthsTo4Years as Toddler, Under18Months as Baby};

fn d(y: i32, m: u32, day: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, day).unwrap()
}

fn start() -> NaiveDate {
    d(2026, 9, 1)
}

/// xorshift64: deterministic instances without a dependency.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }

    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
}

/// A realistic CPE: babies' groups that keep their children past 18 months, toddlers' groups
/// of 8 for one educator, 4-year groups of 10.
fn installation(places: u32) -> Installation {
    let (permit, babies, toddlers, fours, mixed) = match places {
        80 => ([10, 40, 30], 2, 5, 3, 0),
        _ => ([15, 45, 40], 3, 5, 4, 1),
    };
    let permit = Permit::new(
        [
            (Baby, permit[0].into()),
            (Toddler, permit[1].into()),
            (FourYears, permit[2].into()),
            (AgeClass::FiveAndOver, 0.into()),
        ],
        &QUEBEC_2025,
    )
    .unwrap();
    let mut groups = Vec::new();
    let mut add = |name: String, classes: &[AgeClass], capacity: u32| {
        groups
            .push(Group::new(name, AgeClassSet::of(classes), Capacity::from(capacity), 1).unwrap());
    };
    for i in 0..babies {
        add(format!("Poupons {i}"), &[Baby, Toddler], 5);
    }
    for i in 0..toddlers {
        add(format!("Trottineurs {i}"), &[Toddler], 8);
    }
    for i in 0..fours {
        add(format!("Quatre ans {i}"), &[FourYears], 10);
    }
    for i in 0..mixed {
        add(format!("Multi {i}"), &[Toddler, FourYears], 5);
    }
    Installation::new(permit, groups, &QUEBEC_2025).unwrap()
}

/// `returning` children already enrolled (in a current group), then referrals ranked 1.., born
/// over five years, most arriving on the first day, some later, some leaving during the year.
fn entrants(
    rng: &mut Rng,
    installation: &Installation,
    returning: usize,
    referrals: usize,
) -> Vec<Entrant<u32>> {
    let groups = installation.groups().len() as u64;
    (0..returning + referrals)
        .map(|i| {
            let birth = d(2021, 10, 1) + Days::new(rng.below(1795));
            let arrival = if rng.below(10) < 7 {
                start()
            } else {
                start() + Days::new(rng.below(300))
            }
            .max(birth);
            let departure = (rng.below(10) == 0).then(|| arrival + Days::new(30 + rng.below(300)));
            let child = PlannedChild::new(
                i as u32,
                BirthDate::new(birth, birth).unwrap(),
                arrival,
                departure,
            )
            .unwrap();
            let kind = if i < returning {
                EntrantKind::Returning {
                    current_group: Some(rng.below(groups) as usize),
                }
            } else {
                EntrantKind::Referral {
                    rank: (i - returning + 1) as u32,
                }
            };
            Entrant {
                child,
                kind,
                pinned: None,
            }
        })
        .collect()
}

fn median(mut runs: Vec<Duration>) -> Duration {
    runs.sort();
    runs[runs.len() / 2]
}

fn ms(d: Duration) -> String {
    format!("{:.2} ms", d.as_secs_f64() * 1000.0)
}

fn bench_composer(places: u32, candidates: usize) {
    let installation = installation(places);
    let mut rng = Rng(0x5eed_0000 + u64::from(places));
    let returning = candidates.min(40) / 2;
    let entrants = entrants(&mut rng, &installation, returning, candidates - returning);
    let mut runs = Vec::new();
    let mut placed = 0;
    let mut optimality = None;
    for _ in 0..11 {
        let t = Instant::now();
        let composition = compose(&installation, &entrants, &[], start()).unwrap();
        runs.push(t.elapsed());
        placed = composition.placed.len();
        optimality = Some(composition.optimality);
    }
    let greedy = first_fit_greedy(&installation, &entrants, start())
        .unwrap()
        .len();
    let all: Vec<String> = runs
        .iter()
        .map(|r| format!("{:.1}", r.as_secs_f64() * 1000.0))
        .collect();
    println!(
        "composer, {places}-place installation, {candidates} candidates: median {} (runs ms: {}); placed {placed}, first-fit greedy {greedy}, {:?}",
        ms(median(runs.clone())),
        all.join(", "),
        optimality.unwrap()
    );
}

fn bench_against_greedy() {
    let (mut sum_ratio, mut worst_ratio, mut sum_gain, mut best_gain, mut fewer) =
        (0.0, f64::MAX, 0i64, 0i64, 0);
    let mut slowest = Duration::ZERO;
    let n = 1000;
    for seed in 0..n {
        let mut rng = Rng(0x1234_5678_9abc_def1 ^ (seed * 0x9e37_79b9_7f4a_7c15));
        let installation = installation(if seed % 2 == 0 { 80 } else { 100 });
        let entrants = entrants(&mut rng, &installation, 30, 170);
        let t = Instant::now();
        let placed = compose(&installation, &entrants, &[], start())
            .unwrap()
            .placed
            .len() as i64;
        slowest = slowest.max(t.elapsed());
        let greedy = first_fit_greedy(&installation, &entrants, start())
            .unwrap()
            .len() as i64;
        let ratio = placed as f64 / greedy.max(1) as f64;
        sum_ratio += ratio;
        worst_ratio = worst_ratio.min(ratio);
        sum_gain += placed - greedy;
        best_gain = best_gain.max(placed - greedy);
        if placed < greedy {
            fewer += 1;
        }
    }
    println!(
        "composer vs first-fit greedy, {n} instances (80/100 places, 200 candidates): placed/greedy mean {:.4}, worst {:.4}; extra children mean {:.2}, most {best_gain}; instances with fewer: {fewer}; slowest compose {}",
        sum_ratio / n as f64,
        worst_ratio,
        sum_gain as f64 / n as f64,
        ms(slowest)
    );
}

fn bench_simulator() {
    let installation = installation(100);
    let mut rng = Rng(0xfeed);
    let entrants = entrants(&mut rng, &installation, 0, 400);
    let placements: Vec<Placement<u32>> =
        first_fit_greedy(&installation, &entrants, start()).unwrap();
    // 100 children: the greedy's placements, topped up in group order if needed.
    let mut placements: Vec<_> = placements.into_iter().take(100).collect();
    let mut extra = entrants.iter().skip(placements.len());
    while placements.len() < 100 {
        let e = extra.next().unwrap();
        placements.push(Placement {
            child: e.child.clone(),
            group: placements.len() % installation.groups().len(),
        });
    }
    let mut runs = Vec::new();
    let mut periods = 0;
    for _ in 0..101 {
        let t = Instant::now();
        let sim = simulate(&installation, &placements, start()).unwrap();
        runs.push(t.elapsed());
        periods = sim.periods.len();
    }
    println!(
        "simulator, 100 children, {} to {}: median {} over 101 runs (min {}, max {}); {periods} periods",
        start(),
        placeforte_domain::school_year_end(start(), &QUEBEC_2025),
        ms(median(runs.clone())),
        ms(*runs.iter().min().unwrap()),
        ms(*runs.iter().max().unwrap()),
    );
}

fn main() {
    let only = std::env::var("PLACEFORTE_BENCH_ONLY").ok();
    if only.as_deref() == Some("composer") {
        bench_composer(80, 2000);
        bench_composer(100, 2000);
        for candidates in [12, 20, 30, placeforte_domain::composer::EXACT_SEARCH_LIMIT] {
            bench_composer(80, candidates);
            bench_composer(100, candidates);
        }
        return;
    }
    bench_simulator();
    bench_composer(80, 2000);
    bench_composer(100, 2000);
    // Instances up to the largest the exact search is tried on: is it proven?
    for candidates in [12, 20, 30, placeforte_domain::composer::EXACT_SEARCH_LIMIT] {
        bench_composer(80, candidates);
        bench_composer(100, candidates);
    }
    bench_against_greedy();
}
