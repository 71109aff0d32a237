//! One finding's story as the history keeps it: a state per run that covers the finding,
//! stored only where it changes. Pure logic, no database: what a run adds or replaces, which
//! changes that leaves, and when the current failing streak began.

/// A finding's state in one run. `Absent`: the run covered the finding's subscription and the
/// finding was not in it (the resource was deleted, or the check removed).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum State {
    Fail,
    Pass,
    NotAssessed,
    Suppressed,
    NotApplicable,
    Absent,
}

impl State {
    pub fn as_str(self) -> &'static str {
        match self {
            State::Fail => "fail",
            State::Pass => "pass",
            State::NotAssessed => "not_assessed",
            State::Suppressed => "suppressed",
            State::NotApplicable => "not_applicable",
            State::Absent => "absent",
        }
    }

    pub fn parse(s: &str) -> Option<State> {
        Some(match s {
            "fail" => State::Fail,
            "pass" => State::Pass,
            "not_assessed" => State::NotAssessed,
            "suppressed" => State::Suppressed,
            "not_applicable" => State::NotApplicable,
            "absent" => State::Absent,
            _ => return None,
        })
    }

    /// Whether a failing streak goes on through this state. Unknown (not assessed) and
    /// accepted (suppressed) are not fixes: the gap is still open. A pass, a resource that is
    /// gone or a check that no longer applies ends it.
    pub fn keeps_streak(self) -> bool {
        matches!(self, State::Fail | State::NotAssessed | State::Suppressed)
    }
}

impl From<crate::model::Status> for State {
    fn from(s: crate::model::Status) -> Self {
        use crate::model::Status;
        match s {
            Status::Fail => State::Fail,
            Status::Pass => State::Pass,
            Status::NotAssessed => State::NotAssessed,
            Status::Suppressed => State::Suppressed,
            Status::NotApplicable => State::NotApplicable,
        }
    }
}

/// The state of one finding at each run that covers it, oldest first (`None`: before the
/// finding was first seen), from the changes stored for it.
pub fn states<R: Copy + PartialEq>(covering: &[R], changes: &[(R, State)]) -> Vec<Option<State>> {
    let mut current = None;
    covering
        .iter()
        .map(|r| {
            if let Some((_, s)) = changes.iter().find(|(c, _)| c == r) {
                current = Some(*s);
            }
            current
        })
        .collect()
}

/// The changes that describe `states` (each run whose state differs from the run before it).
pub fn changes<R: Copy>(covering: &[R], states: &[Option<State>]) -> Vec<(R, State)> {
    let mut out = Vec::new();
    let mut before = None;
    for (r, s) in covering.iter().zip(states) {
        if let Some(s) = s {
            if before != Some(*s) {
                out.push((*r, *s));
            }
            before = Some(*s);
        }
    }
    out
}

/// `states` with the run at `at` set to `state`. A finding first seen in this run was not in
/// the runs after it that covered it (nothing was stored for it then): absent there.
pub fn set(states: &mut [Option<State>], at: usize, state: State) {
    states[at] = Some(state);
    let mut seen = false;
    for s in states.iter_mut() {
        match s {
            Some(_) => seen = true,
            None if seen => *s = Some(State::Absent),
            None => {}
        }
    }
}

/// The index of the first run of the failing streak that `at` is in, when there is one: the
/// earliest failing run reached by walking back through states that keep a streak.
pub fn streak_start(states: &[Option<State>], at: usize) -> Option<usize> {
    let mut start = None;
    for i in (0..=at).rev() {
        match states[i] {
            Some(s) if s.keeps_streak() => {
                if s == State::Fail {
                    start = Some(i);
                }
            }
            _ => break,
        }
    }
    start
}

#[cfg(test)]
mod tests {
    use super::State::*;
    use super::*;

    #[test]
    fn only_changes_are_kept_and_states_come_back_from_them() {
        let runs = [1, 2, 3, 4, 5];
        let s = vec![Some(Fail), Some(Fail), Some(Pass), Some(Pass), Some(Fail)];
        let c = changes(&runs, &s);
        assert_eq!(c, vec![(1, Fail), (3, Pass), (5, Fail)]);
        assert_eq!(states(&runs, &c), s);
    }

    #[test]
    fn a_run_inserted_between_two_keeps_the_later_state() {
        // Runs 1 and 3 failed; run 2 (scanned between them, recorded last) passed.
        let runs = [1, 2, 3];
        let mut s = states(&runs, &[(1, Fail)]);
        assert_eq!(s, vec![Some(Fail), Some(Fail), Some(Fail)]);
        set(&mut s, 1, Pass);
        assert_eq!(changes(&runs, &s), vec![(1, Fail), (2, Pass), (3, Fail)]);
    }

    #[test]
    fn a_finding_first_seen_in_an_earlier_run_is_absent_in_the_later_ones() {
        let runs = [1, 2];
        let mut s = states(&runs, &[]);
        set(&mut s, 0, Fail);
        assert_eq!(s, vec![Some(Fail), Some(Absent)]);
        assert_eq!(streak_start(&s, 1), None);
    }

    #[test]
    fn a_streak_goes_on_through_unknown_and_accepted_and_ends_at_a_pass() {
        let s = [
            Some(Fail),
            Some(Pass),
            Some(Fail),
            Some(NotAssessed),
            Some(Suppressed),
            Some(Fail),
        ];
        assert_eq!(streak_start(&s, 5), Some(2));
        assert_eq!(streak_start(&s, 3), Some(2));
        assert_eq!(streak_start(&s, 1), None);
        // Not assessed with no failure before it is no streak.
        assert_eq!(streak_start(&[Some(NotAssessed), Some(Fail)], 1), Some(1));
        assert_eq!(streak_start(&[Some(Absent), Some(NotAssessed)], 1), None);
    }
}
