use super::*;
use crate::money::Currency;
use crate::reviews::calendar::Calendars;

fn at(s: &str) -> Timestamp {
    s.parse().expect("a time")
}

fn eur(minor: i64) -> Money {
    Money::new(minor, Currency::EUR)
}

fn france() -> Calendar {
    Calendars::default().for_country("FR").clone()
}

fn condition() -> Condition {
    Condition {
        powers_on: true,
        screen: Screen::Scratched,
        body: Body::Flawless,
        faults: Default::default(),
        account_locks_removed: true,
        data_erased: true,
    }
}

fn offered(now: Timestamp) -> TradeIn {
    let request = Request {
        product_id: "prd_1".into(),
        device: DeviceId::Imei("490154203237518".into()),
        condition: condition(),
        country: "FR".into(),
    };
    let best = prices::Best { refurbisher_id: "sel_r".into(), price: eur(20_000) };
    TradeIn::offer("ti_1".into(), "customer-1", request, "Apple iPhone 13".into(), best, &TradeInTerms::default(), now)
}

fn identity() -> (Identity, PayoutAccount) {
    let input: AcceptanceInput = serde_json::from_value(serde_json::json!({
        "identity": {"name": "Camille Martin", "birthDate": "1990-04-12", "document": {"type": "id_card", "number": "X4RTBPFW4"}},
        "payoutAccount": {"holder": "Camille Martin", "iban": "FR76 3000 6000 0112 3456 7890 189"}}))
    .expect("the shape");
    input.validate(at("2026-12-01T10:00:00Z").to_zoned_datetime(jiff::tz::TimeZone::UTC).date()).expect("valid")
}

fn label() -> Label {
    Label { carrier: "sandbox".into(), tracking: "SBX1".into(), url: "https://labels.example/SBX1".into() }
}

fn accepted(now: Timestamp) -> TradeIn {
    let (who, account) = identity();
    offered(now).accept(who, account, label(), now).expect("accepted")
}

fn received(now: Timestamp) -> TradeIn {
    accepted(now).receive(&france(), &TradeInTerms::default(), now).expect("received")
}

fn inspection(result: InspectionResult, price: Option<&str>, reasons: &[Reason], evidence: &[&str]) -> InspectionInput {
    InspectionInput {
        result,
        price: price.map(|p| MoneyInput { amount: p.into(), currency: "EUR".into() }),
        reasons: reasons.to_vec(),
        evidence: evidence.iter().map(|e| (*e).to_owned()).collect(),
    }
}

fn counter(price: &str, reasons: &[Reason]) -> InspectionInput {
    inspection(InspectionResult::CounterOffer, Some(price), reasons, &["photos/ti_1/back.jpg"])
}

fn fields(result: Result<TradeIn, Error>) -> Vec<String> {
    match result {
        Err(Error::Invalid(v)) => v.errors().iter().map(|e| e.field.clone()).collect(),
        other => panic!("refused expected: {other:?}"),
    }
}

fn code(result: Result<TradeIn, Error>) -> &'static str {
    match result {
        Err(Error::Conflict { code, .. }) => code,
        other => panic!("a conflict expected: {other:?}"),
    }
}

#[test]
fn only_the_customer_answers_and_only_the_refurbisher_handles_the_device() {
    use Action::*;
    for action in [Accept, Cancel, AnswerCounterOffer] {
        assert!(may(Party::Customer, action));
        assert!(!may(Party::Refurbisher, action) && !may(Party::Admin, action));
    }
    for action in [Receive, Inspect] {
        assert!(may(Party::Refurbisher, action));
        assert!(!may(Party::Customer, action) && !may(Party::Admin, action));
    }
    assert!([Party::Customer, Party::Refurbisher, Party::Admin].into_iter().all(|p| may(p, Read)));
}

#[test]
fn an_offer_is_locked_until_ship_by_then_expires() {
    let now = at("2026-12-01T10:00:00Z");
    let offer = offered(now);
    assert_eq!((offer.status, offer.grade, offer.offered_price), (TradeInStatus::Offered, Grade::Good, eur(20_000)));
    assert_eq!(offer.ship_by, at("2026-12-22T10:00:00Z"), "21 days");
    assert_eq!(offer.expires_at, offer.ship_by);
    let (who, account) = identity();
    let late = offer.accept(who.clone(), account.clone(), label(), at("2026-12-22T10:00:00Z"));
    assert_eq!(code(late), "offer_expired");
    let accepted = offer.accept(who, account, label(), at("2026-12-22T09:59:59Z")).expect("just in time");
    assert_eq!((accepted.status, accepted.version), (TradeInStatus::Accepted, 1));
    let terms = TradeInTerms::default();
    assert_eq!(offer.sweep(&france(), &terms, at("2026-12-22T09:59:59Z")), None);
    assert_eq!(
        offer.sweep(&france(), &terms, at("2026-12-22T10:00:00Z")).map(|t| t.status),
        Some(TradeInStatus::Expired)
    );
    // An accepted device has a week of transit after ship-by to arrive.
    assert_eq!(accepted.next_due(&france(), &terms), Some(at("2026-12-29T10:00:00Z")));
    assert_eq!(accepted.sweep(&france(), &terms, at("2026-12-29T09:00:00Z")), None);
    assert_eq!(
        accepted.sweep(&france(), &terms, at("2026-12-29T10:00:00Z")).map(|t| t.status),
        Some(TradeInStatus::Expired)
    );
}

#[test]
fn each_transition_is_refused_outside_its_state() {
    let now = at("2026-12-01T10:00:00Z");
    let (calendar, terms) = (france(), TradeInTerms::default());
    let offer = offered(now);
    assert_eq!(code(offer.receive(&calendar, &terms, now)), "invalid_transition", "not shipped yet");
    assert_eq!(code(offer.inspect(counter("150.00", &[Reason::Body]), &calendar, &terms, now)), "invalid_transition");
    assert_eq!(code(offer.answer(true, &calendar, &terms, now)), "invalid_transition");
    let got = received(now);
    let (who, account) = identity();
    assert_eq!(code(got.accept(who, account, label(), now)), "invalid_transition");
    assert_eq!(code(got.cancel(now)), "invalid_transition", "the device has arrived");
    assert_eq!(code(got.receive(&calendar, &terms, now)), "invalid_transition", "received once");
    assert_eq!(accepted(now).cancel(now).map(|t| t.status), Ok(TradeInStatus::Cancelled));
    let paid =
        got.inspect(inspection(InspectionResult::Conforms, None, &[], &[]), &calendar, &terms, now).expect("conforms");
    assert_eq!(
        code(paid.inspect(inspection(InspectionResult::Conforms, None, &[], &[]), &calendar, &terms, now)),
        "price_final"
    );
    assert_eq!(code(paid.cancel(now)), "price_final");
}

#[test]
fn inspection_is_due_two_business_days_after_receipt_on_the_market_s_calendar() {
    let terms = TradeInTerms::default();
    // Received on Thursday 24 December 2026 at 15:00 in Paris: Friday is Christmas, so Monday
    // and Tuesday count; due Tuesday 29 December at 15:00.
    let got =
        accepted(at("2026-12-01T10:00:00Z")).receive(&france(), &terms, at("2026-12-24T14:00:00Z")).expect("received");
    assert_eq!(got.inspect_by, Some(at("2026-12-29T14:00:00Z")));
    assert!(!got.inspection_overdue(at("2026-12-29T14:00:00Z")));
    assert!(got.inspection_overdue(at("2026-12-29T14:00:01Z")));
    // Deemed conforming three business days later (Wednesday 30, Thursday 31, Friday 1 is New
    // Year's Day, Monday 4 January).
    assert_eq!(got.next_due(&france(), &terms), Some(at("2027-01-04T14:00:00Z")));
    assert_eq!(got.sweep(&france(), &terms, at("2027-01-04T13:59:59Z")), None);
    let deemed = got.sweep(&france(), &terms, at("2027-01-04T14:00:00Z")).expect("deemed conforming");
    assert!(deemed.deemed_conforming);
    assert_eq!(deemed.final_price, Some(eur(20_000)));
    let payment = deemed.payment.clone().expect("a payment");
    assert_eq!(
        (payment.id.as_str(), payment.amount, payment.status),
        ("tip_ti_1", eur(20_000), PaymentStatus::Pending)
    );
    assert_eq!(payment.commission, eur(1_000), "5 % by default");
    // Six business days to pay: 5, 6, 7, 8, 11, 12 January.
    assert_eq!(payment.due_by, at("2027-01-12T14:00:00Z"));
    assert_eq!(deemed.sweep(&france(), &terms, at("2027-02-01T00:00:00Z")), None, "priced once");
}

#[test]
fn a_counter_offer_is_below_the_offer_for_undeclared_defects_with_evidence() {
    let now = at("2026-12-01T10:00:00Z");
    let (calendar, terms) = (france(), TradeInTerms::default());
    let got = received(now);
    // Declared: screen scratched (not cracked), body flawless, no faults.
    assert_eq!(
        fields(got.inspect(counter("200.00", &[Reason::Body]), &calendar, &terms, now)),
        ["price"],
        "not below the offer"
    );
    assert_eq!(fields(got.inspect(counter("250.00", &[Reason::Body]), &calendar, &terms, now)), ["price"]);
    assert_eq!(
        fields(got.inspect(counter("0.50", &[Reason::Body]), &calendar, &terms, now)),
        ["price.amount"],
        "1.00 at least"
    );
    assert_eq!(fields(got.inspect(counter("150.00", &[]), &calendar, &terms, now)), ["reasons"]);
    assert_eq!(
        fields(got.inspect(
            inspection(InspectionResult::CounterOffer, Some("150.00"), &[Reason::Body], &[]),
            &calendar,
            &terms,
            now
        )),
        ["evidence"]
    );
    assert_eq!(
        fields(got.inspect(
            inspection(InspectionResult::CounterOffer, None, &[Reason::Body], &["p"]),
            &calendar,
            &terms,
            now
        )),
        ["price"]
    );
    assert_eq!(
        fields(got.inspect(
            inspection(InspectionResult::Conforms, Some("150.00"), &[Reason::Body], &[]),
            &calendar,
            &terms,
            now
        )),
        ["price", "reasons"]
    );
    let made = got
        .inspect(counter("150.00", &[Reason::Battery, Reason::Body, Reason::Battery]), &calendar, &terms, now)
        .expect("made");
    let offer = made.counter_offer.clone().expect("a counter-offer");
    assert_eq!(
        (made.status, offer.price, offer.reasons.clone()),
        (TradeInStatus::CounterOffered, eur(15_000), vec![Reason::Body, Reason::Battery])
    );
    assert_eq!(offer.respond_by, at("2026-12-08T10:00:00Z"), "7 days");
    assert!(!offer.declined);
}

#[test]
fn a_defect_the_customer_declared_is_no_reason() {
    let declared = Condition {
        powers_on: true,
        screen: Screen::Cracked,
        body: Body::Damaged,
        faults: [Fault::Cameras, Fault::Battery].into_iter().collect(),
        account_locks_removed: true,
        data_erased: true,
    };
    let allowed: Vec<Reason> = Reason::ALL.into_iter().filter(|r| r.contradicts(&declared)).collect();
    assert_eq!(
        allowed,
        [
            Reason::PowersOn,
            Reason::Buttons,
            Reason::WifiBluetooth,
            Reason::SpeakerMicrophone,
            Reason::AccountLocked,
            Reason::Counterfeit,
            Reason::Blocklisted
        ]
    );
    let dead = Condition { powers_on: false, ..declared };
    assert!(!Reason::PowersOn.contradicts(&dead));
    let customers: Vec<Reason> = Reason::ALL.into_iter().filter(|r| r.customer_at_fault()).collect();
    assert_eq!(customers, [Reason::AccountLocked, Reason::Counterfeit, Reason::Blocklisted]);
}

#[test]
fn the_customer_accepts_or_rejects_within_the_week() {
    let now = at("2026-12-01T10:00:00Z");
    let (calendar, terms) = (france(), TradeInTerms::default());
    let made = received(now).inspect(counter("150.00", &[Reason::Body]), &calendar, &terms, now).expect("made");
    let taken = made.answer(true, &calendar, &terms, at("2026-12-02T10:00:00Z")).expect("accepted");
    assert_eq!((taken.final_price, taken.purchased_at), (Some(eur(15_000)), Some(at("2026-12-02T10:00:00Z"))));
    assert_eq!(taken.payment.as_ref().map(|p| p.commission), Some(eur(750)));
    assert_eq!(
        code(taken.answer(false, &calendar, &terms, at("2026-12-02T10:00:00Z"))),
        "price_final",
        "answered once"
    );
    // Rejected on Friday 4 December: sent back by Tuesday 8 December at the refurbisher's cost.
    let back = made.answer(false, &calendar, &terms, at("2026-12-04T10:00:00Z")).expect("rejected");
    let ret = back.return_.clone().expect("a return");
    assert_eq!(
        (back.status, ret.paid_by, ret.ship_by),
        (TradeInStatus::Returned, ReturnCost::Refurbisher, at("2026-12-08T10:00:00Z"))
    );
    assert_eq!(back.final_price, None);
    assert_eq!(code(made.answer(true, &calendar, &terms, at("2026-12-08T10:00:00Z"))), "counter_offer_expired");
    let unanswered = made.sweep(&calendar, &terms, at("2026-12-08T10:00:00Z")).expect("returned");
    assert_eq!(unanswered.return_.map(|r| r.cause), Some("unanswered".into()));
    assert_eq!(made.sweep(&calendar, &terms, at("2026-12-08T09:00:00Z")), None);
}

#[test]
fn a_device_returned_for_the_customer_s_fault_is_returned_at_their_cost() {
    let now = at("2026-12-01T10:00:00Z");
    let (calendar, terms) = (france(), TradeInTerms::default());
    let locked =
        received(now).inspect(counter("1.00", &[Reason::AccountLocked]), &calendar, &terms, now).expect("declined");
    assert!(locked.counter_offer.as_ref().is_some_and(|c| c.declined), "1.00 declines to buy");
    assert_eq!(code(locked.answer(true, &calendar, &terms, now)), "declined");
    let back = locked.answer(false, &calendar, &terms, now).expect("returned");
    assert_eq!(back.return_.map(|r| r.paid_by), Some(ReturnCost::Customer));
    let swept = locked.sweep(&calendar, &terms, at("2026-12-08T10:00:00Z")).expect("returned");
    assert_eq!(swept.return_.map(|r| (r.cause, r.paid_by)), Some(("declined".into(), ReturnCost::Customer)));
}

#[test]
fn the_payment_is_marked_sent_once() {
    let now = at("2026-12-01T10:00:00Z");
    let (calendar, terms) = (france(), TradeInTerms::default());
    assert_eq!(code(received(now).paid(now)), "invalid_transition");
    let bought = received(now)
        .inspect(inspection(InspectionResult::Conforms, None, &[], &[]), &calendar, &terms, now)
        .expect("conforms");
    let paid = bought.paid(at("2026-12-01T11:00:00Z")).expect("paid");
    assert_eq!(
        (paid.status, paid.payment.as_ref().map(|p| p.status)),
        (TradeInStatus::Paid, Some(PaymentStatus::Sent))
    );
    assert_eq!(paid.paid(at("2026-12-02T11:00:00Z")), Ok(paid.clone()), "a second answer changes nothing");
}

#[test]
fn the_acceptance_names_every_bad_field() {
    let today = at("2026-12-01T10:00:00Z").to_zoned_datetime(jiff::tz::TimeZone::UTC).date();
    let input: AcceptanceInput = serde_json::from_value(serde_json::json!({
        "identity": {"name": " ", "birthDate": "2009-12-02", "document": {"type": "passport", "number": "12"}},
        "payoutAccount": {"holder": "Camille", "iban": "FR76 3000 6000 0112 3456 7890 188"}}))
    .expect("the shape");
    match input.validate(today) {
        Err(Error::Invalid(v)) => {
            let fields: Vec<&str> = v.errors().iter().map(|e| e.field.as_str()).collect();
            assert_eq!(
                fields,
                ["identity.name", "identity.birthDate", "identity.document.number", "payoutAccount.iban"]
            );
        }
        other => panic!("refused expected: {other:?}"),
    }
    let (who, account) = identity();
    assert_eq!(who.document.number, "X4RTBPFW4");
    assert_eq!(account.iban, "FR7630006000011234567890189");
    assert_eq!(account.masked(), "FR•• •••• 0189");
    // Eighteen today is old enough.
    let eighteen: AcceptanceInput = serde_json::from_value(serde_json::json!({
        "identity": {"name": "Léa", "birthDate": "2008-12-01", "document": {"type": "id_card", "number": "AB1234"}},
        "payoutAccount": {"holder": "Léa", "iban": "FR7630006000011234567890189"}}))
    .expect("the shape");
    assert!(eighteen.validate(today).is_ok());
}

#[test]
fn a_request_names_its_device_once_and_a_locked_device_is_refused() {
    let input = |json: serde_json::Value| -> Result<Request, Error> {
        serde_json::from_value::<RequestInput>(json).expect("the shape").validate()
    };
    let condition = serde_json::json!({"powersOn": true, "screen": "flawless", "body": "flawless", "faults": [],
                                       "accountLocksRemoved": true, "dataErased": true});
    let ok = input(serde_json::json!({"productId": "prd_1", "imei": "4901 5420 3237 518", "country": "fr", "condition": condition}))
        .expect("valid");
    assert_eq!((ok.device, ok.country.as_str()), (DeviceId::Imei("490154203237518".into()), "FR"));
    let refused = |json| match input(json) {
        Err(Error::Invalid(v)) => v.errors().iter().map(|e| e.field.clone()).collect::<Vec<_>>(),
        other => panic!("refused expected: {other:?}"),
    };
    assert_eq!(
        refused(
            serde_json::json!({"productId": "prd_1", "imei": "490154203237519", "country": "FR", "condition": condition})
        ),
        ["imei"]
    );
    assert_eq!(refused(serde_json::json!({"productId": "prd_1", "country": "FR", "condition": condition})), ["imei"]);
    assert_eq!(
        refused(
            serde_json::json!({"productId": "prd_1", "imei": "490154203237518", "serial": "C02XK0ABJG5J", "country": "FR", "condition": condition})
        ),
        ["imei"]
    );
    let mut locked = condition.clone();
    locked["accountLocksRemoved"] = serde_json::json!(false);
    assert_eq!(
        refused(
            serde_json::json!({"productId": "prd_1", "serial": "C02XK0ABJG5J", "country": "XX1", "condition": locked})
        ),
        ["country", "condition.accountLocksRemoved"]
    );
}

#[test]
fn terms_are_read_from_configuration_and_bounded() {
    assert_eq!(TradeInTerms::from_json("{}"), Ok(TradeInTerms::default()));
    let terms = TradeInTerms::from_json(r#"{"shipByDays": 14, "commissionRate": "0.08"}"#).expect("terms");
    assert_eq!((terms.ship_by_days, terms.commission(eur(12_345))), (14, eur(988)));
    assert!(TradeInTerms::from_json(r#"{"shipByDays": 0}"#).is_err());
    assert!(TradeInTerms::from_json(r#"{"commissionRate": "1"}"#).is_err());
    assert!(TradeInTerms::from_json(r#"{"unknown": 1}"#).is_err());
}

fn bought(now: Timestamp) -> TradeIn {
    let conforms = inspection(InspectionResult::Conforms, None, &[], &[]);
    received(now).inspect(conforms, &france(), &TradeInTerms::default(), now).expect("conforms")
}

/// A device `refurbisher` bought at `price_minor` at `now`, for the ledger's simulation.
pub(crate) fn bought_by(refurbisher: &str, id: &str, price_minor: i64, now: Timestamp) -> TradeIn {
    let t =
        TradeIn { id: id.into(), refurbisher_id: refurbisher.into(), offered_price: eur(price_minor), ..accepted(now) };
    let t = t.receive(&france(), &TradeInTerms::default(), now).expect("received");
    let conforms = inspection(InspectionResult::Conforms, None, &[], &[]);
    t.inspect(conforms, &france(), &TradeInTerms::default(), now).expect("conforms")
}

#[test]
fn the_refurbisher_funds_price_and_commission_and_owes_what_its_funds_cannot_cover() {
    use crate::funds::SellerFunds;
    use crate::ledger::{Account, Kind};
    let now = at("2026-12-02T10:00:00Z");
    let t = bought(now);
    let payment = t.payment.clone().expect("a final price has its payment");
    assert_eq!((payment.amount, payment.commission), (eur(20_000), eur(1_000)), "5 % of 200.00");
    let short = SellerFunds { available: 15_000, ..SellerFunds::default() };
    let purchase = payment::purchase_transaction(&t, short).expect("balanced").expect("final");
    assert_eq!((purchase.id.as_str(), purchase.kind), ("trade_in:ti_1", Kind::TradeIn));
    assert_eq!(purchase.amount_on(&Account::SellerAvailable("sel_r".into())), 15_000, "all it has");
    assert_eq!(purchase.amount_on(&Account::SellerReceivable("sel_r".into())), 6_000, "the rest is owed");
    assert_eq!(purchase.amount_on(&Account::CustomerPayable), -20_000, "the whole price is owed to the customer");
    assert_eq!(purchase.commission_minor(), 1_000);
    let rich = SellerFunds { available: 50_000, ..SellerFunds::default() };
    let covered = payment::purchase_transaction(&t, rich).expect("balanced").expect("final");
    assert_eq!(covered.amount_on(&Account::SellerAvailable("sel_r".into())), 21_000);
    assert_eq!(covered.amount_on(&Account::SellerReceivable("sel_r".into())), 0);

    let paid = payment::payment_transaction(&t, now).expect("balanced").expect("final");
    assert_eq!((paid.kind, paid.seller_id.as_deref()), (Kind::TradeInPayment, None));
    assert_eq!(paid.amount_on(&Account::CustomerPayable), 20_000);
    assert_eq!(paid.amount_on(&Account::ProviderClearing), -20_000);
    assert_eq!(payment::purchase_transaction(&received(now), rich), Ok(None), "no price yet, nothing to post");

    let statement = crate::statement::Statement::build("sel_r", "2026-12", Currency::EUR, short, &[purchase]);
    let totals = statement.totals;
    assert_eq!((totals.trade_ins, totals.commission, totals.net), (eur(20_000), eur(1_000), eur(-21_000)));
    assert_eq!(statement.closing.owed, eur(6_000));
}

#[test]
fn a_refused_transfer_waits_for_another_account_and_makes_a_new_transfer() {
    let now = at("2026-12-02T10:00:00Z");
    let t = bought(now);
    assert!(t.payment_pending());
    assert_eq!(t.payment.as_ref().map(Payment::transfer_id).as_deref(), Some("tip_ti_1"));
    let refused = t.payment_refused("the account is closed").expect("pending");
    assert!(!refused.payment_pending());
    assert_eq!(refused.payment_refused("again"), None, "told once");
    assert_eq!(code(t.change_payout_account(identity().1)), "invalid_transition", "only after a refusal");
    assert_eq!(fields(refused.change_payout_account(identity().1)), ["payoutAccount.iban"], "not the same account");
    let other = PayoutAccount { holder: "Camille Martin".into(), iban: "DE89370400440532013000".into() };
    let again = refused.change_payout_account(other.clone()).expect("another account");
    assert!(again.payment_pending());
    assert_eq!(again.payout_account, Some(other));
    assert_eq!(again.payment.as_ref().map(Payment::transfer_id).as_deref(), Some("tip_ti_1_1"), "a new transfer");
    let paid = again.paid(now).expect("sent");
    assert_eq!(
        (paid.status, paid.payout_account.clone()),
        (TradeInStatus::Paid, None),
        "the account is dropped once paid"
    );
    assert_eq!(paid.paid(now).expect("again").version, paid.version, "marked sent once");
    let input: PayoutAccountChange = serde_json::from_value(
        serde_json::json!({"payoutAccount": {"holder": " ", "iban": "FR7630006000011234567890188"}}),
    )
    .expect("the shape");
    let mut named = fields(input.validate().map(|_| t.clone()));
    named.sort();
    assert_eq!(named, ["payoutAccount.holder", "payoutAccount.iban"]);
}

#[test]
fn the_register_entry_holds_what_a_dealer_must_record() {
    let now = at("2026-12-02T10:00:00Z");
    assert_eq!(payment::RegisterEntry::of(&received(now)), None, "nothing bought yet");
    let entry = payment::RegisterEntry::of(&bought(now)).expect("bought");
    assert_eq!(entry.purchased_at, now);
    assert_eq!(entry.seller.name, "Camille Martin");
    assert_eq!(entry.seller.birth_date.to_string(), "1990-04-12");
    assert_eq!(
        (entry.seller.document.kind, entry.seller.document.number.as_str()),
        (DocumentType::IdCard, "X4RTBPFW4")
    );
    assert_eq!(entry.description, "Apple iPhone 13, good condition, IMEI 490154203237518");
    assert_eq!((entry.price, entry.payment_method.as_str()), (eur(20_000), "bank_transfer"));
    assert_eq!(entry.payment_reference, "tip_ti_1");
    let mut hostile = entry.clone();
    hostile.seller.name = "=cmd|' /C calc'!A0, \"x\"".into();
    let csv = payment::register_csv(&[entry, hostile]);
    let rows: Vec<&str> = csv.lines().collect();
    assert_eq!(rows.len(), 3);
    assert_eq!(
        rows[1],
        "2026-12-02T10:00:00Z,ti_1,Camille Martin,1990-04-12,id_card,X4RTBPFW4,prd_1,\
         \"Apple iPhone 13, good condition, IMEI 490154203237518\",imei,490154203237518,200.00,EUR,bank_transfer,tip_ti_1"
    );
    assert!(rows[2].contains(",\"'=cmd|' /C calc'!A0, \"\"x\"\"\","), "{}", rows[2]);
}

#[test]
fn a_filed_transfer_is_paid_or_refused_by_the_bank_and_filed_once() {
    let now = at("2026-12-02T10:00:00Z");
    let t = bought_by("sel_berlin", "ti_1", 28_000, now);
    assert!(t.payment_pending());
    let filed = t.payment_filed("MP-20261203-EUR-1").expect("a pending transfer is filed");
    let payment = filed.payment.clone().expect("a payment");
    assert_eq!((payment.status, payment.file.as_deref()), (PaymentStatus::Filed, Some("MP-20261203-EUR-1")));
    assert!(!filed.payment_pending(), "a filed transfer is not made again");
    assert_eq!(filed.payment_filed("MP-20261203-EUR-2"), None, "in one file only");
    let paid = filed.paid(now).expect("the bank settled it");
    assert_eq!(
        (paid.status, paid.payment.as_ref().map(|p| p.status)),
        (TradeInStatus::Paid, Some(PaymentStatus::Sent))
    );
    let refused = filed.payment_refused("rejected by the bank (AC04)").expect("the bank rejected it");
    let payment = refused.payment.clone().expect("a payment");
    assert_eq!((payment.status, payment.file), (PaymentStatus::Refused, None));
    assert_eq!(refused.payment_filed("MP-20261203-EUR-2"), None, "a refused transfer waits for another account");
}
