//! Professional sellers (R-SELLER): trader traceability data (DSA Art. 30) and the status
//! life cycle pending verification → active → suspended / removed.

use jiff::Timestamp;
use serde::{Deserialize, Serialize};

use crate::Error;
use crate::validation::{self, Violations, is_country, is_email, is_iban, is_phone, text};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SellerStatus {
    PendingVerification,
    Active,
    Rejected,
    Suspended,
    Removed,
}

impl SellerStatus {
    pub const ALL: [SellerStatus; 5] =
        [Self::PendingVerification, Self::Active, Self::Rejected, Self::Suspended, Self::Removed];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::PendingVerification => "pending_verification",
            Self::Active => "active",
            Self::Rejected => "rejected",
            Self::Suspended => "suspended",
            Self::Removed => "removed",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Address {
    pub line1: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub line2: Option<String>,
    pub postal_code: String,
    pub city: String,
    pub country: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct TradeRegister {
    pub name: String,
    pub number: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct PaymentAccount {
    pub holder: String,
    pub iban: String,
}

/// What a trader declares at onboarding (DSA Art. 30(1)). Also the validated form stored.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct TraderInfo {
    pub legal_name: String,
    pub address: Address,
    pub phone: String,
    pub email: String,
    pub trade_register: TradeRegister,
    pub vat_id: String,
    pub payment_account: PaymentAccount,
    /// The trader's commitment to offer only products that comply with EU law (Art. 30(1)(e)).
    pub compliance_self_certified: bool,
}

impl TraderInfo {
    /// Validates and normalises an application, naming every bad field.
    pub fn validate(self) -> Result<TraderInfo, Error> {
        let mut v = Violations::new();
        let legal_name = text(&mut v, "legalName", &self.legal_name, 200);
        let line1 = text(&mut v, "address.line1", &self.address.line1, 200);
        let line2 =
            self.address.line2.as_deref().map(|l| text(&mut v, "address.line2", l, 200)).filter(|l| !l.is_empty());
        let postal_code = text(&mut v, "address.postalCode", &self.address.postal_code, 16);
        let city = text(&mut v, "address.city", &self.address.city, 100);
        let country = self.address.country.trim().to_ascii_uppercase();
        v.check(is_country(&country), "address.country", "must be an ISO 3166-1 alpha-2 code of a market served");
        let phone: String = self.phone.chars().filter(|c| !matches!(c, ' ' | '-' | '.' | '(' | ')')).collect();
        v.check(is_phone(&phone), "phone", "must be an international number such as +33612345678");
        let email = self.email.trim().to_ascii_lowercase();
        v.check(is_email(&email), "email", "must be an e-mail address");
        let register_name = text(&mut v, "tradeRegister.name", &self.trade_register.name, 200);
        let register_number = text(&mut v, "tradeRegister.number", &self.trade_register.number, 50);
        let vat_id: String =
            self.vat_id.chars().filter(|c| !c.is_whitespace()).collect::<String>().to_ascii_uppercase();
        v.check(is_vat_id(&vat_id), "vatId", "must be a VAT number with its country prefix, such as FR40303265045");
        let holder = text(&mut v, "paymentAccount.holder", &self.payment_account.holder, 200);
        let iban: String =
            self.payment_account.iban.chars().filter(|c| !c.is_whitespace()).collect::<String>().to_ascii_uppercase();
        v.check(is_iban(&iban), "paymentAccount.iban", "must be a valid IBAN");
        v.check(
            self.compliance_self_certified,
            "complianceSelfCertified",
            "the trader must certify that its products comply with EU law",
        );
        v.finish(|| TraderInfo {
            legal_name,
            address: Address { line1, line2, postal_code, city, country },
            phone,
            email,
            trade_register: TradeRegister { name: register_name, number: register_number },
            vat_id,
            payment_account: PaymentAccount { holder, iban },
            compliance_self_certified: true,
        })
    }
}

/// A VAT identification number: a two-letter prefix (`EL` for Greece, `XI` for Northern
/// Ireland) and 2 to 13 letters or digits.
pub fn is_vat_id(value: &str) -> bool {
    value.len() >= 4
        && value.len() <= 15
        && value.is_char_boundary(2)
        && value[..2].chars().all(|c| c.is_ascii_uppercase())
        && value[2..].chars().all(|c| c.is_ascii_alphanumeric())
        && value[2..].chars().any(|c| c.is_ascii_digit())
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Seller {
    pub id: String,
    pub status: SellerStatus,
    pub trader: TraderInfo,
    /// The signed-in user who onboarded the seller.
    pub owner: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status_reason: Option<String>,
    /// The R-REMOVE ground of a suspension or removal: its offers' statements of reasons carry
    /// it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status_ground: Option<crate::offer::RemovalReason>,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
    /// When the seller was active, most recent last: the monthly fee is due for every month
    /// that overlaps one of these.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub active_periods: Vec<ActivePeriod>,
    /// The seller's own commission and monthly fee, where its contract departs from the
    /// marketplace's defaults.
    #[serde(default)]
    pub contract: Contract,
}

/// A stretch of time during which a seller was active; `until` is open while it still is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ActivePeriod {
    pub from: Timestamp,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub until: Option<Timestamp>,
}

/// Periods a seller keeps: enough to bill the months not yet billed.
const KEPT_ACTIVE_PERIODS: usize = 12;

/// A seller's contract terms (R-COMMISSION, R-MONTHLY); `None` takes the marketplace default.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Contract {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub commission_rate: Option<rust_decimal::Decimal>,
    #[serde(default, skip_serializing_if = "Option::is_none", with = "crate::money::at_rest::option")]
    pub monthly_fee: Option<crate::Money>,
}

/// Most digits a commission rate may have after the point (0.1234 is 12.34 %).
const RATE_DIGITS: u32 = 4;

impl Contract {
    /// An admin's contract terms, checked: a rate between 0 and 1 with at most four decimals
    /// (`"0.085"`), a fee that is not negative. `None` leaves a term at the marketplace default.
    pub fn from_input(
        commission_rate: Option<&str>,
        monthly_fee: Option<&crate::money::MoneyInput>,
    ) -> Result<Contract, Error> {
        use rust_decimal::Decimal;
        let mut v = Violations::new();
        let rate = commission_rate.and_then(|r| {
            // Plain decimals only: no sign, no exponent, no spaces.
            let plain = !r.is_empty() && r.bytes().all(|b| b.is_ascii_digit() || b == b'.');
            let rate = plain
                .then(|| r.parse::<Decimal>().ok())
                .flatten()
                .filter(|r| *r <= Decimal::ONE && r.scale() <= RATE_DIGITS);
            v.check(
                rate.is_some(),
                "commissionRate",
                "must be a decimal between 0 and 1 with at most four decimals, such as \"0.085\"",
            );
            rate.map(|r| r.normalize())
        });
        let fee = monthly_fee.and_then(|input| {
            let currency = v.parse("monthlyFee.currency", input.currency.parse::<crate::Currency>())?;
            let fee = v.parse("monthlyFee.amount", crate::Money::parse(&input.amount, currency))?;
            v.check(fee.amount_minor >= 0, "monthlyFee.amount", "must not be negative");
            Some(fee)
        });
        v.finish(|| Contract { commission_rate: rate, monthly_fee: fee })
    }
}

/// An admin's decision on a seller's status.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StatusChange {
    Approve,
    Reject,
    Suspend,
    Reinstate,
    Remove,
}

impl Seller {
    pub fn onboard(id: String, owner: String, trader: TraderInfo, now: Timestamp) -> Seller {
        Seller {
            id,
            status: SellerStatus::PendingVerification,
            trader,
            owner,
            status_reason: None,
            status_ground: None,
            created_at: now,
            updated_at: now,
            active_periods: Vec::new(),
            contract: Contract::default(),
        }
    }

    /// Whether the seller was active at some moment in `[from, until)`. A seller made active
    /// before its periods were recorded counts as active since it was created.
    pub fn was_active_between(&self, from: Timestamp, until: Timestamp) -> bool {
        if self.active_periods.is_empty() && self.status == SellerStatus::Active {
            return self.created_at < until;
        }
        self.active_periods.iter().any(|p| p.from < until && p.until.is_none_or(|end| end > from))
    }

    pub fn is_active(&self) -> bool {
        self.status == SellerStatus::Active
    }

    /// Applies an admin decision. Asking for the state the seller is already in succeeds and
    /// changes nothing, so a retried decision is harmless; anything else not allowed from the
    /// current state is a conflict.
    pub fn change_status(&self, change: StatusChange, reason: Option<String>, now: Timestamp) -> Result<Seller, Error> {
        use SellerStatus::*;
        let target = match change {
            StatusChange::Approve => Active,
            StatusChange::Reject => Rejected,
            StatusChange::Suspend => Suspended,
            StatusChange::Reinstate => Active,
            StatusChange::Remove => Removed,
        };
        if self.status == target {
            return Ok(self.clone());
        }
        let allowed = matches!(
            (change, self.status),
            (StatusChange::Approve | StatusChange::Reject, PendingVerification)
                | (StatusChange::Suspend, Active)
                | (StatusChange::Reinstate, Suspended)
                | (StatusChange::Remove, PendingVerification | Active | Suspended | Rejected)
        );
        if !allowed {
            return Err(Error::conflict(
                "invalid_transition",
                format!("a seller that is {} cannot be moved to {}", self.status.as_str(), target.as_str()),
            ));
        }
        let mut periods = self.active_periods.clone();
        if target == Active {
            periods.push(ActivePeriod { from: now, until: None });
        } else if let Some(open) = periods.last_mut().filter(|p| p.until.is_none()) {
            open.until = Some(now);
        }
        let dropped = periods.len().saturating_sub(KEPT_ACTIVE_PERIODS);
        periods.drain(..dropped);
        Ok(Seller { status: target, status_reason: reason, updated_at: now, active_periods: periods, ..self.clone() })
    }
}

/// The reason an admin gives for a decision: required for anything but approval.
pub fn decision_reason(v: &mut Violations, reason: Option<&str>, required: bool) -> Option<String> {
    match reason.map(str::trim).filter(|r| !r.is_empty()) {
        Some(r) => Some(validation::text(v, "reason", r, 1000)),
        None if required => {
            v.add("reason", "is required for this decision");
            None
        }
        None => None,
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    pub fn application() -> TraderInfo {
        TraderInfo {
            legal_name: " Refurb Lyon SAS ".into(),
            address: Address {
                line1: "12 rue de la République".into(),
                line2: None,
                postal_code: "69002".into(),
                city: "Lyon".into(),
                country: "fr".into(),
            },
            phone: "+33 4 78 00 00 00".into(),
            email: "Contact@Refurb-Lyon.example".into(),
            trade_register: TradeRegister { name: "RCS Lyon".into(), number: "812 345 678".into() },
            vat_id: "FR 40 812345678".into(),
            payment_account: PaymentAccount {
                holder: "Refurb Lyon SAS".into(),
                iban: "FR14 2004 1010 0505 0001 3M02 606".into(),
            },
            compliance_self_certified: true,
        }
    }

    #[test]
    fn normalises_a_valid_application() {
        let trader = application().validate().expect("valid application");
        assert_eq!(trader.legal_name, "Refurb Lyon SAS");
        assert_eq!(trader.address.country, "FR");
        assert_eq!(trader.phone, "+33478000000");
        assert_eq!(trader.email, "contact@refurb-lyon.example");
        assert_eq!(trader.vat_id, "FR40812345678");
        assert_eq!(trader.payment_account.iban, "FR1420041010050500013M02606");
    }

    #[test]
    fn names_every_bad_field() {
        let mut bad = application();
        bad.legal_name = " ".into();
        bad.address.country = "US".into();
        bad.phone = "0478000000".into();
        bad.email = "nobody".into();
        bad.vat_id = "12345".into();
        bad.payment_account.iban = "FR00 0000".into();
        bad.compliance_self_certified = false;
        let Err(Error::Invalid(v)) = bad.validate() else { panic!("expected violations") };
        let fields: Vec<&str> = v.errors().iter().map(|e| e.field.as_str()).collect();
        assert_eq!(
            fields,
            [
                "legalName",
                "address.country",
                "phone",
                "email",
                "vatId",
                "paymentAccount.iban",
                "complianceSelfCertified"
            ]
        );
    }

    fn seller(status: SellerStatus) -> Seller {
        let now = Timestamp::UNIX_EPOCH;
        let trader = application().validate().expect("valid application");
        Seller { status, ..Seller::onboard("sel_1".into(), "user-1".into(), trader, now) }
    }

    #[test]
    fn status_transitions() {
        use SellerStatus::*;
        use StatusChange::*;
        let now = Timestamp::UNIX_EPOCH;
        let cases = [
            (PendingVerification, Approve, Some(Active)),
            (PendingVerification, Reject, Some(Rejected)),
            (PendingVerification, Suspend, None),
            (Active, Suspend, Some(Suspended)),
            (Active, Approve, Some(Active)),
            (Active, Reject, None),
            (Suspended, Reinstate, Some(Active)),
            (Suspended, Approve, None),
            (Suspended, Remove, Some(Removed)),
            (Rejected, Approve, None),
            (Removed, Reinstate, None),
            (Removed, Suspend, None),
            (Removed, Remove, Some(Removed)),
        ];
        for (from, change, expected) in cases {
            let outcome = seller(from).change_status(change, Some("r".into()), now).ok().map(|s| s.status);
            assert_eq!(outcome, expected, "{from:?} {change:?}");
        }
    }
}
