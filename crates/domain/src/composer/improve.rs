//! Local improvement (step 2 of the composer's documentation): moves accepted only when they
//! make the composition better on the composer's criteria.

use super::problem::{Assignment, Problem};
use super::IMPROVEMENT_WORK_BUDGET;

impl<K: Clone + Ord> Problem<'_, K> {
    fn budget_left(&self) -> bool {
        self.year.work < IMPROVEMENT_WORK_BUDGET
    }

    /// Local improvement from `assignment`, which must be loaded.
    pub(super) fn improve(&mut self, assignment: &mut Assignment) {
        // Moving children to their current group or to their siblings can make room for a
        // child left out, so place more again until nothing changes. Every pass makes the
        // composition strictly better, so this ends (or the budget does).
        loop {
            self.place_more(assignment);
            let before = assignment.clone();
            self.keep_current_groups(assignment);
            self.meet_sibling_wishes(assignment);
            if *assignment == before || !self.budget_left() {
                break;
            }
        }
    }

    /// Inserts, makes room for, or swaps in children left out, until none of these moves
    /// works for any of them.
    fn place_more(&mut self, assignment: &mut Assignment) {
        loop {
            let mut improved = false;
            let mut failed: Vec<bool> = vec![false; self.profiles.len()];
            for k in 0..self.free.len() {
                let u = self.free[k];
                if assignment[u].is_some() || failed[self.profile_ids[u]] {
                    continue;
                }
                if !self.budget_left() {
                    break;
                }
                if self.insert(u, assignment)
                    || self.make_room(u, assignment)
                    || self.replace_lower_ranked(u, assignment)
                {
                    improved = true;
                    failed.iter_mut().for_each(|f| *f = false);
                } else {
                    failed[self.profile_ids[u]] = true;
                }
            }
            if !improved || !self.budget_left() {
                break;
            }
        }
    }

    fn insert(&mut self, u: usize, assignment: &mut Assignment) -> bool {
        for g in self.preference(u, assignment) {
            if self.year.fits(&self.profiles[u], g) {
                self.year.add(&self.profiles[u], g);
                assignment[u] = Some(g);
                return true;
            }
        }
        false
    }

    /// Moves one placed child to another group so that `u` fits where it was.
    fn make_room(&mut self, u: usize, assignment: &mut Assignment) -> bool {
        for a in 0..self.groups {
            if !self.year.holds(&self.profiles[u], a) {
                continue;
            }
            let movable: Vec<usize> = self
                .free
                .iter()
                .rev()
                .copied()
                .filter(|&p| assignment[p] == Some(a))
                .collect();
            for p in movable {
                if !self.budget_left() {
                    return false;
                }
                self.year.remove(&self.profiles[p], a);
                if self.year.fits(&self.profiles[u], a) {
                    self.year.add(&self.profiles[u], a);
                    for b in (0..self.groups).filter(|&b| b != a) {
                        if self.year.fits(&self.profiles[p], b) {
                            self.year.add(&self.profiles[p], b);
                            assignment[u] = Some(a);
                            assignment[p] = Some(b);
                            return true;
                        }
                    }
                    self.year.remove(&self.profiles[u], a);
                }
                self.year.add(&self.profiles[p], a);
            }
        }
        false
    }

    /// Replaces a lower-ranked placed child by `u`, then puts the lower-ranked one back if it
    /// still fits somewhere: as many placed, and a higher-ranked child among them.
    fn replace_lower_ranked(&mut self, u: usize, assignment: &mut Assignment) -> bool {
        let lower: Vec<usize> = self
            .free
            .iter()
            .rev()
            .copied()
            .take_while(|&l| l > u)
            .filter(|&l| assignment[l].is_some())
            .collect();
        for l in lower {
            if !self.budget_left() {
                return false;
            }
            let Some(g) = assignment[l] else { continue };
            self.year.remove(&self.profiles[l], g);
            assignment[l] = None;
            if self.insert(u, assignment) {
                self.insert(l, assignment);
                return true;
            }
            self.year.add(&self.profiles[l], g);
            assignment[l] = Some(g);
        }
        false
    }

    /// Moves returning children back to their current group where they fit.
    fn keep_current_groups(&mut self, assignment: &mut Assignment) {
        for k in 0..self.free.len() {
            let i = self.free[k];
            let (Some(now), Some(current)) = (assignment[i], self.current_group(i)) else {
                continue;
            };
            if now == current || !self.year.holds(&self.profiles[i], current) {
                continue;
            }
            self.year.remove(&self.profiles[i], now);
            let target = if self.year.fits(&self.profiles[i], current) {
                current
            } else {
                now
            };
            self.year.add(&self.profiles[i], target);
            assignment[i] = Some(target);
        }
    }

    /// Moves a sibling to meet a wish, when the move keeps everything else as good.
    fn meet_sibling_wishes(&mut self, assignment: &mut Assignment) {
        for w in 0..self.wishes.len() {
            let (a, b, together) = self.wishes[w];
            for (mover, other) in [(b, a), (a, b)] {
                let (Some(from), Some(other_group)) = (assignment[mover], assignment[other]) else {
                    break;
                };
                if (from == other_group) == together {
                    break;
                }
                if self.free_position[mover].is_none() || self.current_group(mover) == Some(from) {
                    continue;
                }
                let targets: Vec<usize> = if together {
                    vec![other_group]
                } else {
                    (0..self.groups).filter(|&g| g != other_group).collect()
                };
                let before = self.score(assignment);
                self.year.remove(&self.profiles[mover], from);
                let mut moved = false;
                for g in targets {
                    if self.year.fits(&self.profiles[mover], g) {
                        let mut trial = assignment.clone();
                        trial[mover] = Some(g);
                        if self.score(&trial) > before {
                            self.year.add(&self.profiles[mover], g);
                            *assignment = trial;
                            moved = true;
                            break;
                        }
                    }
                }
                if moved {
                    break;
                }
                self.year.add(&self.profiles[mover], from);
            }
        }
    }
}
