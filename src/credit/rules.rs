//! The merchant credit score: a pure, documented formula.
//!
//! ```text
//! rating      = (C·m + n·r) / (C + n)           Bayesian average: n published reviews averaging r,
//!                                               pulled towards the prior m = 3.0 with weight C = 10
//! reliability = (done + 5) / (done + failed + 5)  done: completed bookings and orders; failed:
//!                                               cancelled by the merchant, declined, expired,
//!                                               merchant no-shows, rejected or unanswered orders
//! score = 500 · (rating − 1) / 4                0..500
//!       + 300 · reliability                     0..300
//!       + 200 if the licence is valid           0 or 200
//!       − 20 per upheld report (at most 200)
//!       − active penalty points (they expire)
//! clamped to 0..1000; tier A ≥ 800, B ≥ 650, C ≥ 500, D below.
//! ```
//! A new merchant with a valid licence starts at 750 (B): it has to earn an A.

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

pub const PRIOR_MEAN: f64 = 3.0;
pub const PRIOR_WEIGHT: f64 = 10.0;
pub const REPORT_POINTS: i64 = 20;
pub const REPORT_CAP: i64 = 200;

/// What the score is computed from.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct Inputs {
    pub rating_count: i64,
    pub rating_average: f64,
    pub fulfilled: i64,
    pub merchant_failures: i64,
    pub upheld_reports: i64,
    pub penalty_points: i64,
    pub licence_valid: bool,
}

/// The score and how it was made.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct Breakdown {
    pub bayesian_rating: f64,
    pub rating_points: i64,
    pub reliability: f64,
    pub reliability_points: i64,
    pub licence_points: i64,
    pub report_points: i64,
    pub penalty_points: i64,
    pub score: i64,
    pub tier: String,
}

pub fn tier(score: i64) -> &'static str {
    match score {
        800.. => "A",
        650..=799 => "B",
        500..=649 => "C",
        _ => "D",
    }
}

/// Applies the formula above.
pub fn score(i: &Inputs) -> Breakdown {
    let n = i.rating_count.max(0) as f64;
    let bayesian = (PRIOR_WEIGHT * PRIOR_MEAN + n * i.rating_average) / (PRIOR_WEIGHT + n);
    let rating_points = (500.0 * (bayesian - 1.0) / 4.0).round() as i64;
    let done = i.fulfilled.max(0) as f64;
    let reliability = (done + 5.0) / (done + i.merchant_failures.max(0) as f64 + 5.0);
    let reliability_points = (300.0 * reliability).round() as i64;
    let licence_points = if i.licence_valid { 200 } else { 0 };
    let report_points = (i.upheld_reports.max(0) * REPORT_POINTS).min(REPORT_CAP);
    let penalty_points = i.penalty_points.max(0);
    let score =
        (rating_points + reliability_points + licence_points - report_points - penalty_points)
            .clamp(0, 1000);
    Breakdown {
        bayesian_rating: (bayesian * 100.0).round() / 100.0,
        rating_points,
        reliability: (reliability * 1000.0).round() / 1000.0,
        reliability_points,
        licence_points,
        report_points,
        penalty_points,
        score,
        tier: tier(score).to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn new_merchant() -> Inputs {
        Inputs {
            licence_valid: true,
            ..Default::default()
        }
    }

    #[test]
    fn a_new_merchant_starts_at_b() {
        let b = score(&new_merchant());
        assert_eq!(
            (b.rating_points, b.reliability_points, b.licence_points),
            (250, 300, 200)
        );
        assert_eq!((b.score, b.tier.as_str()), (750, "B"));
    }

    #[test]
    fn good_reviews_earn_an_a_and_bad_ones_cost() {
        let good = score(&Inputs {
            rating_count: 40,
            rating_average: 5.0,
            fulfilled: 40,
            ..new_merchant()
        });
        assert_eq!(good.bayesian_rating, 4.6);
        assert_eq!((good.score, good.tier.as_str()), (950, "A"));
        let bad = score(&Inputs {
            rating_count: 40,
            rating_average: 1.5,
            fulfilled: 40,
            ..new_merchant()
        });
        assert!(bad.score < 650, "{bad:?}");
    }

    #[test]
    fn cancellations_reports_penalties_and_an_expired_licence_lower_the_score() {
        let base = score(&new_merchant()).score;
        let cancels = score(&Inputs {
            fulfilled: 5,
            merchant_failures: 10,
            ..new_merchant()
        });
        assert_eq!(cancels.reliability_points, 150);
        assert_eq!(cancels.score, base - 150);
        assert_eq!(
            score(&Inputs {
                upheld_reports: 3,
                ..new_merchant()
            })
            .score,
            base - 60
        );
        assert_eq!(
            score(&Inputs {
                upheld_reports: 30,
                ..new_merchant()
            })
            .score,
            base - 200,
            "reports are capped"
        );
        let bought = score(&Inputs {
            penalty_points: 300,
            ..new_merchant()
        });
        assert_eq!((bought.score, bought.tier.as_str()), (450, "D"));
        assert_eq!(
            score(&Inputs {
                licence_valid: false,
                ..new_merchant()
            })
            .score,
            base - 200
        );
        assert_eq!(
            score(&Inputs {
                penalty_points: 5000,
                ..new_merchant()
            })
            .score,
            0
        );
    }

    #[test]
    fn tiers_have_fixed_edges() {
        assert_eq!(
            [
                tier(800),
                tier(799),
                tier(650),
                tier(649),
                tier(500),
                tier(499)
            ],
            ["A", "B", "B", "C", "C", "D"]
        );
    }
}
