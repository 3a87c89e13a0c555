//! The branch and bound (step 3 of the composer's documentation) over the children in priority
//! order, within its node and work budgets, seeded with the best composition found so far.

use super::problem::{Assignment, Levels, Problem};
use super::{SEARCH_NODE_BUDGET, SEARCH_WORK_BUDGET};

struct Search {
    best: Assignment,
    best_levels: Levels,
    best_placed: usize,
    current: Assignment,
    nodes: u64,
    /// `Year::work` at which to give up.
    work_limit: u64,
    aborted: bool,
}

impl<K: Clone + Ord> Problem<'_, K> {
    /// Branch and bound from the pins (loaded), seeded with `incumbent`: the best found, and
    /// whether the search finished within its budgets (so that it is the best there is).
    pub(super) fn search(&mut self, incumbent: Assignment) -> (Assignment, bool) {
        let mut search = Search {
            best_placed: incumbent.iter().filter(|g| g.is_some()).count() - self.pins.len(),
            best_levels: self.score(&incumbent).levels(),
            best: incumbent,
            current: self.pins_only(),
            nodes: 0,
            work_limit: self.year.work.saturating_add(SEARCH_WORK_BUDGET),
            aborted: false,
        };
        self.branch(&mut search, 0, 0);
        (search.best, !search.aborted)
    }

    fn branch(&mut self, s: &mut Search, depth: usize, placed: usize) {
        s.nodes += 1;
        if s.nodes > SEARCH_NODE_BUDGET || self.year.work > s.work_limit {
            s.aborted = true;
        }
        if s.aborted {
            return;
        }
        let remaining = self.free.len() - depth;
        if placed + remaining < s.best_placed {
            return;
        }
        // The best this branch could still reach on every criterion but the tie-break: if
        // that is no better than what we have, nothing below can be.
        if self.optimistic(&s.current, depth) <= s.best_levels {
            return;
        }
        let Some(&i) = self.free.get(depth) else {
            let levels = self.score(&s.current).levels();
            if levels > s.best_levels {
                s.best_levels = levels;
                s.best = s.current.clone();
                s.best_placed = placed;
            }
            return;
        };
        for g in self.preference(i, &s.current) {
            if self.year.fits(&self.profiles[i], g) {
                self.year.add(&self.profiles[i], g);
                s.current[i] = Some(g);
                self.branch(s, depth + 1, placed + 1);
                s.current[i] = None;
                self.year.remove(&self.profiles[i], g);
                if s.aborted {
                    return;
                }
            }
        }
        self.branch(s, depth + 1, placed);
    }
}
