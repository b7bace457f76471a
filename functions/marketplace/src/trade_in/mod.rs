//! Trade-in (R-TRADEIN): individuals and professionals sell their used devices to
//! refurbishers, the supply of everything the storefront sells.
//!
//! A customer describes the device ([`condition`]); the answers give a grade, and the best
//! price valid now among the refurbishers' lists ([`prices`]) becomes the offer, locked to that
//! refurbisher and price until `shipBy`. The customer accepts with the identity the register
//! of second-hand goods needs and the account to be paid on, ships the device with a prepaid
//! label, and the refurbisher marks its receipt and inspects it within
//! `inspection_business_days` of the market's calendar. It conforms (the offered price is
//! final), or the refurbisher makes a counter-offer for defects the customer could have seen
//! or tested, which the customer accepts or rejects (the device goes back). An inspection
//! overdue beyond its grace is deemed conforming; a counter-offer left unanswered returns the
//! device. Once the price is final the customer is paid, within `payment_business_days`.

pub mod condition;
pub mod device;
pub mod payment;
pub mod prices;

use jiff::civil::Date;
use jiff::{SignedDuration, Timestamp};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use crate::Error;
use crate::disputes::business_days_after;
use crate::money::{Money, MoneyInput};
use crate::offer::amount;
use crate::reviews::calendar::Calendar;
use crate::validation::{Violations, is_iban, text};
use condition::{Body, Condition, Fault, Grade, Screen};
use device::DeviceId;

/// A counter-offer of this much (1.00) means the refurbisher declines to buy.
pub const DECLINE_MINOR: i64 = 100;
/// Photo references a counter-offer carries at most.
pub const MAX_EVIDENCE: usize = 10;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TradeInStatus {
    /// Quoted: the customer may accept until `expiresAt`.
    Offered,
    /// Accepted: the label is issued, the device is on its way.
    Accepted,
    /// The refurbisher has the device and inspects it.
    Received,
    /// The refurbisher offers less; the customer answers.
    CounterOffered,
    /// The customer has been paid the final price.
    Paid,
    /// The device goes back to the customer.
    Returned,
    /// Not accepted, or not shipped, in time.
    Expired,
    /// The customer withdrew before the device arrived.
    Cancelled,
}

impl TradeInStatus {
    pub const ALL: [TradeInStatus; 8] = [
        Self::Offered,
        Self::Accepted,
        Self::Received,
        Self::CounterOffered,
        Self::Paid,
        Self::Returned,
        Self::Expired,
        Self::Cancelled,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Offered => "offered",
            Self::Accepted => "accepted",
            Self::Received => "received",
            Self::CounterOffered => "counter_offered",
            Self::Paid => "paid",
            Self::Returned => "returned",
            Self::Expired => "expired",
            Self::Cancelled => "cancelled",
        }
    }
}

/// Who acts on a trade-in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Party {
    Customer,
    Refurbisher,
    Admin,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    Read,
    Accept,
    Cancel,
    Receive,
    Inspect,
    AnswerCounterOffer,
    /// Give another account after the bank refused a transfer.
    ChangePayoutAccount,
}

/// Who may do what (the state decides the rest, see each transition): the customer accepts,
/// cancels and answers; the refurbisher receives and inspects, since only it holds the device;
/// an admin reads.
pub fn may(party: Party, action: Action) -> bool {
    match action {
        Action::Read => true,
        Action::Accept | Action::Cancel | Action::AnswerCounterOffer | Action::ChangePayoutAccount => {
            party == Party::Customer
        }
        Action::Receive | Action::Inspect => party == Party::Refurbisher,
    }
}

/// The time limits and the commission.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields, default)]
pub struct TradeInTerms {
    /// From the offer: accept, and ship, by then (calendar days).
    pub ship_by_days: u32,
    /// After `shipBy`, how long a shipped device may take to arrive before the trade-in expires.
    pub transit_days: u32,
    /// From receipt, in business days of the market.
    pub inspection_business_days: u32,
    /// After an overdue inspection, business days until the device is deemed conforming.
    pub inspection_grace_business_days: u32,
    /// From a counter-offer, calendar days to answer it.
    pub counter_offer_response_days: u32,
    /// From a rejection, business days to send the device back.
    pub return_business_days: u32,
    /// From the final price, business days to pay the customer.
    pub payment_business_days: u32,
    /// The platform's commission on the price, charged to the refurbisher.
    pub commission_rate: Decimal,
}

impl Default for TradeInTerms {
    fn default() -> Self {
        TradeInTerms {
            ship_by_days: 21,
            transit_days: 7,
            inspection_business_days: 2,
            inspection_grace_business_days: 3,
            counter_offer_response_days: 7,
            return_business_days: 2,
            payment_business_days: 6,
            commission_rate: Decimal::new(5, 2),
        }
    }
}

impl TradeInTerms {
    /// `MARKETPLACE_TRADE_IN` (JSON, camelCase, every key optional); refused out of bounds.
    pub fn from_json(json: &str) -> Result<TradeInTerms, String> {
        let terms: TradeInTerms = serde_json::from_str(json).map_err(|e| e.to_string())?;
        let days = [terms.ship_by_days, terms.transit_days, terms.counter_offer_response_days];
        let business = [
            terms.inspection_business_days,
            terms.inspection_grace_business_days,
            terms.return_business_days,
            terms.payment_business_days,
        ];
        if days.iter().chain(&business).any(|d| !(1..=90).contains(d)) {
            return Err("every time limit is 1 to 90 days".into());
        }
        if terms.commission_rate < Decimal::ZERO || terms.commission_rate >= Decimal::ONE {
            return Err("commissionRate must be at least 0 and below 1".into());
        }
        Ok(terms)
    }

    /// The commission on `price`, rounded half away from zero once.
    pub fn commission(&self, price: Money) -> Money {
        Money::new(crate::settlement::commission(self.commission_rate, price.amount_minor), price.currency)
    }
}

/// Why a refurbisher offers less: an item of the questionnaire the device contradicts, or a
/// fact the customer could not have priced in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Reason {
    PowersOn,
    Screen,
    Body,
    Buttons,
    Cameras,
    WifiBluetooth,
    SpeakerMicrophone,
    Battery,
    AccountLocked,
    Counterfeit,
    Blocklisted,
}

impl Reason {
    pub const ALL: [Reason; 11] = [
        Self::PowersOn,
        Self::Screen,
        Self::Body,
        Self::Buttons,
        Self::Cameras,
        Self::WifiBluetooth,
        Self::SpeakerMicrophone,
        Self::Battery,
        Self::AccountLocked,
        Self::Counterfeit,
        Self::Blocklisted,
    ];

    /// Whether the reason names a defect the customer did not declare: a defect declared was
    /// priced in the offer and cannot lower it again.
    pub fn contradicts(self, declared: &Condition) -> bool {
        let fault = |f: Fault| !declared.faults.contains(&f);
        match self {
            Self::PowersOn => declared.powers_on,
            Self::Screen => declared.screen != Screen::Cracked,
            Self::Body => declared.body != Body::Damaged,
            Self::Buttons => fault(Fault::Buttons),
            Self::Cameras => fault(Fault::Cameras),
            Self::WifiBluetooth => fault(Fault::WifiBluetooth),
            Self::SpeakerMicrophone => fault(Fault::SpeakerMicrophone),
            Self::Battery => fault(Fault::Battery),
            Self::AccountLocked => declared.account_locks_removed,
            Self::Counterfeit | Self::Blocklisted => true,
        }
    }

    /// Whether sending the device back is at the customer's cost: the fault was theirs to
    /// avoid (locks left on, a counterfeit, a device reported lost or stolen).
    pub fn customer_at_fault(self) -> bool {
        matches!(self, Self::AccountLocked | Self::Counterfeit | Self::Blocklisted)
    }
}

/// Document types the register accepts as proof of identity.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DocumentType {
    IdCard,
    Passport,
    ResidencePermit,
    DrivingLicence,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Document {
    #[serde(rename = "type")]
    pub kind: DocumentType,
    pub number: String,
}

/// The seller's identity, as the register of second-hand goods must hold it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Identity {
    pub name: String,
    pub birth_date: Date,
    pub document: Document,
}

/// Where the customer is paid.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PayoutAccount {
    pub holder: String,
    /// Compact and upper-case.
    pub iban: String,
}

impl PayoutAccount {
    /// The IBAN as shown back: its country and last four characters.
    pub fn masked(&self) -> String {
        let (head, tail) = (&self.iban[..2.min(self.iban.len())], &self.iban[self.iban.len().saturating_sub(4)..]);
        format!("{head}•• •••• {tail}")
    }
}

/// `POST /trade-ins/{id}/acceptance`.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct AcceptanceInput {
    pub identity: IdentityInput,
    pub payout_account: PayoutAccountInput,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct IdentityInput {
    pub name: String,
    pub birth_date: String,
    pub document: DocumentInput,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct DocumentInput {
    #[serde(rename = "type")]
    pub kind: DocumentType,
    pub number: String,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct PayoutAccountInput {
    pub holder: String,
    pub iban: String,
}

/// The age from which one may sell.
pub const MIN_AGE_YEARS: i16 = 18;

impl AcceptanceInput {
    /// The identity and account, checked: a name, a birth date 18 or more years before
    /// `today` (and not absurdly old), a document number of 4 to 30 letters and digits, a
    /// holder and a valid IBAN.
    pub fn validate(self, today: Date) -> Result<(Identity, PayoutAccount), Error> {
        let mut v = Violations::new();
        let name = text(&mut v, "identity.name", &self.identity.name, 200);
        let birth_date: Option<Date> = v.parse("identity.birthDate", self.identity.birth_date.parse::<Date>());
        if let Some(born) = birth_date {
            let adult = today.checked_sub(jiff::Span::new().years(MIN_AGE_YEARS)).is_ok_and(|limit| born <= limit);
            v.check(adult, "identity.birthDate", "the seller must be 18 or older");
            let plausible = today.checked_sub(jiff::Span::new().years(120)).is_ok_and(|limit| born > limit);
            v.check(plausible, "identity.birthDate", "must be a real birth date");
        }
        let number: String = self
            .identity
            .document
            .number
            .chars()
            .filter(|c| !c.is_whitespace())
            .collect::<String>()
            .to_ascii_uppercase();
        v.check(
            (4..=30).contains(&number.len()) && number.bytes().all(|b| b.is_ascii_alphanumeric()),
            "identity.document.number",
            "must be the document's number: 4 to 30 letters and digits",
        );
        let account = self.payout_account.checked(&mut v);
        v.finish(|| {
            (
                Identity {
                    name,
                    birth_date: birth_date.expect("a missing birth date was recorded as a violation"),
                    document: Document { kind: self.identity.document.kind, number },
                },
                account,
            )
        })
    }
}

impl PayoutAccountInput {
    /// A holder and a valid IBAN (compacted, upper-case); violations go to `v`.
    fn checked(&self, v: &mut Violations) -> PayoutAccount {
        let holder = text(v, "payoutAccount.holder", &self.holder, 140);
        let iban: String = self.iban.chars().filter(|c| *c != ' ').collect::<String>().to_ascii_uppercase();
        v.check(is_iban(&iban), "payoutAccount.iban", "must be a valid IBAN");
        PayoutAccount { holder, iban }
    }
}

/// `PUT /trade-ins/{id}/payout-account`: another account after a refused transfer.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct PayoutAccountChange {
    pub payout_account: PayoutAccountInput,
}

impl PayoutAccountChange {
    pub fn validate(self) -> Result<PayoutAccount, Error> {
        let mut v = Violations::new();
        let account = self.payout_account.checked(&mut v);
        v.finish(|| account)
    }
}

/// A prepaid shipping label.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Label {
    pub carrier: String,
    pub tracking: String,
    /// Where the label can be downloaded.
    pub url: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CounterOffer {
    #[serde(with = "crate::money::at_rest")]
    pub price: Money,
    pub reasons: Vec<Reason>,
    pub evidence: Vec<String>,
    pub made_at: Timestamp,
    pub respond_by: Timestamp,
    /// The refurbisher declines to buy (a counter-offer of 1.00): it can only be returned.
    pub declined: bool,
}

/// `POST /trade-ins/{id}/inspection`.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct InspectionInput {
    pub result: InspectionResult,
    pub price: Option<MoneyInput>,
    #[serde(default)]
    pub reasons: Vec<Reason>,
    #[serde(default)]
    pub evidence: Vec<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum InspectionResult {
    Conforms,
    CounterOffer,
}

/// Who pays to send a device back.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ReturnCost {
    Refurbisher,
    Customer,
}

/// A device going back to its customer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Return {
    pub ship_by: Timestamp,
    pub paid_by: ReturnCost,
    /// Why: `rejected`, `unanswered` or `declined`.
    pub cause: String,
    pub label: Option<Label>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PaymentStatus {
    /// The price is final; the transfer is being made.
    Pending,
    /// On the SEPA rail: in a credit transfer file for the bank, whose report decides it.
    Filed,
    /// The provider took the transfer.
    Sent,
    /// The provider refused the transfer (the account cannot be paid): the customer gives
    /// another account, and the price stays owed to them meanwhile.
    Refused,
}

/// The customer's payment, from the moment the price is final.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Payment {
    /// The payout's id at the provider, and the ledger's: one transfer whatever the retries.
    pub id: String,
    #[serde(with = "crate::money::at_rest")]
    pub amount: Money,
    #[serde(with = "crate::money::at_rest")]
    pub commission: Money,
    pub due_by: Timestamp,
    pub status: PaymentStatus,
    pub sent_at: Option<Timestamp>,
    /// Why the provider refused the last transfer.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub refused_reason: Option<String>,
    /// Accounts refused so far: each new account is a new transfer, with its own id.
    #[serde(default)]
    pub attempt: u32,
    /// The SEPA credit transfer file the transfer travels in.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub file: Option<String>,
}

impl Payment {
    /// The transfer's id at the provider: one per account tried, so a retry finds the
    /// transfer it made and a new account makes a new one.
    pub fn transfer_id(&self) -> String {
        if self.attempt == 0 { self.id.clone() } else { format!("{}_{}", self.id, self.attempt) }
    }
}

/// A trade-in, as stored.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TradeIn {
    pub id: String,
    pub status: TradeInStatus,
    /// The customer's `sub`.
    pub customer: String,
    /// Where the customer is told of each step (the token's `email` when the offer was made):
    /// never in a view or a log.
    #[serde(default)]
    pub customer_email: Option<String>,
    pub product_id: String,
    /// The product as described in the register: brand and name.
    pub product_name: String,
    pub device: DeviceId,
    pub condition: Condition,
    pub grade: Grade,
    /// The customer's country (ISO 3166-1 alpha-2): the market whose calendar counts.
    pub country: String,
    pub refurbisher_id: String,
    #[serde(with = "crate::money::at_rest")]
    pub offered_price: Money,
    #[serde(default, with = "crate::money::at_rest::option")]
    pub final_price: Option<Money>,
    pub created_at: Timestamp,
    /// Accept by then; ship by then too.
    pub expires_at: Timestamp,
    pub ship_by: Timestamp,
    pub identity: Option<Identity>,
    pub payout_account: Option<PayoutAccount>,
    pub label: Option<Label>,
    pub accepted_at: Option<Timestamp>,
    pub received_at: Option<Timestamp>,
    pub inspect_by: Option<Timestamp>,
    /// When the price became final: the date of purchase in the register.
    pub purchased_at: Option<Timestamp>,
    /// The inspection was overdue beyond its grace and the device taken as described.
    #[serde(default)]
    pub deemed_conforming: bool,
    pub counter_offer: Option<CounterOffer>,
    pub return_: Option<Return>,
    pub payment: Option<Payment>,
    pub closed_at: Option<Timestamp>,
    pub version: i64,
}

/// A request for an offer, checked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Request {
    pub product_id: String,
    pub device: DeviceId,
    pub condition: Condition,
    pub country: String,
}

/// `POST /trade-ins`: an IMEI, or a serial for a device without one.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct RequestInput {
    pub product_id: String,
    pub imei: Option<String>,
    pub serial: Option<String>,
    pub country: String,
    pub condition: Condition,
}

impl RequestInput {
    pub fn validate(self) -> Result<Request, Error> {
        let mut v = Violations::new();
        let device = match (self.imei.as_deref(), self.serial.as_deref()) {
            (Some(imei), None) => v.parse("imei", device::imei(imei)).map(DeviceId::Imei),
            (None, Some(serial)) => v.parse("serial", device::serial(serial)).map(DeviceId::Serial),
            _ => {
                v.add("imei", "give the device's IMEI, or its serial number if it has none");
                None
            }
        };
        let country = self.country.to_ascii_uppercase();
        v.check(crate::validation::is_country(&country), "country", "must be an ISO 3166-1 alpha-2 code");
        v.check(
            self.condition.account_locks_removed,
            "condition.accountLocksRemoved",
            "remove the account locks (Find My, Google's factory reset protection) before trading the device in",
        );
        v.finish(|| Request {
            product_id: self.product_id,
            device: device.expect("a missing device was recorded as a violation"),
            condition: self.condition,
            country,
        })
    }
}

fn days(n: u32) -> SignedDuration {
    SignedDuration::from_hours(24 * i64::from(n))
}

fn conflict(code: &'static str, detail: impl Into<String>) -> Error {
    Error::conflict(code, detail)
}

impl TradeIn {
    /// The offer for `request`: the refurbisher's price, locked until `shipBy`.
    pub fn offer(
        id: String,
        customer: &str,
        request: Request,
        product_name: String,
        best: prices::Best,
        terms: &TradeInTerms,
        now: Timestamp,
    ) -> TradeIn {
        let ship_by = now.saturating_add(days(terms.ship_by_days)).unwrap_or(now);
        TradeIn {
            id,
            status: TradeInStatus::Offered,
            customer: customer.to_owned(),
            customer_email: None,
            product_id: request.product_id,
            product_name,
            grade: request.condition.grade(),
            device: request.device,
            condition: request.condition,
            country: request.country,
            refurbisher_id: best.refurbisher_id,
            offered_price: best.price,
            final_price: None,
            created_at: now,
            expires_at: ship_by,
            ship_by,
            identity: None,
            payout_account: None,
            label: None,
            accepted_at: None,
            received_at: None,
            inspect_by: None,
            purchased_at: None,
            deemed_conforming: false,
            counter_offer: None,
            return_: None,
            payment: None,
            closed_at: None,
            version: 0,
        }
    }

    fn next(&self) -> TradeIn {
        TradeIn { version: self.version + 1, ..self.clone() }
    }

    fn expect_status(&self, allowed: &[TradeInStatus], doing: &str) -> Result<(), Error> {
        // From its final price until the transfer is made, the status stays where the price
        // was set; nothing else may happen to it.
        if self.final_price.is_some() {
            return Err(conflict("price_final", "the price is final: the customer is being paid"));
        }
        if allowed.contains(&self.status) {
            Ok(())
        } else {
            Err(conflict(
                "invalid_transition",
                format!("a trade-in that is {} cannot be {doing}", self.status.as_str()),
            ))
        }
    }

    /// The customer accepts, before the offer expires.
    pub fn accept(
        &self,
        identity: Identity,
        account: PayoutAccount,
        label: Label,
        now: Timestamp,
    ) -> Result<TradeIn, Error> {
        self.expect_status(&[TradeInStatus::Offered], "accepted")?;
        if now >= self.expires_at {
            return Err(conflict("offer_expired", "the offer has expired: ask for a new one"));
        }
        let mut next = self.next();
        next.status = TradeInStatus::Accepted;
        next.identity = Some(identity);
        next.payout_account = Some(account);
        next.label = Some(label);
        next.accepted_at = Some(now);
        Ok(next)
    }

    /// The customer withdraws, as long as the device has not arrived.
    pub fn cancel(&self, now: Timestamp) -> Result<TradeIn, Error> {
        self.expect_status(&[TradeInStatus::Offered, TradeInStatus::Accepted], "cancelled")?;
        let mut next = self.next();
        next.status = TradeInStatus::Cancelled;
        next.closed_at = Some(now);
        Ok(next)
    }

    /// The refurbisher has the device: it inspects it within the inspection's business days.
    pub fn receive(&self, calendar: &Calendar, terms: &TradeInTerms, now: Timestamp) -> Result<TradeIn, Error> {
        self.expect_status(&[TradeInStatus::Accepted], "received")?;
        let mut next = self.next();
        next.status = TradeInStatus::Received;
        next.received_at = Some(now);
        next.inspect_by = Some(business_days_after(calendar, now, terms.inspection_business_days));
        Ok(next)
    }

    /// Whether the inspection is late (flagged to the refurbisher and admins).
    pub fn inspection_overdue(&self, now: Timestamp) -> bool {
        self.status == TradeInStatus::Received && self.inspect_by.is_some_and(|by| now > by)
    }

    /// The price is final: the customer is to be paid.
    fn purchase(mut self, price: Money, calendar: &Calendar, terms: &TradeInTerms, now: Timestamp) -> TradeIn {
        self.final_price = Some(price);
        self.purchased_at = Some(now);
        self.payment = Some(Payment {
            id: format!("tip_{}", self.id),
            amount: price,
            commission: terms.commission(price),
            due_by: business_days_after(calendar, now, terms.payment_business_days),
            status: PaymentStatus::Pending,
            sent_at: None,
            refused_reason: None,
            attempt: 0,
            file: None,
        });
        self
    }

    fn send_back(
        mut self,
        cost: ReturnCost,
        cause: &str,
        calendar: &Calendar,
        terms: &TradeInTerms,
        now: Timestamp,
    ) -> TradeIn {
        self.status = TradeInStatus::Returned;
        self.return_ = Some(Return {
            ship_by: business_days_after(calendar, now, terms.return_business_days),
            paid_by: cost,
            cause: cause.into(),
            label: None,
        });
        self.closed_at = Some(now);
        self
    }

    /// The refurbisher's inspection: the device conforms, or a counter-offer below the
    /// offered price for defects the customer did not declare, with evidence.
    pub fn inspect(
        &self,
        input: InspectionInput,
        calendar: &Calendar,
        terms: &TradeInTerms,
        now: Timestamp,
    ) -> Result<TradeIn, Error> {
        // The body is judged before the state, so a bad counter-offer is named even when late.
        let counter = match input.result {
            InspectionResult::Conforms => {
                let mut v = Violations::new();
                v.check(input.price.is_none(), "price", "a conforming device is bought at the offered price");
                v.check(input.reasons.is_empty(), "reasons", "a conforming device has no reasons");
                v.finish(|| None)?
            }
            InspectionResult::CounterOffer => Some(self.counter_offer_of(input, now, terms)?),
        };
        self.expect_status(&[TradeInStatus::Received], "inspected")?;
        let next = self.next();
        Ok(match counter {
            None => next.purchase(self.offered_price, calendar, terms, now),
            Some(offer) => TradeIn { status: TradeInStatus::CounterOffered, counter_offer: Some(offer), ..next },
        })
    }

    fn counter_offer_of(
        &self,
        input: InspectionInput,
        now: Timestamp,
        terms: &TradeInTerms,
    ) -> Result<CounterOffer, Error> {
        let mut v = Violations::new();
        let price = match &input.price {
            Some(price) => amount(&mut v, "price", price, Some(self.offered_price.currency), DECLINE_MINOR),
            None => {
                v.add("price", "a counter-offer names its price (1.00 to decline to buy)");
                None
            }
        };
        if let Some(price) = price {
            v.check(
                price.amount_minor < self.offered_price.amount_minor,
                "price",
                &format!("must be below the offered {}", self.offered_price.amount_string()),
            );
        }
        v.check(!input.reasons.is_empty(), "reasons", "name at least one reason");
        for (i, reason) in input.reasons.iter().enumerate() {
            v.check(
                reason.contradicts(&self.condition),
                &format!("reasons[{i}]"),
                "the customer declared this defect: it is priced in the offer",
            );
        }
        v.check(
            (1..=MAX_EVIDENCE).contains(&input.evidence.len()),
            "evidence",
            &format!("give 1 to {MAX_EVIDENCE} photo references"),
        );
        for (i, photo) in input.evidence.iter().enumerate() {
            v.check(
                !photo.trim().is_empty() && photo.len() <= 300,
                &format!("evidence[{i}]"),
                "must be a photo reference of at most 300 characters",
            );
        }
        let mut reasons = input.reasons;
        reasons.sort();
        reasons.dedup();
        v.finish(|| {
            let price = price.expect("a missing price was recorded as a violation");
            CounterOffer {
                price,
                reasons,
                evidence: input.evidence,
                made_at: now,
                respond_by: now.saturating_add(days(terms.counter_offer_response_days)).unwrap_or(now),
                declined: price.amount_minor == DECLINE_MINOR,
            }
        })
    }

    /// Who pays to send the device back after a counter-offer.
    fn return_cost(&self) -> ReturnCost {
        let at_fault = self.counter_offer.as_ref().is_some_and(|c| c.reasons.iter().any(|r| r.customer_at_fault()));
        if at_fault { ReturnCost::Customer } else { ReturnCost::Refurbisher }
    }

    /// The customer accepts the counter-offer (paid its price) or rejects it (the device is
    /// sent back within the return's business days).
    pub fn answer(
        &self,
        accept: bool,
        calendar: &Calendar,
        terms: &TradeInTerms,
        now: Timestamp,
    ) -> Result<TradeIn, Error> {
        self.expect_status(&[TradeInStatus::CounterOffered], if accept { "accepted" } else { "rejected" })?;
        let offer = self.counter_offer.as_ref().expect("a counter-offered trade-in has its counter-offer");
        if now >= offer.respond_by {
            return Err(conflict(
                "counter_offer_expired",
                "the time to answer has passed: the device is being returned",
            ));
        }
        if accept && offer.declined {
            return Err(conflict("declined", "the refurbisher declined to buy the device: it is returned to you"));
        }
        let next = self.next();
        Ok(if accept {
            next.purchase(offer.price, calendar, terms, now)
        } else {
            let cost = self.return_cost();
            next.send_back(cost, "rejected", calendar, terms, now)
        })
    }

    /// What time alone does, if anything is due at `now`: an offer not accepted, or a device
    /// not received, expires; an inspection overdue beyond its grace is deemed conforming; a
    /// counter-offer unanswered sends the device back.
    pub fn sweep(&self, calendar: &Calendar, terms: &TradeInTerms, now: Timestamp) -> Option<TradeIn> {
        match self.status {
            TradeInStatus::Offered if now >= self.expires_at => {
                Some(TradeIn { status: TradeInStatus::Expired, closed_at: Some(now), ..self.next() })
            }
            TradeInStatus::Accepted
                if now >= self.ship_by.saturating_add(days(terms.transit_days)).unwrap_or(self.ship_by) =>
            {
                Some(TradeIn { status: TradeInStatus::Expired, closed_at: Some(now), ..self.next() })
            }
            TradeInStatus::Received => {
                let by = self.inspect_by?;
                let deemed = business_days_after(calendar, by, terms.inspection_grace_business_days);
                (now >= deemed && self.final_price.is_none()).then(|| {
                    let next = TradeIn { deemed_conforming: true, ..self.next() };
                    next.purchase(self.offered_price, calendar, terms, now)
                })
            }
            TradeInStatus::CounterOffered if self.final_price.is_none() => {
                let offer = self.counter_offer.as_ref()?;
                (now >= offer.respond_by).then(|| {
                    let cause = if offer.declined { "declined" } else { "unanswered" };
                    self.next().send_back(self.return_cost(), cause, calendar, terms, now)
                })
            }
            _ => None,
        }
    }

    /// When [`TradeIn::sweep`] next has something to do, for the schedule's index.
    pub fn next_due(&self, calendar: &Calendar, terms: &TradeInTerms) -> Option<Timestamp> {
        match self.status {
            TradeInStatus::Offered => Some(self.expires_at),
            TradeInStatus::Accepted => self.ship_by.saturating_add(days(terms.transit_days)).ok(),
            TradeInStatus::Received if self.final_price.is_none() => {
                self.inspect_by.map(|by| business_days_after(calendar, by, terms.inspection_grace_business_days))
            }
            TradeInStatus::CounterOffered if self.final_price.is_none() => {
                self.counter_offer.as_ref().map(|c| c.respond_by)
            }
            _ => None,
        }
    }

    /// The provider took the transfer: the customer is paid.
    pub fn paid(&self, now: Timestamp) -> Result<TradeIn, Error> {
        let Some(payment) = &self.payment else {
            return Err(conflict("invalid_transition", "the trade-in has no final price yet"));
        };
        if payment.status == PaymentStatus::Sent {
            return Ok(self.clone());
        }
        let mut next = self.next();
        next.status = TradeInStatus::Paid;
        next.payment = Some(Payment { status: PaymentStatus::Sent, sent_at: Some(now), ..payment.clone() });
        next.closed_at = Some(now);
        // The account is no longer needed; the register keeps the identity.
        next.payout_account = None;
        Ok(next)
    }

    /// Whether a transfer is to be made (or retried) now.
    pub fn payment_pending(&self) -> bool {
        self.payment.as_ref().is_some_and(|p| p.status == PaymentStatus::Pending)
    }

    /// The provider, or the bank's report on the file, refused the transfer to the customer's
    /// account.
    pub fn payment_refused(&self, reason: &str) -> Option<TradeIn> {
        let payment =
            self.payment.as_ref().filter(|p| matches!(p.status, PaymentStatus::Pending | PaymentStatus::Filed))?;
        let mut next = self.next();
        next.payment = Some(Payment {
            status: PaymentStatus::Refused,
            refused_reason: Some(reason.into()),
            file: None,
            ..payment.clone()
        });
        Some(next)
    }

    /// The pending transfer is put in the SEPA credit transfer file `file`.
    pub fn payment_filed(&self, file: &str) -> Option<TradeIn> {
        let payment = self.payment.as_ref().filter(|p| p.status == PaymentStatus::Pending)?;
        let mut next = self.next();
        next.payment = Some(Payment { status: PaymentStatus::Filed, file: Some(file.into()), ..payment.clone() });
        Some(next)
    }

    /// The customer gives another account after a refused transfer: a new transfer is made.
    pub fn change_payout_account(&self, account: PayoutAccount) -> Result<TradeIn, Error> {
        let payment = self.payment.as_ref().filter(|p| p.status == PaymentStatus::Refused).ok_or_else(|| {
            conflict("invalid_transition", "the account can be changed only after the bank refused a transfer")
        })?;
        if self.payout_account.as_ref().is_some_and(|a| a.iban == account.iban) {
            let mut v = Violations::new();
            v.add("payoutAccount.iban", "the bank refused this account: give another one");
            return v.finish(|| self.clone());
        }
        let mut next = self.next();
        next.payout_account = Some(account);
        next.payment = Some(Payment {
            status: PaymentStatus::Pending,
            refused_reason: None,
            attempt: payment.attempt + 1,
            ..payment.clone()
        });
        Ok(next)
    }
}

#[cfg(test)]
pub(crate) mod tests;
