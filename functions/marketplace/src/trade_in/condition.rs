//! The condition questionnaire a customer answers about the device, and the grade it maps to.
//! Each question is one a customer can check at home: it powers on, the screen, the body, the
//! functions they can test, the account locks and the data. The grade is what buyback prices
//! are quoted for.

use std::collections::BTreeSet;

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Screen {
    Flawless,
    Scratched,
    Cracked,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Body {
    Flawless,
    Scratched,
    Damaged,
}

/// A function the customer tested and found not working (`battery`: it no longer holds a
/// day's charge, or the phone reports its health below 80 %).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Fault {
    Buttons,
    Cameras,
    WifiBluetooth,
    SpeakerMicrophone,
    Battery,
}

impl Fault {
    pub const ALL: [Fault; 5] =
        [Self::Buttons, Self::Cameras, Self::WifiBluetooth, Self::SpeakerMicrophone, Self::Battery];
}

/// The customer's answers.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Condition {
    pub powers_on: bool,
    pub screen: Screen,
    pub body: Body,
    #[serde(default)]
    pub faults: BTreeSet<Fault>,
    /// Find My, Google's factory reset protection and the like are switched off.
    pub account_locks_removed: bool,
    pub data_erased: bool,
}

/// The condition grade buyback prices are quoted for, best first.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Grade {
    Mint,
    Good,
    Fair,
    Damaged,
    NotWorking,
}

impl Grade {
    pub const ALL: [Grade; 5] = [Self::Mint, Self::Good, Self::Fair, Self::Damaged, Self::NotWorking];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Mint => "mint",
            Self::Good => "good",
            Self::Fair => "fair",
            Self::Damaged => "damaged",
            Self::NotWorking => "not_working",
        }
    }
}

impl Condition {
    /// The grade the answers describe:
    /// - `not_working`: it does not power on;
    /// - `damaged`: a cracked screen, a damaged body, a fault other than the battery, or more
    ///   than one fault;
    /// - `fair`: screen and body both scratched, or a worn battery;
    /// - `good`: light scratches on the screen or the body;
    /// - `mint`: no mark and every function working.
    pub fn grade(&self) -> Grade {
        if !self.powers_on {
            return Grade::NotWorking;
        }
        let functional = self.faults.iter().any(|f| *f != Fault::Battery);
        if self.screen == Screen::Cracked || self.body == Body::Damaged || functional || self.faults.len() > 1 {
            return Grade::Damaged;
        }
        let scratched = [self.screen == Screen::Scratched, self.body == Body::Scratched];
        if scratched.iter().all(|s| *s) || self.faults.contains(&Fault::Battery) {
            return Grade::Fair;
        }
        if scratched.iter().any(|s| *s) { Grade::Good } else { Grade::Mint }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn condition(screen: Screen, body: Body, faults: &[Fault]) -> Condition {
        Condition {
            powers_on: true,
            screen,
            body,
            faults: faults.iter().copied().collect(),
            account_locks_removed: true,
            data_erased: true,
        }
    }

    #[test]
    fn each_answer_maps_to_its_grade() {
        use Body as B;
        use Screen as S;
        let cases = [
            (condition(S::Flawless, B::Flawless, &[]), Grade::Mint),
            (condition(S::Scratched, B::Flawless, &[]), Grade::Good),
            (condition(S::Flawless, B::Scratched, &[]), Grade::Good),
            (condition(S::Scratched, B::Scratched, &[]), Grade::Fair),
            (condition(S::Flawless, B::Flawless, &[Fault::Battery]), Grade::Fair),
            (condition(S::Scratched, B::Flawless, &[Fault::Battery]), Grade::Fair),
            (condition(S::Cracked, B::Flawless, &[]), Grade::Damaged),
            (condition(S::Flawless, B::Damaged, &[]), Grade::Damaged),
            (condition(S::Flawless, B::Flawless, &[Fault::Cameras]), Grade::Damaged),
            (condition(S::Flawless, B::Flawless, &[Fault::Battery, Fault::Buttons]), Grade::Damaged),
            (Condition { powers_on: false, ..condition(S::Flawless, B::Flawless, &[]) }, Grade::NotWorking),
        ];
        for (answers, grade) in cases {
            assert_eq!(answers.grade(), grade, "{answers:?}");
        }
    }

    #[test]
    fn a_worse_answer_never_gives_a_better_grade() {
        // Every answer set against every one that is worse on one question.
        let screens = [Screen::Flawless, Screen::Scratched, Screen::Cracked];
        let bodies = [Body::Flawless, Body::Scratched, Body::Damaged];
        for (si, s) in screens.iter().enumerate() {
            for (bi, b) in bodies.iter().enumerate() {
                for mask in 0u8..32 {
                    let faults: Vec<Fault> =
                        Fault::ALL.iter().enumerate().filter(|(i, _)| mask & (1 << i) != 0).map(|(_, f)| *f).collect();
                    let base = condition(*s, *b, &faults).grade();
                    if let Some(worse) = screens.get(si + 1) {
                        assert!(condition(*worse, *b, &faults).grade() >= base);
                    }
                    if let Some(worse) = bodies.get(bi + 1) {
                        assert!(condition(*s, *worse, &faults).grade() >= base);
                    }
                    for extra in Fault::ALL {
                        let mut more = faults.clone();
                        more.push(extra);
                        assert!(condition(*s, *b, &more).grade() >= base);
                    }
                }
            }
        }
    }

    #[test]
    fn answers_are_read_as_the_api_sends_them() {
        let json = r#"{"powersOn": true, "screen": "scratched", "body": "flawless", "faults": ["battery", "battery"],
                       "accountLocksRemoved": true, "dataErased": false}"#;
        let answers: Condition = serde_json::from_str(json).expect("answers");
        assert_eq!(answers.faults.len(), 1, "a fault named twice is one fault");
        assert_eq!(answers.grade(), Grade::Fair);
        assert!(serde_json::from_str::<Condition>(&json.replace("scratched", "shattered")).is_err());
        assert!(
            serde_json::from_str::<Condition>(
                &json.replace("\"dataErased\": false", "\"dataErased\": false, \"x\": 1")
            )
            .is_err()
        );
    }
}
