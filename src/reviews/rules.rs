//! Review policies: who may review and until when, the anti-fake rules that hold a review for
//! moderation, and what a moderation decision does. Pure.

use std::collections::HashSet;

use chrono::{DateTime, Duration, Utc};

/// Days after completion a review may be written (and edited).
pub const WINDOW_DAYS: i64 = 15;

/// Whether a review written `now` for something completed at `completed` is in time.
pub fn in_window(completed: DateTime<Utc>, now: DateTime<Utc>) -> bool {
    now <= completed + Duration::days(WINDOW_DAYS)
}

/// A rule that holds a review for a human.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Rule {
    /// The author is a member or worker of the merchant.
    Insider,
    /// Many reviews of the merchant from new accounts in a short time.
    BurstFromNewAccounts,
    /// The text nearly repeats another review's.
    DuplicateText,
    /// The author writes far more reviews than people do.
    ProlificAuthor,
}

impl Rule {
    pub fn as_str(self) -> &'static str {
        match self {
            Rule::Insider => "insider",
            Rule::BurstFromNewAccounts => "burst_from_new_accounts",
            Rule::DuplicateText => "duplicate_text",
            Rule::ProlificAuthor => "prolific_author",
        }
    }
}

/// Accounts younger than this are new.
pub const NEW_ACCOUNT_DAYS: i64 = 7;
/// This many reviews of one merchant from new accounts within a day (counting this one) is a burst.
pub const BURST: i64 = 5;
/// Texts this similar (0..1) are duplicates.
pub const DUPLICATE_SIMILARITY: f64 = 0.85;
/// Texts shorter than this are too short to compare ("很好", "不错").
pub const MIN_COMPARED_CHARS: usize = 12;
/// This many reviews by one author within a day (counting this one) is far more than normal.
pub const PROLIFIC: i64 = 6;

/// What the database says about the new review's context.
#[derive(Debug, Clone, Default)]
pub struct Signals {
    pub author_is_insider: bool,
    pub author_is_new: bool,
    /// Reviews of this merchant by new accounts in the last day (not counting this one).
    pub recent_new_account_reviews: i64,
    /// Reviews by this author in the last day (not counting this one).
    pub author_reviews_today: i64,
    /// Texts of recent reviews to compare with.
    pub recent_texts: Vec<String>,
}

fn bigrams(text: &str) -> HashSet<(char, char)> {
    let chars: Vec<char> = text
        .chars()
        .filter(|c| !c.is_whitespace() && !c.is_ascii_punctuation())
        .collect();
    chars.windows(2).map(|w| (w[0], w[1])).collect()
}

/// Jaccard similarity of character bigrams: 1.0 for the same text, near 0 for unrelated ones.
/// Works for Chinese, where words are not separated by spaces.
pub fn similarity(a: &str, b: &str) -> f64 {
    let (x, y) = (bigrams(a), bigrams(b));
    if x.is_empty() || y.is_empty() {
        return 0.0;
    }
    x.intersection(&y).count() as f64 / x.union(&y).count() as f64
}

/// The first rule the review trips, if any; checked in order of certainty.
pub fn check(signals: &Signals, text: &str) -> Option<Rule> {
    if signals.author_is_insider {
        return Some(Rule::Insider);
    }
    if signals.author_is_new && signals.recent_new_account_reviews + 1 >= BURST {
        return Some(Rule::BurstFromNewAccounts);
    }
    if text.chars().count() >= MIN_COMPARED_CHARS
        && signals
            .recent_texts
            .iter()
            .any(|other| similarity(text, other) >= DUPLICATE_SIMILARITY)
    {
        return Some(Rule::DuplicateText);
    }
    if signals.author_reviews_today + 1 >= PROLIFIC {
        return Some(Rule::ProlificAuthor);
    }
    None
}

/// An operator's decision on a review.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize, utoipa::ToSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum Decision {
    Publish,
    /// Shown as a placeholder with the reason in place of the text.
    Hide,
    /// Illegal content only: gone from every list.
    Remove,
    /// The reports were unfounded; the review stays as it is.
    DismissReports,
}

impl Decision {
    pub fn as_str(self) -> &'static str {
        match self {
            Decision::Publish => "publish",
            Decision::Hide => "hide",
            Decision::Remove => "remove",
            Decision::DismissReports => "dismiss_reports",
        }
    }
}

/// The review status after `decision` from `status` (`None`: not from there), and what becomes
/// of its open reports (`upheld` or `dismissed`).
pub fn decide(
    status: &str,
    decision: Decision,
    open_reports: i64,
) -> Option<(&'static str, &'static str)> {
    match (status, decision) {
        ("held" | "hidden", Decision::Publish) => Some(("published", "dismissed")),
        ("published" | "held", Decision::Hide) => Some(("hidden", "upheld")),
        ("published" | "held" | "hidden", Decision::Remove) => Some(("removed", "upheld")),
        ("published" | "hidden", Decision::DismissReports) if open_reports > 0 => {
            Some(if status == "published" {
                ("published", "dismissed")
            } else {
                ("hidden", "dismissed")
            })
        }
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reviews_are_due_within_fifteen_days() {
        let done: DateTime<Utc> = "2026-11-01T00:00:00Z".parse().unwrap();
        assert!(in_window(done, done + Duration::days(15)));
        assert!(!in_window(
            done,
            done + Duration::days(15) + Duration::seconds(1)
        ));
    }

    #[test]
    fn similarity_sees_near_copies_in_chinese() {
        let a = "阿姨打扫得非常干净，准时到达，下次还会再约！";
        assert!(similarity(a, "阿姨打扫得非常干净，准时到达，下次还会再约。") > 0.9);
        assert!(similarity(a, "师傅修空调很专业，价格也公道，推荐给大家。") < 0.2);
        assert_eq!(similarity("", a), 0.0);
    }

    #[test]
    fn each_rule_holds_what_it_should_and_ordinary_reviews_pass() {
        let ordinary = Signals {
            recent_texts: vec!["菜量很足，味道正宗，配送也快。".into()],
            ..Default::default()
        };
        assert_eq!(
            check(&ordinary, "阿姨打扫得非常干净，准时到达，下次还会再约！"),
            None
        );
        assert_eq!(
            check(
                &Signals {
                    author_is_insider: true,
                    ..Default::default()
                },
                "好"
            ),
            Some(Rule::Insider)
        );
        let burst = Signals {
            author_is_new: true,
            recent_new_account_reviews: 4,
            ..Default::default()
        };
        assert_eq!(check(&burst, "好"), Some(Rule::BurstFromNewAccounts));
        let old_author = Signals {
            author_is_new: false,
            recent_new_account_reviews: 40,
            ..Default::default()
        };
        assert_eq!(
            check(&old_author, "好"),
            None,
            "an established account is not part of a burst"
        );
        let copy = Signals {
            recent_texts: vec!["阿姨打扫得非常干净，准时到达，下次还会再约。".into()],
            ..Default::default()
        };
        assert_eq!(
            check(&copy, "阿姨打扫得非常干净，准时到达，下次还会再约！"),
            Some(Rule::DuplicateText)
        );
        assert_eq!(check(&copy, "很好"), None, "short texts are not compared");
        assert_eq!(
            check(
                &Signals {
                    author_reviews_today: 5,
                    ..Default::default()
                },
                "好"
            ),
            Some(Rule::ProlificAuthor)
        );
        assert_eq!(
            check(
                &Signals {
                    author_reviews_today: 2,
                    ..Default::default()
                },
                "好"
            ),
            None
        );
    }

    #[test]
    fn decisions_move_reviews_and_their_reports() {
        assert_eq!(
            decide("held", Decision::Publish, 0),
            Some(("published", "dismissed"))
        );
        assert_eq!(
            decide("published", Decision::Hide, 2),
            Some(("hidden", "upheld"))
        );
        assert_eq!(
            decide("hidden", Decision::Remove, 0),
            Some(("removed", "upheld"))
        );
        assert_eq!(
            decide("published", Decision::DismissReports, 1),
            Some(("published", "dismissed"))
        );
        assert_eq!(decide("published", Decision::DismissReports, 0), None);
        assert_eq!(decide("published", Decision::Publish, 0), None);
        assert_eq!(decide("removed", Decision::Publish, 0), None);
    }
}
